package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

const sharedDir = "../../shared"

// sameJSON compares two JSON documents as values (key order aside, numbers
// compared by their text).
func sameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	var a, b any
	da := json.NewDecoder(bytesReader(want))
	da.UseNumber()
	require.NoError(t, da.Decode(&a))
	// FHIR JSON has no empty objects or arrays; Marshal leaves out the
	// ones a few published examples carry.
	a, _ = pruneEmpty(a)
	db := json.NewDecoder(bytesReader(got))
	db.UseNumber()
	require.NoError(t, db.Decode(&b), "%s", got)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("round trip differs (-want +got):\n%s", diff)
	}
}

func TestPDSExamplesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir, "pds", "specification", "components", "examples", "*.json"))
	mocks, _ := filepath.Glob(filepath.Join(sharedDir, "pds", "sandbox", "mocks", "*.json"))
	files = append(files, mocks...)
	if len(files) == 0 {
		t.Fatal("../shared/pds is absent: the PDS examples cannot be checked (the tests need ../shared beside the repository)")
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var probe map[string]any
		if json.Unmarshal(data, &probe) != nil || probe["resourceType"] == nil {
			continue // not a resource (e.g. a PATCH body)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := Unmarshal(data)
			require.NoError(t, err)
			out, err := Marshal(r)
			require.NoError(t, err)
			sameJSON(t, data, out)
		})
		n++
	}
	t.Logf("%d PDS example resources", n)
}

func pruneEmpty(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if p, empty := pruneEmpty(c); empty {
				delete(x, k)
			} else {
				x[k] = p
			}
		}
		return x, len(x) == 0
	case []any:
		out := x[:0]
		for _, c := range x {
			if p, empty := pruneEmpty(c); !empty {
				out = append(out, p)
			} else if c == nil {
				out = append(out, nil) // null fillers of primitive arrays stay
			}
		}
		return out, len(out) == 0
	}
	return v, false
}
