// Package sdstest is a fake Spine Directory Service FHIR API for tests: it
// answers /Device and /Endpoint searches from the systems registered with
// [Server.Add], checks the apikey header when one is set, and counts
// requests so a test can prove caching.
package sdstest
