package fhir

import (
	"context"
	"errors"
	"testing"
)

func FuzzFHIRPath(f *testing.F) {
	for _, s := range []string{"name.where(use = 'official').given.first()", "1 + 2 * 3 = 7", "@2015-02-04T14:34:28Z < now()",
		"'a' | 'b' ~ 'A'", "extension('x').value.ofType(Quantity) > 5 'mg'", "iif(active, 1.5 'g', {}).toString()",
		"descendants().count() > 0 and %resource.id.exists()", "(1|2|3).aggregate($this + $total, 0)",
		"descendants().distinct().count()", "(extension.value | 1000 'mg' | @2020-01-01T11:00:00+01:00).isDistinct()",
		"extension.value.intersect(contact.extension.value)", "(1 | 1.0 | '1' | 1 'g').subsetOf(descendants() | 1000 'mg')"} {
		f.Add(s)
	}
	// items equal across types, units, zones and elements, so that union
	// and the like meet them; every itemSet lookup is checked against
	// comparing item by item
	n, err := NodeFromJSON([]byte(`{"resourceType":"Patient","id":"p","active":true,"name":[{"use":"official","given":["A"]},{"use":"official","given":["A"]}],
		"extension":[{"url":"u","valueQuantity":{"value":1,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}},
			{"url":"u","valueQuantity":{"value":1000,"system":"http://unitsofmeasure.org","code":"mg"}},
			{"url":"u","valueDateTime":"2020-01-01T10:00:00Z"},{"url":"u","valueDecimal":1.0},{"url":"u","valueInteger":1}],
		"contact":[{"extension":[{"url":"u","valuePeriod":{"start":"2020-01-01T10:00:00Z"}},{"url":"u","valueQuantity":{"value":1}}]},
			{"extension":[{"url":"u","valuePeriod":{"start":"2020-01-01T11:00:00+01:00"}},{"url":"u","valueString":"a"}]}]}`))
	if err != nil {
		f.Fatal(err)
	}
	testHookCheckItemSet.Store(true)
	defer testHookCheckItemSet.Store(false)
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
