package fhir

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unhoist clears the hoist marks below n.
func unhoist(n fpNode) (marked int) {
	switch x := n.(type) {
	case *pathNode:
		if x.hoist {
			marked++
			x.hoist = false
		}
		marked += unhoist(x.left) + unhoist(x.right)
	case *funcNode:
		for _, a := range x.args {
			marked += unhoist(a)
		}
	case *binNode:
		marked += unhoist(x.left) + unhoist(x.right)
	case *indexNode:
		marked += unhoist(x.left) + unhoist(x.index)
	case *unaryNode:
		marked += unhoist(x.arg)
	}
	return marked
}

// A path from a variable in a function's argument is worked out once per
// evaluation and its value kept (hoist): the results, errors included,
// are those of working it out every time.
func TestFHIRPathHoisted(t *testing.T) {
	patient := []byte(`{"resourceType":"Patient","id":"p","name":[{"family":"A","given":["B","C"]},{"family":"D","given":["E"]},{"given":["B"]}],
		"contained":[{"resourceType":"Organization","id":"o1","name":"x"},{"resourceType":"Organization","id":"o2"}],
		"managingOrganization":{"reference":"#o1"}}`)
	bundle := []byte(`{"resourceType":"Bundle","type":"batch","entry":[
		{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"a"},"request":{"method":"POST","url":"Patient"}},
		{"fullUrl":"urn:uuid:2","resource":{"resourceType":"Patient","id":"b"}},
		{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"c"},"request":{"method":"POST","url":"Patient"}}]}`)
	tests := []struct {
		doc     []byte
		expr    string
		hoisted int // paths marked
		err     bool
	}{
		{bundle, "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction'))", 2, false},
		{bundle, "entry.select(%resource.entry.count())", 1, false},
		{bundle, "entry.where(fullUrl in %resource.entry.fullUrl.tail())", 1, false},
		{bundle, "entry.select(%resource.entry.fullUrl.distinct().count() + $index)", 1, false},
		{bundle, "entry.all(%resource.entry.single().exists())", 1, true},
		{patient, "name.select(given | %resource.name.given)", 1, false},
		{patient, "name.select(%resource.name.given.first() & given.first())", 1, false},
		{patient, "name.select(%resource.name.given.combine(given))", 1, false},
		{patient, "name.select(given.combine(%resource.name.given))", 1, false},
		{patient, "name.where(given.where($this = %resource.name.given.first()).exists())", 1, false},
		{patient, "contained.where(('#' + id) in %rootResource.descendants().reference)", 1, false},
		{patient, "contained.select(%context.contained.id.last() | id)", 1, false},
		{patient, "name.aggregate($total + %resource.name.given.count(), 0)", 1, false},
		{patient, "name.given.where($this in %resource.name.given.tail().tail())", 1, false},
		// not a path from a variable, or not in an argument: not hoisted
		{patient, "%resource.name.given", 0, false},
		{patient, "name.select(given.first())", 0, false},
		{patient, "name.select(%resource.name.given.where($this = 'B'))", 1, false},
		// not a path from a variable, or not in an argument: not hoisted
		{patient, "%resource.name.given", 0, false},
		{patient, "name.select(given.first())", 0, false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			n, err := NodeFromJSON(tt.doc)
			require.NoError(t, err)
			hoisted := MustCompileFHIRPath(tt.expr)
			plain := MustCompileFHIRPath(tt.expr)
			require.Equal(t, tt.hoisted, unhoist(plain.root))
			want, wantErr := plain.EvaluateNode(ctx, n, nil)
			for range 2 { // a kept value is not changed by its first use
				got, err := hoisted.EvaluateNode(ctx, n, nil)
				if tt.err {
					require.Error(t, err)
					assert.Equal(t, wantErr.Error(), err.Error())
					continue
				}
				require.NoError(t, wantErr)
				require.NoError(t, err)
				assert.Empty(t, cmp.Diff(fpStrings(want), fpStrings(got)))
			}
		})
	}
}

// fpStrings gives a collection's items as text, for comparing results.
func fpStrings(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if n, ok := v.(*Node); ok {
			out[i] = nodeLocation(n) + "=" + n.raw
			continue
		}
		out[i] = fmt.Sprint(sysVal(v))
	}
	return out
}

// countdownCtx is a context whose Err is nil for its first n calls and
// context.Canceled after.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// An expression doing work in proportion to the square of the resource's
// size looks at its context as it goes: cancelled part-way, it stops with
// the context's error, having evaluated no more than lambdasPerCtxCheck
// items past the cancellation.
func TestFHIRPathCancelledPartWay(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient","name":[`)
	for i := range 300 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"given":["g%d"]}`, i)
	}
	b.WriteString(`]}`)
	n, err := NodeFromJSON([]byte(b.String()))
	require.NoError(t, err)
	ctx := context.Background()
	for _, expr := range []string{
		// 300 × 300 items, and 300 × 300 for aggregate's nested exists
		"name.given.where(%resource.name.given.where($this = 'none').exists()).count()",
		"name.given.aggregate($total + %resource.name.given.where($this = 'g1').count(), 0)",
		"name.given.select(%resource.name.given.all($this != 'none'))",
	} {
		t.Run(expr, func(t *testing.T) {
			p := MustCompileFHIRPath(expr)
			_, err := p.EvaluateNode(ctx, n, nil)
			require.NoError(t, err)
			cc := &countdownCtx{Context: ctx, n: 5}
			_, err = p.EvaluateNode(cc, n, nil)
			require.ErrorIs(t, err, context.Canceled)
			// the first look is EvaluateNode's own; the sixth fails
			assert.Equal(t, -1, cc.n)
		})
	}
}

// in and contains look an item up by hash in the value of a hoisted path
// of memberSetFrom items or more: the answers are those of comparing it
// with every item.
func TestFHIRPathInHoisted(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient","name":[`)
	for i := range 40 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"given":["g%d"],"period":{"start":"2020-01-%02d"}}`, i, i%28+1)
	}
	b.WriteString(`],"birthDate":"2020-01-03"}`)
	n, err := NodeFromJSON([]byte(b.String()))
	require.NoError(t, err)
	ctx := context.Background()
	for _, tt := range []struct {
		expr string
		want string
	}{
		{"name.given.where($this in %resource.name.given).count()", "40"},
		{"name.given.where($this in %resource.name.given.tail()).count()", "39"},
		{"name.given.where(%resource.name.given.tail() contains $this).count()", "39"},
		{"name.where(given.first() in %resource.name.given.tail().tail()).count()", "38"},
		{"name.where(period.start in %resource.name.period.start).count()", "40"},
		// a date equal to a dateTime at the same precision, and one not
		{"name.where(@2020-01-03 in %resource.name.period.start).count()", "40"},
		{"name.where(@2020-01-03T10:00 in %resource.name.period.start).count()", "0"},
		{"name.where('G1' in %resource.name.given).count()", "0"},
		{"name.where(1 in %resource.name.given).count()", "0"},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			hoisted := MustCompileFHIRPath(tt.expr)
			plain := MustCompileFHIRPath(tt.expr)
			require.Equal(t, 1, unhoist(plain.root))
			want, err := plain.EvaluateNode(ctx, n, nil)
			require.NoError(t, err)
			got, err := hoisted.EvaluateNode(ctx, n, nil)
			require.NoError(t, err)
			assert.Equal(t, fpStrings(want), fpStrings(got))
			assert.Equal(t, []string{tt.want}, fpStrings(got))
		})
	}
}
