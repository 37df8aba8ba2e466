package fhir

import (
	"context"
	"strings"
)

// Profile rules beyond invariants and cardinalities, from the generated
// tables in zz_rules.go: required bindings, fixed and pattern values,
// reference target types, extension contexts and complex extensions'
// sub-extensions. Every check walks the Node tree without allocating; a
// location string is built only when an issue is reported.

// valueSetDef is a value set expanded at generation time: codes by system,
// and the systems (SNOMED CT, UCUM, a filter) only a Terminology can
// answer for.
type valueSetDef struct {
	Codes map[string]map[string]bool
	Open  []string
	// Compose holds the includes and excludes on the Open systems, for
	// OpenCompose
	Compose []composePart
}

// profileRules are what one UK Core profile or extension definition says
// about its elements (paths relative to the resource or the extension,
// "[x]" removed).
type profileRules struct {
	Bindings []bindingRule
	Fixed    []fixedRule
	Refs     []refRule
	Slices   []sliceRule
	Types    []typeRule
}

// typeRule restricts a choice element (value[x]) to some of its types.
type typeRule struct {
	Path  string
	Types []string
	segs  []string
}

// sliceRule is a slicing of the elements at Path (outside other slices)
// with the slices it tells apart by value, pattern or type.
type sliceRule struct {
	Path       string
	Closed     bool
	Slices     []sliceDef
	parentSegs []string // the path of the sliced elements' parent
	name       string   // the sliced elements' name
}

type sliceDef struct {
	Name  string
	Min   int
	Max   string
	Types []string    // type discriminator: the element's type is one of these
	Match []fixedRule // value/pattern discriminators: a node at Path has Value
	// Exists and Claims are exists and profile discriminators
	Exists []existsRule
	Claims []claimRule
	Fixed  []fixedRule // fixed values inside the slice
	Cards  []sliceCard // cardinalities inside the slice
	// Rules are the bindings, reference targets and slicings inside the
	// slice, paths relative to the sliced element
	Rules *profileRules
}

// sliceCard is a min..max on an element inside a slice.
type sliceCard struct {
	Path   string
	Min    int
	Max    string
	parent []string
	name   string
}

type bindingRule struct {
	Path, ValueSet string
	Strength       bindingStrength
	segs           []string // Path split at init
	// overriddenBy, for a base R4 binding, are the UK Core profiles that
	// bind the same element anew: theirs applies instead
	overriddenBy []*profileRules
	vs           *valueSetDef // ukcoreValueSets[ValueSet], looked up at init
}

// bindingStrength is an ElementDefinition.binding.strength that is checked.
type bindingStrength byte

const (
	bindingRequired bindingStrength = iota
	bindingExtensible
	bindingPreferred
)

type fixedRule struct {
	Path, Value string
	Pattern     bool
	// Tree holds a complex fixed or pattern value's elements
	// (patternCodeableConcept, fixedCoding, ...); Value is then its JSON
	Tree []patternNode
	segs []string
}

// patternNode is an element of a complex fixed or pattern value: a
// primitive Value, or the elements inside it (Kids); a Name given more
// than once is an array's items.
type patternNode struct {
	Name, Value string
	Kids        []patternNode
}

// existsRule is an exists discriminator: the element has (Present) or has
// not an element at Path.
type existsRule struct {
	Path    string
	Present bool
	segs    []string
}

// claimRule is a profile discriminator: the element at Path ("" for the
// sliced element itself) conforms to one of Profiles.
type claimRule struct {
	Path     string
	Profiles []string
	segs     []string
}

type refRule struct {
	Path  string
	Types []string // resource types the target profiles are on
	segs  []string
	// base, for a UK Core profile's rule, are the types the base R4
	// resource allows at the same path: a target outside them is reported
	// once, by the base rule
	base []string
}

// extensionRules are where an extension may be used and, for a complex
// one, the sub-extensions it holds.
type extensionRules struct {
	// Modifier: the extension changes the meaning of what holds it
	// (isModifier), so it belongs in modifierExtension, and only it does
	Modifier bool
	Contexts []string // element contexts: "Patient", "Patient.contact", "Coding"
	// Types, for an R4 core extension, are the types its value may have
	// (UK Core extensions' are Validate's: ukcore_extensions.go)
	Types    []string
	Complex  bool
	ValueMin int // Extension.value[x] min: 1 when a value is required
	ExtMin   int // Extension.extension min: the sub-extensions a complex one needs
	Subs     []subExtension
	rules    *profileRules // the extension's own bindings and references
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	segs := strings.Split(p, ".")
	for i := range segs {
		segs[i] = internName(segs[i])
	}
	return segs
}

// init splits the generated rule paths once, so that the checks neither
// cut strings nor look a URL up twice.
func init() {
	for _, p := range ukcoreProfiles {
		if q := ukcoreProfiles[p.Base]; q != nil {
			q.hasChild = true
		}
	}
	for url, e := range ukcoreExtensionRules {
		e.rules = ukcoreRules[url]
		for i := range e.Subs {
			e.Subs[i].ref = refRule{Types: e.Subs[i].Targets}
		}
	}
	for url, e := range coreExtensionRules {
		if e.rules = coreExtensionValueRules[url]; e.rules != nil {
			prepRules(e.rules)
		}
		for i := range e.Subs {
			e.Subs[i].ref = refRule{Types: e.Subs[i].Targets}
		}
	}
	for typ, r := range baseRules {
		for i := range r.Refs {
			r.Refs[i].segs = splitPath(r.Refs[i].Path)
		}
		for i := range r.Bindings {
			b := &r.Bindings[i]
			b.segs, b.vs = splitPath(b.Path), ukcoreValueSets[b.ValueSet]
			for url, pr := range ukcoreRules {
				if p := ukcoreProfiles[url]; p == nil || p.Type != typ {
					continue
				}
				for _, pb := range pr.Bindings {
					if pb.Path == b.Path {
						b.overriddenBy = append(b.overriddenBy, pr)
						break
					}
				}
			}
		}
	}
	for url, r := range ukcoreRules {
		prepRules(r)
		if p := ukcoreProfiles[url]; p != nil {
			p.rules = r
		}
	}
	for url, r := range ukcoreRules {
		if p := ukcoreProfiles[url]; p != nil && baseRules[p.Type] != nil {
			for i := range r.Refs {
				for _, b := range baseRules[p.Type].Refs {
					if b.Path == r.Refs[i].Path {
						r.Refs[i].base = b.Types
					}
				}
			}
		}
	}
}

// prepRules splits r's paths, and those of the rules inside its slices.
func prepRules(r *profileRules) {
	fixSegs := func(fs []fixedRule) {
		for i := range fs {
			fs[i].segs = splitPath(fs[i].Path)
		}
	}
	for i := range r.Bindings {
		b := &r.Bindings[i]
		b.segs, b.vs = splitPath(b.Path), ukcoreValueSets[b.ValueSet]
	}
	fixSegs(r.Fixed)
	for i := range r.Refs {
		r.Refs[i].segs = splitPath(r.Refs[i].Path)
	}
	for i := range r.Types {
		r.Types[i].segs = splitPath(r.Types[i].Path)
	}
	for i := range r.Slices {
		sr := &r.Slices[i]
		segs := splitPath(sr.Path)
		sr.parentSegs, sr.name = segs[:len(segs)-1], segs[len(segs)-1]
		for j := range sr.Slices {
			sd := &sr.Slices[j]
			fixSegs(sd.Match)
			fixSegs(sd.Fixed)
			for k := range sd.Exists {
				sd.Exists[k].segs = splitPath(sd.Exists[k].Path)
			}
			for k := range sd.Claims {
				sd.Claims[k].segs = splitPath(sd.Claims[k].Path)
			}
			for k := range sd.Cards {
				c := &sd.Cards[k]
				segs := splitPath(c.Path)
				c.parent, c.name = segs[:len(segs)-1], segs[len(segs)-1]
			}
			if sd.Rules != nil {
				prepRules(sd.Rules)
			}
		}
	}
}

type subExtension struct {
	URL      string
	Min      int
	Max      string
	Types    []string
	ValueSet string
	Strength bindingStrength // of the ValueSet binding
	ValueMin int             // value[x] min: 1 when the value is required
	Targets  []string        // value[x] reference target types
	NoExt    bool            // a simple sub-extension: no extensions inside
	ref      refRule         // Targets, as a rule (set at init)
}

// Rule ids of the checks here, for ValidateOptions.Suppress and
// OperationOutcome.issue.details.text.
const (
	RuleBinding = "binding"
	// RuleBindingExtensible and RuleBindingPreferred are codes outside an
	// extensible (a warning) or preferred (information, base mode only)
	// binding's value set.
	RuleBindingExtensible = "binding-extensible"
	RuleBindingPreferred  = "binding-preferred"
	RuleFixed             = "fixed"
	RuleReferenceTarget   = "reference-target"
	RuleExtensionContext  = "extension-context"
	RuleSubExtension      = "sub-extension"
	RuleSlicing           = "slicing"
	// RuleExtensionValue: an extension without the value or the
	// sub-extensions its definition requires, or (an R4 core one) with a
	// value of a type its definition does not allow.
	RuleExtensionValue = "extension-value"
	// RuleType: a choice element (value[x]) of a type the profile does not allow.
	RuleType = "type"
	// RuleExtensionModifier: a modifier extension in extension, or any
	// other in modifierExtension.
	RuleExtensionModifier = "extension-modifier"
)

const (
	ruleKindBinding byte = 'b'
	ruleKindFixed   byte = 'f'
	ruleKindRef     byte = 'r'
	ruleKindSlice   byte = 's'
	ruleKindType    byte = 't'
)

// profileRules applies to the resource n the base R4 rules of its type,
// the rules of the UK Core profiles that apply to it (profiles: those opts
// chooses, claimed in meta.profile or named, that are on n's type, as
// resource found them), the rules of the R4 core extensions it carries
// and, unless only base R4 is asked for, those of its UK Core extensions.
func (v *profileValidator) profileRules(n *Node, profiles []*profileInfo) {
	var buf [4]*profileRules // most resources claim fewer: no allocation
	applied := buf[:0]
	for _, p := range profiles {
		if p.rules != nil {
			applied = append(applied, p.rules)
		}
	}
	if br := baseRules[n.Type]; br != nil {
		for i := range br.Bindings {
			b := &br.Bindings[i]
			if b.Strength == bindingPreferred && v.opts.Mode != ProfilesBase || overridden(b, applied) {
				continue
			}
			v.descend(br, ruleKindBinding, i, n, n, b.segs)
		}
		for i := range br.Refs {
			v.descend(br, ruleKindRef, i, n, n, br.Refs[i].segs)
		}
	}
	for _, r := range applied {
		v.applyRules(r, n, n)
	}
	v.extensions(n, n)
	if v.opts.MustSupport {
		v.mustSupport(n)
	}
}

// overridden reports whether one of the applied UK Core profiles binds
// b's element anew.
func overridden(b *bindingRule, applied []*profileRules) bool {
	for _, p := range b.overriddenBy {
		for _, a := range applied {
			if a == p {
				return true
			}
		}
	}
	return false
}

// claimsDescendant reports whether n's meta.profile lists a UK Core
// profile derived from p (through one or more baseDefinitions), whose
// generated rules hold p's already: p's are not applied twice.
func claimsDescendant(n *Node, p *profileInfo) bool {
	return claimsLineage(n, false, func(url string) bool { return url == p.URL })
}

// claimsLineage reports whether a profile n's meta.profile lists (with
// self), or one of the UK Core profiles it derives from through
// baseDefinitions, satisfies match; versions ("|4.0.1") are cut.
func claimsLineage(n *Node, self bool, match func(url string) bool) bool {
	m := n.first("meta")
	if m == nil {
		return false
	}
	for _, k := range m.kids {
		if k.Name != "profile" {
			continue
		}
		u, _, _ := strings.Cut(k.raw, "|")
		if self && match(u) {
			return true
		}
		for q := ukcoreProfiles[u]; q != nil && q.Base != ""; q = ukcoreProfiles[q.Base] {
			if match(q.Base) {
				return true
			}
		}
	}
	return false
}

// report adds an issue of the rules here (v.add's checks: suppression,
// the issue limit), at the FHIRPath location loc.
func (v *profileValidator) report(severity, code, rule, msg, loc string) {
	if v.suppress[rule] || v.opts.MaxIssues > 0 && len(v.issues) >= v.opts.MaxIssues {
		return
	}
	v.issues = append(v.issues, OperationOutcomeIssue{
		Severity:    Code{Value: severity},
		Code:        Code{Value: code},
		Details:     &CodeableConcept{Text: String{Value: rule}},
		Diagnostics: String{Value: msg},
		Expression:  []String{{Value: loc}},
	})
}

// applyRules checks the elements below n against r.
func (v *profileValidator) applyRules(r *profileRules, res, n *Node) {
	if r == nil {
		return
	}
	for i := range r.Bindings {
		v.descend(r, ruleKindBinding, i, res, n, r.Bindings[i].segs)
	}
	for i := range r.Fixed {
		v.descend(r, ruleKindFixed, i, res, n, r.Fixed[i].segs)
	}
	for i := range r.Refs {
		v.descend(r, ruleKindRef, i, res, n, r.Refs[i].segs)
	}
	for i := range r.Slices {
		v.descend(r, ruleKindSlice, i, res, n, r.Slices[i].parentSegs)
	}
	for i := range r.Types {
		v.descend(r, ruleKindType, i, res, n, r.Types[i].segs)
	}
}

func (v *profileValidator) descend(r *profileRules, kind byte, i int, res, at *Node, path []string) {
	if len(path) > 0 {
		// the children of one name are next to each other (one JSON key
		// each): the scan ends with their run
		for j, k := range at.kids {
			if k.Name != path[0] {
				continue
			}
			for _, k := range at.kids[j:] {
				if k.Name != path[0] {
					break
				}
				v.descend(r, kind, i, res, k, path[1:])
			}
			break
		}
		return
	}
	switch kind {
	case ruleKindBinding:
		v.bindingVS(r.Bindings[i].vs, r.Bindings[i].ValueSet, r.Bindings[i].Strength, at)
	case ruleKindFixed:
		v.fixed(&r.Fixed[i], at, nil)
	case ruleKindRef:
		v.refTarget(&r.Refs[i], res, at)
	case ruleKindSlice:
		v.slicing(&r.Slices[i], res, at)
	case ruleKindType:
		if ts := r.Types[i].Types; !hasString(ts, at.Type) && !(at.Type == "SimpleQuantity" && hasString(ts, "Quantity")) {
			v.report(SeverityError, IssueStructure, RuleType, "The type '"+at.Type+"' is not allowed here by the profile (allowed = "+strings.Join(ts, ", ")+")", nodeLoc(at))
		}
	}
}

// fixed checks f's value on the elements at path below at.
func (v *profileValidator) fixed(f *fixedRule, at *Node, path []string) {
	if len(path) > 0 {
		for _, k := range at.kids {
			if k.Name == path[0] {
				v.fixed(f, k, path[1:])
			}
		}
		return
	}
	if f.Tree != nil {
		if !matchTree(at, f.Tree, !f.Pattern) {
			what := "fixed value (exactly)"
			if f.Pattern {
				what = "pattern (at least)"
			}
			v.report(SeverityError, IssueValue, RuleFixed, "The element does not match the profile's "+what+" "+f.Value, nodeLoc(at))
		}
		return
	}
	if at.raw != "" && at.raw != f.Value {
		what := "fixed"
		if f.Pattern {
			what = "pattern"
		}
		v.report(SeverityError, IssueValue, RuleFixed, "Value is '"+at.raw+"' but must be '"+f.Value+"' (the profile's "+what+" value)", nodeLoc(at))
	}
}

// slicing sorts the elements of r under parent into r's slices (the first
// slice that matches) and checks each slice's cardinality and fixed
// values, and for closed slicing that every element is in a slice.
func (v *profileValidator) slicing(r *sliceRule, res, parent *Node) {
	name := r.name
	var counts [64]int
	for _, k := range parent.kids {
		if k.Name != name {
			continue
		}
		matched := -1
		for si := range r.Slices {
			if sliceMatches(&r.Slices[si], k) {
				matched = si
				break
			}
		}
		if matched < 0 {
			if r.Closed {
				v.report(SeverityError, IssueStructure, RuleSlicing, "This element does not match any known slice defined in the profile and slicing is CLOSED", nodeLoc(k))
			}
			continue
		}
		if matched < len(counts) {
			counts[matched]++
		}
		s := &r.Slices[matched]
		for fi := range s.Fixed {
			v.fixed(&s.Fixed[fi], k, s.Fixed[fi].segs)
		}
		for ci := range s.Cards {
			v.sliceCard(r, s, &s.Cards[ci], k, s.Cards[ci].parent)
		}
		if s.Rules != nil {
			v.applyRules(s.Rules, res, k)
		}
	}
	for si := range r.Slices {
		if si >= len(counts) {
			break
		}
		s := &r.Slices[si]
		if counts[si] < s.Min {
			v.report(SeverityError, IssueRequired, RuleSlicing, "Slice '"+r.Path+":"+s.Name+"': a matching slice is required, but not found (minimum required = "+itoa(s.Min)+", found "+itoa(counts[si])+")", nodeLoc(parent)+"."+name)
		}
		if s.Max != "*" && counts[si] > atoiSmall(s.Max) {
			v.report(SeverityError, IssueStructure, RuleSlicing, "Slice '"+r.Path+":"+s.Name+"': maximum allowed = "+s.Max+", but found "+itoa(counts[si]), nodeLoc(parent)+"."+name)
		}
	}
}

// sliceCard checks a cardinality inside slice s under each parent at path
// below at (an element of the slice).
func (v *profileValidator) sliceCard(r *sliceRule, s *sliceDef, c *sliceCard, at *Node, path []string) {
	if len(path) > 0 {
		for _, k := range at.kids {
			if k.Name == path[0] {
				v.sliceCard(r, s, c, k, path[1:])
			}
		}
		return
	}
	count := 0
	for _, k := range at.kids {
		if k.Name == c.name {
			count++
		}
	}
	if count < c.Min {
		v.report(SeverityError, IssueRequired, "cardinality", "Slice '"+r.Path+":"+s.Name+"': "+c.Path+": minimum required = "+itoa(c.Min)+", but only found "+itoa(count), nodeLoc(at)+"."+c.name)
	}
	if c.Max != "*" && count > atoiSmall(c.Max) {
		v.report(SeverityError, IssueStructure, "cardinality", "Slice '"+r.Path+":"+s.Name+"': "+c.Path+": maximum allowed = "+c.Max+", but found "+itoa(count), nodeLoc(at)+"."+c.name)
	}
}

func sliceMatches(s *sliceDef, k *Node) bool {
	if len(s.Types) > 0 && !hasString(s.Types, k.Type) {
		return false
	}
	for i := range s.Match {
		m := &s.Match[i]
		if m.Tree == nil {
			if !nodeHas(k, m.segs, m.Value) {
				return false
			}
		} else if !nodeMatchesTree(k, m.segs, m.Tree, !m.Pattern) {
			return false
		}
	}
	if len(s.Exists)+len(s.Claims) == 0 {
		return true
	}
	return sliceMatchesMore(s, k)
}

// sliceMatchesMore applies s's exists and profile discriminators to k.
func sliceMatchesMore(s *sliceDef, k *Node) bool {
	for i := range s.Exists {
		if nodeExists(k, s.Exists[i].segs) != s.Exists[i].Present {
			return false
		}
	}
	for i := range s.Claims {
		if !nodeClaims(k, s.Claims[i].segs, s.Claims[i].Profiles) {
			return false
		}
	}
	return true
}

// matchTree reports whether n holds a complex pattern's elements (each
// pattern item matches some item of n's of the same name, R4
// elementdefinition-definitions.html#ElementDefinition.pattern_x_) or,
// exact, is the fixed value: the same elements, item for item, nothing
// more (#ElementDefinition.fixed_x_).
func matchTree(n *Node, kids []patternNode, exact bool) bool {
	if exact && len(n.kids) != len(kids) {
		return false
	}
	for i := range kids {
		pk := &kids[i]
		if exact {
			// the item of n's at the same position among its name's
			nth := 0
			for j := 0; j < i; j++ {
				if kids[j].Name == pk.Name {
					nth++
				}
			}
			var k *Node
			for _, c := range n.kids {
				if c.Name == pk.Name {
					if nth == 0 {
						k = c
						break
					}
					nth--
				}
			}
			if k == nil || !matchPatternNode(k, pk, true) {
				return false
			}
			continue
		}
		found := false
		for _, c := range n.kids {
			if c.Name == pk.Name && matchPatternNode(c, pk, false) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func matchPatternNode(k *Node, pk *patternNode, exact bool) bool {
	if pk.Kids == nil {
		return k.raw == pk.Value
	}
	return matchTree(k, pk.Kids, exact)
}

// nodeMatchesTree reports whether some element at path below n matches
// the complex value.
func nodeMatchesTree(n *Node, path []string, tree []patternNode, exact bool) bool {
	if len(path) == 0 {
		return matchTree(n, tree, exact)
	}
	for _, k := range n.kids {
		if k.Name == path[0] && nodeMatchesTree(k, path[1:], tree, exact) {
			return true
		}
	}
	return false
}

// nodeExists reports whether there is an element at path below n.
func nodeExists(n *Node, path []string) bool {
	if len(path) == 0 {
		return true
	}
	for _, k := range n.kids {
		if k.Name == path[0] && nodeExists(k, path[1:]) {
			return true
		}
	}
	return false
}

// nodeClaims reports whether a resource at path below n conforms to one
// of profiles in the sense ValidateProfiles can tell without validating
// it against each: it claims the profile in meta.profile, or claims a UK
// Core profile derived from it, or the profile is the R4 definition of its
// type (Patient for http://hl7.org/fhir/StructureDefinition/Patient).
func nodeClaims(n *Node, path []string, profiles []string) bool {
	if len(path) > 0 {
		for _, k := range n.kids {
			if k.Name == path[0] && nodeClaims(k, path[1:], profiles) {
				return true
			}
		}
		return false
	}
	const core = "http://hl7.org/fhir/StructureDefinition/"
	for _, p := range profiles {
		p, _, _ = strings.Cut(p, "|")
		if strings.HasPrefix(p, core) && p[len(core):] == n.Type {
			return true
		}
	}
	return claimsLineage(n, true, func(url string) bool {
		for _, p := range profiles {
			if p, _, _ = strings.Cut(p, "|"); p == url && url != "" {
				return true
			}
		}
		return false
	})
}

// nodeHas reports whether some element at path below n has the value.
func nodeHas(n *Node, path []string, value string) bool {
	if len(path) == 0 {
		return value != "" && n.raw == value
	}
	for _, k := range n.kids {
		if k.Name == path[0] && nodeHas(k, path[1:], value) {
			return true
		}
	}
	return false
}

// binding checks a code, Coding or CodeableConcept against a binding's
// value set: outside a required one is an error, outside an extensible
// one a warning, outside a preferred one information (the HL7 validator's
// InstanceValidator: Terminology_TX_NoValid_1_CC, _2_CC, _3_CC and their
// code and Coding forms).
func (v *profileValidator) binding(url string, strength bindingStrength, at *Node) {
	v.bindingVS(ukcoreValueSets[url], url, strength, at)
}

// bindingVS is binding with the value set of url already looked up.
func (v *profileValidator) bindingVS(vs *valueSetDef, url string, strength bindingStrength, at *Node) {
	if vs == nil {
		return
	}
	sev, rule, must, should := SeverityError, RuleBinding, "a code is required from this value set", "a coding from this value set is required"
	switch strength {
	case bindingExtensible:
		sev, rule = SeverityWarning, RuleBindingExtensible
		must = "a code should come from this value set unless it has no suitable code (note that the validator cannot judge what is suitable)"
		should = "a coding should come from this value set unless it has no suitable code (note that the validator cannot judge what is suitable)"
	case bindingPreferred:
		sev, rule = severityInformation, RuleBindingPreferred
		must, should = "a code is recommended to come from this value set", "a coding is recommended to come from this value set"
	}
	switch at.Type {
	case "code", "string", "uri":
		if at.raw == "" || strength != bindingRequired && at.Type != "code" {
			// an extensible binding on a uri (ElementDefinition.type.code)
			// admits absolute URLs: not judged
			return
		}
		if in, known := v.member(vs, url, "", at.raw); known && !in {
			v.report(sev, IssueCodeInvalid, rule, "The value provided ('"+at.raw+"') is not in the value set '"+url+"', and "+must, nodeLoc(at))
		}
	case "Coding", "Quantity":
		code := at.str("code")
		if code == "" {
			return
		}
		sys := at.str("system")
		if in, known := v.member(vs, url, sys, code); known && !in {
			v.report(sev, IssueCodeInvalid, rule, "The Coding provided ("+sys+"#"+code+") is not in the value set '"+url+"', and "+must, nodeLoc(at))
		}
	case "CodeableConcept":
		codings := 0
		for _, c := range at.kids {
			if c.Name != "coding" {
				continue
			}
			code := c.str("code")
			if code == "" {
				continue
			}
			codings++
			in, known := v.member(vs, url, c.str("system"), code)
			if in || !known {
				return
			}
		}
		if codings == 0 {
			switch strength {
			case bindingRequired:
				v.report(sev, IssueCodeInvalid, rule, "No code provided, and a code is required from the value set '"+url+"'", nodeLoc(at))
			case bindingExtensible:
				v.report(sev, IssueCodeInvalid, rule, "No code provided, and a code should be provided from the value set '"+url+"'", nodeLoc(at))
			}
			return
		}
		var b strings.Builder
		for _, c := range at.kids {
			if c.Name == "coding" && c.str("code") != "" {
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(c.str("system") + "#" + c.str("code"))
			}
		}
		v.report(sev, IssueCodeInvalid, rule, "None of the codings provided are in the value set '"+url+"', and "+should+" (codings = "+b.String()+")", nodeLoc(at))
	}
}

// member answers whether system#code is in vs; known=false when only a
// terminology could tell and none is set (or it does not know).
func (v *profileValidator) member(vs *valueSetDef, url, system, code string) (in, known bool) {
	in, known, err := valueSetMember(v.ctx, v.opts.Terminology, vs, url, system, code)
	if err != nil {
		return false, false
	}
	return in, known
}

// valueSetMember tells whether system#code (system "" for a bare code) is
// in the value set url, whose generated definition is vs: from the codes
// expanded when generating, and for the code systems not held in full
// (vs.Open), from term; unknown when term is nil or cannot judge it.
func valueSetMember(ctx context.Context, term Terminology, vs *valueSetDef, url, system, code string) (in, known bool, err error) {
	if system == "" {
		for _, codes := range vs.Codes {
			if codes[code] {
				return true, true, nil
			}
		}
		return false, len(vs.Open) == 0, nil
	}
	if vs.Codes[system][code] {
		return true, true, nil
	}
	for _, s := range vs.Open {
		if s != system {
			continue
		}
		if term == nil {
			return false, false, nil
		}
		return term.MemberOf(ctx, url, system, code)
	}
	return false, true, nil
}

// refTarget checks that the resource a Reference points to has one of the
// types. A target whose type cannot be told (a bare id, urn:uuid not in
// the Bundle, a contained id not found) is left to the other checks.
func (v *profileValidator) refTarget(r *refRule, res, at *Node) {
	types := r.Types
	if at.Type != "Reference" {
		return
	}
	ref := at.str("reference")
	t := at.str("type")
	how := "reference"
	switch {
	case ref == "":
	case ref[0] == '#':
		// in a contained resource, "#id" names one contained beside it
		if c := v.containedByID(rootResourceOf(res), ref[1:]); c != nil {
			t = c.Type
		}
	case strings.HasPrefix(ref, "urn:"):
		// from a contained resource too, the Bundle is its holder's
		if e := v.bundleEntryByFullURL(rootResourceOf(res), ref); e != nil {
			t = e.Type
		}
	default:
		if rt := refURLType(ref); rt != "" {
			t = rt
		}
	}
	if t == "" {
		return
	}
	if hasString(types, t) || r.base != nil && !hasString(r.base, t) {
		return
	}
	at2 := ".reference"
	if ref == "" {
		how, at2 = "Reference.type", ".type"
	}
	// the reference itself is left out: a Patient id may be an NHS number
	v.report(SeverityError, IssueStructure, RuleReferenceTarget, "The type '"+t+"' implied by the "+how+" is not a valid Target for this element (must be one of ["+strings.Join(types, ", ")+"])", nodeLoc(at)+at2)
}

// refURLType gives the resource type a literal reference names: Type/id
// relative (R4 references.html#literal: [Type]/[id], optionally
// /_history/[vid]), or an absolute URL ending in Type/id. A reference of
// neither form (Organization/https://example.org/x) names no type.
func refURLType(ref string) string {
	s := ref
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexByte(s, '/')
	if i <= 0 || !validID(s[i+1:]) {
		return ""
	}
	head := s[:i]
	j := strings.LastIndexByte(head, '/')
	typ := head[j+1:]
	if !isResourceType(typ) {
		return ""
	}
	if j >= 0 {
		// more before Type/id: only an absolute URL (scheme://) may have it
		k := strings.Index(s, "://")
		if k <= 0 || strings.IndexByte(s[:k], '/') >= 0 {
			return ""
		}
	}
	return typ
}

// bundleEntryByFullURL finds, in the Bundle holding res as an entry's
// resource, the resource of the first entry whose fullUrl is url.
func (v *profileValidator) bundleEntryByFullURL(res *Node, url string) *Node {
	entry := res.parent
	if entry == nil || res.Name != "resource" || entry.parent == nil || entry.parent.Type != "Bundle" {
		return nil
	}
	bundle := entry.parent
	if len(bundle.kids) > indexFrom {
		idx, ok := v.entryIdx[bundle]
		if !ok {
			idx = map[string]*Node{}
			for _, e := range bundle.kids {
				if u := e.str("fullUrl"); e.Name == "entry" && idx[u] == nil {
					idx[u] = e
				}
			}
			if v.entryIdx == nil {
				v.entryIdx = map[*Node]map[string]*Node{}
			}
			v.entryIdx[bundle] = idx
		}
		if e := idx[url]; e != nil {
			return e.first("resource")
		}
		return nil
	}
	for _, e := range bundle.kids {
		if e.Name == "entry" && e.str("fullUrl") == url {
			return e.first("resource")
		}
	}
	return nil
}

// indexFrom is the number of children from which a node's contained
// resources or entries are looked up in an index (profileValidator)
// rather than by a scan.
const indexFrom = 16

// containedByID gives the first resource contained in res whose id is id
// (id != "").
func (v *profileValidator) containedByID(res *Node, id string) *Node {
	if id == "" {
		return nil
	}
	if len(res.kids) > indexFrom {
		idx, ok := v.containedIdx[res]
		if !ok {
			idx = map[string]*Node{}
			for _, k := range res.kids {
				if k.Name != "contained" {
					continue
				}
				if i := k.str("id"); i != "" && idx[i] == nil {
					idx[i] = k
				}
			}
			if v.containedIdx == nil {
				v.containedIdx = map[*Node]map[string]*Node{}
			}
			v.containedIdx[res] = idx
		}
		return idx[id]
	}
	for _, k := range res.kids {
		if k.Name == "contained" && k.str("id") == id {
			return k
		}
	}
	return nil
}

// extensionDef gives the definition of the extension url: a UK Core one
// (unless only base R4 is asked for) or an R4 core one; nil for any other.
func (v *profileValidator) extensionDef(url string) *extensionRules {
	const core = "http://hl7.org/fhir/StructureDefinition/"
	switch {
	case strings.IndexByte(url, ':') < 0:
		// a relative url is a sub-extension's name, which its parent's
		// definition judges
		return nil
	case strings.HasPrefix(url, core):
		return coreExtensionRules[url]
	}
	if v.opts.Mode != ProfilesBase {
		if e := ukcoreExtensionRules[url]; e != nil {
			return e
		}
	}
	return coreExtensionRules[url] // two are defined elsewhere (smarthealthit.org)
}

// extensions checks every UK Core and R4 core extension below n (not in contained or
// Bundle entry resources, which are checked on their own): its context,
// its rules and, for a complex one, its sub-extensions.
func (v *profileValidator) extensions(res, n *Node) {
	if v.marks != nil && n == res {
		for i := v.markLo; i < v.markHi; i++ {
			m := v.marks[i]
			if m.end > 0 {
				i = m.end - 1 // a resource inside: checked on its own
				continue
			}
			if k := m.n; k.Type == "Extension" && (k.Name == "extension" || k.Name == "modifierExtension") {
				url := k.str("url")
				if e := v.extensionDef(url); e != nil {
					v.extension(e, url, res, k.parent, k)
				}
			}
		}
		return
	}
	for _, k := range n.kids {
		if k.Name == "contained" || k.Name == "resource" && isResourceType(k.Type) {
			continue
		}
		if k.Type == "Extension" && (k.Name == "extension" || k.Name == "modifierExtension") {
			url := k.str("url")
			if e := v.extensionDef(url); e != nil {
				v.extension(e, url, res, n, k)
			}
		}
		if len(k.kids) > 0 && (k.extBelow || !v.extMarked) {
			v.extensions(res, k)
		}
	}
}

func (v *profileValidator) extension(e *extensionRules, url string, res, parent, ext *Node) {
	if inModifier := ext.Name == "modifierExtension"; e.Modifier != inModifier {
		msg := "The extension " + url + " is not a modifier extension, so it is not allowed in modifierExtension"
		if e.Modifier {
			msg = "The extension " + url + " is a modifier extension, so it belongs in modifierExtension"
		}
		v.report(SeverityError, IssueStructure, RuleExtensionModifier, msg, nodeLoc(ext))
	}
	if len(e.Contexts) > 0 {
		ok := false
		for _, c := range e.Contexts {
			if contextMatches(parent, c) {
				ok = true
				break
			}
		}
		if !ok {
			v.report(SeverityError, IssueStructure, RuleExtensionContext, "The extension "+url+" is not allowed to be used at this point (allowed = "+strings.Join(e.Contexts, ", ")+"; this element is "+elementPath(parent)+")", nodeLoc(ext))
		}
	}
	v.applyRules(e.rules, res, ext)
	if len(e.Types) > 0 && !e.Complex {
		if val := ext.first("value"); val != nil && !hasString(e.Types, val.Type) {
			v.report(SeverityError, IssueStructure, RuleExtensionValue, "The type '"+val.Type+"' is not valid for the extension "+url+" (allowed = "+strings.Join(e.Types, ", ")+")", nodeLoc(val))
		}
	}
	if e.ValueMin > 0 && !e.Complex && ext.first("value") == nil {
		v.report(SeverityError, IssueRequired, RuleExtensionValue, "The extension "+url+" requires a value (value[x] min = "+itoa(e.ValueMin)+")", nodeLoc(ext))
	}
	if !e.Complex {
		return
	}
	if e.ExtMin > 0 {
		n := 0
		for _, k := range ext.kids {
			if k.Name == "extension" {
				n++
			}
		}
		if n < e.ExtMin {
			v.report(SeverityError, IssueRequired, RuleExtensionValue, "The extension "+url+" requires at least "+itoa(e.ExtMin)+" sub-extensions, but found "+itoa(n), nodeLoc(ext))
		}
	}
	for si := range e.Subs {
		s := &e.Subs[si]
		count := 0
		for _, k := range ext.kids {
			if k.Name != "extension" || k.str("url") != s.URL {
				continue
			}
			count++
			val := k.first("value")
			if s.NoExt && k.first("extension") != nil {
				v.report(SeverityError, IssueStructure, RuleSubExtension, "The sub-extension '"+s.URL+"' of "+url+" holds no extensions (extension 0..0)", nodeLoc(k.first("extension")))
			}
			if val == nil {
				if s.ValueMin > 0 {
					v.report(SeverityError, IssueRequired, RuleSubExtension, "The sub-extension '"+s.URL+"' of "+url+" requires a value (value[x] min = "+itoa(s.ValueMin)+")", nodeLoc(k))
				}
				continue
			}
			if len(s.Targets) > 0 {
				v.refTarget(&s.ref, res, val)
			}
			if len(s.Types) > 0 && !hasString(s.Types, val.Type) {
				v.report(SeverityError, IssueStructure, RuleSubExtension, "The type '"+val.Type+"' is not valid for the sub-extension '"+s.URL+"' of "+url+" (allowed = "+strings.Join(s.Types, ", ")+")", nodeLoc(val))
			}
			if s.ValueSet != "" {
				v.binding(s.ValueSet, s.Strength, val)
			}
		}
		if count < s.Min {
			v.report(SeverityError, IssueRequired, RuleSubExtension, "The sub-extension '"+s.URL+"' of "+url+" is required: minimum required = "+itoa(s.Min)+", but only found "+itoa(count), nodeLoc(ext))
		}
		if s.Max != "*" && s.Max != "" && count > atoiSmall(s.Max) {
			v.report(SeverityError, IssueStructure, RuleSubExtension, "The sub-extension '"+s.URL+"' of "+url+": maximum allowed = "+s.Max+", but found "+itoa(count), nodeLoc(ext))
		}
	}
	for _, k := range ext.kids {
		if k.Name != "extension" {
			continue
		}
		u := k.str("url")
		if strings.Contains(u, ":") {
			continue // an extension by absolute URL: allowed anywhere
		}
		known := false
		for _, s := range e.Subs {
			if s.URL == u {
				known = true
				break
			}
		}
		if !known {
			v.report(SeverityError, IssueStructure, RuleSubExtension, "The sub-extension '"+u+"' is not defined by "+url, nodeLoc(k)+".url")
		}
	}
}

func hasString(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func atoiSmall(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 1 << 30
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// isResourceRoot reports whether n is a resource: the root, a contained
// one or a Bundle entry's.
func isResourceRoot(n *Node) bool {
	return n.parent == nil || isResourceType(n.Type) && (n.Name == "contained" || n.Name == "resource" || n.parent.Type == "Parameters")
}

// contextMatches reports whether an extension on n is allowed by the
// element context ctx: the element's own path (Patient.contact), its data
// type (Address, Coding), its resource type at the root, or Element /
// Resource / DomainResource. A context is an element definition, so it
// also matches an element defined by reference to it
// (Questionnaire.item.item is Questionnaire.item; OperationDefinition.
// parameter.part is OperationDefinition.parameter) and, inside a data
// type, the data type's element wherever the type is used
// (ElementDefinition.binding in StructureDefinition.snapshot.element).
func contextMatches(n *Node, ctx string) bool {
	switch ctx {
	case "Element", "Base":
		return true
	case "Resource", "DomainResource":
		return isResourceRoot(n)
	}
	if isResourceRoot(n) {
		return ctx == n.Type
	}
	if n.Type == ctx || n.Type == "SimpleQuantity" && ctx == "Quantity" {
		return true
	}
	// compare ctx with the element path from the end
	at := n
	for {
		if definedAs(at, ctx) {
			return true
		}
		i := strings.LastIndexByte(ctx, '.')
		seg := strings.TrimSuffix(ctx[i+1:], "[x]")
		if isResourceRoot(at) {
			return i < 0 && seg == at.Type
		}
		if i < 0 || at.Name != seg {
			return false
		}
		ctx = ctx[:i]
		at = at.parent
	}
}

// definedAs reports whether the element at is the one the path p
// (Questionnaire.item, ElementDefinition) defines: p names at's data type,
// or p's element has at's backbone type, which every element defined by
// reference to it shares.
func definedAs(at *Node, p string) bool {
	if isResourceRoot(at) {
		return false
	}
	if !strings.Contains(p, ".") {
		return at.Type == p && !isPrimitiveType(p)
	}
	// a backbone type is shared by every use of the type it is declared
	// in: only a path from that type names it
	ti := typeTable[at.Type]
	owner, _, _ := strings.Cut(at.Type, ".")
	return ti != nil && ti.Kind == "backbone" && strings.HasPrefix(p, owner+".") && pathType(p) == at.Type
}

// pathType is the type of the element at path p ("Questionnaire.item":
// "Questionnaire.Item"), or "" when p names no element of a single type.
func pathType(p string) string {
	first, rest, _ := strings.Cut(p, ".")
	typ := first
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest, ".")
		ti := typeTable[typ]
		if ti == nil {
			return ""
		}
		e := ti.byName[strings.TrimSuffix(seg, "[x]")]
		if e == nil || len(e.Types) != 1 {
			return ""
		}
		typ = e.Types[0]
	}
	return typ
}

// elementPath is n's path without indexes: Patient.contact.name.
func elementPath(n *Node) string {
	if isResourceRoot(n) {
		return n.Type
	}
	return elementPath(n.parent) + "." + n.Name
}

// nodeLoc is n's FHIRPath location from the top of the tree:
// Patient.extension[1].value, Bundle.entry[0].resource.subject.
func nodeLoc(n *Node) string {
	if n.parent == nil {
		return n.Type
	}
	return nodeLoc(n.parent) + "." + n.Name + idx(n.parent, n)
}
