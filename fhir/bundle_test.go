package fhir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTransactionBundle(t *testing.T) {
	b := NewTransaction()
	p := &Patient{}
	n, _ := TestNHSNumber(3)
	p.SetNHSNumber(n, NHSNumberVerified)
	pref := b.AddCreate(p, "identifier="+NHSNumberSystem+"|"+string(n))
	enc := &Encounter{Status: Code{Value: "planned"}, Class: &Coding{System: URI{Value: "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, Code: Code{Value: "AMB"}}, Subject: &Reference{Reference: String{Value: pref}}}
	b.AddCreate(enc, "")
	assert.Regexp(t, `^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, pref)
	assert.Same(t, Resource(p), b.Resolve(pref))
	assert.Nil(t, Validate(b), "%v", issuesOf(Validate(b)))
	out, err := Marshal(b)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|`)
	require.Error(t, b.AddUpdate(&Patient{}, ""))
	require.NoError(t, b.AddUpdate(&Organization{ID: ID{Value: "o1"}}, `W/"2"`))
	assert.NotNil(t, b.Resolve("Organization/o1"))
	assert.Nil(t, b.Resolve("Organization/o2"))
}

func page(n int, next string) *Bundle {
	b := &Bundle{Type: Code{Value: "searchset"}}
	for i := 0; i < 2; i++ {
		b.Entry = append(b.Entry, BundleEntry{Resource: &Patient{ID: ID{Value: fmt.Sprintf("p%d-%d", n, i)}}, Search: &BundleEntrySearch{Mode: Code{Value: "match"}}})
	}
	b.Entry = append(b.Entry, BundleEntry{Resource: &Organization{ID: ID{Value: "o"}}, Search: &BundleEntrySearch{Mode: Code{Value: "include"}}})
	if next != "" {
		b.Link = []BundleLink{{Relation: String{Value: "next"}, URL: URI{Value: next}}}
	}
	return b
}

func TestAllMatchesFollowsNext(t *testing.T) {
	fetch := func(_ context.Context, url string) (*Bundle, error) {
		switch url {
		case "page2":
			return page(2, "page3"), nil
		case "page3":
			return page(3, ""), nil
		}
		return nil, errors.New("no such page")
	}
	var ids []string
	for r, err := range AllMatches(context.Background(), page(1, "page2"), fetch) {
		require.NoError(t, err)
		ids = append(ids, ResourceID(r))
	}
	assert.Equal(t, []string{"p1-0", "p1-1", "p2-0", "p2-1", "p3-0", "p3-1"}, ids)
	assert.Len(t, page(1, "").Includes(), 1)

	loop := func(_ context.Context, url string) (*Bundle, error) { return page(9, "again"), nil }
	var last error
	for _, err := range AllMatches(context.Background(), page(1, "again"), loop) {
		last = err
	}
	assert.ErrorContains(t, last, "loop")

	failing := func(_ context.Context, url string) (*Bundle, error) { return nil, errors.New("boom") }
	for _, err := range AllMatches(context.Background(), page(1, "x"), failing) {
		last = err
	}
	assert.EqualError(t, last, "boom")
}

func TestNDJSONDecoder(t *testing.T) {
	in := `{"resourceType":"Patient","id":"a"}
` + "\r\n" + `{"resourceType":"Observation","id":"b","status":"final","code":{"text":"x"}}
{"resourceType":"Patient","gender":7}
`
	d := NewNDJSONDecoder(strings.NewReader(in))
	r, err := d.Next()
	require.NoError(t, err)
	assert.Equal(t, "a", ResourceID(r))
	r, err = d.Next()
	require.NoError(t, err)
	assert.Equal(t, "Observation", r.ResourceType())
	_, err = d.Next()
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 4, se.Line)
	assert.ErrorIs(t, err, ErrType)
	_, err = d.Next()
	assert.Equal(t, io.EOF, err)
}

func TestBundleDecoder(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"searchset","total":500,"link":[{"relation":"self","url":"x?a=\"]}"}],"entry":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			sb.WriteString(",\n")
		}
		fmt.Fprintf(&sb, `{"fullUrl":"urn:uuid:%d","resource":{"resourceType":"Patient","id":"p%d","name":[{"text":"a } ] \" b"}]},"search":{"mode":"match"}}`, i, i)
	}
	sb.WriteString(`],"signature":{"type":[{"code":"1.2.840.10065.1.12.1.1"}],"when":"2026-01-01T00:00:00Z","who":{"display":"x"}}}`)
	whole, err := Unmarshal([]byte(sb.String()))
	require.NoError(t, err)

	d := NewBundleDecoder(strings.NewReader(sb.String()))
	n := 0
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("p%d", n), ResourceID(e.Resource))
		n++
	}
	assert.Equal(t, 500, n)
	b, err := d.Bundle()
	require.NoError(t, err)
	assert.Equal(t, int64(500), b.Total.Value)
	assert.NotNil(t, b.Signature)
	b.Entry = whole.(*Bundle).Entry
	a, _ := Marshal(whole)
	c, _ := Marshal(b)
	assert.JSONEq(t, string(a), string(c))

	bad := NewBundleDecoder(strings.NewReader(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Patient","gender":1}}]}`))
	_, err = bad.Next()
	require.NoError(t, err)
	_, err = bad.Next()
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 1, se.Entry)
	assert.ErrorIs(t, err, ErrType)

	for _, in := range []string{`[]`, `{"resourceType":"Patient"}`, `{"resourceType":"Bundle","entry":[{"resource":`} {
		_, err := NewBundleDecoder(strings.NewReader(in)).Next()
		assert.Error(t, err, in)
	}
}
