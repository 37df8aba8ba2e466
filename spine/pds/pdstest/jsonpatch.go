package pdstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
)

// patchOp is one operation of a PDS patch body. A value given as null is
// kept ("null"), a missing one is nil.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from"`
	Value json.RawMessage `json:"value"`
}

var errPatch = errors.New("invalid patch")

func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("%w: path %q does not start with /", errPatch, p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// applyPatch applies ops (RFC 6902) to doc, a decoded JSON object, in
// place, with the module's one JSON Patch implementation
// (fhir.ApplyJSONPatch); on error doc is unchanged.
func applyPatch(doc map[string]any, ops []patchOp) error {
	fops := make([]fhir.PatchOp, len(ops))
	for i, op := range ops {
		fops[i] = fhir.PatchOp{Op: op.Op, Path: op.Path, From: op.From, Value: op.Value}
	}
	patch, err := json.Marshal(fops)
	if err != nil {
		return fmt.Errorf("%w: %w", errPatch, err)
	}
	in, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("%w: %w", errPatch, err)
	}
	out, err := fhir.ApplyJSONPatch(in, patch)
	if err != nil {
		return fmt.Errorf("%w: %w", errPatch, err)
	}
	var patched map[string]any
	if err := json.Unmarshal(out, &patched); err != nil || patched == nil {
		return fmt.Errorf("%w: the patched document is not an object", errPatch)
	}
	clear(doc)
	for k, v := range patched {
		doc[k] = v
	}
	return nil
}

// idLists are the patient's lists whose items carry an id that a patch
// must mirror back.
var idLists = map[string]bool{"name": true, "address": true, "telecom": true}

// listIDs checks PDS's rule for patches to list items (the PATCH
// specification, "you must always include the list id or url"): a change
// inside an item with an id needs a patch naming that id (a replace or
// test of /list/n/id, or a replace of the whole item carrying it), and a
// removal of the item needs a test of its id, or of the whole item,
// immediately before it.
func listIDs(doc map[string]any, ops []patchOp) error {
	itemID := func(list string, i int) string {
		items, _ := doc[list].([]any)
		if i < 0 || i >= len(items) {
			return ""
		}
		m, _ := items[i].(map[string]any)
		id, _ := m["id"].(string)
		return id
	}
	valueID := func(op patchOp) string {
		var v struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(op.Value, &v) == nil && v.ID != "" {
			return v.ID
		}
		var s string
		_ = json.Unmarshal(op.Value, &s)
		return s
	}
	for i, op := range ops {
		tokens, err := splitPointer(op.Path)
		if err != nil || len(tokens) < 2 || !idLists[tokens[0]] {
			continue
		}
		n, err := strconv.Atoi(tokens[1])
		if err != nil {
			continue // "-" appends a new item, which has no id yet
		}
		id := itemID(tokens[0], n)
		if id == "" || (op.Op == "add" && len(tokens) == 2) {
			continue
		}
		item := "/" + tokens[0] + "/" + tokens[1]
		if op.Op == "remove" && len(tokens) == 2 {
			if i == 0 || ops[i-1].Op != "test" || (ops[i-1].Path != item+"/id" && ops[i-1].Path != item) || valueID(ops[i-1]) != id {
				return fmt.Errorf("the removal of list item '%s' must immediately follow a test of its id", strings.TrimPrefix(item, "/"))
			}
			continue
		}
		named := false
		for _, o := range ops {
			if (o.Op == "replace" || o.Op == "test") && (o.Path == item+"/id" || o.Path == item) && valueID(o) == id {
				named = true
				break
			}
		}
		if !named {
			return fmt.Errorf("the patch must always include the list id of '%s'", strings.TrimPrefix(item, "/"))
		}
	}
	return nil
}
