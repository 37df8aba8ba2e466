module github.com/nhskit/nhskit/bench

go 1.26.0

require github.com/nhskit/nhskit v0.0.0

require (
	github.com/google/fhir/go v0.7.4 // indirect
	github.com/google/simhospital v0.0.0-20230809162052-e69eef7de3c0 // indirect
	github.com/kardianos/hl7 v1.1.2 // indirect
	github.com/konsorten/go-windows-terminal-sequences v1.0.2 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/samply/golang-fhir-models/fhir-models v0.3.2 // indirect
	github.com/sirupsen/logrus v1.4.2 // indirect
	golang.org/x/sys v0.0.0-20200223170610-d5e6a3e2c0ae // indirect
	golang.org/x/text v0.3.2 // indirect
)

replace github.com/nhskit/nhskit => ../
