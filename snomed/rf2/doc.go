// Package rf2 reads SNOMED CT Release Format 2 files: tab-separated UTF-8
// with a header row naming the columns, CRLF or LF line ends. It streams a
// row at a time and reports bad rows with file and line. It also checks
// SNOMED CT identifiers (Verhoeff check digit, partition).
//
// Facts (SNOMED CT Technical Implementation Guide, "4.2 Release File
// Specifications" and "6.2 SCTID Data Structure",
// https://confluence.ihtsdotools.org/display/DOCTIG): an SCTID is 6 to 18
// digits; the last is a Verhoeff check digit over the others; the two
// digits before it are the partition identifier: 00 concept, 01
// description, 02 relationship (short format), 10, 11, 12 the same in the
// long format that carries a namespace; effectiveTime is YYYYMMDD; active
// is 0 or 1.
package rf2
