package fhir

import "github.com/nhskit/nhskit/fhir/internal/fhirjson"

// Helpers of the XML codec and the streams, beside the shared runtime
// names in zz_runtime.go.

const (
	utf8BOM = fhirjson.UTF8BOM
	xhtmlNS = fhirjson.XHTMLNamespace
)

func clip(s string) string      { return fhirjson.Clip(s) }
func tokenName(c byte) string   { return fhirjson.TokenName(c) }
func needsEscape(s string) bool { return fhirjson.NeedsEscape(s) }

// checkNarrativeXHTML checks a narrative div: one well-formed div element
// in the XHTML namespace, allowed elements and attributes only, no script
// URLs, nesting bounded, characters XML can carry.
func checkNarrativeXHTML(s string) error { return fhirjson.CheckXHTML(s) }
