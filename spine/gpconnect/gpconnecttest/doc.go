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
// The diary holds schedules of slots; booking is atomic, so two consumers
// booking one slot at once see exactly one success and one 409
// DUPLICATE_REJECTED. Cancelling frees the slots. Patients registered with
// [Server.AddPatient] can be found by NHS number and have a synthetic
// structured record.
package gpconnecttest
