package pdstest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const patchExamples = "../../../../shared/pds/specification/components/examples/requests/PatientPatch"

// Every published PATCH request example, sent to the published example
// patient: applied with the version bumped, or, when its test operation
// does not hold for this patient, refused with INVALID_UPDATE and the
// record left as it was.
func TestPublishedPatchExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(patchExamples, "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("../shared/pds is absent")
		}
		t.Skip("../shared/pds is absent")
	}
	patient := mock(t, "Patient.json")
	// What must hold after the examples whose effect is plain.
	after := map[string]func(t *testing.T, doc map[string]any){
		"add-deceased-date-time.json": func(t *testing.T, doc map[string]any) {
			assert.Equal(t, "2010-10-22T00:00:00+00:00", doc["deceasedDateTime"])
		},
		"delete-gender.json": func(t *testing.T, doc map[string]any) { assert.NotContains(t, doc, "gender") },
		"add-name.json": func(t *testing.T, doc map[string]any) {
			names := doc["name"].([]any)
			assert.Equal(t, "Bloggs", names[len(names)-1].(map[string]any)["family"])
		},
	}
	applied := 0
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			srv := NewServer(WithoutSeed())
			defer srv.Close()
			require.NoError(t, srv.AddPatientJSON(patient))
			url := srv.URL + "/Patient/9000000009"
			resp, out := call(t, "PATCH", url, body, map[string]string{"If-Match": `W/"2"`, "Content-Type": "application/json-patch+json"})
			switch resp.StatusCode {
			case 200:
				applied++
				assert.Equal(t, `W/"3"`, resp.Header.Get("ETag"))
				var doc map[string]any
				require.NoError(t, json.Unmarshal(out, &doc))
				assert.Equal(t, "3", doc["meta"].(map[string]any)["versionId"])
				if check := after[name]; check != nil {
					check(t, doc)
				}
				assert.Equal(t, 1, srv.Stats().Patches)
			case 400:
				assert.Equal(t, "INVALID_UPDATE", spineCode(t, out))
				assert.True(t, strings.Contains(string(body), `"test"`), "only a failed test operation may refuse a published example")
				assert.NotContains(t, after, name)
				stored, version, ok := srv.Patient("9000000009")
				require.True(t, ok)
				assert.Equal(t, 2, version)
				assert.JSONEq(t, string(patient), string(stored))
				t.Logf("refused: %s", out)
			default:
				t.Fatalf("status %d: %s", resp.StatusCode, out)
			}
		})
	}
	assert.GreaterOrEqual(t, applied, len(after))
}

// A patch that makes the published example patient invalid is refused
// with INVALID_VALUE, although the example already carries an issue a
// strict UK Core check reports.
func TestPatchIntroducingInvalidValue(t *testing.T) {
	patient := mock(t, "Patient.json")
	srv := NewServer(WithoutSeed())
	defer srv.Close()
	require.NoError(t, srv.AddPatientJSON(patient))
	for name, patch := range map[string]string{
		"gender":    `{"patches":[{"op":"replace","path":"/gender","value":"banana"}]}`,
		"birthDate": `{"patches":[{"op":"replace","path":"/birthDate","value":"22/10/2010"}]}`,
	} {
		h := map[string]string{"If-Match": `W/"2"`, "Content-Type": "application/json-patch+json",
			"X-Request-ID": "7f0c8a52-3b1e-4c6d-8e9f-" + map[string]string{"gender": "000000000001", "birthDate": "000000000002"}[name]}
		resp, out := call(t, "PATCH", srv.URL+"/Patient/9000000009", []byte(patch), h)
		assert.Equal(t, 400, resp.StatusCode, name)
		assert.Equal(t, "INVALID_VALUE", spineCode(t, out), name)
	}
	_, version, _ := srv.Patient("9000000009")
	assert.Equal(t, 2, version)
}

// A search for the published example patient answers in the shape of the
// published search Bundle: a searchset with a timestamp and total, each
// entry with fullUrl, search.score and the patient as PDS serves it in
// search results.
func TestSearchAnswersLikePublishedBundle(t *testing.T) {
	patient := mock(t, "Patient.json")
	published := mock(t, "PatientSearch.json")
	srv := NewServer(WithoutSeed())
	defer srv.Close()
	require.NoError(t, srv.AddPatientJSON(patient))

	type bundle struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Timestamp    string `json:"timestamp"`
		Total        *int   `json:"total"`
		Entry        []struct {
			FullURL string `json:"fullUrl"`
			Search  struct {
				Score *float64 `json:"score"`
			} `json:"search"`
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	var want, got bundle
	require.NoError(t, json.Unmarshal(published, &want))
	// The example's name and address are in use until 2025-12-31, so the
	// search happens on a day before then; afterwards only a _history
	// search finds them by those details.
	srv.clock = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	resp, body := call(t, "GET", srv.URL+"/Patient?family=Smith&given=Jane&gender=female&birthdate=eq2010-10-22&address-postalcode=LS1%206AE", nil, nil)
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	var later bundle
	srv.clock = func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	_, laterBody := call(t, "GET", srv.URL+"/Patient?family=Smith&given=Jane&gender=female&birthdate=eq2010-10-22", nil, map[string]string{"X-Request-ID": "5b7c3f0e-9d2a-4e1b-8c4d-000000000001"})
	require.NoError(t, json.Unmarshal(laterBody, &later), "%s", laterBody)
	assert.Empty(t, later.Entry, "a name no longer in use is not matched without _history")
	_, laterBody = call(t, "GET", srv.URL+"/Patient?family=Smith&given=Jane&gender=female&birthdate=eq2010-10-22&_history=true", nil, map[string]string{"X-Request-ID": "5b7c3f0e-9d2a-4e1b-8c4d-000000000002"})
	require.NoError(t, json.Unmarshal(laterBody, &later), "%s", laterBody)
	assert.Len(t, later.Entry, 1, "found with _history")
	require.NoError(t, json.Unmarshal(body, &got))

	assert.Equal(t, want.ResourceType, got.ResourceType)
	assert.Equal(t, want.Type, got.Type)
	assert.NotEmpty(t, got.Timestamp)
	require.NotNil(t, got.Total)
	assert.Equal(t, *want.Total, *got.Total)
	require.Len(t, got.Entry, 1)
	e := got.Entry[0]
	assert.Equal(t, srv.URL+"/Patient/9000000009", e.FullURL)
	require.NotNil(t, e.Search.Score)
	assert.Greater(t, *e.Search.Score, 0.0)
	assert.LessOrEqual(t, *e.Search.Score, 1.0)
	assert.Equal(t, "9000000009", e.Resource["id"])
	// The same elements as the published search result carries.
	for k := range want.Entry[0].Resource {
		assert.Contains(t, e.Resource, k)
	}
}
