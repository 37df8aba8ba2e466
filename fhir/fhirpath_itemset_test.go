package fhir

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// itemPool gives items of every kind FHIRPath compares, with many pairs
// that are equal across type, unit, precision, zone or tree: literals,
// and elements of two trees of one Observation (JSON and typed), whose
// quantities equal each other in other units.
func itemPool(t *testing.T) []any {
	t.Helper()
	ctx := context.Background()
	var pool []any
	literals := []string{
		"'a'", "'A'", "'a '", "'1'", "'true'", "true", "false",
		"0", "1", "2", "1000", "1.0", "1.00", "0.5", "0.50", "1000.0",
		"@2020", "@2020-01", "@2020-01-01", "@2020-01-01T10:00:00Z", "@2020-01-01T11:00:00+01:00",
		"@2020-01-01T10:00:00", "@2020-01-01T10:00:00.000Z", "@2020-01-01T10:00:00.000", "@2019-12-31T23:00:00-11:00",
		"@2020-01-01T10:00Z", "@2020-01-01T10Z", "@T10:00", "@T10:00:00", "@T10:00:00.000", "@T10:00:00.001",
		"1 'm'", "100 'cm'", "100.0 'cm'", "1 'g'", "1000 'mg'", "0 'mg'", "0 'g'", "1 year", "1 years", "12 months",
		"1 'a'", "1 week", "7 days", "7 'd'", "1 'wk'", "1 '[foo]'", "1.0 '[foo]'", "1 '[bar]'", "60 minutes", "1 hour", "1 'h'", "1 '1'",
	}
	for _, lit := range literals {
		got, err := MustCompileFHIRPath(lit).EvaluateNode(ctx, nil, nil)
		require.NoError(t, err, lit)
		require.Len(t, got, 1, lit)
		pool = append(pool, got[0])
	}
	const obs = `{"resourceType":"Observation","status":"final","code":{"text":"x"},
	"extension":[
		{"url":"http://example.org/q","valueQuantity":{"value":1,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}},
		{"url":"http://example.org/q","valueQuantity":{"value":1000,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}},
		{"url":"http://example.org/q","valueQuantity":{"value":1.0,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}},
		{"url":"http://example.org/p","valuePeriod":{"start":"2020-01-01T10:00:00Z"}},
		{"url":"http://example.org/p","valuePeriod":{"start":"2020-01-01T11:00:00+01:00"}},
		{"url":"http://example.org/p","valuePeriod":{"start":"2020-01-01T10:00:00"}},
		{"url":"http://example.org/s","valueString":"a"},
		{"url":"http://example.org/s","valueString":"a"},
		{"url":"http://example.org/c","valueCoding":{"system":"http://snomed.info/sct","code":"1"}},
		{"url":"http://example.org/c","valueCoding":{"system":"http://snomed.info/sct","code":"1"}},
		{"url":"http://example.org/i","valueInteger":1},
		{"url":"http://example.org/i","valueDecimal":1.0},
		{"url":"http://example.org/q","valueQuantity":{"value":1}}
	],
	"component":[
		{"code":{"text":"y"},"valueQuantity":{"value":1,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}},
		{"code":{"text":"y"},"valueQuantity":{"value":1000,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}},
		{"code":{"text":"y"},"valueQuantity":{"value":1,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}},
		{"code":{"text":"y"},"valueString":"a"}
	]}`
	r, err := Unmarshal([]byte(obs))
	require.NoError(t, err)
	typed, err := NodeOf(r)
	require.NoError(t, err)
	// an element the JSON tree does not know the type of: an Element
	// equal, child by child, to the Quantity 1 (and that one to 1 '1')
	withUnknown := strings.Replace(obs, `"status"`, `"unknownAmount":{"value":1},"status"`, 1)
	fromJSON, err := NodeFromJSON([]byte(withUnknown))
	require.NoError(t, err)
	for _, n := range []*Node{typed, fromJSON} {
		for _, expr := range []string{"extension", "extension.value", "component", "component.value", "component.code", "extension.value.start", "code", "unknownAmount"} {
			got, err := MustCompileFHIRPath(expr).EvaluateNode(ctx, n, nil)
			require.NoError(t, err, expr)
			pool = append(pool, got...)
		}
	}
	return pool
}

// Any two items FHIRPath finds equal are filed under a common hash: the
// hashes never make union and the like miss an equal item.
func TestItemHashesKeepEquality(t *testing.T) {
	pool := itemPool(t)
	equalPairs := 0
	for i, a := range pool {
		for j, b := range pool {
			if eq, _ := eqItem(a, b); !eq {
				continue
			}
			equalPairs++
			ha, na := itemHashes(a)
			hb, nb := itemHashes(b)
			if na == 0 || nb == 0 {
				continue // compared with every item
			}
			shared := false
			for _, x := range ha[:na] {
				for _, y := range hb[:nb] {
					shared = shared || x == y
				}
			}
			assert.True(t, shared, "items %d and %d are equal but share no hash: %v, %v", i, j, describeItem(a), describeItem(b))
		}
	}
	// the pool has equal pairs across kinds, not only each item with itself
	assert.Greater(t, equalPairs, len(pool)+40)
}

func describeItem(x any) string {
	if n, ok := x.(*Node); ok {
		return n.Type + " " + nodeLocation(n)
	}
	return fmt.Sprintf("%T %v", x, x)
}

// union, distinct, intersect, exclude and subsetOf through itemSet give
// what comparing every pair gives, in the same order, over random
// collections of the pool's items.
func TestItemSetMatchesPairwise(t *testing.T) {
	pool := itemPool(t)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() []any {
		out := make([]any, rng.IntN(30))
		for i := range out {
			out[i] = pool[rng.IntN(len(pool))]
		}
		return out
	}
	same := func(a, b []any) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if an, ok := a[i].(*Node); ok {
				if bn, ok := b[i].(*Node); !ok || an != bn {
					return false
				}
				continue
			}
			if eq, _ := eqItem(a[i], b[i]); !eq {
				return false
			}
		}
		return true
	}
	for range 3000 {
		l, r := pick(), pick()
		var want []any
		for _, x := range append(append([]any{}, l...), r...) {
			if !containsItem(want, x) {
				want = append(want, x)
			}
		}
		require.True(t, same(union(l, r), want), "union")
		set := newItemSet(r)
		for _, x := range l {
			require.Equal(t, containsItem(r, x), set.has(x), "has %s", describeItem(x))
		}
		require.Equal(t, func() bool {
			for _, x := range l {
				if !containsItem(r, x) {
					return false
				}
			}
			return true
		}(), allIn(l, r), "subsetOf")
	}
}
