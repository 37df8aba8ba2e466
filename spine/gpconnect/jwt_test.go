package gpconnect_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

// claimsMap returns the payload of a well-formed token for aud at now as a
// map a test can tamper with.
func claimsMap(t *testing.T, aud, scope string, now time.Time) map[string]any {
	t.Helper()
	r := requester()
	c, err := gpconnect.NewClaims(&r, aud, scope, now)
	require.NoError(t, err)
	b, err := json.Marshal(c)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// unsigned encodes m as an unsigned JWT, the way a consumer library would.
func unsigned(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(b) + "."
}

func TestNewClaimsRequestingPractitioner(t *testing.T) {
	r := requester()
	r.Practitioner.SDSUserID, r.Practitioner.SDSRoleProfileID = "", ""
	c, err := gpconnect.NewClaims(&r, "https://p/A81001/STU3/1", gpconnect.ScopePatientRead, time.Unix(1_800_000_000, 0))
	require.NoError(t, err)
	ident := func(system, value string) stu3.Identifier {
		return stu3.Identifier{System: stu3.URI{Value: system}, Value: stu3.String{Value: value}}
	}
	assert.Equal(t, []stu3.Identifier{
		ident(gpconnect.SystemSDSUserID, gpconnect.UnknownSDSID),
		ident(gpconnect.SystemSDSRoleProfileID, gpconnect.UnknownSDSID),
		ident("https://consumer.example.nhs.uk/Id/user-guid", "98ed4f78-814d-4266-8d5b-cde742f3093c"),
	}, c.RequestingPractitioner.Identifier, "a user without a smartcard is UNK; the local id is always sent")
	tok, err := c.Token()
	require.NoError(t, err)
	payload, err := base64.RawURLEncoding.DecodeString(splitPayload(tok))
	require.NoError(t, err)
	assert.NotContains(t, string(payload), "requested_record", "requested_record was removed from the 1.x JWT")
}

func splitPayload(tok string) string {
	for i, j := 0, 0; i < len(tok); i++ {
		if tok[i] == '.' {
			if j == 0 {
				j = i + 1
				continue
			}
			return tok[j:i]
		}
	}
	return ""
}

// The fake judges tokens as the provider acceptance tests expect a
// provider to.
func TestFakeJWTRules(t *testing.T) {
	now := time.Now()
	srv := gpconnecttest.NewServer(gpconnecttest.WithClock(func() time.Time { return now }))
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		mod    func(m map[string]any)
		status int
		code   string
	}{
		{"well formed", func(map[string]any) {}, 200, ""},
		{"iat 200 s ahead", func(m map[string]any) {
			m["iat"] = now.Add(200 * time.Second).Unix()
			m["exp"] = now.Add(500 * time.Second).Unix()
		}, 200, ""},
		{"iat 6 minutes ahead", func(m map[string]any) {
			m["iat"] = now.Add(6 * time.Minute).Unix()
			m["exp"] = now.Add(11 * time.Minute).Unix()
		}, 400, "BAD_REQUEST"},
		{"exp 301 s after iat", func(m map[string]any) { m["exp"] = m["iat"].(float64) + 301 }, 400, "BAD_REQUEST"},
		{"scope with conf/N", func(m map[string]any) { m["requested_scope"] = "organization/*.read conf/N" }, 200, ""},
		{"no sds role profile id or local id", func(m map[string]any) {
			p := m["requesting_practitioner"].(map[string]any)
			p["identifier"] = []any{map[string]any{"system": gpconnect.SystemSDSUserID, "value": "UNK"}}
		}, 200, ""},
		{"no sds user id", func(m map[string]any) {
			p := m["requesting_practitioner"].(map[string]any)
			p["identifier"] = []any{map[string]any{"system": gpconnect.SystemSDSRoleProfileID, "value": "1"}}
		}, 400, "BAD_REQUEST"},
		{"no requesting_device", func(m map[string]any) { delete(m, "requesting_device") }, 400, "BAD_REQUEST"},
		{"device resourceType", func(m map[string]any) {
			m["requesting_device"].(map[string]any)["resourceType"] = "InvalidResourceType"
		}, 422, "INVALID_RESOURCE"},
		{"practitioner resourceType", func(m map[string]any) {
			m["requesting_practitioner"].(map[string]any)["resourceType"] = "InvalidResourceType"
		}, 422, "INVALID_RESOURCE"},
		{"organization resourceType", func(m map[string]any) {
			m["requesting_organization"].(map[string]any)["resourceType"] = "Patient"
		}, 422, "INVALID_RESOURCE"},
		{"device with an unknown element", func(m map[string]any) {
			m["requesting_device"].(map[string]any)["colour"] = "blue"
		}, 422, "INVALID_RESOURCE"},
		{"organization without an ods code", func(m map[string]any) {
			delete(m["requesting_organization"].(map[string]any), "identifier")
		}, 400, "BAD_REQUEST"},
		{"sub differs from practitioner id", func(m map[string]any) { m["sub"] = "someone-else" }, 400, "BAD_REQUEST"},
		{"reason not directcare", func(m map[string]any) { m["reason_for_request"] = "notdirectcare" }, 400, "BAD_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := claimsMap(t, srv.URL, gpconnect.ScopeOrganizationRead, now)
			tt.mod(m)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/metadata", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+unsigned(t, m))
			req.Header.Set(gpconnect.HeaderTraceID, httpx.NewUUID())
			req.Header.Set(gpconnect.HeaderFrom, "200000000359")
			req.Header.Set(gpconnect.HeaderTo, srv.ASID)
			req.Header.Set(gpconnect.HeaderInteractionID, gpconnect.InteractionMetadata)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.code != "" {
				raw, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				oo := new(stu3.OperationOutcome)
				require.NoError(t, stu3.UnmarshalInto(raw, oo))
				require.NotEmpty(t, oo.Issue)
				require.NotNil(t, oo.Issue[0].Details)
				assert.Equal(t, tt.code, oo.Issue[0].Details.Coding[0].Code.Value)
			}
		})
	}
}
