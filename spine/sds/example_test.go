package sds_test

import (
	"context"
	"fmt"

	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

func Example() {
	directory := sdstest.NewServer() // a fake SDS FHIR API
	defer directory.Close()
	const interaction = "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"
	directory.Add(sds.Endpoint{ODSCode: "A81001", Interaction: interaction, Address: "https://gp.example.nhs.uk/fhir", ASID: "918999198993"})

	client, err := sds.New(sds.Config{BaseURL: directory.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		ep, err := client.Lookup(context.Background(), "A81001", interaction, "")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ep.Address, ep.ASID)
	}
	fmt.Println("requests:", directory.Requests()) // the second answer came from the cache
	// Output:
	// https://gp.example.nhs.uk/fhir 918999198993
	// https://gp.example.nhs.uk/fhir 918999198993
	// requests: 2
}
