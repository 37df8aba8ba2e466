package fhir

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedInstances runs every resource type's generated instance
// (zz_instances_test.go, every element set once) through the JSON codec,
// the XML codec and validation, and checks that an empty instance is
// reported for exactly its required elements. It needs nothing outside the
// repository.
func TestGeneratedInstances(t *testing.T) {
	require.Len(t, genInstances, 146)
	for _, in := range genInstances {
		t.Run(in.Type, func(t *testing.T) {
			r, err := Unmarshal([]byte(in.Full))
			require.NoError(t, err)
			require.Equal(t, in.Type, r.ResourceType())
			out, err := Marshal(r)
			require.NoError(t, err)
			if d := jsonDiff([]byte(in.Full), out); d != "" {
				t.Fatalf("JSON round trip differs:\n%s", clipDiff(d))
			}
			x, err := MarshalXML(r)
			require.NoError(t, err)
			back, err := UnmarshalXML(x)
			require.NoError(t, err)
			out2, err := Marshal(back)
			require.NoError(t, err)
			if d := jsonDiff(out, out2); d != "" {
				t.Fatalf("JSON → XML → JSON differs:\n%s", clipDiff(d))
			}
			var want []string
			for _, name := range in.Required {
				want = append(want, in.Type+"."+name)
			}
			sort.Strings(want)
			assert.Empty(t, intersect(requiredIssues(Validate(r)), want), "a full instance lacks required elements")
			empty := newResource(in.Type)
			assert.Equal(t, want, requiredIssues(Validate(empty)), "the required elements of an empty %s", in.Type)
		})
	}
}

func requiredIssues(oo *OperationOutcome) []string {
	if oo == nil {
		return nil
	}
	var out []string
	for _, is := range oo.Issue {
		if is.Code.Value == IssueRequired {
			out = append(out, is.Expression[0].Value)
		}
	}
	sort.Strings(out)
	return out
}

func intersect(a, b []string) []string {
	m := map[string]bool{}
	for _, x := range b {
		m[x] = true
	}
	var out []string
	for _, x := range a {
		if m[x] {
			out = append(out, x)
		}
	}
	return out
}
