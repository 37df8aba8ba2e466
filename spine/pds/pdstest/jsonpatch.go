package pdstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// JSON Patch (RFC 6902) over a generic JSON document, with JSON Pointer
// (RFC 6901) paths.

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

// parent walks to the container of the last token.
func parent(doc any, tokens []string) (any, string, error) {
	cur := doc
	for _, t := range tokens[:len(tokens)-1] {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, "", fmt.Errorf("%w: no member %q", errPatch, t)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, "", fmt.Errorf("%w: no index %q", errPatch, t)
			}
			cur = c[i]
		default:
			return nil, "", fmt.Errorf("%w: %q is not a container", errPatch, t)
		}
	}
	return cur, tokens[len(tokens)-1], nil
}

func get(doc any, path string) (any, error) {
	tokens, err := splitPointer(path)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return doc, nil
	}
	p, last, err := parent(doc, tokens)
	if err != nil {
		return nil, err
	}
	switch c := p.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, fmt.Errorf("%w: no member %q", errPatch, last)
		}
		return v, nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("%w: no index %q", errPatch, last)
		}
		return c[i], nil
	}
	return nil, fmt.Errorf("%w: %q is not in a container", errPatch, last)
}

// set adds (insert=true) or replaces at path; the root must be an object.
func set(doc any, path string, v any, insert bool) error {
	tokens, err := splitPointer(path)
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		return fmt.Errorf("%w: cannot replace the whole resource", errPatch)
	}
	p, last, err := parent(doc, tokens)
	if err != nil {
		return err
	}
	switch c := p.(type) {
	case map[string]any:
		if !insert {
			if _, ok := c[last]; !ok {
				return fmt.Errorf("%w: no member %q to replace", errPatch, last)
			}
		}
		c[last] = v
		return nil
	case []any:
		gp, glast, err := grandparentSetter(doc, tokens)
		if err != nil {
			return err
		}
		if last == "-" && insert {
			gp(append(c, v))
			return nil
		}
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i > len(c) || !insert && i == len(c) {
			return fmt.Errorf("%w: bad index %q", errPatch, last)
		}
		_ = glast
		if insert {
			c = append(c, nil)
			copy(c[i+1:], c[i:])
			c[i] = v
			gp(c)
		} else {
			c[i] = v
		}
		return nil
	}
	return fmt.Errorf("%w: %q is not in a container", errPatch, last)
}

// grandparentSetter returns a function that stores a new slice where the
// array at tokens[:len-1] lives.
func grandparentSetter(doc any, tokens []string) (func([]any), string, error) {
	arrTokens := tokens[:len(tokens)-1]
	if len(arrTokens) == 0 {
		return nil, "", fmt.Errorf("%w: the root is not an array", errPatch)
	}
	p, last, err := parent(doc, arrTokens)
	if err != nil {
		return nil, "", err
	}
	switch c := p.(type) {
	case map[string]any:
		return func(s []any) { c[last] = s }, last, nil
	case []any:
		i, _ := strconv.Atoi(last)
		return func(s []any) { c[i] = s }, last, nil
	}
	return nil, "", fmt.Errorf("%w: bad path", errPatch)
}

func remove(doc any, path string) error {
	tokens, err := splitPointer(path)
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		return fmt.Errorf("%w: cannot remove the whole resource", errPatch)
	}
	p, last, err := parent(doc, tokens)
	if err != nil {
		return err
	}
	switch c := p.(type) {
	case map[string]any:
		if _, ok := c[last]; !ok {
			return fmt.Errorf("%w: no member %q to remove", errPatch, last)
		}
		delete(c, last)
		return nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return fmt.Errorf("%w: bad index %q", errPatch, last)
		}
		gp, _, err := grandparentSetter(doc, tokens)
		if err != nil {
			return err
		}
		gp(append(c[:i:i], c[i+1:]...))
		return nil
	}
	return fmt.Errorf("%w: %q is not in a container", errPatch, last)
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// applyPatch applies ops to doc (a decoded JSON object) in place; on error
// the caller discards doc.
func applyPatch(doc map[string]any, ops []patchOp) error {
	for i, op := range ops {
		var val any
		if len(op.Value) > 0 {
			if err := json.Unmarshal(op.Value, &val); err != nil {
				return fmt.Errorf("%w: patch %d: bad value", errPatch, i)
			}
		}
		var err error
		switch op.Op {
		case "add":
			if op.Value == nil {
				return fmt.Errorf("%w: patch %d: add without a value", errPatch, i)
			}
			err = set(doc, op.Path, val, true)
		case "replace":
			if op.Value == nil {
				return fmt.Errorf("%w: patch %d: replace without a value", errPatch, i)
			}
			err = set(doc, op.Path, val, false)
		case "remove":
			err = remove(doc, op.Path)
		case "test":
			var cur any
			if cur, err = get(doc, op.Path); err == nil && !reflect.DeepEqual(cur, val) {
				err = fmt.Errorf("%w: test failed at %s", errPatch, op.Path)
			}
		case "move", "copy":
			var v any
			if v, err = get(doc, op.From); err == nil {
				v = deepCopy(v)
				if op.Op == "move" {
					if strings.HasPrefix(op.Path, op.From+"/") {
						return fmt.Errorf("%w: patch %d: cannot move into itself", errPatch, i)
					}
					err = remove(doc, op.From)
				}
				if err == nil {
					err = set(doc, op.Path, v, true)
				}
			}
		default:
			return fmt.Errorf("%w: patch %d: unknown op %q", errPatch, i, op.Op)
		}
		if err != nil {
			return fmt.Errorf("patch %d: %w", i, err)
		}
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
