package pds_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/fhir"
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

// Verify an NHS number someone gave against their demographics before
// trusting it.
func ExampleClient_VerifyNHSNumber() {
	srv := pdstest.NewServer()
	defer srv.Close()
	client, _ := pds.New(pds.Config{BaseURL: srv.URL})
	ctx := context.Background()
	q := pds.Query{Family: "SMITH", Given: []string{"Alex"}, Gender: "female", BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	v, err := client.VerifyNHSNumber(ctx, pdstest.AlexSmith, q)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Verified, v.Status)
	v, _ = client.VerifyNHSNumber(ctx, pdstest.SamJones, q)
	fmt.Println(v.Verified, v.Reason)
	// Output:
	// true 01
	// false other-nhs-number
}

// Create a record, and with it an NHS number, for a patient a search did
// not find.
func ExampleClient_Create() {
	srv := pdstest.NewServer()
	defer srv.Close()
	client, _ := pds.New(pds.Config{BaseURL: srv.URL})
	p := &fhir.Patient{
		Name:      []fhir.HumanName{{Use: fhir.Code{Value: "usual"}, Family: fhir.String{Value: "Edwards"}, Given: []fhir.String{{Value: "Jane"}}}},
		Gender:    fhir.Code{Value: "female"},
		BirthDate: fhir.Date{Value: "1982-07-10"},
		Address:   []fhir.Address{{Use: fhir.Code{Value: "home"}, Line: []fhir.String{{Value: "1 Trevelyan Square"}}, PostalCode: fhir.String{Value: "LS1 6AE"}}},
		Extension: []fhir.Extension{{URL: fhir.URI{Value: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-RegisteringAuthority"},
			Extension: []fhir.Extension{{URL: fhir.URI{Value: "organisationIdentifier"}, Value: &fhir.String{Value: "RGS"}}}}},
	}
	created, err := client.Create(context.Background(), p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(created.NHSNumber.Valid(), created.Version)
	_, err = client.Create(context.Background(), p)
	fmt.Println(errors.Is(err, pds.ErrSingleMatch))
	// Output:
	// true 1
	// true
}
