package pdstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/nhsid"
)

// sandboxServer holds the sandbox's published patients, on a day within
// their names' and addresses' periods (2024-01-01 to 2025-12-31).
func sandboxServer(t *testing.T) *Server {
	t.Helper()
	srv := NewServer(WithoutSeed(), WithClock(func() time.Time { return time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) }))
	t.Cleanup(srv.Close)
	for _, name := range []string{"Patient.json", "Patient-Jayne-Smyth.json", "Minimal_Patient.json"} {
		require.NoError(t, srv.AddPatientJSON(mock(t, name)))
	}
	// PatientCompoundName.json is a search bundle: its patient is the data.
	// Its NHS number, 9000000015, fails the modulus 11 check, which no
	// record in PDS does: it is held here as 9000000041.
	var b struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	require.NoError(t, json.Unmarshal(mock(t, "PatientCompoundName.json"), &b))
	data, _ := json.Marshal(b.Entry[0].Resource)
	data = []byte(strings.ReplaceAll(string(data), "9000000015", compoundNHS))
	require.NoError(t, srv.AddPatientJSON(data))
	// The restricted patient the sandbox's search scenario finds is the one
	// of Sensitive_PatientSearch.json (born 2005-06-16). That file is an
	// answer, with the location data PDS removes already gone; the scenario
	// searches by email and phone, which PDS holds, so they are put back.
	require.NoError(t, json.Unmarshal(mock(t, "Sensitive_PatientSearch.json"), &b))
	restricted := b.Entry[0].Resource
	restricted["telecom"] = []any{
		map[string]any{"id": "789", "system": "phone", "value": "01632960587", "use": "home"},
		map[string]any{"id": "790", "system": "email", "value": "janet.smythe@example.com", "use": "home"},
	}
	data, _ = json.Marshal(restricted)
	require.NoError(t, srv.AddPatientJSON(data))
	return srv
}

// compoundNHS is the compound-name patient's number here.
const compoundNHS = "9000000041"

var ridN = 0

// newRID returns a request id not used before in this test binary.
func newRID() string {
	ridN++
	return "5b7c3f0e-9d2a-4e1b-8c4d-" + strings.Repeat("0", 12-len(itoa(ridN))) + itoa(ridN)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

type searchAnswer struct {
	Total int `json:"total"`
	Entry []struct {
		Search   struct{ Score float64 } `json:"search"`
		Resource map[string]any          `json:"resource"`
	} `json:"entry"`
}

func search(t *testing.T, srv *Server, q url.Values, header map[string]string) (int, searchAnswer, []byte) {
	t.Helper()
	h := map[string]string{"X-Request-ID": newRID()}
	for k, v := range header {
		h[k] = v
	}
	resp, body := call(t, "GET", srv.URL+"/Patient?"+q.Encode(), nil, h)
	var a searchAnswer
	_ = json.Unmarshal(body, &a)
	return resp.StatusCode, a, body
}

// The search scenarios the PDS specification publishes for its sandbox
// (patient-search.yaml, "Sandbox testing"), against the sandbox's own
// patients.
func TestSandboxSearchScenarios(t *testing.T) {
	srv := sandboxServer(t)
	base := url.Values{"family": {"Smith"}, "gender": {"female"}, "birthdate": {"eq2010-10-22"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = slices.Clone(vs)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	wild := url.Values{"family": {"Sm*"}, "gender": {"female"}, "birthdate": {"eq2010-10-22"}}
	tests := []struct {
		name   string
		q      url.Values
		status int
		ids    []string // the patients found, best first
	}{
		{"basic search with phone and email", with(base, "email", "jane.smith@example.com", "phone", "01632960587"), 200, []string{"9000000009"}},
		{"basic search, other phone and email", with(base, "email", "deb.trotter@example.com", "phone", "0121111111"), 200, nil},
		{"wildcard search without phone or email", wild, 200, []string{"9000000009", "9000000017"}},
		{"wildcard search with phone and email", with(wild, "email", "jane.smith@example.com", "phone", "01632960587"), 200, []string{"9000000009"}},
		{"limited results", with(wild, "email", "jane.smith@example.com", "phone", "01632960587", "_max-results", "1"), 200, []string{"9000000009"}},
		{"date range", url.Values{"family": {"Smith"}, "gender": {"female"}, "birthdate": {"ge2010-10-21", "le2010-10-23"}, "email": {"jane.smith@example.com"}, "phone": {"01632960587"}}, 200, []string{"9000000009"}},
		{"fuzzy search with phone and email", with(base, "given", "Jane", "email", "jane.smith@example.com", "phone", "01632960587", "_fuzzy-match", "true"), 200, []string{"9000000009"}},
		{"fuzzy search without phone or email", with(base, "given", "Jane", "_fuzzy-match", "true"), 200, []string{"9000000009"}},
		{"restricted patient", url.Values{"family": {"Smythe"}, "given": {"Janet"}, "gender": {"female"}, "birthdate": {"eq2005-06-16"}, "email": {"janet.smythe@example.com"}, "phone": {"01632960587"}}, 200, []string{"9000000025"}},
		{"compound name", url.Values{"family": {"Smith"}, "given": {"John Paul", "James"}, "gender": {"male"}, "birthdate": {"eq2010-10-22"}, "email": {"johnp.smith@example.com"}, "phone": {"01632960587"}}, 200, []string{compoundNHS}},
		{"invalid parameter", with(wild, "invalidParam", "123", "email", "j.smith@example.com", "phone", "0163"), 400, nil},
		{"email and phone only", url.Values{"email": {"j.smith@example.com"}, "phone": {"0163"}}, 400, nil},
		{"invalid date format", url.Values{"family": {"Smith"}, "birthdate": {"22-10-2010"}}, 400, nil},
		{"too few parameters", url.Values{"given": {"Jane"}, "_fuzzy-match": {"true"}}, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, a, body := search(t, srv, tt.q, nil)
			require.Equal(t, tt.status, status, "%s", body)
			if status != 200 {
				spineCode(t, body)
				return
			}
			var ids []string
			for i, e := range a.Entry {
				ids = append(ids, e.Resource["id"].(string))
				assert.Greater(t, e.Search.Score, 0.0)
				assert.LessOrEqual(t, e.Search.Score, 1.0)
				if i > 0 {
					assert.LessOrEqual(t, e.Search.Score, a.Entry[i-1].Search.Score, "best first")
				}
			}
			assert.Equal(t, tt.ids, ids)
			assert.Equal(t, len(tt.ids), a.Total)
		})
	}
	// The wildcard scenario scores as the Node.js sandbox answers it.
	_, a, _ := search(t, srv, wild, nil)
	require.Len(t, a.Entry, 2)
	for _, e := range a.Entry {
		assert.Equal(t, 0.8343, e.Search.Score)
	}
	// The restricted patient comes without its location data.
	_, a, _ = search(t, srv, tests[8].q, nil)
	require.Len(t, a.Entry, 1)
	assert.NotContains(t, a.Entry[0].Resource, "telecom")
	assert.NotContains(t, a.Entry[0].Resource, "address")
}

// Scores: 1 only for an exact match; a wildcard, a range, a homophone or a
// later given name that is not recorded lower it.
func TestSearchScores(t *testing.T) {
	srv := sandboxServer(t)
	tests := []struct {
		q     string
		id    string
		score float64
	}{
		{"family=Smith&given=Jane&birthdate=eq2010-10-22", "9000000009", 1},
		{"family=SMITH&given=jane&birthdate=eq2010-10-22", "9000000009", 1},
		{"family=Sm*h&given=Jane&birthdate=eq2010-10-22", "9000000009", 0.8343},
		{"family=Smith&given=Jane&birthdate=ge2010-10-01&birthdate=le2010-10-31", "9000000009", 0.95},
		{"family=Smithe&given=Jane&birthdate=eq2010-10-22&_fuzzy-match=true", "9000000009", 0.75},
		{"family=Jane&given=Smith&birthdate=eq2010-10-22&_fuzzy-match=true", "9000000009", 0.75},
		{"family=Smith&given=John Paul&given=James&birthdate=eq2010-10-22", compoundNHS, 0.9},
		{"family=Smith&given=John*&birthdate=eq2010-10-22", compoundNHS, 0.8343},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(strings.ReplaceAll(tt.q, " ", "%20"))
		require.NoError(t, err)
		status, a, body := search(t, srv, q, nil)
		require.Equal(t, 200, status, "%s", body)
		require.Len(t, a.Entry, 1, tt.q)
		assert.Equal(t, tt.id, a.Entry[0].Resource["id"], tt.q)
		assert.Equal(t, tt.score, a.Entry[0].Search.Score, tt.q)
	}
	// A wildcard matches the start of the first given name only.
	status, a, _ := search(t, srv, url.Values{"family": {"Smith"}, "given": {"Pau*"}, "birthdate": {"eq2010-10-22"}}, nil)
	require.Equal(t, 200, status)
	assert.Empty(t, a.Entry)
	// _exact-match leaves out what is not exact.
	status, a, _ = search(t, srv, url.Values{"family": {"Sm*"}, "birthdate": {"eq2010-10-22"}, "_exact-match": {"true"}}, nil)
	require.Equal(t, 200, status)
	assert.Empty(t, a.Entry)
}

// Application-restricted access: at most one result, _max-results other
// than 1 refused with 403 INVALID_VALUE, and no updates or creations.
func TestApplicationRestrictedMode(t *testing.T) {
	srv := NewServer(WithApplicationRestricted())
	defer srv.Close()
	q := url.Values{"family": {"SMITH"}, "birthdate": {"eq1980-01-01"}}
	status, a, _ := search(t, srv, q, nil)
	require.Equal(t, 200, status)
	assert.Len(t, a.Entry, 1)
	for _, max := range []string{"2", "50"} {
		q.Set("_max-results", max)
		status, _, body := search(t, srv, q, nil)
		assert.Equal(t, 403, status)
		assert.Equal(t, "INVALID_VALUE", spineCode(t, body))
		var o oo
		require.NoError(t, json.Unmarshal(body, &o))
		assert.Equal(t, "token", o.Issue[0].Code)
	}
	q.Set("_max-results", "1")
	status, _, _ = search(t, srv, q, nil)
	assert.Equal(t, 200, status)

	patch := []byte(`{"patches":[{"op":"replace","path":"/gender","value":"other"}]}`)
	resp, body := call(t, "PATCH", srv.URL+"/Patient/"+string(AlexSmith), patch, map[string]string{"X-Request-ID": newRID(), "If-Match": `W/"1"`, "Content-Type": "application/json-patch+json"})
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "INVALID_METHOD", spineCode(t, body))
	assert.Contains(t, string(body), "Cannot update resource with application-restricted access token")
	resp, body = call(t, "POST", srv.URL+"/Patient", mock(t, "../../specification/components/examples/requests/PatientCreate/Allocate_NHS_Number.json"), map[string]string{"X-Request-ID": newRID(), "Content-Type": "application/json"})
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "INVALID_METHOD", spineCode(t, body))
	assert.Equal(t, 0, srv.Stats().Patches)

	// A user token makes the same fake a healthcare worker's PDS.
	users := NewServer(WithUserTokens(func(tok string) bool { return tok == "cis2-user" }))
	defer users.Close()
	q.Set("_max-results", "50")
	status, _, _ = search(t, users, q, map[string]string{"Authorization": "Bearer cis2-user"})
	assert.Equal(t, 200, status)
	status, _, _ = search(t, users, q, map[string]string{"Authorization": "Bearer other"})
	assert.Equal(t, 401, status)
}

// A stored write answer is replayed only for the same request; another
// request that reuses the id is refused, before anything is applied.
func TestReplayOnlyTheSameRequest(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	id := newRID()
	h := map[string]string{"X-Request-ID": id, "If-Match": `W/"1"`, "Content-Type": "application/json-patch+json"}
	patch := []byte(`{"patches":[{"op":"replace","path":"/gender","value":"other"}]}`)
	resp, first := call(t, "PATCH", srv.URL+"/Patient/"+string(AlexSmith), patch, h)
	require.Equal(t, 200, resp.StatusCode, "%s", first)
	resp, again := call(t, "PATCH", srv.URL+"/Patient/"+string(AlexSmith), patch, h)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, string(first), string(again))
	assert.Equal(t, `W/"2"`, resp.Header.Get("ETag"))

	tests := []struct {
		name, method, path string
		body               []byte
		header             map[string]string
	}{
		{"another patient, junk body, no If-Match", "PATCH", "/Patient/" + string(SamJones), []byte(`junk`), map[string]string{"X-Request-ID": id}},
		{"same patient, another body", "PATCH", "/Patient/" + string(AlexSmith), []byte(`{"patches":[{"op":"replace","path":"/gender","value":"male"}]}`), h},
		{"a creation", "POST", "/Patient", []byte(`{}`), map[string]string{"X-Request-ID": id, "Content-Type": "application/json"}},
		{"a read", "GET", "/Patient/" + string(AlexSmith), nil, map[string]string{"X-Request-ID": id}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, tt.method, srv.URL+tt.path, tt.body, tt.header)
			assert.Equal(t, 400, resp.StatusCode)
			assert.Equal(t, "INVALID_VALUE", spineCode(t, body))
			assert.NotContains(t, string(body), "SMITH")
		})
	}
	assert.Equal(t, 1, srv.Stats().Patches)
	// A GET may reuse a GET's id (a retried GET does).
	get := map[string]string{"X-Request-ID": newRID()}
	for range 2 {
		resp, _ := call(t, "GET", srv.URL+"/Patient/"+string(AlexSmith), nil, get)
		assert.Equal(t, 200, resp.StatusCode)
	}
}

func TestPatchRules(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	url := srv.URL + "/Patient/" + string(OctaviaTestington)
	send := func(ifMatch, patch string) (int, string, []byte) {
		resp, body := call(t, "PATCH", url, []byte(patch), map[string]string{"X-Request-ID": newRID(), "If-Match": ifMatch, "Content-Type": "application/json-patch+json"})
		var o oo
		_ = json.Unmarshal(body, &o)
		issue := ""
		if len(o.Issue) > 0 {
			issue = o.Issue[0].Code
		}
		return resp.StatusCode, issue, body
	}
	tests := []struct {
		name, ifMatch, patch string
		status               int
		code, issue          string
	}{
		{"address line without its id", `W/"1"`, `{"patches":[{"op":"replace","path":"/address/0/line/0","value":"2 Whitehall Quay"}]}`, 400, "INVALID_UPDATE", "structure"},
		{"address line with the wrong id", `W/"1"`, `{"patches":[{"op":"replace","path":"/address/0/id","value":"X9"},{"op":"replace","path":"/address/0/line/0","value":"2 Whitehall Quay"}]}`, 400, "INVALID_UPDATE", "structure"},
		{"removal without a test", `W/"1"`, `{"patches":[{"op":"remove","path":"/telecom/1"}]}`, 400, "INVALID_UPDATE", "structure"},
		{"malformed If-Match", `"1"`, `{"patches":[{"op":"replace","path":"/gender","value":"other"}]}`, 412, "PRECONDITION_FAILED", "structure"},
		{"weak tag without quotes", `W/1`, `{"patches":[{"op":"replace","path":"/gender","value":"other"}]}`, 412, "PRECONDITION_FAILED", "structure"},
		{"stale version", `W/"7"`, `{"patches":[{"op":"replace","path":"/gender","value":"other"}]}`, 409, "RESOURCE_VERSION_MISMATCH", "conflict"},
		{"address line with its id", `W/"1"`, `{"patches":[{"op":"replace","path":"/address/0/id","value":"A1"},{"op":"replace","path":"/address/0/line/0","value":"2 Whitehall Quay"}]}`, 200, "", ""},
		{"removal after a test of the id", `W/"2"`, `{"patches":[{"op":"test","path":"/telecom/1/id","value":"T2"},{"op":"remove","path":"/telecom/1"}]}`, 200, "", ""},
		{"a new item needs no id", `W/"3"`, `{"patches":[{"op":"add","path":"/name/-","value":{"use":"nickname","given":["Tavi"]}}]}`, 200, "", ""},
	}
	for _, tt := range tests {
		status, issue, body := send(tt.ifMatch, tt.patch)
		require.Equal(t, tt.status, status, "%s: %s", tt.name, body)
		if tt.code != "" {
			assert.Equal(t, tt.code, spineCode(t, body), tt.name)
			assert.Equal(t, tt.issue, issue, tt.name)
		}
	}
	assert.Equal(t, 3, srv.Stats().Patches)
}

func TestTooManyRequestsBody(t *testing.T) {
	srv := NewServer(WithRateLimit(0.001))
	defer srv.Close()
	var statuses []int
	for range 2 {
		resp, body := call(t, "GET", srv.URL+"/Patient/"+string(AlexSmith), nil, map[string]string{"X-Request-ID": newRID()})
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			assert.Equal(t, "TOO_MANY_REQUESTS", spineCode(t, body))
			var o oo
			require.NoError(t, json.Unmarshal(body, &o))
			assert.Equal(t, "value", o.Issue[0].Code)
			assert.Equal(t, "Too many requests", o.Issue[0].Details.Coding[0].Display)
			assert.Empty(t, resp.Header.Get("Retry-After"), "the proxy sends no Retry-After")
		}
	}
	assert.Equal(t, []int{200, 429}, statuses)
}

func TestCreate(t *testing.T) {
	srv := NewServer(WithoutSeed())
	defer srv.Close()
	body := mock(t, "../../specification/components/examples/requests/PatientCreate/Allocate_NHS_Number.json")
	post := func(body []byte, id string) (*http.Response, []byte) {
		return call(t, "POST", srv.URL+"/Patient", body, map[string]string{"X-Request-ID": id, "Content-Type": "application/json"})
	}
	id := newRID()
	resp, out := post(body, id)
	require.Equal(t, 201, resp.StatusCode, "%s", out)
	assert.Equal(t, `W/"1"`, resp.Header.Get("ETag"))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(out, &doc))
	nhs := doc["id"].(string)
	assert.True(t, strings.HasPrefix(nhs, "999"), nhs)
	stored, version, ok := srv.Patient(nhsid.NHSNumber(nhs))
	require.True(t, ok)
	assert.Equal(t, 1, version)
	assert.Contains(t, string(stored), `"family":"Edwards"`)

	// The same request again: the same answer, one record.
	resp, again := post(body, id)
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, string(out), string(again))
	assert.Equal(t, 1, srv.Stats().Creates)

	// A new request for the same person: not created, a single match.
	resp, out = post(body, newRID())
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "SINGLE_MATCH", spineCode(t, out))
	second := strings.Replace(string(body), `"given": ["Jane"]`, `"given": ["Jane", "Anne"]`, 1)
	require.NoError(t, srv.AddPatientJSON([]byte(strings.Replace(string(stored), nhs, "9990000018", -1))))
	resp, out = post([]byte(second), newRID())
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "MULTIPLE_MATCHES", spineCode(t, out))

	for name, bad := range map[string]struct {
		body string
		code string
	}{
		"pets":       {`{"resourceType":"Patient","pets":["cat"]}`, "ADDITIONAL_PROPERTIES"},
		"no name":    {`{"gender":"female","birthDate":"1982-07-10","address":[],"extension":[]}`, "MISSING_VALUE"},
		"bad gender": {strings.Replace(string(body), `"female"`, `"mal"`, 1), "INVALID_VALUE"},
	} {
		resp, out := post([]byte(bad.body), newRID())
		assert.Equal(t, 400, resp.StatusCode, name)
		assert.Equal(t, bad.code, spineCode(t, out), name)
	}
	assert.Equal(t, 1, srv.Stats().Creates)
}
