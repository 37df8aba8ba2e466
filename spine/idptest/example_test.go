package idptest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/idptest"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
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
