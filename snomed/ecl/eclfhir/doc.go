// Package eclfhir expands an ECL value set into a FHIR R4 ValueSet
// expansion, the way a terminology server answers ValueSet/$expand for an
// implicit SNOMED CT value set: codes with their display in the requested
// language, paged by offset and count.
//
// Facts relied on (FHIR R4, "Using SNOMED CT with FHIR",
// https://hl7.org/fhir/R4/snomedct.html, and ValueSet/$expand,
// https://hl7.org/fhir/R4/valueset-operation-expand.html): the code system
// URI is http://snomed.info/sct; an ECL value set's implicit URL is
// http://snomed.info/sct?fhir_vs=ecl/ followed by the URL-encoded
// expression; an expansion carries an identifier, a timestamp, the total,
// the offset and the parameters used (offset, count, displayLanguage).
package eclfhir
