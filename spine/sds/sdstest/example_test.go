package sdstest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

func Example() {
	srv := sdstest.NewServer(sdstest.WithAPIKey("test-key")) // checks the apikey header, as SDS does
	defer srv.Close()
	srv.Add(sds.Endpoint{ODSCode: "B82002", Interaction: "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1", Address: "https://gp2.example.nhs.uk/fhir", ASID: "918999198994"})

	const interaction = "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1"
	wrong, _ := sds.New(sds.Config{BaseURL: srv.URL, APIKey: "wrong"})
	_, err := wrong.Lookup(context.Background(), "B82002", interaction, "")
	var apiErr *spine.APIError
	fmt.Println(errors.As(err, &apiErr), apiErr.StatusCode)

	client, _ := sds.New(sds.Config{BaseURL: srv.URL, APIKey: "test-key"})
	ep, err := client.Lookup(context.Background(), "B82002", interaction, "")
	fmt.Println(ep.ASID, err)
	_, err = client.Lookup(context.Background(), "Y00000", interaction, "")
	fmt.Println(errors.Is(err, sds.ErrNotFound))
	// Output:
	// true 401
	// 918999198994 <nil>
	// true
}
