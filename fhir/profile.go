package fhir

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./internal/genprofile -ukcore ../../shared/ukcore -r4 ../../shared/fhir-r4/definitions.tgz -o zz_profiles.go

// invariant is one FHIRPath constraint of a StructureDefinition element.
type invariant struct {
	Key      string
	Severity string // error, warning
	Path     string // the element it is on: "Patient.name", "Reference"
	Expr     string
	Human    string
}

// profileInfo is a UK Core profile or extension definition.
type profileInfo struct {
	URL  string
	Type string
	Kind string
	// Base is the UK Core profile this one derives from (its
	// baseDefinition), whose rules genprofile has merged into this one's
	Base       string
	Invariants []invariant
	Cards      []cardinality
	hasChild   bool          // another UK Core profile derives from this one
	rules      *profileRules // ukcoreRules[URL], linked at init
}

// cardinality is the min..max a profile sets on an element (outside slices).
type cardinality struct {
	Path string
	Min  int
	Max  string // a number or "*"
	// System, when set, restricts the count to elements with this system:
	// a slice discriminated by a fixed system (identifier:nhsNumber).
	System string
}

// ProfileMode chooses which StructureDefinitions ValidateProfiles applies.
type ProfileMode int

const (
	// ProfilesClaimed applies the base R4 invariants and those of every UK
	// Core profile the resource claims in meta.profile (the default).
	ProfilesClaimed ProfileMode = iota
	// ProfilesBase applies the base R4 invariants only.
	ProfilesBase
	// ProfilesNamed applies the base invariants and those of
	// ValidateOptions.Profile, whatever the resource claims.
	ProfilesNamed
)

// ValidateOptions configures ValidateProfiles.
type ValidateOptions struct {
	Mode    ProfileMode
	Profile string // the profile URL for ProfilesNamed
	// Terminology answers memberOf() in invariants.
	Terminology Terminology
	// MaxIssues stops after this many issues (0: no limit).
	MaxIssues int
	// Suppress drops issues of these rule ids (invariant keys such as
	// "dom-6", or "unknown-profile").
	Suppress []string
	// MustSupport reports each mustSupport element of the applied UK Core
	// profiles that the resource lacks (where its parent is present), as
	// information under RuleMustSupport: mustSupport binds the systems that
	// exchange a resource, not the resource, so it is never an error.
	MustSupport bool
	// viaJSON builds the tree from Marshal's output instead of the typed
	// model (the tests compare the two).
	viaJSON bool
}

// preparedInv is an invariant ready to run: its path below the type it
// is on split into element names, its compiled expression (nil when it
// does not compile: not checked) and, for the common shapes, a Go closure
// giving the same answer (fhirpath_fast.go).
type preparedInv struct {
	inv   *invariant
	rest  []string
	prog  *FHIRPath
	fast  fastPred
	guard guardPred // when fast is nil: decides some cases without the interpreter
	// memo: another invariant of the same list has the same expression
	// (txt-1 and txt-2 are both htmlChecks()), so check keeps fast's
	// answer for the element it last gave one for
	memo bool
	// absent, when fast is nil: the constraint is unknown (no issue)
	// whenever these element names reach nothing
	absent []string
	// ref1: the invariant is R4's ref-1, which profileValidator.ref1
	// decides with an index of the contained ids rather than the
	// interpreter's scan of them for every reference
	ref1 bool
}

// invTables are the invariants of every type and profile, prepared once.
type invTables struct {
	// base[t] are the base invariants on type t itself or its elements
	// (Path "t" or "t.x").
	base map[string][]preparedInv
	// domain are DomainResource's invariants, their paths relative.
	domain []preparedInv
	// element are the invariants on every element (Path "Element").
	element []preparedInv
	// profile[p] are the invariants of a UK Core profile or extension,
	// by the type their path starts at.
	profile map[*profileInfo]map[string][]preparedInv
	// primBase: some primitive type has invariants of its own (else
	// elements need not look its type up)
	primBase bool
	// ele1Only: element is ele-1 alone, which elements then decides
	// inline (ele1) rather than through check
	ele1Only bool
	// baseMask has bit (t[0] & 63) of baseMask[len(t)] set for every
	// type t in base: a type whose bit is clear has no base invariants,
	// so elements need not look it up
	baseMask [64]uint64
	// baseHashed holds base's lists again, by baseHash of their type, so
	// that elements finds a type's list (or that it has none) without
	// hashing the whole name
	baseHashed [64][]baseEntry
	// extension are the invariants of the UK Core extensions that have
	// any, by URL
	extension map[string][]preparedInv
	// extBase is base["Extension"], the type elements meets most often
	extBase []preparedInv
}

type baseEntry struct {
	typ  string
	list []preparedInv
}

// baseHash mixes typ's length and first and last letters: the types with
// base invariants spread over about as many slots as there are types.
func baseHash(typ string) int {
	if typ == "" {
		return 0
	}
	return (len(typ)*7 + int(typ[0]) + int(typ[len(typ)-1])*3) & 63
}

// baseOf is base[typ].
func (t *invTables) baseOf(typ string) []preparedInv {
	if typ == "" || t.baseMask[len(typ)&63]&(1<<(typ[0]&63)) == 0 {
		return nil
	}
	for _, e := range t.baseHashed[baseHash(typ)] {
		if e.typ == typ {
			return e.list
		}
	}
	return nil
}

var (
	invOnce   sync.Once
	invTable  *invTables
	compileMu sync.Mutex
	compiled  = map[string]*FHIRPath{}
)

func compiledInvariant(expr string) *FHIRPath {
	compileMu.Lock()
	defer compileMu.Unlock()
	if p, ok := compiled[expr]; ok {
		return p
	}
	p, err := CompileFHIRPath(expr)
	if err != nil {
		// kept nil: not checked
		p = nil
	}
	compiled[expr] = p
	return p
}

func prepare(inv *invariant, rest string) preparedInv {
	p := preparedInv{inv: inv, prog: compiledInvariant(inv.Expr)}
	if rest = strings.ReplaceAll(rest, "[x]", ""); rest != "" {
		p.rest = strings.Split(rest, ".")
		for i := range p.rest {
			p.rest[i] = internName(p.rest[i])
		}
	}
	if p.fast = fastBool(p.prog); p.fast == nil && p.prog != nil {
		p.guard = guardBool(p.prog)
		p.absent, _ = emptyWhenAbsent(p.prog.root)
	}
	p.ref1 = inv.Expr == ref1Expr
	return p
}

func invariants() *invTables {
	invOnce.Do(func() {
		t := &invTables{base: map[string][]preparedInv{}, profile: map[*profileInfo]map[string][]preparedInv{}}
		for typ, list := range baseInvariants {
			if typ == "Element" {
				// every element's ele-1 (t.element): as the invariants of
				// the type Element (an unknown element's, in a tree from
				// JSON or XML) it would be checked twice
				continue
			}
			for i := range list {
				inv := &list[i]
				root, rest, _ := strings.Cut(inv.Path, ".")
				if root == typ {
					t.base[typ] = append(t.base[typ], prepare(inv, rest))
				}
			}
		}
		for typ := range t.base {
			t.primBase = t.primBase || isPrimitiveType(typ)
			t.baseMask[len(typ)&63] |= 1 << (typ[0] & 63)
			h := baseHash(typ)
			t.baseHashed[h] = append(t.baseHashed[h], baseEntry{typ, t.base[typ]})
		}
		for i := range baseInvariants["DomainResource"] {
			inv := &baseInvariants["DomainResource"][i]
			// resource() renames the path to the resource type and cuts
			// at the first dot
			root, rest, _ := strings.Cut("X"+strings.TrimPrefix(inv.Path, "DomainResource"), ".")
			if root == "X" {
				p := prepare(inv, rest)
				if inv.Expr == dom3Expr {
					// dom3 gives what the interpreter gives at the
					// resource, which domain's invariants are checked on
					p.fast = dom3
				}
				t.domain = append(t.domain, p)
			}
		}
		for i := range baseInvariants["Element"] {
			if inv := &baseInvariants["Element"][i]; inv.Path == "Element" {
				t.element = append(t.element, prepare(inv, ""))
			}
		}
		for _, list := range t.base {
			markShared(list)
		}
		markShared(t.domain)
		t.extBase = t.base["Extension"]
		t.ele1Only = len(t.element) == 1 && t.element[0].prog != nil && t.element[0].prog.src == ele1Expr
		for _, p := range ukcoreProfiles {
			m := map[string][]preparedInv{}
			for i := range p.Invariants {
				inv := &p.Invariants[i]
				root, rest, _ := strings.Cut(inv.Path, ".")
				m[root] = append(m[root], prepare(inv, rest))
			}
			t.profile[p] = m
			if l := m["Extension"]; len(l) > 0 {
				if t.extension == nil {
					t.extension = map[string][]preparedInv{}
				}
				t.extension[p.URL] = l
			}
		}
		invTable = t
	})
	return invTable
}

// markShared sets memo on the fast invariants of list whose expression
// another fast one of list has.
func markShared(list []preparedInv) {
	for i := range list {
		for j := range list {
			if i != j && list[i].fast != nil && list[j].fast != nil && list[i].prog == list[j].prog {
				list[i].memo = true
			}
		}
	}
}

// ValidateProfiles runs Validate and then checks the resource against
// StructureDefinitions: every FHIRPath invariant of the base R4 resource
// and data types (ele-1, dom-2..6, ref-1, txt-1/2, per-1, bdl-*, obs-6,
// ...) on every element they apply to, and the invariants (ukcore-*) of
// the UK Core profiles chosen by opts. A meta.profile URL that is not a
// known UK Core or base profile is a warning.
func ValidateProfiles(ctx context.Context, r Resource, opts ValidateOptions) (*OperationOutcome, error) {
	oo := validate(r, true)
	// the tree lives only in this call, so its memory is pooled
	st := nodeStates.Get().(*nodeState)
	defer st.release()
	n, ok := (*Node)(nil), false
	tables := invariants()
	var empties []string
	if !opts.viaJSON {
		n, ok = st.buildTypedMarked(r, tables)
		empties = st.tb.emptyLocations()
	} else {
		empties = emptyElements(r)
	}
	typed := ok
	if !ok {
		// from Marshal's output: what the typed builder cannot give
		// exactly, and the reference it is tested against
		src, err := marshalString(r)
		if err != nil {
			return oo, err
		}
		if n, err = st.build(src, true); err != nil {
			return oo, err
		}
	}
	v := &profileValidator{ctx: ctx, opts: opts, tables: tables, extMarked: typed}
	if typed && st.tb.marksOK {
		v.marks, v.markHi = st.tb.marks, len(st.tb.marks)
	}
	v.env.Terminology = opts.Terminology
	// R4's dom-3 applies as() to a collection, which the HL7 validator's
	// engine allows before R5
	v.env.LenientAs = true
	for _, s := range opts.Suppress {
		if v.suppress == nil {
			v.suppress = map[string]bool{}
		}
		v.suppress[s] = true
	}
	v.resource(n)
	if len(empties) > 0 {
		inv := ele1Invariant()
		for _, loc := range empties {
			v.report(SeverityError, IssueInvariant, inv.Key, "Constraint failed: "+inv.Key+": '"+inv.Human+"'", loc)
		}
	}
	if len(v.issues) == 0 {
		return oo, ctx.Err()
	}
	if oo == nil {
		oo = &OperationOutcome{}
	}
	oo.Issue = append(oo.Issue, v.issues...)
	if opts.MaxIssues > 0 && len(oo.Issue) > opts.MaxIssues {
		oo.Issue = oo.Issue[:opts.MaxIssues]
	}
	return oo, ctx.Err()
}

// emptyElements gives the locations of the elements r holds with
// nothing in them (a JSON {} or "_name": {}, an XML element with no value
// and no children), which Marshal and so the tree leave out: each fails
// ele-1 where it stands, as the HL7 validator reports it.
func emptyElements(r Resource) []string {
	st := nodeStates.Get().(*nodeState)
	defer st.release()
	st.buildTyped(r)
	return st.tb.emptyLocations()
}

// ele1Invariant is R4's ele-1 on Element.
func ele1Invariant() *invariant {
	list := baseInvariants["Element"]
	for i := range list {
		if list[i].Key == "ele-1" && list[i].Path == "Element" {
			return &list[i]
		}
	}
	panic("fhir: no ele-1 in the generated invariants")
}

type profileValidator struct {
	ctx      context.Context
	opts     ValidateOptions
	suppress map[string]bool
	issues   []OperationOutcomeIssue
	tables   *invTables
	env      FHIRPathEnv
	// the last answer of a memo invariant's fast: its program, element
	// and answer
	memoProg *FHIRPath
	memoAt   *Node
	memoOK   bool
	// extMarked: the tree is the typed builder's, whose extBelow marks
	// tell the extension walk which subtrees hold no extension
	extMarked bool
	// marks, when set, are the typed builder's list of the nodes the
	// invariant and extension walks stop at, in tree order; those of the
	// resource being checked are marks[markLo:markHi]
	marks          []nodeMark
	markLo, markHi int
	// indexes of the contained resources by id and of a Bundle's entries
	// by fullUrl, built on the first look-up in a node with many
	// children: a look-up for each reference is then not a scan each
	containedIdx map[*Node]map[string]*Node
	entryIdx     map[*Node]map[string]*Node
}

// add reports an issue at the element n (plus suffix, if any); the
// location string is built only here, for an issue kept.
func (v *profileValidator) add(severity, code, key, msg string, n *Node, suffix string) {
	if v.suppress[key] {
		return
	}
	if v.opts.MaxIssues > 0 && len(v.issues) >= v.opts.MaxIssues {
		return
	}
	v.issues = append(v.issues, OperationOutcomeIssue{
		Severity:    Code{Value: severity},
		Code:        Code{Value: code},
		Details:     &CodeableConcept{Text: String{Value: key}},
		Diagnostics: String{Value: msg},
		Expression:  []String{{Value: nodeLocation(n) + suffix}},
	})
}

// nodeLocation gives the FHIRPath location of n in its tree:
// "Patient.name[0].given[1]", the index only on repeating elements.
func nodeLocation(n *Node) string {
	if n.parent == nil {
		return n.Type
	}
	var b strings.Builder
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.parent == nil {
			b.WriteString(n.Type)
			return
		}
		walk(n.parent)
		b.WriteByte('.')
		b.WriteString(n.Name)
		b.WriteString(idx(n.parent, n))
	}
	walk(n)
	return b.String()
}

// resource checks one resource (the root, a contained one or a Bundle
// entry's).
func (v *profileValidator) resource(n *Node) {
	t := v.tables
	domain := n.Type != "Bundle" && n.Type != "Parameters" && n.Type != "Binary"
	var pbuf [4]*profileInfo // most resources claim fewer: no allocation
	profiles := pbuf[:0]
	switch v.opts.Mode {
	case ProfilesClaimed:
		if m := n.first("meta"); m != nil {
			i := 0
			for _, p := range m.kids {
				if p.Name == "profile" {
					profiles = v.profile(n, p.raw, i, profiles)
					i++
				}
			}
		}
	case ProfilesNamed:
		profiles = v.profile(n, v.opts.Profile, -1, profiles)
	}
	for i := range t.base[n.Type] {
		v.check(&t.base[n.Type][i], n, n, 0)
	}
	if domain {
		for i := range t.domain {
			v.check(&t.domain[i], n, n, 0)
		}
	}
	for _, p := range profiles {
		list := t.profile[p][n.Type]
		for i := range list {
			v.check(&list[i], n, n, 0)
		}
	}
	v.profileRules(n, profiles)
	// data type invariants and every element's ele-1, then the resources inside
	v.elements(n, n)
}

// profile applies a claimed or named profile's cardinalities and gives
// the profiles whose invariants apply.
func (v *profileValidator) profile(n *Node, url string, i int, out []*profileInfo) []*profileInfo {
	base, _, _ := strings.Cut(url, "|")
	p := ukcoreProfiles[base]
	if p == nil {
		const core = "http://hl7.org/fhir/StructureDefinition/"
		if strings.HasPrefix(base, core) && inherits(n.Type, base[len(core):]) {
			return out
		}
		if i < 0 { // named in the options, not claimed: the resource may have no meta.profile
			v.add(SeverityWarning, "not-supported", "unknown-profile", "profile "+base+" named in the options is not known, so the resource was not checked against it", n, "")
		} else {
			v.add(SeverityWarning, "not-supported", "unknown-profile", "profile "+base+" is not known, so the resource was not checked against it", n, ".meta.profile["+itoa(i)+"]")
		}
		return out
	}
	if p.Type != n.Type {
		v.add(SeverityError, IssueStructure, "profile-type", "profile "+base+" is for "+p.Type+", not "+n.Type, n, "")
		return out
	}
	if p.hasChild && v.opts.Mode == ProfilesClaimed && claimsDescendant(n, p) {
		return out // the descendant carries p's rules too
	}
	for _, c := range p.Cards {
		v.cardinality(c, n)
	}
	return append(out, p)
}

// check applies inv to the elements at its path (from step) below at.
func (v *profileValidator) check(inv *preparedInv, res, at *Node, step int) {
	if step < len(inv.rest) {
		name := inv.rest[step]
		for _, k := range at.kids {
			if k.Name == name {
				v.check(inv, res, k, step+1)
			}
		}
		return
	}
	if inv.prog == nil {
		return
	}
	if inv.fast != nil {
		var ok bool
		if inv.memo && v.memoProg == inv.prog && v.memoAt == at {
			ok = v.memoOK
		} else {
			ok = inv.fast(at)
			if inv.memo {
				v.memoProg, v.memoAt, v.memoOK = inv.prog, at, ok
			}
		}
		if !ok {
			v.failed(inv.inv, at)
		}
		return
	}
	if inv.absent != nil {
		if _, count := pathFirst2(at, inv.absent); count == 0 {
			return
		}
	}
	if inv.ref1 {
		if ok, decided := v.ref1(res, at); decided {
			if !ok {
				v.failed(inv.inv, at)
			}
			return
		}
	}
	if inv.guard != nil {
		if ok, decided := inv.guard(at); decided {
			if !ok {
				v.failed(inv.inv, at)
			}
			return
		}
	}
	v.env.Resource, v.env.RootResource = res, rootResourceOf(res)
	ok, known, err := inv.prog.EvaluateBool(v.ctx, at, &v.env)
	if err != nil {
		v.add(severityInformation, "informational", inv.inv.Key, inv.inv.Key+": not checked: "+err.Error(), at, "")
		return
	}
	if known && !ok {
		v.failed(inv.inv, at)
	}
}

// ref1Expr is R4's ref-1, on Reference.
const ref1Expr = "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))"

// referenceName is the element name a Reference's reference has in the
// tree.
var referenceName = []string{internName("reference")}

// rootResourceOf is %rootResource for the resource res the validator
// checks: its container when it is a contained resource, else res itself
// (a Bundle entry's resource among them, whose "#id" references name its
// own contained resources).
func rootResourceOf(res *Node) *Node {
	if res.Name == "contained" && res.parent != nil {
		return res.parent
	}
	return res
}

// ref1 gives ref1Expr at the Reference at in the resource res, as the
// interpreter does with %rootResource = rootResourceOf(res) (the validator
// sets no trace callback), and decided=false where it leaves the answer
// to the interpreter: no single string reference, or "#" alone. A
// reference "#id" passes when a resource contained in the root has the id
// value id, as %rootResource.contained.id holds it.
func (v *profileValidator) ref1(res, at *Node) (ok, decided bool) {
	one, count := pathFirst2(at, referenceName)
	if count != 1 {
		return false, false
	}
	s, isStr := sysVal(one).(string)
	if !isStr {
		return false, false
	}
	if len(s) == 0 || s[0] != '#' {
		return true, true
	}
	if len(s) == 1 {
		return false, false
	}
	// the trees ValidateProfiles builds give a resource one id at most,
	// whose text is its value
	return v.containedByID(rootResourceOf(res), s[1:]) != nil, true
}

func (v *profileValidator) failed(inv *invariant, at *Node) {
	sev := SeverityError
	if inv.Severity == "warning" {
		sev = SeverityWarning
	}
	v.add(sev, IssueInvariant, inv.Key, "Constraint failed: "+inv.Key+": '"+inv.Human+"'", at, "")
}

// idx gives "[i]" for a repeating element.
func idx(parent, k *Node) string {
	n := 0
	for _, c := range parent.kids {
		if c.Name == k.Name {
			if n++; n == 2 {
				break
			}
		}
	}
	if ti := nodeTypeInfo(parent.Type); n < 2 && !(ti != nil && ti.byName[k.Name] != nil && ti.byName[k.Name].Many) {
		return ""
	}
	return "[" + itoa(k.index) + "]"
}

// elements applies the invariants on every element (ele-1), those of
// each element's data type and those of the UK Core extensions below n,
// and checks the resources inside. It looks a type up only when it may
// have invariants (baseOf), and decides ele-1 inline.
func (v *profileValidator) elements(res, n *Node) {
	if v.marks != nil && n == res {
		v.markedElements(res)
		return
	}
	t := v.tables
	for _, k := range n.kids {
		typ := k.Type
		if (k.Name == "contained" || k.Name == "resource") && !isPrimitiveType(typ) && isResourceType(typ) {
			v.resource(k)
			continue
		}
		if t.ele1Only {
			if !ele1(k) {
				v.failed(t.element[0].inv, k)
			}
		} else {
			for i := range t.element {
				v.check(&t.element[i], res, k, 0)
			}
		}
		if len(k.kids) == 0 && isPrimitiveType(typ) && !t.primBase {
			// a primitive with no id or extension: nothing below
			continue
		}
		v.typeInvariants(res, k)
		if len(k.kids) > 0 {
			v.elements(res, k)
		}
	}
}

// typeInvariants checks the invariants of k's data type and, for a UK
// Core extension, the extension's own.
func (v *profileValidator) typeInvariants(res, k *Node) {
	t := v.tables
	typ := k.Type
	if typ == "SimpleQuantity" || typ == "MoneyQuantity" {
		typ = "Quantity"
	}
	if typ == "Extension" {
		for i := range t.extBase {
			v.check(&t.extBase[i], res, k, 0)
		}
	} else if t.primBase || !isPrimitiveType(typ) {
		list := t.baseOf(typ)
		for i := range list {
			v.check(&list[i], res, k, 0)
		}
	}
	if len(t.extension) > 0 && typ == "Extension" {
		list := t.extension[k.str("url")]
		for i := range list {
			v.check(&list[i], res, k, 0)
		}
	}
}

// markedElements is elements(res, res) over the typed builder's marks:
// the same checks at the same nodes in the same order, without visiting
// the nodes where only ele-1 applies (which the builder found to pass).
func (v *profileValidator) markedElements(res *Node) {
	lo, hi := v.markLo, v.markHi
	for i := lo; i < hi; i++ {
		m := v.marks[i]
		if m.end > 0 {
			v.markLo, v.markHi = i+1, m.end
			v.resource(m.n)
			i = m.end - 1
			continue
		}
		v.typeInvariants(res, m.n)
	}
	v.markLo, v.markHi = lo, hi
}

const severityInformation = "information"

// cardinality checks a profile's min..max for the element at c.Path under
// each of its parents that is present.
func (v *profileValidator) cardinality(c cardinality, res *Node) {
	path := strings.ReplaceAll(c.Path, "[x]", "")
	_, rest, _ := strings.Cut(path, ".")
	parentPath, name := "", rest
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		parentPath, name = rest[:i], rest[i+1:]
	}
	v.cardinalityAt(&c, name, res, parentPath)
}

// cardinalityAt counts c's elements (named name, and with c.System only
// those of that system) under each parent that more reaches from at. With a
// system, the name reported is name + ".where(system = '…')"; the string
// is built only for an issue.
func (v *profileValidator) cardinalityAt(c *cardinality, name string, at *Node, more string) {
	if more != "" {
		head, tail, _ := strings.Cut(more, ".")
		for _, k := range at.kids {
			if k.Name == head {
				v.cardinalityAt(c, name, k, tail)
			}
		}
		return
	}
	count := 0
	for _, k := range at.kids {
		if k.Name == name && (c.System == "" || k.str("system") == c.System) {
			count++
		}
	}
	tooMany := false
	if c.Max != "*" {
		max, err := strconv.Atoi(c.Max)
		tooMany = err == nil && count > max
	}
	if count >= c.Min && !tooMany {
		return
	}
	n := name
	if c.System != "" {
		n += ".where(system = '" + c.System + "')"
	}
	if count < c.Min {
		v.add(SeverityError, IssueRequired, "cardinality", n+": minimum required = "+itoa(c.Min)+", but only found "+itoa(count)+" (profile)", at, "."+n)
	}
	if tooMany {
		v.add(SeverityError, IssueStructure, "cardinality", n+": maximum allowed = "+c.Max+", but found "+itoa(count)+" (profile)", at, "."+n)
	}
}
