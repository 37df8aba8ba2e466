package sdstest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

func Example() {
	srv := sdstest.NewServer()
	defer srv.Close()
	srv.APIKey = "test-key" // the fake then checks the apikey header, as SDS does
	srv.Add(sds.Endpoint{ODSCode: "B82002", Interaction: "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1", Address: "https://gp2.example.nhs.uk/fhir", ASID: "918999198994"})

	_, err := sds.New(sds.Config{BaseURL: srv.URL, APIKey: "wrong"}).Lookup(context.Background(), "B82002", "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1", "")
	fmt.Println(err != nil)
	ep, err := sds.New(sds.Config{BaseURL: srv.URL, APIKey: "test-key"}).Lookup(context.Background(), "B82002", "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1", "")
	fmt.Println(ep.ASID, err)
	_, err = sds.New(sds.Config{BaseURL: srv.URL, APIKey: "test-key"}).Lookup(context.Background(), "Y00000", "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1", "")
	fmt.Println(errors.Is(err, sds.ErrNotFound))
	// Output:
	// true
	// 918999198994 <nil>
	// true
}
