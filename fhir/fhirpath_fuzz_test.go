package fhir

import (
	"context"
	"errors"
	"testing"
)

func FuzzFHIRPath(f *testing.F) {
	for _, s := range []string{"name.where(use = 'official').given.first()", "1 + 2 * 3 = 7", "@2015-02-04T14:34:28Z < now()",
		"'a' | 'b' ~ 'A'", "extension('x').value.ofType(Quantity) > 5 'mg'", "iif(active, 1.5 'g', {}).toString()",
		"descendants().count() > 0 and %resource.id.exists()", "(1|2|3).aggregate($this + $total, 0)"} {
		f.Add(s)
	}
	n, err := NodeFromJSON([]byte(`{"resourceType":"Patient","id":"p","active":true,"name":[{"use":"official","given":["A"]}]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := CompileFHIRPath(expr)
		if err != nil {
			if !errors.Is(err, ErrFHIRPath) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_ = p.Check("Patient")
		_, _ = p.EvaluateNode(context.Background(), n, nil)
	})
}
