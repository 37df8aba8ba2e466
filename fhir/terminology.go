package fhir

import "strings"

// composePart is one include or exclude of a value set's compose on a
// code system ValidateProfiles leaves to a Terminology, as generated.
type composePart struct {
	Exclude         bool
	System, Version string
	Concepts        []string
	Filters         [][3]string // property, op, value
	ValueSets       []string    // value sets included, each in ukcoreValueSets
}

// OpenCompose gives the part of a value set's definition (any UK Core
// value set, or a base R4 one that a binding uses) that ValidateProfiles
// and memberOf() cannot decide from the package's own tables and ask a
// Terminology about: the compose.include and compose.exclude entries on
// SNOMED CT, dm+d and the other code systems that are not held in full.
// An include of another value set with such parts names it (valueSet),
// and OpenCompose gives that one's too. valueSet is the canonical URL
// ValidateProfiles passes to Terminology.MemberOf (a "|version" suffix is
// ignored). ok is false for a value set the package does not hold, or
// holds whole. Each call returns a new ValueSetCompose that the caller owns.
//
// A Terminology over a SNOMED CT store turns the SNOMED CT entries into
// an expression constraint (snomed/fhirterm does).
func OpenCompose(valueSet string) (compose *ValueSetCompose, ok bool) {
	valueSet, _, _ = strings.Cut(valueSet, "|")
	vs := ukcoreValueSets[valueSet]
	if vs == nil || len(vs.Compose) == 0 {
		return nil, false
	}
	out := &ValueSetCompose{}
	for _, p := range vs.Compose {
		cs := ValueSetComposeConceptSet{System: URI{Value: p.System}, Version: String{Value: p.Version}}
		for _, c := range p.Concepts {
			cs.Concept = append(cs.Concept, ValueSetComposeConceptSetConceptReference{Code: Code{Value: c}})
		}
		for _, f := range p.Filters {
			cs.Filter = append(cs.Filter, ValueSetComposeConceptSetFilter{Property: Code{Value: f[0]}, Op: Code{Value: f[1]}, Value: String{Value: f[2]}})
		}
		for _, u := range p.ValueSets {
			cs.ValueSet = append(cs.ValueSet, Canonical{Value: u})
		}
		if p.Exclude {
			out.Exclude = append(out.Exclude, cs)
		} else {
			out.Include = append(out.Include, cs)
		}
	}
	return out, true
}
