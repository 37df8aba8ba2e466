// Package gpconnecttest is a fake GP Connect provider, a GP practice with a
// diary, for tests. [NewServer] starts it on loopback like
// httptest.NewServer; point a gpconnect.Client's BaseURL at [Server.URL].
// [NewUnstartedServer] returns it configured but not listening, for Start
// or StartTLS (then use [Server.Client], which trusts its certificate).
// Faults are injected with the methods every fake of this module shares:
// FailNext(n, status), Inject, SetFaultRate (seeded) and SetLatency.
//
// It checks every request the way the Spine Secure Proxy and a provider
// do: the SSP headers (a UUID trace id, the provider's ASID in Ssp-To, the
// interaction id that matches the operation) and the unsigned JWT
// (gpconnect.ParseToken's rules, its audience equal to the provider's
// endpoint and a scope that fits the operation). A request that fails a
// check gets the status and OperationOutcome the real services return and
// is recorded in [Server.Rejections], so a test can assert that everything
// its code sent was well formed.
//
// JWT rules follow the provider acceptance tests
// (nhsconnect/gpconnect-provider-testing, JWT.feature) and the audit page
// of the specification: iat may be up to 5 minutes ahead, exp must be iat
// + 300, a requesting_practitioner without an SDS role profile id or local
// identifier is accepted (the SDS user id, possibly UNK, is required), a
// missing claim is 400 BAD_REQUEST, and a requesting_* claim of another
// resourceType (or with an element its resource lacks) is 422
// INVALID_RESOURCE.
//
// The diary holds schedules of slots; booking is atomic, so two consumers
// booking one slot at once see exactly one success and one 409
// DUPLICATE_REJECTED. A booking's organisation must carry its ODS code and
// type. Amend and cancel need If-Match with the appointment's current
// ETag: 412 without one, 409 when it names another version or is
// malformed, as the provider acceptance tests expect (checked before
// anything else in the body), 422 INVALID_RESOURCE when a cancel changes
// more than the status and cancellation reason or an amend more than the
// description and comment. The fake stores what was booked whole (it
// reads and writes with fhir/stu3's lossless codec) and compares an amend
// or cancel with it element by element, unknown elements and extensions
// included, so a consumer that drops something it does not understand is
// refused. Cancelling frees the slots.
//
// Patients registered with [Server.AddPatient] can be found by NHS number,
// read by id, and have a synthetic structured record (with diary entries)
// and one synthetic document each ([Server.AddDocument] adds more). The
// structured record request is checked against the operation's rules
// (unknown parameters, whole dates, not-permitted combinations).
// $gpc.registerpatient verifies the patient against a stand-in for PDS
// holding the module's synthetic population ([Server.AddPDSRecord] adds
// people). Practitioners, the organisation and its location can be read
// and searched, and three CapabilityStatements are served: Foundations,
// Access Record Structured and Access Document, chosen by the interaction
// id as the SSP routes them.
package gpconnecttest
