package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// ErrPatch is wrapped by *PatchError.
var ErrPatch = errors.New("invalid json patch")

// PatchError says which operation of a JSON Patch failed (0-based) and why.
type PatchError struct {
	Op  int
	Msg string
	Err error // the decode error when the patched resource is not valid
}

func (e *PatchError) Error() string {
	return fmt.Sprintf("fhir: json patch operation %d: %s", e.Op, e.Msg)
}

// Unwrap gives ErrPatch and the underlying decode error, if any.
func (e *PatchError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrPatch, e.Err}
	}
	return []error{ErrPatch}
}

// PatchOp is one JSON Patch operation (RFC 6902).
type PatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// ApplyPatch applies a JSON Patch document (RFC 6902: add, remove,
// replace, move, copy, test; paths are JSON Pointers, RFC 6901) to a
// resource and returns the patched resource, checked against the model:
// the result must decode as a resource of the same type, so a patch that
// puts a string where an element wants an object, or changes resourceType,
// fails with a *PatchError wrapping the *DecodeError. The resource passed
// is not changed. This is the one implementation; PDS updates use it.
func ApplyPatch(r Resource, patch []byte) (Resource, error) {
	doc, err := Marshal(r)
	if err != nil {
		return nil, err
	}
	out, err := ApplyJSONPatch(doc, patch)
	if err != nil {
		return nil, err
	}
	typ := r.ResourceType()
	nr := newResource(typ)
	if nr == nil {
		return nil, &PatchError{Op: -1, Msg: "resource type " + typ + " cannot be patched"}
	}
	if err := UnmarshalInto(out, nr); err != nil {
		return nil, &PatchError{Op: -1, Msg: "the patched resource is not a valid " + typ + ": " + err.Error(), Err: err}
	}
	return nr, nil
}

// ApplyJSONPatch applies a JSON Patch document to a JSON document, with no
// model check. Numbers keep their text.
func ApplyJSONPatch(doc, patch []byte) ([]byte, error) {
	var ops []PatchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, &PatchError{Op: -1, Msg: "patch is not a JSON array of operations"}
	}
	v, err := decodeGeneric(doc)
	if err != nil {
		return nil, &PatchError{Op: -1, Msg: "document is not JSON"}
	}
	for i, op := range ops {
		if v, err = applyOp(v, op); err != nil {
			return nil, &PatchError{Op: i, Msg: err.Error()}
		}
	}
	return json.Marshal(v)
}

func decodeGeneric(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

func pointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("path %q does not start with /", clip(p))
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(t, "~0", ""), "~1", ""), "~") {
			return nil, fmt.Errorf("path %q has a bad ~ escape", clip(p))
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// index reads an array index token; end allows "-" (one past the end).
func index(tok string, n int, end bool) (int, error) {
	if tok == "-" && end {
		return n, nil
	}
	if tok == "" || len(tok) > 1 && tok[0] == '0' || strings.TrimLeft(tok, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not an array index", clip(tok))
	}
	i, err := strconv.Atoi(tok)
	limit := n - 1
	if end {
		limit = n
	}
	if err != nil || i > limit {
		return 0, fmt.Errorf("index %s is out of range", clip(tok))
	}
	return i, nil
}

func getAt(v any, toks []string) (any, error) {
	for _, t := range toks {
		switch c := v.(type) {
		case map[string]any:
			x, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", clip(t))
			}
			v = x
		case []any:
			i, err := index(t, len(c), false)
			if err != nil {
				return nil, err
			}
			v = c[i]
		default:
			return nil, fmt.Errorf("%q is inside a value that is not an object or array", clip(t))
		}
	}
	return v, nil
}

// update replaces the value at toks with f(old), f returning the new value
// or, with remove, deleting it; containers are rebuilt on the way back.
func update(v any, toks []string, f func(parent any, tok string) (any, error)) (any, error) {
	if len(toks) == 1 {
		return f(v, toks[0])
	}
	switch c := v.(type) {
	case map[string]any:
		x, ok := c[toks[0]]
		if !ok {
			return nil, fmt.Errorf("no member %q", clip(toks[0]))
		}
		nx, err := update(x, toks[1:], f)
		if err != nil {
			return nil, err
		}
		c[toks[0]] = nx
		return c, nil
	case []any:
		i, err := index(toks[0], len(c), false)
		if err != nil {
			return nil, err
		}
		nx, err := update(c[i], toks[1:], f)
		if err != nil {
			return nil, err
		}
		c[i] = nx
		return c, nil
	}
	return nil, fmt.Errorf("%q is inside a value that is not an object or array", clip(toks[0]))
}

func addAt(doc any, toks []string, val any) (any, error) {
	if len(toks) == 0 {
		return val, nil
	}
	return update(doc, toks, func(p any, tok string) (any, error) {
		switch c := p.(type) {
		case map[string]any:
			c[tok] = val
			return c, nil
		case []any:
			i, err := index(tok, len(c), true)
			if err != nil {
				return nil, err
			}
			c = append(c, nil)
			copy(c[i+1:], c[i:])
			c[i] = val
			return c, nil
		}
		return nil, errors.New("the target's parent is not an object or array")
	})
}

func removeAt(doc any, toks []string) (any, error) {
	if len(toks) == 0 {
		return nil, errors.New("cannot remove the whole document")
	}
	return update(doc, toks, func(p any, tok string) (any, error) {
		switch c := p.(type) {
		case map[string]any:
			if _, ok := c[tok]; !ok {
				return nil, fmt.Errorf("no member %q", clip(tok))
			}
			delete(c, tok)
			return c, nil
		case []any:
			i, err := index(tok, len(c), false)
			if err != nil {
				return nil, err
			}
			return append(c[:i], c[i+1:]...), nil
		}
		return nil, errors.New("the target's parent is not an object or array")
	})
}

func applyOp(doc any, op PatchOp) (any, error) {
	toks, err := pointer(op.Path)
	if err != nil {
		return nil, err
	}
	value := func() (any, error) {
		if op.Value == nil {
			return nil, fmt.Errorf("%s needs a value", op.Op)
		}
		return decodeGeneric(op.Value)
	}
	switch op.Op {
	case "add":
		v, err := value()
		if err != nil {
			return nil, err
		}
		return addAt(doc, toks, v)
	case "remove":
		return removeAt(doc, toks)
	case "replace":
		v, err := value()
		if err != nil {
			return nil, err
		}
		if _, err := getAt(doc, toks); err != nil {
			return nil, err
		}
		if doc, err = removeAt(doc, toks); err != nil && len(toks) > 0 {
			return nil, err
		}
		return addAt(doc, toks, v)
	case "move", "copy":
		from, err := pointer(op.From)
		if err != nil {
			return nil, err
		}
		v, err := getAt(doc, from)
		if err != nil {
			return nil, err
		}
		if op.Op == "move" {
			if len(toks) > len(from) && strings.HasPrefix(op.Path, op.From+"/") {
				return nil, errors.New("cannot move a value into itself")
			}
			if doc, err = removeAt(doc, from); err != nil {
				return nil, err
			}
		} else {
			v = deepCopyJSON(v)
		}
		return addAt(doc, toks, v)
	case "test":
		v, err := value()
		if err != nil {
			return nil, err
		}
		got, err := getAt(doc, toks)
		if err != nil {
			return nil, err
		}
		if !jsonEqual(got, v) {
			return nil, fmt.Errorf("test failed at %q", clip(op.Path))
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unknown op %q", clip(op.Op))
}

func deepCopyJSON(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, x := range c {
			m[k] = deepCopyJSON(x)
		}
		return m
	case []any:
		s := make([]any, len(c))
		for i, x := range c {
			s[i] = deepCopyJSON(x)
		}
		return s
	}
	return v
}

// jsonEqual compares JSON values as RFC 6902's test does: numbers by
// value, objects regardless of member order.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if strings.ContainsAny(string(x)+string(y), "eE") {
			// An exponent could make the rational huge; compare the text.
			return x == y
		}
		p, ok1 := new(big.Rat).SetString(string(x))
		q, ok2 := new(big.Rat).SetString(string(y))
		return ok1 && ok2 && p.Cmp(q) == 0
	}
	return a == b
}
