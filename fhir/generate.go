package fhir

//go:generate go run ./internal/gen -def internal/gen/r4.def -out .
