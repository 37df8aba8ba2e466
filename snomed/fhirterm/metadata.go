package fhirterm

import (
	"fmt"

	"github.com/nhskit/nhskit/fhir"
)

// opDef is the canonical OperationDefinition of an R4 operation.
func opDef(name string) fhir.Canonical {
	return fhir.Canonical{Value: "http://hl7.org/fhir/OperationDefinition/" + name}
}

func (h *Handler) date() fhir.DateTime {
	_, v := h.editionInfo()
	if len(v) == 8 {
		return fhir.DateTime{Value: fmt.Sprintf("%s-%s-%s", v[:4], v[4:6], v[6:])}
	}
	return fhir.DateTime{Value: "2026"}
}

// metadata is the CapabilityStatement, or with mode=terminology the
// TerminologyCapabilities.
func (h *Handler) metadata(mode string) fhir.Resource {
	if mode == "terminology" {
		return h.capabilities()
	}
	op := func(name, def string) fhir.CapabilityStatementRestResourceOperation {
		return fhir.CapabilityStatementRestResourceOperation{Name: fhir.String{Value: name}, Definition: opDef(def)}
	}
	return &fhir.CapabilityStatement{
		Status:      fhir.Code{Value: "active"},
		Date:        h.date(),
		Kind:        fhir.Code{Value: "instance"},
		Software:    &fhir.CapabilityStatementSoftware{Name: fhir.String{Value: "nhskit snomed/fhirterm"}},
		FhirVersion: fhir.Code{Value: "4.0.1"},
		Format:      []fhir.Code{{Value: "json"}},
		Instantiates: []fhir.Canonical{
			{Value: "http://hl7.org/fhir/CapabilityStatement/terminology-server"},
		},
		Rest: []fhir.CapabilityStatementRest{{
			Mode: fhir.Code{Value: "server"},
			Resource: []fhir.CapabilityStatementRestResource{
				{Type: fhir.Code{Value: "CodeSystem"}, Operation: []fhir.CapabilityStatementRestResourceOperation{
					op("lookup", "CodeSystem-lookup"), op("subsumes", "CodeSystem-subsumes"), op("validate-code", "CodeSystem-validate-code")}},
				{Type: fhir.Code{Value: "ValueSet"}, Operation: []fhir.CapabilityStatementRestResourceOperation{
					op("expand", "ValueSet-expand"), op("validate-code", "ValueSet-validate-code")}},
				{Type: fhir.Code{Value: "ConceptMap"}, Operation: []fhir.CapabilityStatementRestResourceOperation{
					op("translate", "ConceptMap-translate")}},
			},
		}},
	}
}

func (h *Handler) capabilities() *fhir.TerminologyCapabilities {
	codes := func(ss ...string) []fhir.Code {
		out := make([]fhir.Code, len(ss))
		for i, s := range ss {
			out[i].Value = s
		}
		return out
	}
	props := append([]string{}, standardProperties...)
	props = append(props, idText(roleGroup))
	param := func(name, doc string) fhir.TerminologyCapabilitiesExpansionParameter {
		return fhir.TerminologyCapabilitiesExpansionParameter{Name: fhir.Code{Value: name}, Documentation: fhir.String{Value: doc}}
	}
	return &fhir.TerminologyCapabilities{
		Status:   fhir.Code{Value: "active"},
		Date:     h.date(),
		Kind:     fhir.Code{Value: "instance"},
		Software: &fhir.TerminologyCapabilitiesSoftware{Name: fhir.String{Value: "nhskit snomed/fhirterm"}},
		CodeSystem: []fhir.TerminologyCapabilitiesCodeSystem{{
			URI: fhir.Canonical{Value: System},
			Version: []fhir.TerminologyCapabilitiesCodeSystemVersion{{
				Code:      fhir.String{Value: h.VersionURI()},
				IsDefault: fhir.Boolean{Value: true, Set: true},
				Language:  codes("en-GB", "en-US"),
				Filter: []fhir.TerminologyCapabilitiesCodeSystemVersionFilter{
					{Code: fhir.Code{Value: "concept"}, Op: codes("is-a", "descendent-of", "is-not-a", "in", "generalizes", "=")},
					{Code: fhir.Code{Value: "constraint"}, Op: codes("=")},
				},
				Property: codes(props...),
			}},
			Subsumption: fhir.Boolean{Value: true, Set: true},
		}},
		Expansion: &fhir.TerminologyCapabilitiesExpansion{
			Paging: fhir.Boolean{Value: true, Set: true},
			Parameter: []fhir.TerminologyCapabilitiesExpansionParameter{
				param("filter", "every word must begin a word of a term"),
				param("count", "page size"), param("offset", "page start"),
				param("activeOnly", "false finds inactive concepts too"),
				param("includeDesignations", "every active description"),
				param("displayLanguage", "en-GB, en-US, or en-x-<language reference set id>"),
			},
			TextFilter: fhir.Markdown{Value: "Each word of the filter must begin a word of an active description in the display language; exact and prefix matches of the whole term rank first."},
		},
		CodeSearch:   fhir.Code{Value: "all"},
		ValidateCode: &fhir.TerminologyCapabilitiesValidateCode{Translations: fhir.Boolean{Value: false, Set: true}},
		Translation:  &fhir.TerminologyCapabilitiesTranslation{NeedsMap: fhir.Boolean{Value: false, Set: true}},
	}
}
