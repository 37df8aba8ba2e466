package pdstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine"
)

const mocks = "../../../../shared/pds/sandbox/mocks"

func mock(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(mocks, name))
	if os.IsNotExist(err) && os.Getenv("CI") == "" {
		t.Skip("../shared/pds is absent")
	}
	require.NoError(t, err)
	return data
}

const rid = "60E0B220-8136-4CA5-AE46-1D97EF59D068"

func call(t *testing.T, method, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Request-ID", rid)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type oo struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Details  struct {
			Coding []struct{ System, Version, Code, Display string } `json:"coding"`
		} `json:"details"`
		Diagnostics string `json:"diagnostics"`
	} `json:"issue"`
}

func spineCode(t *testing.T, body []byte) string {
	t.Helper()
	var o oo
	require.NoError(t, json.Unmarshal(body, &o), "%s", body)
	require.Equal(t, "OperationOutcome", o.ResourceType)
	require.Len(t, o.Issue, 1)
	c := o.Issue[0].Details.Coding[0]
	assert.Equal(t, spine.CodeSystem, c.System)
	assert.Equal(t, "1", c.Version)
	assert.NotEmpty(t, c.Display)
	return c.Code
}

// The fake serves the published sandbox patients exactly as PDS does.
func TestServesPublishedExamples(t *testing.T) {
	srv := NewServer(WithoutSeed())
	defer srv.Close()
	for _, name := range []string{"Patient.json", "Sensitive_Patient.json", "Minimal_Patient.json", "PatientCompoundName.json", "Patient-Jayne-Smyth.json"} {
		t.Run(name, func(t *testing.T) {
			data := mock(t, name)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(data, &doc))
			if doc["resourceType"] != "Patient" {
				t.Skip("not a Patient")
			}
			require.NoError(t, srv.AddPatientJSON(data))
			resp, body := call(t, "GET", srv.URL+"/Patient/"+doc["id"].(string), nil, nil)
			require.Equal(t, 200, resp.StatusCode)
			assert.JSONEq(t, string(data), string(body))
			assert.Equal(t, `W/"2"`, resp.Header.Get("ETag"))
			assert.Equal(t, rid, resp.Header.Get("X-Request-ID"))
			assert.Equal(t, "application/fhir+json", resp.Header.Get("Content-Type"))
		})
	}
}

func TestGetErrors(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tests := []struct {
		name   string
		id     string
		header map[string]string
		status int
		code   string
	}{
		{"missing request id", string(AlexSmith), map[string]string{"X-Request-ID": ""}, 400, "MISSING_VALUE"},
		{"bad request id", string(AlexSmith), map[string]string{"X-Request-ID": "1234"}, 400, "INVALID_VALUE"},
		{"invalid number", "9990000019", nil, 400, "INVALID_RESOURCE_ID"},
		{"not found", "9990000085", nil, 404, "RESOURCE_NOT_FOUND"},
		{"invalidated", string(InvalidatedNHSNumber), nil, 404, "INVALIDATED_RESOURCE"},
		{"bad end user ods", string(AlexSmith), map[string]string{"NHSD-End-User-Organisation-ODS": "not ods"}, 400, "INVALID_VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, "GET", srv.URL+"/Patient/"+tt.id, nil, tt.header)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.code, spineCode(t, body))
			assert.NotContains(t, string(body), "SMITH")
		})
	}
}

func TestSupersededAndRestricted(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	resp, body := call(t, "GET", srv.URL+"/Patient/"+string(SupersededNHSNumber), nil, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `"id":"`+string(AlexSmith)+`"`)

	resp, body = call(t, "GET", srv.URL+"/Patient/"+string(RestrictedNHSNumber), nil, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `"code":"R"`)
	for _, gone := range []string{"address", "telecom", "generalPractitioner"} {
		assert.NotContains(t, string(body), `"`+gone+`"`)
	}
}

func TestPatch(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	url := srv.URL + "/Patient/" + string(AlexSmith)
	patch := []byte(`{"patches":[{"op":"replace","path":"/address/0/id","value":"A1"},{"op":"replace","path":"/address/0/postalCode","value":"LS2 9JT"},{"op":"add","path":"/name/-","value":{"use":"nickname","given":["Al"]}}]}`)
	jp := map[string]string{"Content-Type": "application/json-patch+json", "If-Match": `W/"1"`}

	resp, body := call(t, "PATCH", url, patch, map[string]string{"Content-Type": "application/json-patch+json"})
	assert.Equal(t, 412, resp.StatusCode)
	assert.Equal(t, "PRECONDITION_FAILED", spineCode(t, body))

	resp, body = call(t, "PATCH", url, patch, map[string]string{"If-Match": `W/"1"`, "Content-Type": "application/json"})
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, "INVALID_VALUE", spineCode(t, body))

	resp, body = call(t, "PATCH", url, patch, jp)
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	assert.Equal(t, `W/"2"`, resp.Header.Get("ETag"))
	assert.Contains(t, string(body), `"postalCode":"LS2 9JT"`)
	assert.Contains(t, string(body), `"versionId":"2"`)

	// The same X-Request-ID again: the same answer, not applied twice.
	resp, _ = call(t, "PATCH", url, patch, jp)
	assert.Equal(t, 200, resp.StatusCode)
	_, version, _ := srv.Patient(AlexSmith)
	assert.Equal(t, 2, version)
	assert.Equal(t, 1, srv.Stats().Patches)

	// A stale version from a new request.
	jp2 := map[string]string{"Content-Type": "application/json-patch+json", "If-Match": `W/"1"`, "X-Request-ID": "0d7a5b4e-4a34-4c1d-9a6e-0e2f3b4c5d6e"}
	resp, body = call(t, "PATCH", url, patch, jp2)
	assert.Equal(t, 409, resp.StatusCode)
	assert.Equal(t, "RESOURCE_VERSION_MISMATCH", spineCode(t, body))

	for name, bad := range map[string]string{
		"identifier":  `{"patches":[{"op":"replace","path":"/identifier/0/value","value":"9990000026"}]}`,
		"bad pointer": `{"patches":[{"op":"remove","path":"/name/7"}]}`,
		"not patches": `[{"op":"remove","path":"/gender"}]`,
		"failed test": `{"patches":[{"op":"test","path":"/gender","value":"male"}]}`,
		"pets":        `{"patches":[{"op":"add","path":"/pets","value":"cat"}]}`,
	} {
		h := map[string]string{"Content-Type": "application/json-patch+json", "If-Match": `W/"2"`, "X-Request-ID": "1d7a5b4e-4a34-4c1d-9a6e-0e2f3b4c5d6" + string(rune('a'+len(name)%6))}
		resp, body := call(t, "PATCH", url, []byte(bad), h)
		assert.Equal(t, 400, resp.StatusCode, name)
		assert.Contains(t, []string{"INVALID_UPDATE", "INVALID_VALUE"}, spineCode(t, body), name)
	}
	_, version, _ = srv.Patient(AlexSmith)
	assert.Equal(t, 2, version, "no refused patch changed the record")
}

func TestJSONPatchRFC6902(t *testing.T) {
	tests := []struct{ doc, ops, want string }{
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux"}]`, `{"baz":"qux","foo":"bar"}`},
		{`{"foo":["bar","baz"]}`, `[{"op":"add","path":"/foo/1","value":"qux"}]`, `{"foo":["bar","qux","baz"]}`},
		{`{"baz":"qux","foo":"bar"}`, `[{"op":"remove","path":"/baz"}]`, `{"foo":"bar"}`},
		{`{"foo":["bar","qux","baz"]}`, `[{"op":"remove","path":"/foo/1"}]`, `{"foo":["bar","baz"]}`},
		{`{"baz":"qux","foo":"bar"}`, `[{"op":"replace","path":"/baz","value":"boo"}]`, `{"baz":"boo","foo":"bar"}`},
		{`{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`, `[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`, `{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`},
		{`{"foo":["all","grass","cows","eat"]}`, `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`, `{"foo":["all","cows","eat","grass"]}`},
		{`{"foo":["bar"]}`, `[{"op":"add","path":"/foo/-","value":["abc","def"]}]`, `{"foo":["bar",["abc","def"]]}`},
		{`{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10},{"op":"copy","from":"/~1","path":"/x"}]`, `{"/":9,"~1":10,"x":9}`},
	}
	for _, tt := range tests {
		var doc map[string]any
		var ops []patchOp
		require.NoError(t, json.Unmarshal([]byte(tt.doc), &doc))
		require.NoError(t, json.Unmarshal([]byte(tt.ops), &ops))
		require.NoError(t, applyPatch(doc, ops), tt.ops)
		got, _ := json.Marshal(doc)
		assert.JSONEq(t, tt.want, string(got), tt.ops)
	}
	for _, bad := range []string{
		`[{"op":"test","path":"/foo","value":1}]`,
		`[{"op":"remove","path":"/nope"}]`,
		`[{"op":"replace","path":"/nope","value":1}]`,
		`[{"op":"add","path":"nope","value":1}]`,
		`[{"op":"add","path":"/a/b/c","value":1}]`,
		`[{"op":"move","from":"/a","path":"/a/b"}]`,
		`[{"op":"frobnicate","path":"/a"}]`,
	} {
		doc := map[string]any{"a": map[string]any{"b": 1}, "foo": "bar"}
		var ops []patchOp
		require.NoError(t, json.Unmarshal([]byte(bad), &ops))
		assert.ErrorIs(t, applyPatch(doc, ops), errPatch, bad)
	}
}

func TestSearch(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	get := func(q string) (int, map[string]any, []byte) {
		resp, body := call(t, "GET", srv.URL+"/Patient?"+q, nil, nil)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return resp.StatusCode, m, body
	}
	st, b, _ := get("family=SMITH&birthdate=eq1980-01-01")
	require.Equal(t, 200, st)
	assert.Equal(t, "searchset", b["type"])
	entries := b["entry"].([]any)
	require.Len(t, entries, 1)
	e := entries[0].(map[string]any)
	assert.Equal(t, 1.0, e["search"].(map[string]any)["score"])
	assert.Equal(t, srv.URL+"/Patient/"+string(AlexSmith), e["fullUrl"])

	st, b, _ = get("family=Sm*&birthdate=ge1979-01-01&birthdate=le1981-01-01")
	require.Equal(t, 200, st)
	e = b["entry"].([]any)[0].(map[string]any)
	assert.Less(t, e["search"].(map[string]any)["score"].(float64), 1.0, "a wildcard is not an exact match")

	st, b, _ = get("family=Smyth&given=Alex&birthdate=eq1980-01-01&_fuzzy-match=true")
	require.Equal(t, 200, st)
	require.Len(t, b["entry"], 1, "Soundex matches SMITH")

	st, b, _ = get("family=Smyth&birthdate=eq1980-01-01")
	require.Equal(t, 200, st)
	assert.Nil(t, b["entry"], "no match is an empty searchset")
	assert.Equal(t, 0.0, b["total"])

	// The restricted patient is not returned when a postcode is given.
	_, b, _ = get("family=SMYTHE&birthdate=eq2005-06-16")
	require.Len(t, b["entry"], 1)
	_, b, _ = get("family=SMYTHE&birthdate=eq2005-06-16&address-postalcode=LS2*")
	assert.Nil(t, b["entry"])

	for q, code := range map[string]string{
		"family=SMITH":                                                                    "MISSING_VALUE",
		"given=Alex&birthdate=eq1980-01-01":                                               "INVALID_SEARCH_DATA",
		"family=SMITH&birthdate=1980/01/01":                                               "INVALID_VALUE",
		"family=SMITH&birthdate=eq1980-02-30":                                             "INVALID_VALUE",
		"family=SMITH&birthdate=eq1980-01-01&gender=mal":                                  "INVALID_VALUE",
		"family=S*&birthdate=eq1980-01-01":                                                "INVALID_SEARCH_DATA",
		"family=SMITH&given=A*&birthdate=eq1980-01-01":                                    "INVALID_SEARCH_DATA",
		"family=SMITH&birthdate=eq1980-01-01&address-postalcode=LS1&address-postcode=LS1": "INVALID_SEARCH_DATA",
		"family=SMITH&birthdate=eq1980-01-01&x=1":                                         "ADDITIONAL_PROPERTIES",
		"family=SMITH&birthdate=eq1980-01-01&_max-results=51":                             "INVALID_VALUE",
		"family=Sm*&given=Alex&birthdate=eq1980-01-01&_fuzzy-match=true":                  "INVALID_SEARCH_DATA",
		"family=SMITH&birthdate=eq1980-01-01&gender=female&_fuzzy-match=true":             "INVALID_SEARCH_DATA",
	} {
		st, _, body := get(q)
		assert.Equal(t, 400, st, q)
		assert.Equal(t, code, spineCode(t, body), q)
	}

	// Too many matches: a completed search carrying the error.
	for i := 0; i < 3; i++ {
		p := Seed()[0]
		n := []string{"9990000085", "9990000093", "9990000107"}[i]
		p.ID.Value = n
		p.Identifier[0].Value.Value = n
		srv.AddPatient(p)
	}
	st, b, body := get("family=SMITH&birthdate=eq1980-01-01&_max-results=2")
	require.Equal(t, 200, st)
	entry := b["entry"].([]any)[0].(map[string]any)
	assert.Equal(t, "outcome", entry["search"].(map[string]any)["mode"])
	assert.Contains(t, string(body), "TOO_MANY_MATCHES")
	assert.False(t, strings.Contains(string(body), `"resourceType":"Patient"`))
}

func TestFaults(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Inject(Fault{Status: 429, RetryAfter: "2"}, Fault{Status: 503, RetryAfter: "1"}, Fault{Status: 500})
	for _, want := range []struct {
		status int
		code   string
	}{{429, "TOO_MANY_REQUESTS"}, {503, "SERVICE_UNAVAILABLE"}, {500, "SERVER_ERROR"}} {
		resp, body := call(t, "GET", srv.URL+"/Patient/"+string(AlexSmith), nil, nil)
		assert.Equal(t, want.status, resp.StatusCode)
		assert.Equal(t, want.code, spineCode(t, body))
	}
	resp, _ := call(t, "GET", srv.URL+"/Patient/"+string(AlexSmith), nil, nil)
	assert.Equal(t, 200, resp.StatusCode)

	srv.Inject(Fault{Drop: true})
	req, _ := http.NewRequest("GET", srv.URL+"/Patient/"+string(AlexSmith), nil)
	req.Header.Set("X-Request-ID", rid)
	// A fresh connection: Go's transport would quietly re-send a GET whose
	// kept-alive connection broke.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := fresh.Do(req)
	assert.Error(t, err, "the connection is dropped")
	assert.Equal(t, 4, srv.Stats().Faults)
}

// The shape every fake shares: configured unstarted, started over TLS,
// reached with Client, and failing on request with FailNext.
func TestUnstartedTLSAndFailNext(t *testing.T) {
	srv := NewUnstartedServer()
	assert.Empty(t, srv.URL, "no URL before Start")
	srv.FailNext(2, http.StatusServiceUnavailable)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	get := func() *http.Response {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/Patient/"+string(AlexSmith), nil)
		require.NoError(t, err)
		req.Header.Set("X-Request-ID", "6f1c1b7e-3b8e-4a52-9d43-2b0d8b1c6a11")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	for range 2 {
		resp := get()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		assert.Equal(t, "0", resp.Header.Get("Retry-After"))
	}
	assert.Equal(t, http.StatusOK, get().StatusCode)
	assert.Equal(t, 2, srv.Stats().Faults)
}
