package fhir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Cases from RFC 6902 appendix A, and its error cases.
func TestApplyJSONPatch(t *testing.T) {
	for _, tc := range []struct {
		doc, patch, want string
	}{
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz","value":"qux"}]`, `{"baz":"qux","foo":"bar"}`},
		{`{"foo":["bar","baz"]}`, `[{"op":"add","path":"/foo/1","value":"qux"}]`, `{"foo":["bar","qux","baz"]}`},
		{`{"baz":"qux","foo":"bar"}`, `[{"op":"remove","path":"/baz"}]`, `{"foo":"bar"}`},
		{`{"foo":["bar","qux","baz"]}`, `[{"op":"remove","path":"/foo/1"}]`, `{"foo":["bar","baz"]}`},
		{`{"baz":"qux","foo":"bar"}`, `[{"op":"replace","path":"/baz","value":"boo"}]`, `{"baz":"boo","foo":"bar"}`},
		{`{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`, `[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`, `{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`},
		{`{"foo":["all","grass","cows","eat"]}`, `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`, `{"foo":["all","cows","eat","grass"]}`},
		{`{"baz":"qux","foo":["a",2,"c"]}`, `[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2.0}]`, `{"baz":"qux","foo":["a",2,"c"]}`},
		{`{"foo":"bar"}`, `[{"op":"add","path":"/child","value":{"grandchild":{}}}]`, `{"child":{"grandchild":{}},"foo":"bar"}`},
		{`{"foo":["bar"]}`, `[{"op":"add","path":"/foo/-","value":["abc","def"]}]`, `{"foo":["bar",["abc","def"]]}`},
		{`{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10}]`, `{"/":9,"~1":10}`},
		{`{"a":{"b":1.50}}`, `[{"op":"copy","from":"/a","path":"/c"}]`, `{"a":{"b":1.50},"c":{"b":1.50}}`},
	} {
		out, err := ApplyJSONPatch([]byte(tc.doc), []byte(tc.patch))
		if assert.NoError(t, err, tc.patch) {
			assert.JSONEq(t, tc.want, string(out), tc.patch)
		}
	}
	for _, tc := range []struct{ doc, patch string }{
		{`{"foo":"bar"}`, `[{"op":"add","path":"/baz/bat","value":"qux"}]`},
		{`{"baz":"qux"}`, `[{"op":"test","path":"/baz","value":"bar"}]`},
		{`{"foo":["bar"]}`, `[{"op":"add","path":"/foo/5","value":1}]`},
		{`{"foo":["bar"]}`, `[{"op":"remove","path":"/foo/01"}]`},
		{`{"foo":1}`, `[{"op":"replace","path":"/nope","value":1}]`},
		{`{"foo":1}`, `[{"op":"frobnicate","path":"/foo"}]`},
		{`{"foo":1}`, `[{"op":"add","path":"foo","value":1}]`},
		{`{"foo":1}`, `[{"op":"add","path":"/bar"}]`},
		{`{"a":{"b":1}}`, `[{"op":"move","from":"/a","path":"/a/b/c"}]`},
		{`{"foo":1}`, `{"op":"add"}`},
	} {
		_, err := ApplyJSONPatch([]byte(tc.doc), []byte(tc.patch))
		var pe *PatchError
		assert.ErrorAs(t, err, &pe, tc.patch)
		assert.ErrorIs(t, err, ErrPatch, tc.patch)
	}
}

// ApplyPatch checks the result against the model.
func TestApplyPatchTypeChecked(t *testing.T) {
	p := &Patient{ID: ID{Value: "1"}, Gender: Code{Value: "female"}, Name: []HumanName{{Family: String{Value: "Smith"}}}}
	r, err := ApplyPatch(p, []byte(`[{"op":"replace","path":"/gender","value":"male"},{"op":"add","path":"/name/0/given","value":["Jo"]},{"op":"add","path":"/birthDate","value":"2010-10-22"}]`))
	require.NoError(t, err)
	np := r.(*Patient)
	assert.Equal(t, "male", np.Gender.Value)
	assert.Equal(t, "Jo", np.Name[0].Given[0].Value)
	assert.Equal(t, "2010-10-22", np.BirthDate.Value)
	assert.Equal(t, "female", p.Gender.Value, "the original is not changed")

	for _, patch := range []string{
		`[{"op":"add","path":"/name","value":"Smith"}]`,
		`[{"op":"replace","path":"/resourceType","value":"Observation"}]`,
		`[{"op":"add","path":"/deceasedDateTime","value":"2020"},{"op":"add","path":"/deceasedBoolean","value":true}]`,
		`[{"op":"add","path":"/text","value":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script/></div>"}}]`,
	} {
		_, err := ApplyPatch(p, []byte(patch))
		var pe *PatchError
		assert.ErrorAs(t, err, &pe, patch)
	}
}
