// Package snomedtest writes deterministic synthetic SNOMED CT RF2
// Snapshot releases for tests and benchmarks: real-format SCTIDs (valid
// Verhoeff check digits, core partitions), a multi-parent IS-A hierarchy
// under the real root, inactive concepts, stated relationships that must
// not change the inferred hierarchy, attribute relationships, en-GB and
// en-US preferred and acceptable descriptions, and a UK package (UK file
// names and module) with the NHS realm language refset, UK subsets, UK
// ICD-10 and OPCS-4.10 maps. Per concept it has the UK Monolith's shape:
// ~1.9 IS-A parents, ~3.5 attribute relationships over 120 attribute types,
// ~3.2 descriptions, ~8.1 relationship rows and ~12.5 reference set rows
// (TestShape checks), so Config{Concepts: 1150000} stands for the UK
// Monolith. Real releases are licensed; this is how nhskit tests and
// measures scale.
package snomedtest
