module github.com/nhskit/nhskit/bench

go 1.26.0

require (
	github.com/google/simhospital v0.0.0-20230809162052-e69eef7de3c0
	github.com/nhskit/nhskit v0.0.0
)

require (
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/konsorten/go-windows-terminal-sequences v1.0.2 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/sirupsen/logrus v1.4.2 // indirect
	golang.org/x/sys v0.20.0 // indirect
	golang.org/x/text v0.3.2 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/nhskit/nhskit => ../
