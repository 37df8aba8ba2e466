package main

// chain.go resolves a UK Core profile's baseDefinition chain at generation
// time. UK Core publishes differentials only (no snapshot), and a
// differential holds only what the profile changes from its base
// (R4 profiling.html#snapshot: the snapshot is the base's elements with the
// differential applied). A profile whose base is another UK Core profile
// (UKCore-Observation-VitalSigns-BMI on UKCore-Observation-VitalSigns on
// UKCore-Observation) is read here as its parent's effective differential
// with its own applied element by element: what the child sets on an
// element replaces what the parent set there, constraints add up, and the
// child's new elements (its slices of the parent's slicings among them)
// follow the parent's.

import (
	"fmt"
	"slices"
	"strings"
)

// coreSD is the base of the R4 resources and data types.
const coreSD = "http://hl7.org/fhir/StructureDefinition/"

// mergeByID applies child's elements to parent's, by element id: an
// element in both is overlay(parent's, child's), in place; the child's
// others follow in its order.
func mergeByID[E any](parent, child []E, id func(E) string, overlay func(p, c E) E) []E {
	byID := make(map[string]int, len(child))
	for i, c := range child {
		byID[id(c)] = i
	}
	used := make([]bool, len(child))
	out := make([]E, 0, len(parent)+len(child))
	for _, p := range parent {
		if i, ok := byID[id(p)]; ok {
			out = append(out, overlay(p, child[i]))
			used[i] = true
			continue
		}
		out = append(out, p)
	}
	for i, c := range child {
		if !used[i] {
			out = append(out, c)
		}
	}
	return out
}

// overlayR is mergeByID's overlay for the rules' element: each property
// the child sets replaces the parent's (types narrow, a binding or a
// slicing is restated whole, a fixed or pattern value is the child's).
func overlayR(p, c rElement) rElement {
	out := p
	out.Min, out.Max = overlayCard(p.Min, p.Max, c.Min, c.Max)
	if len(c.Type) > 0 {
		out.Type = c.Type
	}
	if c.Slicing != nil {
		out.Slicing = c.Slicing
	}
	if c.Binding != nil {
		out.Binding = c.Binding
	}
	if c.SliceName.V != "" {
		out.SliceName = c.SliceName
	}
	set := map[string]bool{}
	for _, a := range c.Any {
		set[a.XMLName.Local] = true
	}
	out.Any = nil
	for _, a := range p.Any {
		if !set[a.XMLName.Local] {
			out.Any = append(out.Any, a)
		}
	}
	out.Any = append(out.Any, c.Any...)
	return out
}

// overlayE is mergeByID's overlay for the cardinality and invariant
// reader's element: min, max and a fixed or pattern uri replace the
// parent's, constraints add up.
func overlayE(p, c element) element {
	out := p
	out.Min, out.Max = overlayCard(p.Min, p.Max, c.Min, c.Max)
	if c.FixedURI != nil || c.PatternURI != nil {
		out.FixedURI, out.PatternURI = c.FixedURI, c.PatternURI
	}
	out.Constraint = slices.Concat(p.Constraint, c.Constraint)
	return out
}

// overlayCard is the min and max of an element that the parent gives
// pMin and pMax and the child cMin and cMax: each the child sets replaces
// the parent's.
func overlayCard(pMin, pMax, cMin, cMax *valueAttr) (*valueAttr, *valueAttr) {
	if cMin != nil {
		pMin = cMin
	}
	if cMax != nil {
		pMax = cMax
	}
	return pMin, pMax
}

// resolveChains gives each definition's effective differential: its own
// applied to its UK Core parent's, recursively. base maps a definition's
// url to its baseDefinition, diff to its own differential. A parent that
// is not in diff (R4 core: a resource, Extension) ends the chain; a cycle
// is an error.
func resolveChains[E any](base map[string]string, diff map[string][]E, id func(E) string, overlay func(p, c E) E) (map[string][]E, error) {
	out := make(map[string][]E, len(diff))
	var resolve func(url string, depth int) ([]E, error)
	resolve = func(url string, depth int) ([]E, error) {
		if d, ok := out[url]; ok {
			return d, nil
		}
		if depth > len(diff) {
			return nil, fmt.Errorf("baseDefinition cycle through %s", url)
		}
		own := diff[url]
		b, _, _ := strings.Cut(base[url], "|")
		if _, ok := diff[b]; !ok {
			out[url] = own
			return own, nil
		}
		parent, err := resolve(b, depth+1)
		if err != nil {
			return nil, err
		}
		d := mergeByID(parent, own, id, overlay)
		out[url] = d
		return d, nil
	}
	for url := range diff {
		if _, err := resolve(url, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}
