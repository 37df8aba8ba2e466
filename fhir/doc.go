// Package fhir gives Go services typed FHIR R4 resources with the UK Core
// profiles' extensions, a lossless and fast JSON codec, FHIR XML, profile
// validation that says exactly what is wrong and where, Bundle helpers,
// streaming decoders for large Bundles and NDJSON bulk files, a
// FHIRPath engine, and the NHS identifiers everyone needs (NHS number with
// its modulus 11 check, ODS codes), as aliases of package nhsid's types.
//
// The structs of all 146 R4 resource types and 39 complex datatypes (and
// their 473 backbone elements), their JSON codec, their validation and
// their element tables are generated (go generate) by fhir/internal/gen
// from internal/gen/r4.def, a compact description extracted from the
// official R4 StructureDefinitions (../shared/fhir-r4/definitions.tgz,
// hl7.fhir.r4.core 4.0.1) and checked against them by a test: no
// reflection at run time.
//
// # Reading and writing
//
// [Unmarshal] dispatches on resourceType and returns a [Resource] (*Patient,
// *Bundle, …); [Marshal] writes it back. What is read is what is written,
// key order aside:
//
//   - a primitive keeps its exact text: a decimal written 4.50, 1e2 or
//     0.000100 stays so ([Decimal].Raw); dates keep their precision and
//     convert to time.Time with the precision reported ([Date.Time]);
//   - a primitive's id and extensions (the JSON _birthDate property, and
//     arrays such as _given with null fillers) live in its Elem;
//   - choice elements (value[x], deceased[x]) hold a [Value]: a pointer to
//     the primitive or datatype that was sent;
//   - elements the model does not know are kept in Unknown and written
//     back; resources of types nhskit does not model are kept as
//     *[RawResource] inside Bundles and contained.
//
// Strings share one copy of the input, so decoding allocates little. Bad
// input gives a *[DecodeError] with the JSON path (Patient.name[0].given[1])
// and byte offset, wrapping a sentinel ([ErrSyntax], [ErrType],
// [ErrDuplicateKey], [ErrChoice], [ErrElementName], [ErrXHTML],
// [ErrTooDeep], …); never a panic. Decoding refuses what could not be
// written safely as XML: member names that are not element names,
// characters XML cannot carry, and narrative that is not the restricted
// XHTML FHIR allows (checked by a small scanner: one div in the XHTML
// namespace, allowed elements and attributes only, no event attributes or
// script URLs, nesting at most [MaxXHTMLDepth]); a checked div is written
// into XML as it is, since it cannot close the elements around it.
//
// [NewBundleDecoder] and [NewNDJSONDecoder] bound what they hold while
// reading ([MaxResourceBytes] per entry or line, [MaxBundleHeaderBytes] for
// a Bundle's other members; [WithMaxResourceBytes], [WithMaxHeaderBytes]):
// an oversized input fails with [ErrTooLarge] having held at most the
// limit. The Bundle decoder accepts exactly what [Unmarshal] accepts.
//
// [UnmarshalXML] and [MarshalXML] read and write FHIR XML through the same
// element tables; [XMLToJSON] and [JSONToXML] convert without loss (XML
// comments are not kept). XML errors are *[XMLError]s with the line and
// column of the XML input, also for errors found once it is converted.
// A UTF-8 byte order mark (JSON and XML), a declared ISO-8859-1 encoding
// and xsi:schemaLocation on the root are accepted, as the HL7 tools do;
// DOCTYPE is refused.
//
// # Validation
//
// [Validate] returns nil for a valid resource (and allocates nothing), or
// an *[OperationOutcome] whose issues carry severity, issue type,
// diagnostics and a FHIRPath expression. It checks cardinality, required
// value-set bindings, primitive formats, reference forms, contained
// resources (dom-3), extensions (ext-1 and the UK Core extension value
// types, under both the current and the older PDS URL base), NHS numbers
// (modulus 11) and ODS codes. Diagnostics never contain an unmasked NHS
// number.
//
// # Facts relied on
//
//   - FHIR R4 (4.0.1), https://hl7.org/fhir/R4: element names, types,
//     cardinalities and required bindings (datatypes.html, each resource's
//     page); JSON representation (json.html): resourceType first, primitive
//     extensions in _name, arrays with null fillers of equal length, no
//     empty objects, arrays or strings; XML representation (xml.html):
//     value attributes, id and url attributes, resources wrapped in their
//     container element, narrative as an XHTML div, elements in the order
//     the definitions give them (JSON properties may come in any order,
//     json.html), so JSONToXML sorts them and ValidateBytes reports XML
//     out of that order (rule xml-order, an error as the HL7 validator's
//     "is out of order" is), and JSON arrays and objects given empty (rules
//     json-empty-array and json-empty-object: the HL7 validator's
//     JsonParser, org.hl7.fhir.r5.elementmodel.JsonParser, reports an
//     empty array, and an object with no members wherever it reads one as
//     an element or as a primitive's "_name" part, as an error of type
//     invalid, but not an unknown property's value, which it does not
//     read; its XmlParser likewise reports an element of the FHIR
//     namespace with no attribute but namespaces, no text and no child
//     element, rule xml-empty-element; ValidateProfiles reports an element given with nothing in it, JSON
//     {} or "_name": {} or an XML element with no value and no children,
//     as failing ele-1 where it stands, though the model, like Marshal,
//     leaves it out); primitive formats
//     (datatypes.html#primitive): id [A-Za-z0-9\-\.]{1,64}, date YYYY(-MM
//     (-DD)), dateTime with a time zone whenever a time is given, instant
//     to the second with a time zone, integer 32-bit, positiveInt ≥ 1,
//     unsignedInt ≥ 0, uuid urn:uuid: lower-case, oid urn:oid:; invariants
//     ext-1 (value or extensions, not both), dom-3 (contained resources are
//     referenced: R4's expression counts a Reference.reference and a
//     canonical, uri or url of "#id", or "#" for the container, found
//     anywhere in the resource; a narrative's <a href="#id"> and
//     <img src="#id"> count too, as in the HL7 validator, which checks
//     dom-3 in code rather than by the expression: org.hl7.fhir.core's
//     InstanceValidator.checkContainedReferences, with the ids its XHTML
//     checks collect from a href and img src, exactly "#" + id, a bare "#"
//     not; the Java validator is stricter in one way this package is not:
//     a reference from a contained resource counts only when that one is
//     itself referenced from the container), qty-3 (a unit code needs a
//     system).
//   - UK Core STU 2.0.0 (NHS England, https://simplifier.net/hl7fhirukcorer4,
//     read from ../shared/ukcore): extension URLs under
//     https://fhir.hl7.org.uk/StructureDefinition/ and each extension's
//     value type (ukcore_extensions.go); the NHS number verification status
//     code system UKCore-NHSNumberVerificationStatusEngland (01–08); the
//     sub-extensions of NHSCommunication (interpreterRequired, …),
//     DeathNotificationStatus and ContactPreference; identifier systems
//     https://fhir.nhs.uk/Id/nhs-number, https://fhir.nhs.uk/Id/ods-organization-code,
//     https://fhir.hl7.org.uk/Id/gmc-number and gmp-number,
//     https://fhir.nhs.uk/Id/sds-user-id.
//   - Narrative (https://hl7.org/fhir/R4/narrative.html, invariants txt-1
//     and txt-2): only the basic HTML 4.0 formatting elements of chapters
//     7–11 (not 9.4) and 15, a and img; no head, body, script, form, base,
//     link, frame, iframe or object; no event attributes; the div in the
//     XHTML namespace. XML 1.0 (https://www.w3.org/TR/xml/, production
//     Char): tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and above U+FFFF;
//     FHIR strings hold no character below U+0020 but tab, CR and LF
//     (datatypes.html#string).
//   - UK Core's BirthSex value set (ValueSet-UKCore-BirthSex in
//     ../shared/ukcore): v3-AdministrativeGender (M, F, UN) and v3-NullFlavor
//     UNK; UKCore-EthnicCategoryEngland (A–H, J–N, P, R, S, Z, 99),
//     UKCore-ResidentialStatus (H, O).
//   - Bundle references (https://hl7.org/fhir/R4/bundle.html#references): a
//     relative reference is resolved against the RESTful base of the
//     referencing entry's fullUrl; a versioned reference names
//     meta.versionId.
//   - PDS still sends extensions under https://fhir.nhs.uk/R4/StructureDefinition/
//     (../shared/pds examples); both bases are recognised.
//   - NHS number: ten digits, the tenth a modulus 11 check digit
//     (NHS Data Dictionary, "NHS Number"); ODS codes are 1 to 9 letters and
//     digits (NHS England ODS).
//
// The conformance corpora are the 5,298 JSON examples published with R4
// (../shared/fhir-r4/examples.tgz, one of them truncated in the snapshot
// and refused): the other 5,297 decode, round-trip exactly and survive
// JSON → XML → JSON; and UK Core's 215 published examples: each decodes
// from XML, round-trips exactly through JSON and back to equivalent XML, and
// validates, except the five that are genuinely wrong (listed in the tests
// with the issue each must raise) and one that holds two values in one
// extension, which FHIR JSON cannot represent and decoding reports.
//
// FHIRPath (CompileFHIRPath, FHIRPATH.md) follows N1, https://hl7.org/fhirpath/N1/:
//   - operator precedence, tightest first: path and indexer, unary sign,
//     multiplicative (* / div mod), additive (+, minus, &), type (is as),
//     union (|), inequality, equality (= ~ != !~), membership (in contains),
//     and, xor/or, implies (§Operator precedence);
//   - and/or/xor/implies are three-valued with empty as unknown, and a single
//     non-Boolean item in a Boolean context is true (§Boolean logic,
//     §Singleton evaluation of collections);
//   - = on dates/times of different precision is empty unless a common
//     component differs; seconds and milliseconds are one precision; ~ on
//     strings ignores case and collapses whitespace, on decimals rounds to the
//     lesser precision (§Equality, §Equivalence);
//   - calendar durations year and month do not equal UCUM 'a' and 'mo';
//     week, day, hour, minute, second, millisecond equal 'wk', 'd', 'h',
//     'min', 's', 'ms' (§Time-valued quantities);
//   - integer / integer is a Decimal; division by zero is empty (§Math);
//   - FHIR-specific: %resource, %rootResource, %ucum, %sct, %loinc, %vs-* and
//     %ext-*, extension(url), hasValue(), resolve(), memberOf() (FHIR R4 §2.1.9
//     "FHIRPath", https://hl7.org/fhir/R4/fhirpath.html); memberOf() answers
//     every UK Core value set, and the R4 ones bindings use or require,
//     from the generated expansions, and asks FHIRPathEnv.Terminology only
//     about the code systems they do not hold in full and other value sets;
//   - as (operator or function) on more than one item is an error (§Types;
//     the official suite's testFHIRPathAsFunction21), but R4's dom-3 applies
//     as() to descendants(). The HL7 validator's engine (org.hl7.fhir.core's
//     FHIRPathEngine) sets doNotEnforceAsSingletonRule for FHIR versions
//     before R5 and keeps the items of the type; FHIRPathEnv.LenientAs does
//     the same, and ValidateProfiles sets it;
//   - bounds, so that an expression from anywhere cannot take all time or
//     memory (N1 sets none; each is an error, never a cut-short answer):
//     nesting (200 levels), any collection (a million items), repeat()
//     (1,000 rounds that each find new items, 100,000 items), round()
//     precision (1,000 digits), UCUM exponents (±99), ~ and !~ (a million
//     comparisons of items: equivalence is checked pair by pair); an
//     Integer power() past int64 is empty, as N1 has a power that cannot
//     be represented. union, distinct, isDistinct, intersect, exclude,
//     subsetOf, supersetOf and repeat() look each item up by a hash that
//     equal items share (N1 §Equality: 1 = 1.0, 1 'g' = 1000 'mg', a date
//     in another zone), so they take time in proportion to their items.
//     A path from a variable in a function's argument (%resource.type in
//     entry.all(...), R4's bdl-3) is worked out once per evaluation, not
//     once per item, and in or contains looks an item up in such a value
//     of 16 items or more by hash. The context is looked at every 1,024
//     items that function arguments are evaluated for, so an expression
//     whose work grows with the square of the resource stops soon after
//     its caller gives up.
//
// ValidateProfiles takes time in proportion to the resource's size: the
// look-ups each element makes across the resource (ref-1's contained ids,
// dom-3's references to each contained resource, a reference's target
// among a Bundle's fullUrls) use an index built once per resource when
// there are many to look among (BenchmarkValidateProfilesScaling).
//
// ValidateProfiles evaluates each StructureDefinition invariant on every
// element at its path with that element as %context and $this (FHIR R4
// ElementDefinition.constraint), %resource the resource being checked and
// %rootResource its container when it is a contained resource, else the
// resource itself (FHIR R4 §2.1.9.1, added in 4.0.1 so that ref-1 finds
// the resources contained beside a contained one): a Bundle entry's
// resource is its own root, so its "#id" references name its own
// contained resources. (EvaluateNode's default is the root of the tree,
// as fhirpath.js takes the resource it is given.) The invariants are
// generated from
// ../shared/fhir-r4/definitions.tgz and ../shared/ukcore/structuredefinitions.
//
// What ValidateProfiles enforces, in short (details below):
//   - Validate's checks first; their issues are kept as they are (Suppress
//     does not reach them, MaxIssues cuts the whole list), but for ext-1,
//     qty-3 and dom-3, which the invariants below report under their keys
//     (once each, as the HL7 validator does).
//   - The FHIRPath invariants of every base R4 resource and data type, read
//     from the snapshots in ../shared/fhir-r4/definitions.tgz (245 of them,
//     zz_profiles.go's baseInvariants), among them ele-1 (once per element,
//     from Element), dom-2..dom-6, ref-1, txt-1 and txt-2, bdl-1..bdl-5 and
//     bdl-7..bdl-12, ext-1, obs-6 and obs-7, pat-1, per-1, qty-3. An
//     invariant's severity is its constraint's (error or warning), its
//     code invariant, its rule id the key; one whose expression does not
//     compile is not checked, and one that fails at run time is reported
//     as information ("not checked").
//   - For each UK Core profile applied: its ukcore-* invariants and its
//     cardinalities ("cardinality", error), and the rules of zz_rules.go
//     (below).
//   - A meta.profile URL that is neither a UK Core definition nor the R4
//     definition of the resource's type or one of its ancestors is a
//     warning, code not-supported, rule id "unknown-profile", at
//     meta.profile[i] (at the resource itself when the unknown profile is
//     the one named in ProfilesNamed mode); a UK Core profile of another
//     resource type is an error, rule id "profile-type".
//
// ValidateOptions: Mode chooses the profiles applied — ProfilesClaimed
// (the default: those in meta.profile), ProfilesBase (none: base R4 only;
// UK Core extensions are then not checked either, R4 core extensions
// still are, and preferred bindings are) or ProfilesNamed (Profile, whatever the resource claims);
// Terminology answers memberOf() and the codes of value sets not
// enumerable at generation time (SNOMED CT, UCUM, filters); MaxIssues caps
// the issues (0: no cap); Suppress drops the issues of the rule ids given;
// MustSupport (off by default) adds the mustSupport report below. The rule
// ids, as each issue's details.text: an invariant's key, unknown-profile,
// profile-type, cardinality, binding, binding-extensible,
// binding-preferred, fixed, slicing, type, reference-target,
// extension-context, extension-value, extension-modifier, sub-extension
// and must-support.
//
// mustSupport (R4 ElementDefinition.mustSupport, in the ElementDefinition
// StructureDefinition of ../shared/fhir-r4/definitions.tgz; R4
// profiling.html#mustsupport): true means the systems that produce or
// consume the resource must support the element in a way the profile
// spells out; it sets no rule on an instance. So with MustSupport each
// mustSupport element of an applied UK Core resource profile (its
// effective differential: a child's flags over its parent's, a flag set
// false dropping the parent's) that the resource lacks is information,
// code informational, rule id must-support, at the element that would hold
// it — only where that element is present (reaction.severity under each
// reaction without one; nothing when there is no reaction). A slice flagged
// mustSupport is reported, by name, when no element is in it (extension
// slices by url, others by their discriminators). Elements inside a slice
// and type slices of a choice element (value[x]:valueQuantity) are not
// reported.
//
// For every resource, in every mode, ValidateProfiles checks the base R4
// reference target types (ElementDefinition.type.targetProfile in the
// snapshots of ../shared/fhir-r4/definitions.tgz, generated into
// zz_rules.go's baseRules): Patient.generalPractitioner may name an
// Organization, Practitioner or PractitionerRole, Observation.subject a
// Patient, Group, Device or Location. Targets of the resource's own
// elements (backbone elements included) and, one level down, of its data
// types' (Identifier.assigner, Annotation.author, Signature.who, ...) are
// checked; elements by contentReference (Questionnaire.item.item) and data
// types inside data types are not followed. A target the base allows and a
// claimed UK Core profile does not is the profile's to report; one neither
// allows is reported once, with the base types. A wrong target is an error
// of type structure, worded as the HL7 validator's Reference_REF_BadTargetType
// ("The type 'X' implied by the reference is not a valid Target for this
// element (must be one of [...])", org.hl7.fhir.validator InstanceValidator),
// without the reference itself (a Patient id may be an NHS number).
//
// Bindings (R4 terminologies.html#strength, the HL7 validator's
// InstanceValidator.checkTerminologyCodeableConcept and its code and Coding
// forms): a code outside a required binding's value set is an error
// (Terminology_TX_NoValid_1_CC), outside an extensible one a warning
// (Terminology_TX_NoValid_2_CC; a CodeableConcept with no coding at all,
// Terminology_TX_Code_ValueSet_Ext), outside a preferred one information
// (Terminology_TX_NoValid_3_CC), given only when validating against base R4
// alone (the validator's baseOnly: ProfilesBase). Validate checks the base
// required bindings on code elements; ValidateProfiles adds, for every
// resource, base R4's required bindings on CodeableConcept and Coding
// elements (Condition.clinicalStatus, AllergyIntolerance.verificationStatus,
// ...) and its extensible and preferred bindings, on the resource's own
// elements and one data type level down (Identifier.type), as for
// reference targets. A UK Core profile the resource claims that binds an
// element anew replaces the base binding there. Rule ids: binding,
// binding-extensible, binding-preferred. Extensible and preferred bindings
// on uri elements (ElementDefinition.type.code admits absolute URLs) are
// not judged; value sets are expanded as for UK Core's (below).
//
// For a UK Core profile the resource claims (or is named), ValidateProfiles
// also applies the rules genprofile writes into zz_rules.go from the
// profiles' and extensions' differentials (../shared/ukcore, June 2025
// staging commit; the UK Core differentials carry no snapshot):
//   - required and extensible bindings (preferred ones, which the HL7
//     validator reports only against base R4, are left out): the code SHALL
//     (required) or should (extensible) be in the value set (R4
//     codesystem-binding-strength.html); a CodeableConcept
//     passes when one of its codings is in it, a CodeableConcept with no
//     coding fails (the HL7 validator's reading). Value sets are expanded at
//     generation time from ../shared/ukcore/valuesets and codesystems and
//     the R4 definitions (include by concept list or by whole complete code
//     system, exclude, nested valueSet); a system included by filter or not
//     held there (SNOMED CT, UCUM, BCP-47) is asked of
//     ValidateOptions.Terminology, and without one the code is not judged.
//     OpenCompose gives a Terminology that part of the definition: the
//     includes and excludes on those systems (every filter's property, op
//     and value as written), and the value sets included by name (ValueSet
//     compose, R4 valueset.html#compose: an include's valueSet entries are
//     a union when it has no system; an exclude applies to the whole value
//     set, so a nested value set with one is named, not copied in).
//     snomed/fhirterm's Handler is such a Terminology over a SNOMED CT store.
//     Bindings to patient-fetalstatus and subscription-payload-content (R5
//     value sets, in neither folder) are not checked;
//   - fixed[x] and pattern[x] primitive values (R4
//     elementdefinition-definitions.html#ElementDefinition.fixed_x_: the
//     value SHALL be exactly this one; pattern[x] on a primitive is the same
//     test), and complex ones (patternCodeableConcept, fixedCoding,
//     patternQuantity, ...; #ElementDefinition.pattern_x_): every element
//     of a pattern SHALL be in the instance with that value, each item of a
//     pattern's array matching some item of the instance's (one and the
//     same item: a coding with both the system and the code), while a
//     complex fixed value SHALL be the instance exactly (the same elements,
//     item for item in order, nothing more). Primitive values inside are
//     compared as their text ("1.0" is not "1"). UK Core's differentials set
//     no complex fixed or pattern value (genprofile's
//     TestDifferentialCoverage would list one), R4's own constraint
//     profiles do (cholesterol, triglyceride, provenance-relevant-history),
//     none of which a UK Core profile derives from; synthetic profiles test
//     them (genprofile's testdata, TestSyntheticRules);
//   - slicing (R4 profiling.html#slicing and #discriminator): an element
//     belongs to the first slice whose value/pattern discriminator paths
//     hold the slice's fixed value, or whose type discriminator ($this)
//     matches its type; each slice's min..max and fixed values are checked,
//     and with rules = closed an element in no slice is an error. The rules
//     a differential sets inside a slice (cardinalities, fixed values,
//     required and extensible bindings, reference targets, and slicings
//     within the slice: component:SystolicBP.code.coding:loinc) apply to
//     that slice's elements only; a slice within a slice takes a
//     discriminator value it does not repeat from the same slice of the
//     unsliced element (component.code.coding:loinc.system), and is not
//     counted again when that outer slice already counts it with the same
//     min..max. Slices by system (identifier:nhsNumber) are counted by the
//     profile's cardinalities and carry the rules inside them
//     (identifier:nhsNumber.value 1..1, the verification status at most once). Extension
//     slices are told apart by url (the R4 Element definition slices
//     extension by value:url, open) and take the extension definition's own max.
//     Slices by system alone stay with the cardinalities. A value or
//     pattern discriminator may name a complex value (a category slice
//     by patternCodeableConcept on $this), matched as above. An exists
//     discriminator (R4 profiling.html#discriminator: at most two slices,
//     one with the element at max 0, the other at min 1 or more) puts an
//     element in the slice whose condition its path meets. A profile
//     discriminator ("the element conforms to the profile") is read here
//     as: the resource at the path (Bundle.entry.resource) claims the
//     profile in meta.profile, or claims a UK Core profile derived from
//     it, or the profile is the R4 definition of its type. The HL7
//     validator instead validates the element against each candidate
//     profile; claiming is what ValidateProfiles applies a profile on
//     anyway (ProfilesClaimed), costs no nested validation, and a
//     resource that claims a profile it breaks is reported by that
//     profile's own rules. A path through resolve() is not followed (the
//     slicing is then not closed-checked). Neither UK Core's
//     differentials nor R4's use an exists or profile discriminator:
//     synthetic profiles test them;
//   - reference targets (R4 references.html, ElementDefinition.type.
//     targetProfile): the type in a Type/id or absolute URL reference, in a
//     #id reference's contained resource, in the entry of the same Bundle
//     whose fullUrl a urn:uuid reference names, or in Reference.type, SHALL be the
//     type of one of the target profiles. A bare id ("abc", no Type/) is a
//     warning, as the HL7 validator gives it, from Validate;
//   - choice types: a value[x] the profile restricts to some types
//     (UKCore-Observation-VitalSigns-HeartRate: Quantity) SHALL be one of
//     them (rule id type); inside slices too;
//   - extensions' values: an extension whose Extension.value[x] has min 1
//     SHALL have a value, a complex one at least Extension.extension's min
//     sub-extensions (extension-value); a sub-extension's value[x] min,
//     required or extensible binding and target types, and extension 0..0,
//     are checked like the extension's own (sub-extension, binding-*,
//     reference-target);
//   - extension contexts (R4 defining-extensions.html#context, type
//     element): the element carrying the extension SHALL be the context
//     path, or of the context's data type; Element allows any, Resource and
//     DomainResource any resource root. A context names an element
//     definition, so an element defined by reference to it (R4
//     ElementDefinition.contentReference: Questionnaire.item.item is
//     defined as Questionnaire.item, OperationDefinition.parameter.part as
//     OperationDefinition.parameter) is in it, and so is a data type's
//     element wherever the type is used (ElementDefinition.binding inside
//     StructureDefinition.snapshot.element). Complex extensions (value[x]
//     0..0) hold only their own sub-extensions (relative url), each of the
//     types and min..max its definition gives, plus any by absolute URL.
//
// R4 core extensions (the 396 Extension definitions among the
// StructureDefinitions of ../shared/fhir-r4/definitions.tgz, all with
// element contexts; R4 extensibility.html and defining-extensions.html)
// are checked on every resource in every mode, ProfilesBase included, as
// the HL7 validator checks any extension whose definition it holds: the
// context (extension-context), the value's type against the definition's
// Extension.value[x] types and its presence when value[x] has min 1
// (extension-value), a complex one's sub-extensions (sub-extension), and
// the required or extensible binding and reference targets of the value
// (binding, binding-extensible, reference-target). genprofile reads them
// into zz_rules.go's coreExtensionRules with the reader UK Core's
// extensions go through. Not checked: the one core extension invariant
// beyond ele-1 and ext-1 (inv-1) and an extension's own max where it is
// used outside any slicing. For UK Core and R4 core extensions alike, one
// whose definition's root element is a modifier (isModifier:
// request-doNotPerform, capabilitystatement-prohibited; no UK Core one)
// SHALL be in modifierExtension and any other SHALL NOT (R4
// extensibility.html#modifierExtension; rule id extension-modifier, an
// error). Some of R4's own conformance resources carry core
// extensions outside the contexts those declare (structuredefinition-
// fhir-type on ElementDefinition.type rather than its code,
// structuredefinition-normative-version on ValueSet and CodeSystem, regex
// on ElementDefinition.type, valueset-concept-comments on
// CodeSystem.concept); they are reported as the definitions read, and
// TestValidateProfilesGolden records them.
//
// An extension on a primitive (JSON _birthDate.extension, XML
// birthDate/extension) is an Extension node like any other in the trees
// FHIRPath and ValidateProfiles use: its value[x] is value, ext-1 and the
// extension rules above apply to it (primitiveElement gives a primitive's
// children R4 Element's definition: id and extension).
//
// Parent profiles (R4 profiling.html#snapshot and
// StructureDefinition.baseDefinition: a profile holds its base's rules
// plus its differential's): 18 UK Core profiles derive from another UK
// Core profile, none from an R4 constraint profile and no extension from
// another extension (genprofile's TestBaseDefinitionChains):
// UKCore-Observation-VitalSigns and seven others (ACVPU, BloodGlucose,
// ...) from UKCore-Observation, the nine vital-sign profiles (BMI,
// BloodPressure, HeartRate, ...) from UKCore-Observation-VitalSigns, and
// UKCore-Device-BloodPressure from UKCore-Device. Every chain ends at the
// R4 resource itself, so claiming a UK Core vital-sign profile does not
// bring R4's vitalsigns profile (vs-1..3, its slices) with it: UK Core
// restates what it keeps of it. As UK Core publishes no snapshots,
// genprofile resolves the chain at generation time: a child's tables are
// its parent's effective differential with the child's applied element by
// element (what the child sets on an element id replaces the parent's,
// constraints add up, its slices of the parent's slicings join them), so
// a UKCore-Observation-VitalSigns-BMI resource needs the SNOMED CT coding
// UKCore-Observation-VitalSigns requires and its LOINC coding the code
// BMI fixes. A resource that claims a profile and its ancestor gets each
// issue once (the ancestor is skipped); a named profile is applied whole.
//
// Every rule a UK Core differential sets (min, max, fixed or pattern,
// binding, type, targetProfile, slicing) is enforced by the tables above
// but for these, which genprofile's TestDifferentialCoverage lists and
// explains: preferred and example bindings (see Bindings); the root
// element's own cardinality; Extension.value[x] types, which Validate
// checks from ukcore_extensions.go; value[x] max 1 (already R4's); the
// Observation-Lab code.coding
// slices named by their value sets (type discriminator); bindings to value
// sets held in neither folder; bindings on R5 cross-version sub-extension
// elements; and Reference(Any) targets.
//
// ValidateBytes adds the line and column of each issue's element as the
// HL7 validator does: the FHIR Extensions Pack's
// operationoutcome-issue-line and operationoutcome-issue-col
// (http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line,
// valueInteger) and a location "Line[l] Col[c]" after the expression.
// XML is read once: the element-order check and the positions use the
// elements that the strict parse behind UnmarshalXML kept (fhirxml.Element,
// each with where its start tag ends, the point a SAX locator reports),
// not a second and third pass of encoding/xml's tokens.
//
// Two rules are left unchecked on purpose. An extension whose definition
// has max 1 may appear twice on an element that no profile slices: the
// extension-definition page states the rule, but the HL7 validator does
// not apply it (hapifhir/org.hl7.fhir.core issue 1602, closed wontfix),
// and this package follows that validator. And inv-1 of the R4 core
// extension allergyintolerance-substanceExposureRisk
// ("substanceExposureRisk.exists() and code.empty()") is written for the
// AllergyIntolerance but placed on the extension, where it can never hold.
package fhir
