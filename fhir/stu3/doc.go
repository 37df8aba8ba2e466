// Package stu3 holds the FHIR STU3 (3.0.1) models that GP Connect 1.x
// speaks: every STU3 resource and datatype, generated like package fhir's
// R4 models by fhir/internal/gen from stu3.def, with the same lossless JSON
// codec (fhir/internal/fhirjson and the generated zz_runtime.go).
//
// A resource read and written again is the same JSON, key order aside:
// primitive extensions (_birthDate), decimals as written, contained
// resources, every choice type value[x], and members the model does not
// know (kept in Unknown, in order). Unmarshal dispatches on resourceType;
// a type STU3 does not define is kept as a *RawResource.
//
//	r, err := stu3.Unmarshal(body)
//	if err != nil { ... } // a *stu3.DecodeError with the element's path and offset
//	b, ok := r.(*stu3.Bundle)
//
// Errors are the same values as package fhir's (stu3.ErrSyntax is
// fhir.ErrSyntax), so errors.Is works across both. Narrative divs are
// checked as restricted XHTML, as in R4.
//
// FHIR XML (https://hl7.org/fhir/STU3/xml.html): UnmarshalXML, MarshalXML,
// XMLToJSON and JSONToXML are package fhir's codec (fhir/internal/fhirxml)
// over the STU3 element tables (zz_meta.go), so XML is as lossless as
// JSON; a member kept in Unknown has no place in XML and is refused
// (*XMLError), not dropped. The official STU3 resources survive
// JSON -> XML -> JSON exactly (TestOfficialExamples).
//
// Not here (yet): validation and FHIRPath, which package fhir has for R4
// only.
//
// # Sources
//
//   - The definitions: the official STU3 StructureDefinitions, ValueSets
//     and CodeSystems as the npm package fhir@3.2.0 carries them
//     (profiles/stu3/profiles-types.json, profiles-resources.json,
//     valuesets.json, v3-codesystems.json, v2-tables.json; FHIR 3.0.1,
//     https://hl7.org/fhir/STU3/). stu3.def is extracted from them by
//     `go run ../internal/gen -version stu3 -def ../internal/gen/stu3.def -sync DIR`
//     and checked against them by TestSTU3DefMatchesDefinitions when
//     NHSKIT_FHIR_STU3 names the unpacked package.
//   - CareConnect and GP Connect extensions (gpconnect.go): the URLs and
//     value types of the GP Connect 1.x specification
//     (https://nhsconnect.github.io/gpconnect/; Appointment Management's
//     Slot and Appointment: DeliveryChannel-2 valueCode, PractitionerRole-1
//     valueCodeableConcept, BookingOrganisation-1 valueReference to a
//     contained Organization, AppointmentCancellationReason-1 valueString)
//     and of Access Record: Structured
//     (https://simplifier.net/guide/gp-connect-access-record-structured,
//     its response examples: CareConnect-GPC-RegistrationDetails-1 with a
//     registrationPeriod valuePeriod part, CareConnect-GPC-
//     NHSNumberVerificationStatus-1 valueCodeableConcept on the NHS number
//     identifier; the GP Connect Data Model's
//     Extension-CareConnect-GPC-MedicationRepeatInformation-1,
//     https://simplifier.net/guide/gpconnect-data-model: parts
//     numberOfRepeatPrescriptionsAllowed and …Issued as valueUnsignedInt,
//     authorisationExpiryDate as valueDateTime). testdata/
//     structured-record.json is a synthetic structured record in that
//     shape (NHS number 999…, made-up names).
//   - Identifier systems (gpconnect.go): GP Connect's Foundations design
//     ("Business identifiers": NHS number https://fhir.nhs.uk/Id/nhs-number
//     on Patient, ODS code https://fhir.nhs.uk/Id/ods-organization-code on
//     Organization; https://developer.nhs.uk/apis/gpconnect-0-7-1/foundations_design.html)
//     and the UK naming systems index
//     (https://simplifier.net/guide/UKNamingSystems); Organization.type
//     from https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1
//     as the booking organisation carries it (Appointment Management,
//     book an appointment).
//   - Values (values.go): an instant is a full date and time to the
//     second, fractions optional, with Z or an offset
//     (https://hl7.org/fhir/STU3/datatypes.html#instant); a literal
//     reference is [base/]Type/id[/_history/version]
//     (https://hl7.org/fhir/STU3/references.html).
//   - Narrative: STU3 Narrative.div is XHTML in the XHTML namespace with
//     the basic HTML formatting elements only, no scripts or event
//     attributes (https://hl7.org/fhir/STU3/narrative.html, txt-1, txt-2).
package stu3
