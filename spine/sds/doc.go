// Package sds looks up, through the Spine Directory Service FHIR API, where
// an organisation's system can be reached for an interaction: the
// endpoint address (for GP Connect, the practice's FHIR service root URL)
// and the ASID to send in Ssp-To. Answers are cached for a configurable
// lifetime in a bounded cache (least recently used first out), since they
// change rarely and every GP Connect call needs one; however many
// goroutines look up the same endpoint at once, SDS is asked once, on a
// fetch no one caller's context cancels. The Endpoint search is narrowed
// by the party key the Device search returned, so an organisation with
// several endpoints but one accredited system for the interaction
// resolves.
//
// Package sdstest is a fake SDS to test against.
//
// # Facts relied on
//
// From the Spine Directory Service FHIR API
// (https://digital.nhs.uk/developer/api-catalogue/spine-directory-service-fhir,
// repository NHSDigital/spine-directory-service-api) and the NHS Digital
// FHIR guidance on SDS interactions
// (https://simplifier.net/guide/nhsdigital/Home/Guidance/SDS-Interactions):
//
//   - The base path is /spine-directory/FHIR/R4 on the API platform hosts
//     (sandbox.api.service.nhs.uk, int.api.service.nhs.uk,
//     api.service.nhs.uk); requests carry the application's key in the
//     apikey header and may carry X-Correlation-Id.
//   - GET /Device?organization=https://fhir.nhs.uk/Id/ods-organization-code|{ods}&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId|{interaction}
//     returns a searchset Bundle of Device resources (accredited systems);
//     the ASID is the Device identifier with system
//     https://fhir.nhs.uk/Id/nhsSpineASID and the party key the one with
//     https://fhir.nhs.uk/Id/nhsMhsPartyKey.
//   - GET /Endpoint with the same parameters (optionally also
//     identifier=https://fhir.nhs.uk/Id/nhsMhsPartyKey|{key}) returns
//     Endpoint resources whose address is the endpoint URL (for GP Connect,
//     the provider's FHIR service root, LDAP attribute nhsMhsEndPoint).
package sds
