package fhir

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The typed builder's list of marked nodes stands in for the invariant and
// extension walks only when it may (marksOK), and gives what the walks over
// the JSON tree give: nested resources checked on their own, an
// entry.response.outcome walked as data, ele-1 found by the fallback walk.
func TestValidateProfilesMarks(t *testing.T) {
	const per1 = `"period":{"start":"2020-02-01","end":"2020-01-01"}`
	tests := []struct {
		name    string
		js      string
		marksOK bool
		want    []string // rule and location of issues that must be there
	}{
		{"ele-1 on an element with only an id: the walk runs",
			`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"name":[{"id":"n1"}]}`,
			false, []string{"ele-1 Patient.name[0]"}},
		{"contained resource: its invariants at its own path",
			`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"contained":[{"resourceType":"Practitioner","id":"p1","name":[{"family":"Example",` + per1 + `}]}],"generalPractitioner":[{"reference":"#p1"}]}`,
			true, []string{"per-1 Patient.contained[0].name[0].period", "dom-6 Patient.contained[0]"}},
		{"bundle: entries checked on their own, a response outcome walked as data",
			`{"resourceType":"Bundle","type":"batch-response","entry":[{"resource":{"resourceType":"Patient","extension":[{"url":"http://example.org/fhir/x"}],"name":[{"family":"A",` + per1 + `}]},"response":{"status":"200","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","extension":[{"url":"http://example.org/fhir/y","valueString":"v","extension":[{"url":"z","valueString":"w"}]}]}]}}}]}`,
			true, []string{"ext-1 Bundle.entry[0].resource.extension[0]", "per-1 Bundle.entry[0].resource.name[0].period", "ext-1 Bundle.entry[0].response.outcome.issue[0].extension[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Unmarshal([]byte(tt.js))
			require.NoError(t, err)
			st := nodeStates.Get().(*nodeState)
			_, ok := st.buildTypedMarked(r, invariants())
			require.True(t, ok, "left to the JSON tree")
			assert.Equal(t, tt.marksOK, st.tb.marksOK)
			st.release()
			got, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
			require.NoError(t, err)
			want, err := ValidateProfiles(context.Background(), r, ValidateOptions{viaJSON: true})
			require.NoError(t, err)
			if d := cmp.Diff(issueLines(want), issueLines(got)); d != "" {
				t.Errorf("issues differ (-json walk +marks):\n%s", d)
			}
			var have []string
			if got != nil {
				for _, is := range got.Issue {
					if is.Details != nil {
						have = append(have, is.Details.Text.Value+" "+is.Expression[0].Value)
					}
				}
			}
			for _, w := range tt.want {
				assert.Contains(t, have, w, "issues: %s", strings.Join(have, "; "))
			}
		})
	}
}
