module github.com/nhskit/nhskit/bench

go 1.26.0

require (
	github.com/google/fhir/go v0.7.4
	github.com/google/simhospital v0.0.0-20230809162052-e69eef7de3c0
	github.com/kardianos/hl7 v1.1.2
	github.com/nhskit/nhskit v0.1.0
	github.com/nhskit/nhskit/booking/pgstore v0.1.0
	github.com/samply/golang-fhir-models/fhir-models v0.3.2
)

require (
	bitbucket.org/creachadair/stringset v0.0.9 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/golang/protobuf v1.4.3 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/pgx/v5 v5.7.5 // indirect
	github.com/jackc/puddle/v2 v2.2.2 // indirect
	github.com/json-iterator/go v1.1.10 // indirect
	github.com/konsorten/go-windows-terminal-sequences v1.0.2 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/serenize/snaker v0.0.0-20201027110005-a7ad2135616e // indirect
	github.com/sirupsen/logrus v1.4.2 // indirect
	golang.org/x/crypto v0.37.0 // indirect
	golang.org/x/sync v0.13.0 // indirect
	golang.org/x/sys v0.32.0 // indirect
	golang.org/x/text v0.24.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	google.golang.org/protobuf v1.25.0 // indirect
)

replace github.com/nhskit/nhskit => ../

replace github.com/nhskit/nhskit/booking/pgstore => ../booking/pgstore
