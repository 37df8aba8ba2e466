//go:build race

package fhir

// raceEnabled: under the race detector sync.Pool drops items at random, so
// allocation counts mean nothing.
const raceEnabled = true

// r4RaceStep: the tests over the 5,298 R4 examples take every r4RaceStep-th
// under -race (minutes otherwise); .ci/run runs them whole without it.
const r4RaceStep = 10
