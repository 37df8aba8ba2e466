package idptest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/idptest"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

func Example() {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	idp := idptest.NewServer()
	defer idp.Close()
	idp.RegisterClient("api-key", "kid-1", &key.PublicKey)
	// A fake PDS that serves healthcare workers with the fake's tokens.
	srv := pdstest.NewServer(pdstest.WithUserTokens(idp.Valid))
	defer srv.Close()

	// The worker signed in with CIS2; the application holds their ID token.
	idToken, _ := idp.IDToken(idptest.User{Kind: idptest.CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
	tokens := &spine.UserRestricted{
		Client:  &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: key, TokenURL: idp.TokenURL},
		IDToken: func(context.Context) (string, error) { return idToken, nil },
	}
	client, _ := pds.New(pds.Config{BaseURL: srv.URL, Tokens: tokens, RoleID: "555254243107"})
	p, err := client.Get(context.Background(), pdstest.AlexSmith)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.NHSNumber.Masked(), idp.Stats().Exchanges)

	// The session ends: no ID token, no refresh token.
	idp.RevokeAccessTokens()
	idp.RevokeRefreshTokens()
	tokens.IDToken = func(context.Context) (string, error) { return "", errors.New("signed out") }
	_, err = client.Get(context.Background(), pdstest.AlexSmith)
	fmt.Println(errors.Is(err, spine.ErrSignInAgain))
	// Output:
	// *** *** 0018 1
	// true
}

// The first steps of a GP Connect supplier's flow, all against fakes: a
// CIS2 user's token, a PDS trace and NHS number check, and the patient's
// practice's endpoint from SDS.
func Example_supplierWalkthrough() {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	idp := idptest.NewServer()
	defer idp.Close()
	idp.RegisterClient("api-key", "kid-1", &key.PublicKey)
	pdsFake := pdstest.NewServer(pdstest.WithUserTokens(idp.Valid))
	defer pdsFake.Close()
	sdsFake := sdstest.NewServer()
	defer sdsFake.Close()
	sdsFake.Add(sds.Endpoint{ODSCode: "A81001", Interaction: gpconnect.InteractionSearchSlots,
		Address: "https://gp.example/A81001/STU3/1", ASID: "918999198993", PartyKey: "A81001-0000001"})
	ctx := context.Background()

	// 1. The healthcare worker's CIS2 ID token becomes a user-restricted token.
	tokens := &spine.UserRestricted{
		Client: &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: key, TokenURL: idp.TokenURL},
		IDToken: func(context.Context) (string, error) {
			return idp.IDToken(idptest.User{Kind: idptest.CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
		},
	}

	// 2. Trace the patient in PDS and check the NHS number they gave.
	people, _ := pds.New(pds.Config{BaseURL: pdsFake.URL, Tokens: tokens, RoleID: "555254243107"})
	q := pds.Query{Family: "SMITH", Given: []string{"Alex"}, BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	matches, err := people.Search(ctx, q)
	if err != nil || len(matches) != 1 {
		fmt.Println(len(matches), err)
		return
	}
	v, err := people.VerifyNHSNumber(ctx, matches[0].NHSNumber, q)
	if err != nil {
		fmt.Println(err)
		return
	}
	practice, _ := matches[0].GPPracticeODS()
	fmt.Println(matches[0].NHSNumber.Masked(), v.Verified, practice)

	// 3. Find the practice's GP Connect endpoint in SDS.
	dir, _ := sds.New(sds.Config{BaseURL: sdsFake.URL})
	ep, err := dir.Lookup(ctx, nhsid.ODSCode(practice), gpconnect.InteractionSearchSlots, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ep.Address, ep.ASID)
	// Output:
	// *** *** 0018 true A81001
	// https://gp.example/A81001/STU3/1 918999198993
}
