package fhir

import "strings"

// RuleMustSupport is the rule id of ValidateOptions.MustSupport's issues:
// a mustSupport element of an applied UK Core profile absent from the
// resource (severity information, code informational).
const RuleMustSupport = "must-support"

// mustSupportRule is an element a UK Core resource profile flags
// mustSupport (zz_rules.go): Path relative to the resource and, for a
// slice, its name and either the extension URL that tells it apart or
// its slice definition (found at init).
type mustSupportRule struct {
	Path, Slice, ExtURL string
	parent              []string
	name                string
	def                 *sliceDef
}

func init() {
	for url, list := range ukcoreMustSupport {
		for i := range list {
			r := &list[i]
			segs := splitPath(r.Path)
			r.parent, r.name = segs[:len(segs)-1], segs[len(segs)-1]
			if r.Slice == "" || r.ExtURL != "" {
				continue
			}
			if pr := ukcoreRules[url]; pr != nil {
				for j := range pr.Slices {
					if pr.Slices[j].Path != r.Path {
						continue
					}
					for k := range pr.Slices[j].Slices {
						if pr.Slices[j].Slices[k].Name == r.Slice {
							r.def = &pr.Slices[j].Slices[k]
						}
					}
				}
			}
		}
	}
}

// mustSupport reports, as information, the mustSupport elements of the
// UK Core profiles applied to the resource n (claimed, or named) that n
// lacks; an element under an absent parent is not reported.
func (v *profileValidator) mustSupport(n *Node) {
	switch v.opts.Mode {
	case ProfilesClaimed:
		if m := n.first("meta"); m != nil {
			for _, k := range m.kids {
				if k.Name == "profile" {
					v.mustSupportOf(k.raw, n, true)
				}
			}
		}
	case ProfilesNamed:
		v.mustSupportOf(v.opts.Profile, n, false)
	}
}

func (v *profileValidator) mustSupportOf(url string, n *Node, claimed bool) {
	base, _, _ := strings.Cut(url, "|")
	p := ukcoreProfiles[base]
	if p == nil || p.Type != n.Type || claimed && p.hasChild && claimsDescendant(n, p) {
		return
	}
	list := ukcoreMustSupport[base]
	for i := range list {
		v.mustSupportAt(&list[i], base, n, list[i].parent)
	}
}

// mustSupportAt finds the parents of r's element (path below at) and
// reports each that lacks it.
func (v *profileValidator) mustSupportAt(r *mustSupportRule, url string, at *Node, path []string) {
	if len(path) > 0 {
		for _, k := range at.kids {
			if k.Name == path[0] {
				v.mustSupportAt(r, url, k, path[1:])
			}
		}
		return
	}
	for _, k := range at.kids {
		if k.Name != r.name {
			continue
		}
		switch {
		case r.Slice == "":
			return
		case r.ExtURL != "":
			if k.str("url") == r.ExtURL {
				return
			}
		case r.def == nil || sliceMatches(r.def, k):
			return
		}
	}
	name := strings.TrimPrefix(url, "https://fhir.hl7.org.uk/StructureDefinition/")
	msg := "The mustSupport element " + r.Path + " (" + name + ") is absent"
	if r.Slice != "" {
		msg = "The mustSupport slice '" + r.Slice + "' of " + r.Path + " (" + name + ") is absent"
	}
	v.report(severityInformation, "informational", RuleMustSupport, msg, nodeLoc(at))
}
