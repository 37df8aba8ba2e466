package appointments

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// openAPIChecker checks live responses against the served OpenAPI
// document: the status must be documented for the operation, and a JSON
// body must match the documented schema (the subset of JSON Schema the
// document uses: $ref, type, required, properties, additionalProperties,
// items, enum, minimum, maximum, maxLength, pattern, format date-time).
type openAPIChecker struct {
	doc     map[string]any
	checked map[string]bool // "METHOD path status" seen
}

func newChecker(t *testing.T, raw []byte) *openAPIChecker {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", doc["openapi"])
	}
	return &openAPIChecker{doc: doc, checked: map[string]bool{}}
}

func (c *openAPIChecker) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = c.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		s = cur.(map[string]any)
	}
}

// check validates one response to method on the path template.
func (c *openAPIChecker) check(t *testing.T, method, path string, status int, contentType string, body []byte) {
	t.Helper()
	op, ok := c.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Fatalf("openapi: %s %s is not documented", method, path)
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		t.Fatalf("openapi: %s %s answered %d, which is not documented", method, path, status)
	}
	c.checked[fmt.Sprintf("%s %s %d", method, path, status)] = true
	resp = c.resolve(resp)
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if len(body) > 0 {
			t.Fatalf("openapi: %s %s %d has a body but none is documented", method, path, status)
		}
		return
	}
	mt := strings.TrimSpace(strings.Split(contentType, ";")[0])
	media, ok := content[mt].(map[string]any)
	if !ok {
		t.Fatalf("openapi: %s %s %d sent %s, documented %v", method, path, status, mt, keys(content))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("openapi: %s %s %d: body is not JSON: %v", method, path, status, err)
	}
	if err := c.validate(media["schema"].(map[string]any), v, ""); err != nil {
		t.Fatalf("openapi: %s %s %d: %v\nbody: %s", method, path, status, err, body)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (c *openAPIChecker) validate(s map[string]any, v any, at string) error {
	s = c.resolve(s)
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %v not in %v", at, v, enum)
		}
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want object, got %T", at, v)
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := m[r.(string)]; !ok {
				return fmt.Errorf("%s: required %q missing", at, r)
			}
		}
		for k, val := range m {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if s["additionalProperties"] == false {
					return fmt.Errorf("%s: property %q not documented", at, k)
				}
				continue
			}
			if err := c.validate(ps, val, at+"/"+k); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want array, got %T", at, v)
		}
		for i, it := range a {
			if err := c.validate(s["items"].(map[string]any), it, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want string, got %T", at, v)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, str)
			}
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", at, str, p)
		}
		if n, ok := s["maxLength"].(float64); ok && float64(len([]rune(str))) > n {
			return fmt.Errorf("%s: longer than %v", at, n)
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%s: want number, got %T", at, v)
		}
		if s["type"] == "integer" && f != float64(int64(f)) {
			return fmt.Errorf("%s: %v is not an integer", at, f)
		}
		if m, ok := s["minimum"].(float64); ok && f < m {
			return fmt.Errorf("%s: %v below %v", at, f, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			return fmt.Errorf("%s: %v above %v", at, f, m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: want boolean, got %T", at, v)
		}
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestCheckerCatchesMismatches(t *testing.T) {
	c := newChecker(t, OpenAPI())
	schema := map[string]any{"$ref": "#/components/schemas/Appointment"}
	good := map[string]any{"id": "a", "status": "booked", "patient": "p", "version": 1.0, "created": "2030-01-01T00:00:00Z", "updated": "2030-01-01T00:00:00Z",
		"slot": map[string]any{"id": "s", "service": "c", "start": "2030-01-01T00:00:00Z", "end": "2030-01-01T00:10:00Z", "modality": "video"}}
	if err := c.validate(schema, good, ""); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"missing":   func(m map[string]any) { delete(m, "version") },
		"extra":     func(m map[string]any) { m["nhsNumber"] = "9990000018" },
		"enum":      func(m map[string]any) { m["status"] = "pending" },
		"type":      func(m map[string]any) { m["version"] = "1" },
		"minimum":   func(m map[string]any) { m["version"] = 0.0 },
		"date-time": func(m map[string]any) { m["created"] = "yesterday" },
	} {
		bad := map[string]any{}
		for k, v := range good {
			bad[k] = v
		}
		mutate(bad)
		if err := c.validate(schema, bad, ""); err == nil {
			t.Errorf("%s: mismatch not caught", name)
		}
	}
}
