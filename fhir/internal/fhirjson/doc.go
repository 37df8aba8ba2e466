// Package fhirjson is the FHIR JSON runtime that the generated models of
// package fhir (R4) and package fhir/stu3 share: a decoder that reads one
// buffer with positioned errors and duplicate-key checks, an encoder that
// drops empty objects and arrays, the *DecodeError type and its
// sentinels, and the checker of narrative XHTML.
//
// The generated code of each model package calls it; the exported error
// types are re-exported by those packages under their own names, so
// errors.Is and errors.As work the same whichever package decoded.
package fhirjson
