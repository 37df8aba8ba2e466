package pds_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

func Example() {
	srv := pdstest.NewServer() // a fake PDS on loopback, seeded with synthetic patients
	defer srv.Close()
	client, err := pds.New(pds.Config{BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	p, err := client.Get(ctx, pdstest.SupersededNHSNumber)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Superseded, p.NHSNumber.Masked(), p.Version)

	updated, err := client.Update(ctx, p.NHSNumber, p.Version, pds.Patch{Op: "replace", Path: "/address/0/postalCode", Value: "LS2 9JT"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(updated.Version, updated.Address[0].PostalCode.Value)

	_, err = client.Update(ctx, p.NHSNumber, p.Version, pds.Patch{Op: "remove", Path: "/telecom/0"})
	fmt.Println(errors.Is(err, spine.ErrResourceVersionMismatch))
	// Output:
	// true *** *** 0018 1
	// 2 LS2 9JT
	// true
}
