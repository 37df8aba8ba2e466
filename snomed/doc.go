// Package snomed is an embedded SNOMED CT store: Import reads an RF2
// Snapshot release (International, UK Clinical, UK Drug, or the UK
// Monolith; several packages at once) into a single file, Open loads it,
// and the Store answers in process: subsumption (IsA) and the inferred
// hierarchy, terms by locale, attribute relationships and concrete values,
// reference set membership, historical associations with Resolve, ICD-10
// and OPCS-4 maps with "map into", and ranked word-prefix search.
//
// Subsumption does not walk the graph at query time: every concept's
// ancestors are precomputed as a sorted ordinal list, so IsA is a binary
// search. Descendants are walked with a bitset over dense ordinals.
// DescendantCount and EachDescendant avoid building a list.
//
// # Facts relied on
//
// SNOMED CT Release File Specifications and Technical Implementation Guide
// (SNOMED International, https://confluence.ihtsdotools.org/display/DOCRELFMT
// and https://confluence.ihtsdotools.org/display/DOCTIG):
//
//   - Snapshot files: sct2_Concept_Snapshot (id, effectiveTime, active,
//     moduleId, definitionStatusId), sct2_Description_Snapshot (…
//     conceptId, languageCode, typeId, term, caseSignificanceId),
//     sct2_Relationship_Snapshot (… sourceId, destinationId,
//     relationshipGroup, typeId, characteristicTypeId, modifierId),
//     sct2_RelationshipConcreteValues_Snapshot (… sourceId, value,
//     relationshipGroup, typeId, characteristicTypeId, modifierId; values
//     written #number or "string"), and reference sets der2_*Snapshot whose
//     first six columns are id, effectiveTime, active, moduleId, refsetId,
//     referencedComponentId, followed by the pattern's own columns
//     (targetComponentId for associations, valueId for attribute values,
//     acceptabilityId for language, mapTarget for simple maps; mapGroup,
//     mapPriority, mapRule, mapAdvice, mapTarget, correlationId,
//     mapCategoryId for extended maps). The header row names the columns.
//   - IS-A is 116680003; the inferred view uses characteristic type
//     900000000000011006 (stated 900000000000010007 is ignored), and only
//     active rows between active concepts.
//   - Description types: fully specified name 900000000000003001, synonym
//     900000000000013009; acceptability preferred 900000000000548007,
//     acceptable 900000000000549004; language reference sets GB English
//     900000000000508004 and US English 900000000000509007; the UK
//     editions add the UK clinical (999001261000000100) and UK drug
//     (999000691000001104) language reference sets, consulted first for
//     en-GB.
//   - Historical associations: SAME AS 900000000000527005, REPLACED BY
//     900000000000526001, POSSIBLY EQUIVALENT TO 900000000000523009,
//     POSSIBLY REPLACED BY 1186921001, ALTERNATIVE 900000000000530003, WAS A
//     900000000000528000, MOVED TO 900000000000524003; the concept
//     inactivation indicator reference set is 900000000000489007 (values
//     such as outdated 900000000000483008, duplicate 900000000000482003).
//   - Maps: ICD-10 extended map 447562003 (International),
//     999002271000000101 (UK ICD-10), OPCS-4.9 1126441000000105, OPCS-4.10
//     1382401000000109.
//   - When several rows share an id, the one with the latest effectiveTime
//     is the current one.
//
// Real releases are licensed, so tests and benchmarks use
// snomed/snomedtest's synthetic releases of the same shape, with answers
// computed independently from the generator's own record.
package snomed
