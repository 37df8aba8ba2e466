package spine_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/idptest"
)

func ExampleParseAPIError() {
	body := []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",
		"details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","code":"RESOURCE_NOT_FOUND"}]}}]}`)
	err := error(spine.ParseAPIError(http.StatusNotFound, http.Header{}, body, "6f1c1b7e-3b8e-4a52-9d43-2b0d8b1c6a11"))
	fmt.Println(errors.Is(err, spine.ErrResourceNotFound))
	fmt.Println(err)
	fmt.Println(spine.Integration.TokenURL())
	// Output:
	// true
	// spine: status 404 RESOURCE_NOT_FOUND (request id 6f1c1b7e-3b8e-4a52-9d43-2b0d8b1c6a11)
	// https://int.api.service.nhs.uk/oauth2/token
}

// A healthcare worker signed in with CIS2: their ID token is exchanged for
// a user-restricted access token, here against the fake identity provider
// of spine/idptest.
func ExampleUserRestricted() {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	idp := idptest.NewServer()
	defer idp.Close()
	idp.RegisterClient("api-key", "kid-1", &key.PublicKey)

	tokens := &spine.UserRestricted{
		Client: &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: key, TokenURL: idp.TokenURL},
		IDToken: func(context.Context) (string, error) {
			// In an application: the ID token CIS2 returned at sign-in.
			return idp.IDToken(idptest.User{Kind: idptest.CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
		},
	}
	tok, err := tokens.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	user, _ := idp.UserOf(tok.AccessToken)
	fmt.Println(user.RoleProfileID, tok.Expiry.After(time.Now()))
	fmt.Println(strings.Contains(fmt.Sprint(tok), tok.AccessToken)) // the secret stays out of prints and logs
	// Output:
	// 555254243107 true
	// false
}
