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
	URL        string
	Type       string
	Kind       string
	Invariants []invariant
	Cards      []cardinality
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
}

// compiled invariants, parsed once on first use
var (
	invOnce     sync.Once
	invCompiled map[string]*FHIRPath
)

func compiledInvariant(expr string) *FHIRPath {
	invOnce.Do(func() {
		invCompiled = map[string]*FHIRPath{}
		add := func(list []invariant) {
			for _, inv := range list {
				if _, ok := invCompiled[inv.Expr]; ok {
					continue
				}
				p, err := CompileFHIRPath(inv.Expr)
				if err != nil {
					// kept nil: reported as not checked
					invCompiled[inv.Expr] = nil
					continue
				}
				invCompiled[inv.Expr] = p
			}
		}
		for _, l := range baseInvariants {
			add(l)
		}
		for _, p := range ukcoreProfiles {
			add(p.Invariants)
		}
	})
	return invCompiled[expr]
}

// ValidateProfiles runs Validate and then checks the resource against
// StructureDefinitions: every FHIRPath invariant of the base R4 resource
// and data types (ele-1, dom-2..6, ref-1, txt-1/2, per-1, bdl-*, obs-6,
// ...) on every element they apply to, and the invariants (ukcore-*) of
// the UK Core profiles chosen by opts. A meta.profile URL that is not a
// known UK Core or base profile is a warning.
func ValidateProfiles(ctx context.Context, r Resource, opts ValidateOptions) (*OperationOutcome, error) {
	oo := Validate(r)
	n, err := NodeOf(r)
	if err != nil {
		return oo, err
	}
	v := &profileValidator{ctx: ctx, opts: opts}
	for _, s := range opts.Suppress {
		if v.suppress == nil {
			v.suppress = map[string]bool{}
		}
		v.suppress[s] = true
	}
	v.resource(n, n.Type)
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

type profileValidator struct {
	ctx      context.Context
	opts     ValidateOptions
	suppress map[string]bool
	issues   []OperationOutcomeIssue
}

func (v *profileValidator) add(severity, code, key, msg, expr string) {
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
		Expression:  []String{{Value: expr}},
	})
}

// resource checks one resource (the root, a contained one or a Bundle
// entry's) at the FHIRPath location loc.
func (v *profileValidator) resource(n *Node, loc string) {
	var invs []invariant
	invs = append(invs, baseInvariants[n.Type]...)
	for _, inv := range baseInvariants["DomainResource"] {
		if n.Type != "Bundle" && n.Type != "Parameters" && n.Type != "Binary" {
			inv.Path = n.Type + strings.TrimPrefix(inv.Path, "DomainResource")
			invs = append(invs, inv)
		}
	}
	var profiles []string
	switch v.opts.Mode {
	case ProfilesClaimed:
		if m := n.first("meta"); m != nil {
			for _, p := range m.child("profile") {
				profiles = append(profiles, p.raw)
			}
		}
	case ProfilesNamed:
		profiles = []string{v.opts.Profile}
	}
	for i, url := range profiles {
		base, _, _ := strings.Cut(url, "|")
		p := ukcoreProfiles[base]
		if p == nil {
			const core = "http://hl7.org/fhir/StructureDefinition/"
			if strings.HasPrefix(base, core) && inherits(n.Type, base[len(core):]) {
				continue
			}
			v.add(SeverityWarning, "not-supported", "unknown-profile", "profile "+base+" is not known, so the resource was not checked against it", loc+".meta.profile["+itoa(i)+"]")
			continue
		}
		if p.Type != n.Type {
			v.add(SeverityError, IssueStructure, "profile-type", "profile "+base+" is for "+p.Type+", not "+n.Type, loc)
			continue
		}
		invs = append(invs, p.Invariants...)
		for _, c := range p.Cards {
			v.cardinality(c, n, loc)
		}
	}
	for _, inv := range invs {
		root, rest, _ := strings.Cut(inv.Path, ".")
		if root != n.Type {
			continue
		}
		v.check(inv, n, n, loc, strings.ReplaceAll(rest, "[x]", ""))
	}
	v.profileRules(n)
	// data type invariants and every element's ele-1, then the resources inside
	v.elements(n, n, loc)
}

// check applies inv to the elements at path rest below at.
func (v *profileValidator) check(inv invariant, res, at *Node, loc, rest string) {
	if rest != "" {
		name, more, _ := strings.Cut(rest, ".")
		for _, k := range at.kids {
			if k.Name == name {
				v.check(inv, res, k, loc+"."+name+idx(at, k), more)
			}
		}
		return
	}
	p := compiledInvariant(inv.Expr)
	if p == nil {
		return
	}
	ok, known, err := p.EvaluateBool(v.ctx, at, &FHIRPathEnv{Resource: res, Terminology: v.opts.Terminology})
	if err != nil {
		v.add(severityInformation, "informational", inv.Key, inv.Key+": not checked: "+err.Error(), loc)
		return
	}
	if known && !ok {
		sev := SeverityError
		if inv.Severity == "warning" {
			sev = SeverityWarning
		}
		v.add(sev, IssueInvariant, inv.Key, "Constraint failed: "+inv.Key+": '"+inv.Human+"'", loc)
	}
}

// idx gives "[i]" for a repeating element.
func idx(parent, k *Node) string {
	n := 0
	for _, c := range parent.kids {
		if c.Name == k.Name {
			n++
		}
	}
	if n < 2 && !(typeTable[parent.Type] != nil && typeTable[parent.Type].byName[k.Name] != nil && typeTable[parent.Type].byName[k.Name].Many) {
		return ""
	}
	return "[" + itoa(k.index) + "]"
}

func (v *profileValidator) elements(res, n *Node, loc string) {
	for _, k := range n.kids {
		kl := loc + "." + k.Name + idx(n, k)
		if isResourceType(k.Type) && (k.Name == "contained" || k.Name == "resource") {
			v.resource(k, kl)
			continue
		}
		for _, inv := range baseInvariants["Element"] {
			if inv.Path == "Element" {
				v.check(inv, res, k, kl, "")
			}
		}
		t := k.Type
		if t == "SimpleQuantity" || t == "MoneyQuantity" {
			t = "Quantity"
		}
		if !strings.Contains(t, ".") {
			for _, inv := range baseInvariants[t] {
				root, rest, _ := strings.Cut(inv.Path, ".")
				if root == t {
					v.check(inv, res, k, kl, strings.ReplaceAll(rest, "[x]", ""))
				}
			}
		}
		if k.Type == "Extension" {
			if p := ukcoreProfiles[k.str("url")]; p != nil {
				for _, inv := range p.Invariants {
					if root, rest, _ := strings.Cut(inv.Path, "."); root == "Extension" {
						v.check(inv, res, k, kl, strings.ReplaceAll(rest, "[x]", ""))
					}
				}
			}
		}
		v.elements(res, k, kl)
	}
}

const severityInformation = "information"

// cardinality checks a profile's min..max for the element at c.Path under
// each of its parents that is present.
func (v *profileValidator) cardinality(c cardinality, res *Node, loc string) {
	path := strings.ReplaceAll(c.Path, "[x]", "")
	_, rest, _ := strings.Cut(path, ".")
	parentPath, name := "", rest
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		parentPath, name = rest[:i], rest[i+1:]
	}
	var walk func(at *Node, l, more string)
	walk = func(at *Node, l, more string) {
		if more != "" {
			head, tail, _ := strings.Cut(more, ".")
			for _, k := range at.kids {
				if k.Name == head {
					walk(k, l+"."+head+idx(at, k), tail)
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
		if c.System != "" {
			name += ".where(system = '" + c.System + "')"
		}
		if count < c.Min {
			v.add(SeverityError, IssueRequired, "cardinality", name+": minimum required = "+itoa(c.Min)+", but only found "+itoa(count)+" (profile)", l+"."+name)
		}
		if c.Max != "*" {
			if max, err := strconv.Atoi(c.Max); err == nil && count > max {
				v.add(SeverityError, IssueStructure, "cardinality", name+": maximum allowed = "+c.Max+", but found "+itoa(count)+" (profile)", l+"."+name)
			}
		}
	}
	walk(res, loc, parentPath)
}
