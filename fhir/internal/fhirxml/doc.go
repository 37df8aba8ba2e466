// Package fhirxml is the FHIR XML codec shared by the model packages (fhir
// for R4, fhir/stu3 for STU3), as fhirjson is their JSON runtime. XML is
// converted to and from the models' JSON through each version's generated
// element tables (a Model), so that XML is exactly as lossless as the JSON
// codec, and every document is checked by the version's JSON decoder.
package fhirxml
