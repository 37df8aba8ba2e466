// Package snomedtest writes deterministic synthetic SNOMED CT RF2
// Snapshot releases for tests and benchmarks: real-format SCTIDs (valid
// Verhoeff check digits, core partitions), a multi-parent IS-A hierarchy
// under the real root, inactive concepts, stated relationships that must
// not change the inferred hierarchy, attribute relationships, en-GB and
// en-US preferred and acceptable descriptions. Real releases are licensed;
// this is how nhskit tests and measures scale.
package snomedtest
