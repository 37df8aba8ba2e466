package fhirterm

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
)

// conceptMap is a map reference set served as an implicit ConceptMap.
type conceptMap struct {
	refset snomed.ID
	system string // the classification
	name   string
}

// maps are the UK and International maps, in the order $translate
// answers them.
var maps = []conceptMap{
	{snomed.ICD10UKRefset, ICD10System, "SNOMED CT to ICD-10 5th Edition (UK complex map)"},
	{snomed.ICD10Refset, ICD10System, "SNOMED CT to ICD-10 (International extended map)"},
	{snomed.OPCS410Refset, OPCS4System, "SNOMED CT to OPCS-4.10"},
	{snomed.OPCS49Refset, OPCS4System, "SNOMED CT to OPCS-4.9"},
}

// mapURL is the implicit ConceptMap of a map reference set (R4 "Using
// SNOMED CT with FHIR", Implicit Concept Maps).
func mapURL(refset snomed.ID) string { return System + "?fhir_cm=" + idText(refset) }

// Extensions on each $translate match carrying the map row's own columns,
// which R4's $translate output has no parts for.
const (
	extBase     = "https://github.com/nhskit/nhskit/snomed/fhirterm/StructureDefinition/"
	extGroup    = extBase + "map-group"
	extPriority = extBase + "map-priority"
	extRule     = extBase + "map-rule"
	extAdvice   = extBase + "map-advice"
)

func (h *Handler) translate(ps params) (fhir.Resource, error) {
	reverse, _, err := ps.boolean("reverse")
	if err != nil {
		return nil, err
	}
	// Which maps: url names one; targetsystem (or, reversed, the
	// code's system) those into a classification; else all the store has.
	var chosen []conceptMap
	if u := ps.str("url"); u != "" {
		for _, m := range maps {
			if u == mapURL(m.refset) {
				chosen = append(chosen, m)
			}
		}
		if len(chosen) == 0 || !h.store.IsRefset(chosen[0].refset) {
			return nil, errf(http.StatusNotFound, "not-found", "url", "concept map %s is not known here", quote(u))
		}
	}
	c, err := validateInput(ps, "system")
	if err != nil {
		return nil, err
	}
	target := ps.str("targetsystem")
	if target == "" {
		target = ps.str("target")
	}
	if reverse {
		target = c.system
		if target == "" {
			return nil, errf(http.StatusBadRequest, "required", "system", "reverse translation needs the classification's system (%s or %s)", ICD10System, OPCS4System)
		}
	} else if _, _, err := h.snomedCode(c, true); err != nil {
		return nil, err
	}
	if chosen == nil {
		for _, m := range maps {
			if (target == "" || target == m.system) && h.store.IsRefset(m.refset) {
				chosen = append(chosen, m)
			}
		}
		if len(chosen) == 0 && target != "" {
			return nil, errf(http.StatusNotFound, "not-found", "targetsystem", "no map into %s here (%s, %s)", quote(target), ICD10System, OPCS4System)
		}
	}
	out := &fhir.Parameters{}
	matched := false
	if reverse {
		for _, m := range chosen {
			if m.system != target {
				continue
			}
			for _, id := range h.store.MapSources(m.refset, c.code) {
				matched = true
				out.Parameter = append(out.Parameter, fhir.ParametersParameter{Name: fhir.String{Value: "match"}, Part: []fhir.ParametersParameter{
					part("equivalence", code("relatedto")),
					part("concept", &fhir.Coding{System: fhir.URI{Value: System}, Version: fhir.String{Value: h.VersionURI()}, Code: fhir.Code{Value: idText(id)}, Display: fhir.String{Value: h.display(id, "en-GB")}}),
					part("source", uri(mapURL(m.refset))),
				}})
			}
		}
	} else {
		id, _ := parseID(c.code)
		for _, m := range chosen {
			for _, row := range h.store.Maps(id, m.refset) {
				eq := "relatedto"
				if row.Target == "" {
					eq = "unmatched"
				} else {
					matched = true
				}
				p := fhir.ParametersParameter{Name: fhir.String{Value: "match"}, Part: []fhir.ParametersParameter{part("equivalence", code(eq))}}
				if row.Target != "" {
					p.Part = append(p.Part, part("concept", &fhir.Coding{System: fhir.URI{Value: m.system}, Code: fhir.Code{Value: row.Target}}))
				}
				p.Part = append(p.Part, part("source", uri(mapURL(m.refset))))
				p.Extension = []fhir.Extension{
					{URL: fhir.URI{Value: extGroup}, Value: &fhir.Integer{Value: int64(row.Group), Set: true}},
					{URL: fhir.URI{Value: extPriority}, Value: &fhir.Integer{Value: int64(row.Priority), Set: true}},
				}
				if row.Rule != "" {
					p.Extension = append(p.Extension, fhir.Extension{URL: fhir.URI{Value: extRule}, Value: str(row.Rule)})
				}
				if row.Advice != "" {
					p.Extension = append(p.Extension, fhir.Extension{URL: fhir.URI{Value: extAdvice}, Value: str(row.Advice)})
				}
				out.Parameter = append(out.Parameter, p)
			}
		}
	}
	head := []fhir.ParametersParameter{part("result", boolean(matched))}
	if !matched {
		var names []string
		for _, m := range chosen {
			names = append(names, m.name)
		}
		head = append(head, part("message", str("no mapping for "+quote(c.code)+" in "+strings.Join(names, ", "))))
	} else {
		head = append(head, part("message", str(strconv.Itoa(len(out.Parameter))+" map rows")))
	}
	out.Parameter = append(head, out.Parameter...)
	return out, nil
}
