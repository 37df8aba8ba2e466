//go:build !race

package fhir

const raceEnabled = false

const r4RaceStep = 1
