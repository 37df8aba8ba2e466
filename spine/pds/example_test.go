package pds_test

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/time/rate"

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

	// An update needs a healthcare worker's (CIS2) access, which the fake
	// grants without a token; a change inside a list item names its id.
	updated, err := client.Update(ctx, p.NHSNumber, p.Version,
		pds.Patch{Op: "replace", Path: "/address/0/id", Value: p.Address[0].ID},
		pds.Patch{Op: "replace", Path: "/address/0/postalCode", Value: "LS2 9JT"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(updated.Version, updated.Address[0].PostalCode.Value)

	_, err = client.Update(ctx, p.NHSNumber, p.Version, pds.Patch{Op: "replace", Path: "/gender", Value: "other"})
	fmt.Println(errors.Is(err, spine.ErrResourceVersionMismatch))
	// Output:
	// true *** *** 0018 1
	// 2 LS2 9JT
	// true
}

func Example_sharedLimitAndRequestIDs() {
	srv := pdstest.NewServer()
	defer srv.Close()
	// PDS counts its 5 transactions per second per application: clients
	// that spend one application's quota share one limiter.
	quota := rate.NewLimiter(pds.DefaultRequestsPerSecond, 1)
	traces, _ := pds.New(pds.Config{BaseURL: srv.URL, Limiter: quota})
	updates, _ := pds.New(pds.Config{BaseURL: srv.URL, Limiter: quota})
	_ = updates

	// The record of a call, and the ids a service desk asks for.
	var rec spine.Response
	ctx := spine.WithCorrelationID(context.Background(), "referral-42")
	_, err := traces.Get(spine.WithResponse(ctx, &rec), "9990000085")
	var apiErr *spine.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.CorrelationID)
		fmt.Println(apiErr.RequestID == rec.RequestID, rec.Attempts)
	}
	// Output:
	// 404 RESOURCE_NOT_FOUND referral-42
	// true 1
}
