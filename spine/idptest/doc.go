// Package idptest is a fake identity provider and API platform token
// endpoint for tests of user-restricted access: it mints the ID tokens
// that NHS CIS2 Authentication (healthcare workers) or NHS login
// (citizens) would give an application after the user signs in, and
// exchanges them, as the NHS API platform's OAuth 2.0 server does, for
// user-restricted access tokens that a fake API accepts (pass Valid to
// pdstest.WithUserTokens).
//
//	idp := idptest.NewServer()
//	defer idp.Close()
//	idp.RegisterClient(apiKey, kid, &key.PublicKey)
//	idToken, _ := idp.IDToken(idptest.User{Kind: idptest.CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
//	tokens := &spine.UserRestricted{
//		Client:  &spine.AppRestricted{APIKey: apiKey, KeyID: kid, PrivateKey: key, TokenURL: idp.TokenURL},
//		IDToken: func(context.Context) (string, error) { return idToken, nil },
//	}
//
// # Facts relied on
//
//   - The separate authentication and authorisation pattern: the
//     application authenticates the user with the identity provider
//     (OIDC), then POSTs to the platform's /oauth2/token with grant_type
//     urn:ietf:params:oauth:grant-type:token-exchange, subject_token_type
//     urn:ietf:params:oauth:token-type:id_token, subject_token the ID token,
//     and a signed JWT client assertion (client_assertion_type
//     urn:ietf:params:oauth:client-assertion-type:jwt-bearer); the answer
//     carries access_token, expires_in (a string, "599"), token_type Bearer
//     and issued_token_type urn:ietf:params:oauth:token-type:access_token
//     (NHS England, "User-restricted RESTful APIs - CIS2 separate
//     authentication and authorisation" and "... - NHS login separate
//     authentication and authorisation",
//     https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation;
//     RFC 8693 sections 2.1, 2.2 and 3).
//   - The client assertion: RS512, kid header, iss and sub the API key, aud
//     the token URL, a unique jti, exp at most five minutes ahead
//     ("Application-restricted RESTful APIs - signed JWT authentication",
//     same site); the fake refuses a reused jti.
//   - ID token claims: iss, aud, sub, iat, exp (OpenID Connect Core 1.0
//     section 2); CIS2 adds its assurance levels and the selected role
//     (selected_roleid), NHS login the identity_proofing_level (P9 for
//     full verification) and nhs_number (NHS login interface
//     specification, https://developer.nhs.uk/library/systems/nhs-login-info-suppliers/eis/).
//     The fake signs with RS256 and publishes its key as a JWKS.
//
// Doubts: the platform's answers to a refresh of a user-restricted token
// are not all published for the separate pattern; the fake issues a
// refresh_token (refresh_token_expires_in in seconds, as a string) that is
// used once with grant_type refresh_token and the client assertion, and
// answers 400 invalid_grant to a spent one. Its error descriptions are its
// own.
package idptest
