package main

// mustsupport.go reads the elements a UK Core resource profile flags
// mustSupport (its effective differential: a child profile's flags over
// its parent's, chain.go), for ValidateOptions.MustSupport. mustSupport
// is an obligation on the systems that produce and consume the resource,
// never on an instance (R4 ElementDefinition.mustSupport, definitions.tgz),
// so the validator only tells, as information, which are absent.

import (
	"bytes"
	"fmt"
	"strings"
)

// msRule is a mustSupport element: Path relative to the resource ("[x]"
// removed) and, for a slice, its name and, for an extension slice, the
// extension's URL.
type msRule struct {
	Path, Slice, ExtURL string
}

// mustSupportRules gives the mustSupport elements of a resource profile's
// differential: plain elements, and slices of an element outside other
// slices that either are extension slices (by URL) or have a generated
// slice definition (slices) to tell them apart. Elements inside slices,
// and slices of a choice element by type, are left out.
func mustSupportRules(diff []rElement, slices []sliceRule) []msRule {
	var out []msRule
	for _, el := range diff {
		ms := false
		for _, a := range el.Any {
			if a.XMLName.Local == "mustSupport" {
				ms = a.Value == "true"
			}
		}
		if !ms {
			continue
		}
		_, rest, ok := strings.Cut(el.ID, ".")
		if !ok || strings.Contains(rest, "[x]:") {
			continue
		}
		head, slice, sliced := strings.Cut(rest, ":")
		if !sliced {
			out = append(out, msRule{Path: strings.ReplaceAll(rest, "[x]", "")})
			continue
		}
		if strings.ContainsAny(slice, ".:") {
			continue // inside a slice
		}
		path := strings.ReplaceAll(head, "[x]", "")
		name := path[strings.LastIndex(path, ".")+1:]
		if name == "extension" || name == "modifierExtension" {
			for _, t := range el.Type {
				if len(t.Profile) > 0 {
					out = append(out, msRule{Path: path, Slice: slice, ExtURL: t.Profile[0].V})
					break
				}
			}
			continue
		}
		if hasSlice(slices, path, slice) {
			out = append(out, msRule{Path: path, Slice: slice})
		}
	}
	return out
}

func hasSlice(rules []sliceRule, path, name string) bool {
	for _, r := range rules {
		if r.Path != path {
			continue
		}
		for _, s := range r.Slices {
			if s.Name == name {
				return true
			}
		}
	}
	return false
}

func writeMustSupport(b *bytes.Buffer, rules map[string][]msRule) {
	b.WriteString("\n// ukcoreMustSupport are the mustSupport elements of each UK Core resource profile (ValidateOptions.MustSupport).\nvar ukcoreMustSupport = map[string][]mustSupportRule{\n")
	for _, u := range sortedKeys(rules) {
		if len(rules[u]) == 0 {
			continue
		}
		fmt.Fprintf(b, "%q: {\n", u)
		for _, r := range rules[u] {
			fmt.Fprintf(b, "{Path: %q", r.Path)
			if r.Slice != "" {
				fmt.Fprintf(b, ", Slice: %q", r.Slice)
			}
			if r.ExtURL != "" {
				fmt.Fprintf(b, ", ExtURL: %q", r.ExtURL)
			}
			b.WriteString("},\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
}
