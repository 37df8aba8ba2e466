package pdstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Any patch body applied to any JSON object either succeeds, leaving a
// document that still encodes, or fails with an error; it never panics.
func FuzzApplyPatch(f *testing.F) {
	doc := `{"resourceType":"Patient","id":"9000000009","name":[{"given":["Jane","Anne"],"family":"Smith"}],"address":[{"line":["1 Trevelyan Square"],"postalCode":"LS1 6AE"}]}`
	for _, p := range []string{
		`[{"op":"replace","path":"/name/0/family","value":"Jones"}]`,
		`[{"op":"add","path":"/name/0/given/-","value":"Zoe"}]`,
		`[{"op":"remove","path":"/address/0"}]`,
		`[{"op":"move","from":"/name/0/given/0","path":"/name/0/given/1"}]`,
		`[{"op":"copy","from":"/address","path":"/address2"}]`,
		`[{"op":"test","path":"/id","value":"9000000009"}]`,
		`[{"op":"move","from":"/name","path":"/name/0"}]`,
		`[{"op":"add","path":"/a~1b~0c","value":{}}]`,
		`[{"op":"remove","path":"/name/01"}]`,
		`[{"op":"test","path":"/address/0/id","value":"456"},{"op":"remove","path":"/address/0"}]`,
		`[{"op":"replace","path":"/address/0","value":{"id":"456"}}]`,
		`[{"op":"replace","path":"/name/0/family","value":null}]`,
	} {
		f.Add(doc, p)
	}
	f.Fuzz(func(t *testing.T, docJSON, patchJSON string) {
		var d map[string]any
		if json.Unmarshal([]byte(docJSON), &d) != nil || d == nil {
			return
		}
		var ops []patchOp
		if json.Unmarshal([]byte(patchJSON), &ops) != nil {
			return
		}
		_ = listIDs(d, ops)
		if err := applyPatch(d, ops); err != nil {
			return
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("patched document does not encode: %v", err)
		}
	})
}

// Whatever query a search carries and whatever body a creation carries,
// the fake answers with a searchset Bundle or an OperationOutcome and a
// status PDS uses; it never panics.
func FuzzSearchAndCreate(f *testing.F) {
	for _, q := range []string{
		"family=Smith&gender=female&birthdate=eq2010-10-22",
		"family=Sm*&birthdate=ge2010-10-21&birthdate=le2010-10-23&_max-results=2",
		"family=Smith&given=Jane&given=Anne&birthdate=eq2010-10-22&_fuzzy-match=true&death-date=le2020-01-01",
		"given=J%2A&birthdate=2010-10-22&address-postcode=LS*&address-postalcode=LS1",
		"family=S%C3%B8*&birthdate=eq2010-02-30&gender=mal&_history=maybe",
	} {
		f.Add(q, `{"name":[{"family":"Edwards","given":["Jane"]}],"gender":"female","birthDate":"1982-07-10","address":[{"postalCode":"LS1 6AE"}],"extension":[]}`)
	}
	f.Add("", `{"name":[1],"gender":null}`)
	srv := NewUnstartedServer(WithApplicationRestricted())
	users := NewUnstartedServer()
	f.Fuzz(func(t *testing.T, query, body string) {
		for _, s := range []*Server{srv, users} {
			get := httptest.NewRequest(http.MethodGet, "/Patient", nil)
			get.URL.RawQuery = query // whatever a client sends, parsed as the server parses it
			for _, r := range []*http.Request{get, httptest.NewRequest(http.MethodPost, "/Patient", bytes.NewReader([]byte(body)))} {
				r.Header.Set("X-Request-ID", "60E0B220-8136-4CA5-AE46-1D97EF59D068")
				r.Header.Set("Content-Type", "application/json")
				if r.Method == http.MethodPost {
					r.Header.Set("X-Request-ID", newFuzzRID())
				}
				w := httptest.NewRecorder()
				s.serve(w, r)
				var doc struct {
					ResourceType string `json:"resourceType"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
					t.Fatalf("%s answered %d with a body that is not JSON: %v", r.Method, w.Code, err)
				}
				switch {
				case w.Code == 200 && r.Method == http.MethodGet && doc.ResourceType == "Bundle":
				case w.Code == 201 && doc.ResourceType == "Patient":
				case (w.Code == 200 || w.Code == 400 || w.Code == 403) && doc.ResourceType == "OperationOutcome":
				default:
					t.Fatalf("%s answered %d with a %s", r.Method, w.Code, doc.ResourceType)
				}
			}
		}
	})
}

var fuzzRID uint64

func newFuzzRID() string {
	fuzzRID++
	const hex = "0123456789abcdef"
	b := []byte("6f1c1b7e-3b8e-4a52-9d43-000000000000")
	for i, n := len(b)-1, fuzzRID; n > 0 && i > 23; i, n = i-1, n/16 {
		b[i] = hex[n%16]
	}
	return string(b)
}
