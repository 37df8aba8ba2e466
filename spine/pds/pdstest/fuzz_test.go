package pdstest

import (
	"encoding/json"
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
		if err := applyPatch(d, ops); err != nil {
			return
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("patched document does not encode: %v", err)
		}
	})
}
