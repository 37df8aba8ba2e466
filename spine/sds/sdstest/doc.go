// Package sdstest is a fake Spine Directory Service FHIR API for tests: it
// answers /Device and /Endpoint searches from the systems registered with
// [Server.Add], checks the apikey header when [WithAPIKey] is given, and
// counts requests so a test can prove caching. Like httptest,
// [NewUnstartedServer] returns it configured but not listening; Start or
// StartTLS start it, and [NewServer] does both. Faults are injected with
// the methods every fake of this module shares: FailNext(n, status),
// Inject, SetFaultRate (seeded) and SetLatency.
package sdstest
