// Package rf2 reads SNOMED CT Release Format 2 files: tab-separated UTF-8
// with a header row naming the columns, CRLF or LF line ends. It streams a
// row at a time and reports bad rows with file and line. It also checks
// SNOMED CT identifiers (Verhoeff check digit, partition).
//
// A Reader reuses its buffers, as bufio.Scanner does: Next allocates
// nothing, and the fields of a row (Field, Bytes, and the slice Row
// returns) are valid only until the next call to Next. The typed
// accessors (SCTID, EffectiveTime, Active, Int) work on the bytes and fail
// with a *ParseError naming file, line and column: a non-digit in an id is
// an error, never a silent 0. SCTID keeps each column's last good id, so
// the few values that repeat down a column (moduleId, typeId) are checked
// once per run of them.
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
