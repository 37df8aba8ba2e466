// Package snomed is an embedded SNOMED CT store: Import reads an RF2
// Snapshot release (International, UK Clinical, UK Drug, or the UK
// Monolith; several packages at once) into a single file, Open maps it,
// and the Store answers in process: subsumption (IsA) and the inferred
// hierarchy, terms by locale, attribute relationships and concrete values,
// reference set membership, historical associations with Resolve, ICD-10
// and OPCS-4 maps with "map into", and ranked word-prefix search.
//
// Subsumption does not walk the graph at query time: every concept's
// ancestors are precomputed as a sorted ordinal list, so IsA is a binary
// search. Descendants are walked once over CSR child arrays into a Set, a
// bitset over dense ordinals with Len, Has and ascending Each.
// Two closures that ECL lists often are cheaper still (closurecache.go):
// the root's descendants are listed in one branch-free pass over the
// ancestor offsets and the ids, and the closure of a reference set's
// members, once walked, is kept as a bitset for the Store's life (up to
// 64 of them, 144 KB each at UK Monolith size), so that a value set
// evaluated again only lists it.
// ProximalPrimitives gives a concept's most specific primitive proper
// ancestors (definitionStatusId 900000000000074008), the parents of its
// necessary normal form.
//
// Search indexes every word of every active description; descriptions are
// numbered in rank order, so intersecting the query words' postings visits
// the best candidates first and stops at the limit. The index lives in a
// side file, <store>.search (SearchIndexPath), written by the first search
// of a store (PrepareSearch: about 7 s at UK Monolith size, once) and
// mapped in place by every later one, like the store: a store opened
// afresh answers its first search in milliseconds. Import does not build
// it, so its peak memory is unchanged. A side file is used only for the
// store file it was written for (size, modification time and header hash);
// otherwise the index is built in memory and the side file rewritten
// (searchfile.go).
//
// The store file (format.go) is used in place: Open maps it (reads it
// into memory where mmap is unavailable) and views each table as a Go
// slice, building nothing, so a UK Monolith store opens in tens of
// milliseconds and pages in as queries touch it. Close releases the
// mapping; strings a Store returns are copies and outlive it. Open refuses
// another format version or a damaged file with ErrFormat; re-import after
// an upgrade that changes the version.
//
// Import streams each file and writes each store table as soon as it is
// final. Its live heap peaks near 0.8 GB for a UK-Monolith-size release;
// with the Go default GC setting the process may grow to about twice that
// between collections, so a program that imports should set a soft memory
// limit (GOMEMLIMIT, or debug.SetMemoryLimit as examples/snomed does with
// 1100 MiB): at UK Monolith size, peak RSS 1.08 GiB instead of 1.79 GiB,
// for 32.8 s instead of 30.3 s.
//
// Import trusts nothing in a release: the header row of each concept,
// description, relationship, concrete value and language file must be
// exactly that kind's columns in order (a renamed, swapped, missing or
// extra column is an *rf2.ParseError naming file and column); every id
// column of every row, stated relationships included, is an SCTID with a
// valid Verhoeff check digit and the partition its column needs (ids of
// concepts, descriptions, relationships; any component for
// referencedComponentId and other reference set *Id columns); a reference
// set member id is a UUID; a field that is not UTF-8 is an error with its
// column and byte offset. A release without Relationship or Description
// Snapshot files is ErrMissingFile unless the caller passes
// AllowIncomplete. An IS-A cycle is a *CycleError naming the file and
// line of its first IS-A; an active concept whose only IS-A parents are
// inactive is ErrInactiveParent at the row. A failed import leaves the
// previous store in place. Temporary files carry the importing process's
// id, and an import removes those of processes that no longer run (or,
// where processes cannot be probed, those older than a day).
//
// # Store format
//
// Format 11 (the magic "nhskit-snomed-11"; format.go):
//
//   - A header: the magic, then one {offset, length} pair of little-endian
//     uint64 per section, in a fixed order; the file ends with the magic
//     again, so a truncated file is refused.
//   - Each section is a little-endian array of fixed-width records (no
//     pointers, explicit padding), starting at a multiple of 8 bytes, so
//     Open views it in place with unsafe.Slice over the mapping. The host
//     must be little-endian, as every platform Go ships for Linux, macOS
//     and Windows on amd64 and arm64 is.
//   - Concepts are numbered by ordinal, the index in the sorted id array;
//     every per-concept list (parents, ancestors, children, descriptions,
//     attribute relationships and their sources by destination, concrete
//     values) is CSR: offsets (n+1 int32) and one flat array.
//   - id -> ordinal is an open-addressing hash table written by Import: a
//     power of two at least 1.5 times the concepts, Fibonacci hashing,
//     linear probes, {id, ordinal, ancestor range, en-GB preferred term}
//     per slot (24 bytes): IsA and PreferredTerm read the slot and not
//     the per-ordinal tables, one cache miss fewer.
//   - Strings are {offset, length uint32} into one string section; the
//     en-GB and en-US preferred synonym and en-GB fully specified name of
//     each concept are such references, precomputed by Import.
//   - Reference set members, historical associations, inactivation reasons
//     and map rows are sorted key arrays with CSR values, found by binary
//     search.
//   - For closures of many concepts (closuretables.go): a bitset of the
//     concepts with children; the IS-A edges with parents in a topological
//     order (Kahn's algorithm), so a large closure is one pass over them
//     whatever the ids' order; and each reference set's members that are
//     concepts as ordinals (ascending, since ordinals follow ids).
//   - Since format 11 (memberrows.go), each reference set row's module,
//     effective time and status, so that ECL member filters on moduleId,
//     effectiveTime and active are answered (MemberRows, RowMembers): 4
//     bytes beside each map and association row, and {ordinal, 4 bytes}
//     for every other row, inactive ones too, whose member is a concept,
//     of every reference set but the language ones (whose members are
//     descriptions). Modules are indexes into a table; the time is packed
//     in 16 bits, in order, for 2000-01-01 to 2127-12-31. A store of an
//     earlier format is refused with ErrFormat naming its format.
//
// Open checks the header, each section's bounds, alignment and record
// size, that the ids are sorted, and in one linear pass that every offsets
// array rises from 0 to its flat array's length and every stored ordinal is
// in range; string and acceptability references, and the hash table's
// ordinals and ranges, are checked on use. A damaged file is ErrFormat or gives wrong
// answers, never a panic. Pages are read as queries touch them, so the
// first queries after Open pay the page faults (cold, from disk).
//
// # Facts relied on
//
// SNOMED CT Release File Specifications and Technical Implementation Guide
// (SNOMED International, https://confluence.ihtsdotools.org/display/DOCRELFMT
// and https://confluence.ihtsdotools.org/display/DOCTIG):
//
//   - Snapshot files: sct2_Concept_Snapshot (id, effectiveTime, active,
//     moduleId, definitionStatusId), sct2_Description_Snapshot and
//     sct2_TextDefinition_Snapshot (… conceptId, languageCode, typeId, term,
//     caseSignificanceId), sct2_Relationship_Snapshot (… sourceId,
//     destinationId, relationshipGroup, typeId, characteristicTypeId,
//     modifierId; group 0 is ungrouped, rows sharing a non-zero group are
//     one group: https://confluence.snomedtools.org/plugins/viewsource/viewpagesrc.action?pageId=240452572),
//     sct2_RelationshipConcreteValues_Snapshot (… sourceId, value,
//     relationshipGroup, typeId, characteristicTypeId, modifierId; values
//     written #number or "string"), and reference sets der2_*Snapshot whose
//     first six columns are id, effectiveTime, active, moduleId, refsetId,
//     referencedComponentId, followed by the pattern's own columns
//     (targetComponentId for associations, valueId for attribute values,
//     acceptabilityId for language, mapTarget for simple maps; mapGroup,
//     mapPriority, mapRule, mapAdvice, mapTarget, correlationId and
//     mapCategoryId for extended maps, mapBlock instead of mapCategoryId in
//     the UK complex maps:
//     https://conf.spaces.snomed.org/wiki/spaces/REUSE/pages/131342681/Complex+and+Extended+Map+Reference+Set).
//     The header row names the columns, so any other pattern is read too.
//   - UK packages put a package code before "Snapshot" in file names:
//     sct2_Concept_UKCLSnapshot_GB1000000_…,
//     der2_cRefset_LanguageUKCLSnapshot-en_…,
//     der2_iisssciRefset_ExtendedMapUKCLSnapshot_GB1000000_… (as read by
//     public UK importers, e.g. github.com/endeavourhealth-discovery/IMAPI).
//   - IS-A is 116680003; the inferred view uses characteristic type
//     900000000000011006 (stated 900000000000010007 is ignored), and only
//     active rows between active concepts.
//   - Description types: fully specified name 900000000000003001, synonym
//     900000000000013009; acceptability preferred 900000000000548007,
//     acceptable 900000000000549004; language reference sets GB English
//     900000000000508004 and US English 900000000000509007. For en-GB the
//     UK refsets come first, in the order Hermes uses
//     (github.com/wardle/hermes, src/com/eldrix/hermes/impl/language.clj):
//     NHS realm language clinical part 999001261000000100 and pharmacy part
//     999000691000001104, NHS dm+d realm 999000671000001103, UK Drug
//     Extension GB English 999000681000001101, UK Extension GB English
//     999001251000000103, then 900000000000508004.
//   - Historical associations: SAME AS 900000000000527005, REPLACED BY
//     900000000000526001, POSSIBLY EQUIVALENT TO 900000000000523009,
//     POSSIBLY REPLACED BY 1186921001, ALTERNATIVE 900000000000530003, WAS A
//     900000000000528000, MOVED TO 900000000000524003; the concept
//     inactivation indicator reference set 900000000000489007 is an
//     attribute value refset whose valueId is the reason (outdated
//     900000000000483008, duplicate 900000000000482003 with a SAME AS
//     target, ambiguous 900000000000484002 with POSSIBLY EQUIVALENT TO
//     targets:
//     https://confluence.snomedtools.org/display/DOCRFSPG/3.2.6.3.1.+Representing+Reasons+for+Component+Inactivation).
//   - Maps: ICD-10 extended map 447562003 (International); in the UK
//     Clinical Extension's complex map file 999002271000000101 (ICD-10 5th
//     edition), 1126441000000105 (OPCS-4.9) and 1382401000000109 (OPCS-4.10)
//     (from public UK importers: Genomics England's SNOMED CT UK Edition map
//     notes and the CRAN package Rdiagnosislist, https://rdrr.io/cran/Rdiagnosislist/);
//     the CTV3 simple map is 900000000000497000.
//   - When several rows share an id, the one with the latest effectiveTime
//     is the current one (the relationship file specification above).
//   - SCTIDs: 6 to 18 digits, no leading zero, a Verhoeff check digit last
//     and the partition in the two digits before it (00/10 concept, 01/11
//     description, 02/12 relationship); reference set member ids are
//     UUIDs (the Technical Implementation Guide's SCTID and reference set
//     member chapters).
//
// Real releases are licensed, so tests and benchmarks use
// snomed/snomedtest's synthetic releases of the same shape, with answers
// computed independently from the generator's own record.
package snomed
