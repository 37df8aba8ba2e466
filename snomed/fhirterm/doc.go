// Package fhirterm is a FHIR R4 terminology service for SNOMED CT over a
// snomed.Store, as an http.Handler: CodeSystem $lookup, $subsumes and
// $validate-code, ValueSet $expand and $validate-code, ConceptMap
// $translate for the ICD-10 and OPCS-4 maps, and metadata. It makes no
// outbound calls and holds no global state; mount it under any prefix:
//
//	store, _ := snomed.Open("uk.db")
//	http.Handle("/fhir/", http.StripPrefix("/fhir", fhirterm.New(store)))
//
// Requests are GET with query parameters, or POST with a Parameters
// resource (application/fhir+json) or a form; responses are FHIR JSON.
// Failures are OperationOutcomes whose issue carries the type, a
// diagnostic and, in expression, the parameter at fault; the handler logs
// (WithLogger) the operation and status of a failure, never a value.
//
// # Conformance
//
// Sections are of the FHIR R4 specification (4.0.1): the terminology
// service page (https://hl7.org/fhir/R4/terminology-service.html), the
// operation definitions of CodeSystem, ValueSet and ConceptMap, and "Using
// SNOMED CT with FHIR" (https://hl7.org/fhir/R4/snomedct.html).
//
//	Operation / parameter              Behaviour                                                         Section
//	CodeSystem/$lookup                                                                                   codesystem-operation-lookup
//	  code+system | coding             system must be http://snomed.info/sct (else 404 not-found);        (system is required with code)
//	                                   no system: 400 required; unknown concept: 404 not-found
//	  version                          the edition URI with or without /version/{date}; else 404          snomedct.html "Version"
//	  displayLanguage                  en-GB (default: NHS clinical, pharmacy, dm+d, UK, GB refsets in    snomedct.html "Display"
//	                                   order), en-US, en-x-{language refset id}; the first known of a list
//	  property                         inactive, sufficientlyDefined, moduleId, effectiveTime, parent,    snomedct.html "Properties"
//	                                   child, normalForm, normalFormTerse, attribute ids, 609096000
//	                                   (role groups, attributes as subproperty); none or * = the six
//	                                   first and every attribute
//	  out name, version, display       "SNOMED CT", the edition version URI, the preferred term
//	  out designation                  every active description: language, use (FSN/synonym), value
//	CodeSystem/$subsumes               codeA/codeB+system or codingA/codingB: equivalent, subsumes,       codesystem-operation-subsumes
//	                                   subsumed-by, not-subsumed (inferred IS-A); unknown code 404
//	CodeSystem/$validate-code          url+code | coding | codeableConcept (its SNOMED CT coding):        codesystem-operation-validate-code
//	                                   200 result=false with a message for an unknown code or a display
//	                                   that is no active term (case-insensitive); result=true with a
//	                                   message for an inactive concept; display out = preferred term;
//	                                   unknown system 404
//	ValueSet/$validate-code            url (implicit value set) or valueSet (resource); code+system |     valueset-operation-validate-code
//	                                   coding | codeableConcept; tests the one concept (ecl.Contains),
//	                                   never lists the set; another system: result=false
//	ValueSet/$expand                                                                                     valueset-operation-expand
//	  url                              implicit: ?fhir_vs, ?fhir_vs=isa/X, ?fhir_vs=refset,               snomedct.html "Implicit Value Sets"
//	                                   ?fhir_vs=refset/X, ?fhir_vs=ecl/{percent-encoded ECL}, on
//	                                   http://snomed.info/sct or the edition/version URI; other: 404
//	  valueSet                         compose.include/exclude on SNOMED CT: concept list; filters        snomedct.html "Filter Properties",
//	                                   concept is-a, descendent-of, is-not-a, in (refset), generalizes,   valueset.html#compose
//	                                   =; constraint = (ECL); {attribute id} = / is-a; valueSet (implicit
//	                                   urls); includes OR, filters AND, excludes MINUS; else 400
//	                                   not-supported
//	  filter                           each word begins a word of an active description in the display
//	                                   language (snomed.Store.Search): ranked exact, prefix, words
//	  count, offset                    paging; count defaults to and is capped at WithMaxExpansion
//	                                   (1000); without a filter the order is ascending id, with one the
//	                                   search rank (ties by id): stable across pages
//	  total                            exact without a filter; with one, given when the page reaches the  valueset.html expansion.total
//	                                   end and left out otherwise (unknown) unless WithExactTotals
//	  activeOnly                       false finds inactive concepts by filter too, marked inactive
//	  includeDesignations              every active description of each concept
//	  displayLanguage                  as $lookup
//	  bad ECL                          400 invalid, "bad ECL: ecl: offset N: …"; unknown concept 400
//	                                   code-invalid; unbounded set without count 422 too-costly
//	ConceptMap/$translate              code+system | coding | codeableConcept; url                       conceptmap-operation-translate
//	                                   http://snomed.info/sct?fhir_cm={refset} or targetsystem           snomedct.html "Implicit Concept Maps"
//	                                   (http://hl7.org/fhir/sid/icd-10, https://fhir.nhs.uk/Id/opcs-4)
//	                                   chooses maps, else every map the store has; each map row is a
//	                                   match (equivalence relatedto, or unmatched for a row without a
//	                                   target; concept; source = the map's url), with mapGroup,
//	                                   mapPriority, mapRule and mapAdvice as extensions on the match;
//	                                   reverse=true finds the concepts a classification code maps from
//	metadata                           CapabilityStatement (instantiates the terminology-server           capabilitystatement.html,
//	                                   statement); ?mode=terminology: TerminologyCapabilities             terminologycapabilities.html
//	errors                             400 invalid/required, 404 not-found, 405 (with Allow), 408         operationoutcome.html,
//	                                   timeout (WithTimeout), 413 too-long, 415, 422 too-costly            http.html
//
// # In process: the Handler as a fhir.Terminology
//
// Handler.MemberOf makes the handler a fhir.Terminology, so that
// fhir.ValidateProfiles (ValidateOptions.Terminology) and FHIRPath's
// memberOf() answer SNOMED CT bindings from the store without HTTP. The
// value set is an implicit one or one whose definition fhir.OpenCompose
// gives (every UK Core value set, and the R4 ones validation binds); its
// SNOMED CT includes and excludes become one expression as for a posted
// valueSet above, and the value sets it includes are read the same way (the union
// of their SNOMED CT parts), each value set once. Not known, and so not
// judged: another code system, a value set with no SNOMED CT part or
// asking for another edition, a code or a concept named by the definition
// that the store does not hold. A code that is not a concept id, or an
// inactive concept, is not in the value set. UK Core writes the value of
// some "concept in" filters as "^id" (UKCore-ReligiousAffiliation); the
// caret is read as the member-of it stands for.
//
// # Facts relied on
//
//   - The SNOMED CT system URI is http://snomed.info/sct; an edition and
//     version is http://snomed.info/sct/{module}/version/{YYYYMMDD}; the
//     International Edition module is 900000000000207008 and the UK
//     Edition's 83821000000107 (SNOMED CT URI Specification,
//     https://confluence.ihtsdotools.org/display/DOCURI; R4 snomedct.html).
//     New reads the edition from the store (a UK module, namespace 1000000
//     or 1000001, means the UK Edition) and the version from the latest
//     effectiveTime; WithEdition overrides both.
//   - Extension ids are long format: item, seven-digit namespace,
//     partition (10 for a concept), check digit (Technical Implementation
//     Guide, SCTID); the UK Clinical Extension is namespace 1000000 and the
//     UK Drug Extension 1000001.
//   - Implicit value sets and concept maps, the filter properties and the
//     lookup properties are those of R4 snomedct.html; filter operators of
//     http://hl7.org/fhir/filter-operator (is-a includes the concept itself,
//     descendent-of does not).
//   - R4 OperationDefinitions CodeSystem-lookup, CodeSystem-subsumes,
//     CodeSystem-validate-code, ValueSet-expand, ValueSet-validate-code name
//     the parameters read and written here (TestOperationDefinitions checks
//     them against the published definitions); ConceptMap-translate's
//     inputs (url, code, system, coding, codeableConcept, target,
//     targetsystem, reverse) and outputs (result, message, match with
//     equivalence, concept, source) follow conceptmap-operation-translate.
//   - Classification system URIs: ICD-10 (UK) http://hl7.org/fhir/sid/icd-10
//     (NHS Digital FHIR Implementation Guide, NamingSystems,
//     https://simplifier.net/guide/NHSDigital-2.1.50/NamingSystems) and
//     OPCS-4 https://fhir.nhs.uk/Id/opcs-4 (as NHS England's OPCS-4 codings
//     are written, e.g. https://docs.fhirfly.io/docs/value-apis/opcs4);
//     map reference sets as package snomed
//     documents them (UK ICD-10 999002271000000101, OPCS-4.10
//     1382401000000109, OPCS-4.9 1126441000000105, International ICD-10
//     447562003).
//   - 609096000 is |Role group|; 900000000000455006 |Reference set| is the
//     root of the reference sets (?fhir_vs=refset).
package fhirterm
