package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameTree reports the first difference between two Node trees: names,
// types, values, text, indexes, children and parent links.
func sameTree(a, b *Node, ap, bp *Node, loc string) string {
	if a.Name != b.Name || a.Type != b.Type || a.raw != b.raw || a.index != b.index {
		return fmt.Sprintf("%s: %s %s %q #%d vs %s %s %q #%d", loc, a.Name, a.Type, a.raw, a.index, b.Name, b.Type, b.raw, b.index)
	}
	if !reflect.DeepEqual(a.val, b.val) {
		return fmt.Sprintf("%s: value %#v vs %#v", loc, a.val, b.val)
	}
	if a.parent != ap || b.parent != bp {
		return loc + ": parent link"
	}
	if len(a.kids) != len(b.kids) {
		return fmt.Sprintf("%s: %d children vs %d", loc, len(a.kids), len(b.kids))
	}
	for i := range a.kids {
		if d := sameTree(a.kids[i], b.kids[i], a, b, loc+"."+a.kids[i].Name); d != "" {
			return d
		}
	}
	return ""
}

func checkFastTree(t *testing.T, name string, data []byte) {
	t.Helper()
	want, werr := NodeFromJSON(data)
	got, gerr := nodeFromJSONFast(data)
	if werr != nil || gerr != nil {
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: encoding/json %v, fast %v", name, werr, gerr)
		}
		return
	}
	if d := sameTree(want, got, nil, nil, want.Type); d != "" {
		t.Errorf("%s: %s", name, d)
	}
}

// The fast builder gives NodeFromJSON's tree on every R4 example as
// published, on Marshal's output for every UK Core example, and on edge
// cases of FHIR JSON.
func TestNodeFromJSONFastSameTree(t *testing.T) {
	r4 := readR4Examples(t)
	names := slices.Sorted(maps.Keys(r4))
	for j, n := range names {
		if raceEnabled && j%r4RaceStep != 0 {
			continue // a sample under -race; .ci/run runs the whole corpus without it
		}
		if !notResources[n] && !truncatedExamples[n] {
			checkFastTree(t, "r4/"+n, r4[n])
		}
	}
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	if err != nil || len(files) != 215 {
		t.Fatalf("want the 215 UK Core examples in %s (%v)", ukcoreDir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := UnmarshalXML(data)
		if err != nil {
			continue
		}
		js, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		checkFastTree(t, filepath.Base(f), js)
	}
	for i, js := range []string{
		`{"resourceType":"Patient","_birthDate":{"id":"b","extension":[{"url":"u","valueDateTime":"2020-01-01T10:00:00Z"}]},"name":[{"given":["a",null,"c"],"_given":[null,{"id":"g"}]}]}`,
		`{"resourceType":"Patient","unknownThing":[[1,2],{"x":true}],"zz":null,"aa":1e3,"gender":"male","gender":"female","fhir_comments":["x"]}`,
		`{"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"},"component":[{"code":{"text":"\u00e9\n\"q\""},"valueBoolean":false},{"valueInteger":-3}]}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"p"}},{"resource":{}}]}`,
		` { "resourceType" : "Basic" , "code" : { "text" : "x\ud83d\ude00y" } } `,
		`{"resourceType":"Basic","code":{"text":"bad \xff byte"}}`,
		`{"resourceType":"Basic","extension":[]}`,
		`{"resourceType":""}`,
		`[1]`,
		`{"resourceType":"Basic",}`,
		`{"resourceType":"Basic","a":01}`,
		`{"resourceType":"Basic","a":"x`,
	} {
		checkFastTree(t, fmt.Sprint("case ", i), []byte(js))
	}
	// encoding/json's Decoder stops after the first value; Marshal's
	// output never has anything after it, and the fast builder refuses it
	if _, err := nodeFromJSONFast([]byte(`{"resourceType":"Basic"} x`)); err == nil {
		t.Error("data after the resource accepted")
	}
}

// Anything NodeFromJSON reads, the fast builder reads to the same tree,
// and it never panics.
func FuzzNodeFromJSONFast(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","_birthDate":{"id":"b"},"name":[{"given":["a",null]}]}`))
	f.Add([]byte(`{"resourceType":"Observation","valueQuantity":{"value":1.50},"x":[[1]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gerr := nodeFromJSONFast(data)
		want, werr := NodeFromJSON(data)
		if gerr != nil || werr != nil {
			// encoding/json's Decoder reads only the first value, so it
			// takes trailing data the fast builder refuses
			return
		}
		if d := sameTree(want, got, nil, nil, want.Type); d != "" {
			t.Errorf("%s", d)
		}
	})
}

// plainInt agrees with fmt.Sscan wherever it answers.
func TestPlainIntMatchesSscan(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-12", "010", "0x1f", "123456789012345678", "1234567890123456789", "-", "", "1_000", "+5", "12a", "9223372036854775807"} {
		v, ok := plainInt(s)
		if !ok {
			continue
		}
		var w int64
		if _, err := fmt.Sscan(s, &w); err != nil || w != v {
			t.Errorf("%q: plainInt %d, Sscan %d (%v)", s, v, w, err)
		}
	}
	if _, ok := plainInt("010"); ok {
		t.Error("010 is octal to Sscan")
	}
}

// unescapeSimple agrees with encoding/json wherever it answers.
func TestUnescapeSimpleMatchesJSON(t *testing.T) {
	for _, s := range []string{`a\"b`, `\\`, `\/x\n\r\t\b\f`, `é\"`, `\u00e9`, `\x`, "bad \xff", `end\`} {
		got, ok := unescapeSimple(s)
		var want string
		err := json.Unmarshal([]byte(`"`+s+`"`), &want)
		if ok && (err != nil || got != want) {
			t.Errorf("%q: %q, encoding/json %q (%v)", s, got, want, err)
		}
	}
	if _, ok := unescapeSimple(`\u00e9`); ok {
		t.Error(`\u escapes are left to encoding/json`)
	}
}

// NodeFromXML gives NodeFromJSON's tree, children in the same (definition)
// order, on every R4 example converted by JSONToXML: which also proves
// that JSONToXML writes elements in the order FHIR XML requires, whatever
// the JSON's key order (Bundle-terminologies has its keys sorted).
func TestNodeFromXMLSameTree(t *testing.T) {
	r4 := readR4Examples(t)
	names := slices.Sorted(maps.Keys(r4))
	compared := 0
	for j, n := range names {
		if notResources[n] || truncatedExamples[n] || raceEnabled && j%r4RaceStep != 0 {
			continue // a sample under -race; .ci/run runs the whole corpus without it
		}
		x, err := JSONToXML(r4[n])
		if err != nil {
			t.Errorf("%s: JSONToXML: %v", n, err)
			continue
		}
		want, err := NodeFromJSON(r4[n])
		require.NoError(t, err, n)
		got, err := NodeFromXML(x)
		if err != nil {
			t.Errorf("%s: NodeFromXML: %v", n, err)
			continue
		}
		if d := sameTree(want, got, nil, nil, want.Type); d != "" {
			t.Errorf("%s: %s", n, d)
		}
		compared++
	}
	if !raceEnabled {
		require.Greater(t, compared, 5000)
	}
}

// A tab, line feed or carriage return written as such in an XML attribute
// value reads as a space (XML 1.0 §3.3.3) in every reader of FHIR XML: the
// FHIRPath tree, Unmarshal and so ValidateBytes; a reference to one stays
// itself.
func TestXMLAttributeWhitespace(t *testing.T) {
	doc := "<Patient xmlns=\"http://hl7.org/fhir\"><name id=\"n\tm\"><family value=\"a\r\nb\nc&#10;d\"/></name></Patient>"
	n, err := NodeFromXML([]byte(doc))
	require.NoError(t, err)
	got, err := MustCompileFHIRPath("name.family.toString()").EvaluateNode(context.Background(), n, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"a b c\nd"}, got)
	got, err = MustCompileFHIRPath("name.id.toString()").EvaluateNode(context.Background(), n, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"n m"}, got)
	r, err := UnmarshalXML([]byte(doc))
	require.NoError(t, err)
	p := r.(*Patient)
	assert.Equal(t, "a b c\nd", p.Name[0].Family.Value)
	assert.Equal(t, "n m", p.Name[0].ID)
}
