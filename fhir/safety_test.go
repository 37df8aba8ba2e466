package fhir

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const xdiv = `<div xmlns="http://www.w3.org/1999/xhtml">`

// The panic of issue 23: an empty member name, accepted by Unmarshal and
// then indexed by the XML writer.
func TestEmptyElementNameRefused(t *testing.T) {
	for _, in := range []string{
		`{"resourceType":"Patient","":{}}`,
		`{"resourceType":"Patient","_":{}}`,
		`{"resourceType":"Patient","a b":1}`,
		`{"resourceType":"Patient","x<y":1}`,
		`{"resourceType":"Patient","1abc":1}`,
		`{"resourceType":"Patient","name":[{"":"x"}]}`,
	} {
		_, err := Unmarshal([]byte(in))
		assert.ErrorIs(t, err, ErrElementName, in)
		var de *DecodeError
		assert.ErrorAs(t, err, &de, in)
		_, err = JSONToXML([]byte(in))
		assert.ErrorIs(t, err, ErrElementName, in)
	}
	// A Go value with such a name never reaches the XML writer either.
	p := &Patient{Unknown: []RawField{{Name: "", Value: []byte(`{}`)}}}
	_, err := MarshalXML(p)
	assert.Error(t, err)
	// A local element with a proper name is kept in JSON, and refused by
	// XML, which has no place for it.
	r, err := Unmarshal([]byte(`{"resourceType":"Patient","x_local":{"a":1}}`))
	require.NoError(t, err)
	_, err = MarshalXML(r)
	var xe *XMLError
	require.ErrorAs(t, err, &xe)
	assert.Contains(t, xe.Path, "x_local")
	// _name beside a complex element is not a primitive's extension: refused,
	// not dropped.
	_, err = JSONToXML([]byte(`{"resourceType":"Patient","name":[{"family":"a"}],"_name":[{"id":"x"}]}`))
	assert.ErrorAs(t, err, &xe)
}

// The injection of issue 23: a narrative closing the elements around it.
func TestNarrativeInjection(t *testing.T) {
	evil := xdiv + `x</div></text></Patient></resource></entry><entry><resource><Patient xmlns="http://hl7.org/fhir"><id value="evil"/></Patient></resource></entry><entry><resource><Patient><text><div xmlns="http://www.w3.org/1999/xhtml">`
	in := fmt.Sprintf(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","text":{"status":"generated","div":%q}}}]}`, evil)
	_, err := Unmarshal([]byte(in))
	assert.ErrorIs(t, err, ErrXHTML)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "Bundle.entry[0].resource.text.div", de.Path)

	// Made in Go, it is reported by Validate and refused by MarshalXML.
	p := &Patient{Text: &Narrative{Status: Code{Value: "generated"}, Div: XHTML{Value: evil}}}
	b := &Bundle{Type: Code{Value: "collection"}, Entry: []BundleEntry{{Resource: p}}}
	oo := Validate(b)
	require.NotNil(t, oo)
	assert.Contains(t, fmt.Sprint(oo.Issue), "narrative")
	_, err = MarshalXML(b)
	assert.ErrorIs(t, err, ErrXHTML)
}

func TestNarrativeChecker(t *testing.T) {
	deep := xdiv + strings.Repeat("<div>", 100) + strings.Repeat("</div>", 101)
	for _, tc := range []struct {
		div string
		ok  bool
		msg string
	}{
		{xdiv + `<p>Jane <b>Smith</b> &amp; &#160;&#x263A;</p><table><tr><td colspan="2">x</td></tr></table></div>`, true, ""},
		{xdiv + `<a href="https://example.org/a?b=1&amp;c=2">x</a><img src="data:image/png;base64,AAAA" alt="x"/><br/></div>`, true, ""},
		{`  <div xmlns='http://www.w3.org/1999/xhtml' xml:lang="en"/>  `, true, ""},
		{xdiv + `<!-- note --><span style="color:red">x</span></div>`, true, ""},
		{`<div>x</div>`, false, "xmlns"},
		{`<div xmlns="http://www.w3.org/1999/xhtml" xmlns:x="urn:x">x</div>`, false, "namespace"},
		{`<p xmlns="http://www.w3.org/1999/xhtml">x</p>`, false, "want a div"},
		{xdiv + `<script>alert(1)</script></div>`, false, "<script>"},
		{xdiv + `<form/></div>`, false, "<form>"},
		{xdiv + `<iframe/></div>`, false, "<iframe>"},
		{xdiv + `<p onclick="x()">x</p></div>`, false, "event attribute"},
		{xdiv + `<p foo="1">x</p></div>`, false, "not allowed"},
		{xdiv + `<a href=" JaVaScript:alert(1)">x</a></div>`, false, "script"},
		{xdiv + `<a href="data:text/html,x">x</a></div>`, false, "script"},
		{xdiv + `x&nbsp;y</div>`, false, "entity"},
		{xdiv + `x</div><div xmlns="http://www.w3.org/1999/xhtml">y</div>`, false, "after the div"},
		{xdiv + `x</div></text>`, false, "after the div"},
		{xdiv + `<p>x</div>`, false, "does not match"},
		{xdiv + `<p>x`, false, "unclosed"},
		{xdiv + "\x01</div>", false, "U+0001"},
		{xdiv + "&#1;</div>", false, "U+0001"},
		{xdiv + `<p title="a"title="b">x</p></div>`, false, "space"},
		{xdiv + `<p title="a" title="b">x</p></div>`, false, "repeats"},
		{xdiv + `<p title=a>x</p></div>`, false, "quoted"},
		{xdiv + `<p title="<">x</p></div>`, false, "<"},
		{xdiv + `<![CDATA[x]]></div>`, false, "bad start tag"},
		{xdiv + `<?php x ?></div>`, false, "bad start tag"},
		{deep, false, "deeper than"},
	} {
		err := checkNarrativeXHTML(tc.div)
		if tc.ok {
			assert.NoError(t, err, tc.div)
			continue
		}
		var xe *XHTMLError
		if assert.ErrorAs(t, err, &xe, tc.div) {
			assert.Contains(t, xe.Msg, tc.msg, tc.div)
			assert.GreaterOrEqual(t, xe.Line, 1)
		}
	}
	err := checkNarrativeXHTML(xdiv + "\n<p>\n  <script/></p></div>")
	var xe *XHTMLError
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 3, xe.Line)
	assert.Equal(t, 3, xe.Column)
	// A million nested divs fail fast.
	huge := xdiv + strings.Repeat("<div>", 1_000_000)
	assert.ErrorIs(t, checkNarrativeXHTML(huge), ErrXHTML)
}

// Characters XML cannot carry are refused at decode, with their position.
func TestControlCharactersRefused(t *testing.T) {
	for _, tc := range []struct {
		in  string
		off int64
	}{
		{`{"resourceType":"Patient","id":"a\u0008"}`, 33},
		{`{"resourceType":"Patient","name":[{"family":"a\u0001b"}]}`, 46},
		{`{"resourceType":"Patient","name":[{"family":"a\bb"}]}`, 46},
		{`{"resourceType":"Patient","name":[{"family":"a\uFFFE"}]}`, 46},
		{"{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a\xef\xbf\xbf\"}]}", 46},
	} {
		_, err := Unmarshal([]byte(tc.in))
		var de *DecodeError
		if assert.ErrorAs(t, err, &de, tc.in) {
			assert.ErrorIs(t, err, ErrSyntax)
			assert.Equal(t, tc.off, de.Offset, tc.in)
		}
	}
	// Tab, CR and LF are fine and escaped in XML attributes.
	p := &Patient{Name: []HumanName{{Family: String{Value: "a\tb\r\nc\"<&>'"}}}}
	out, err := MarshalXML(p)
	require.NoError(t, err)
	back, err := UnmarshalXML(out)
	require.NoError(t, err)
	assert.Equal(t, p.Name[0].Family.Value, back.(*Patient).Name[0].Family.Value)
	// Made in Go, a control character gives an error, not XML nhskit
	// itself would refuse.
	p.Name[0].Family.Value = "a\x01"
	_, err = MarshalXML(p)
	assert.ErrorIs(t, err, ErrSyntax)
}

func TestChoiceConflict(t *testing.T) {
	for _, in := range []string{
		`{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}`,
		`{"resourceType":"Patient","deceasedBoolean":true,"_deceasedDateTime":{"id":"x"}}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueQuantity":{"value":1}}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1},"valueString":"a"}`,
	} {
		_, err := Unmarshal([]byte(in))
		assert.ErrorIs(t, err, ErrChoice, in)
		assert.NotErrorIs(t, err, ErrDuplicateKey, in)
	}
	_, err := Unmarshal([]byte(`{"resourceType":"Patient","deceasedBoolean":true,"deceasedBoolean":false}`))
	assert.ErrorIs(t, err, ErrDuplicateKey)
	// The value and its extensions under one type are one choice.
	_, err = Unmarshal([]byte(`{"resourceType":"Patient","deceasedBoolean":true,"_deceasedBoolean":{"id":"x"}}`))
	assert.NoError(t, err)
}

func TestHugeIntegerNotEchoed(t *testing.T) {
	digits := strings.Repeat("9", 1000)
	_, err := Unmarshal([]byte(`{"resourceType":"Patient","multipleBirthInteger":` + digits + `}`))
	require.ErrorIs(t, err, ErrType)
	assert.NotContains(t, err.Error(), "99999")
	assert.Contains(t, err.Error(), "1000 digits")
}

// FHIR XML has its elements in definition order and JSON may have its keys
// in any: JSONToXML writes them in definition order, a primitive that has
// only its _name (no value) in its place, an Extension's url as its
// attribute, and a contained resource's elements in order too.
func TestJSONToXMLDefinitionOrder(t *testing.T) {
	in := `{"address":[{"city":"Leeds","line":["1 Lane"]}],"gender":"male",` +
		`"_birthDate":{"extension":[{"valueDateTime":"2020-01-01T10:00:00Z","url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime"}]},` +
		`"name":[{"given":["Ann"],"family":"Test"}],"id":"p1","resourceType":"Patient","active":true,` +
		`"contained":[{"name":"Org","resourceType":"Organization","id":"o1"}],"meta":{"versionId":"1"}}`
	want := `<Patient xmlns="http://hl7.org/fhir"><id value="p1"/><meta><versionId value="1"/></meta>` +
		`<contained><Organization><id value="o1"/><name value="Org"/></Organization></contained>` +
		`<active value="true"/><name><family value="Test"/><given value="Ann"/></name><gender value="male"/>` +
		`<birthDate><extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime"><valueDateTime value="2020-01-01T10:00:00Z"/></extension></birthDate>` +
		`<address><line value="1 Lane"/><city value="Leeds"/></address></Patient>`
	got, err := JSONToXML([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, want, string(got))
	back, err := XMLToJSON(got)
	require.NoError(t, err)
	a, err := Unmarshal([]byte(in))
	require.NoError(t, err)
	b, err := Unmarshal(back)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestBOMAndXMLVariants(t *testing.T) {
	r, err := Unmarshal([]byte(utf8BOM + `{"resourceType":"Patient","id":"a"}`))
	require.NoError(t, err)
	assert.Equal(t, "a", ResourceID(r))

	schema := `<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir ../../schema/patient.xsd">
  <id value="a"/>
</Patient>`
	r, err = UnmarshalXML([]byte(utf8BOM + schema))
	require.NoError(t, err)
	assert.Equal(t, "a", ResourceID(r))

	latin := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div xmlns=\"http://www.w3.org/1999/xhtml\">Ren\xe9e</div></text><name><family value=\"Ren\xe9e\"/></name></Patient>")
	r, err = UnmarshalXML(latin)
	require.NoError(t, err)
	p := r.(*Patient)
	assert.Equal(t, "Renée", p.Name[0].Family.Value)
	assert.Equal(t, xdiv+"Renée</div>", p.Text.Div.Value)

	_, err = UnmarshalXML([]byte(`<?xml version="1.0" encoding="EBCDIC"?><Patient xmlns="http://hl7.org/fhir"/>`))
	assert.ErrorIs(t, err, ErrXML)
	_, err = UnmarshalXML([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><Patient xmlns="http://hl7.org/fhir"/>`))
	assert.ErrorIs(t, err, ErrXML)
}

// XML errors found after conversion name the line and column of the XML.
func TestXMLErrorPosition(t *testing.T) {
	in := "<Patient xmlns=\"http://hl7.org/fhir\">\n  <id value=\"a\"/>\n  <deceasedBoolean value=\"true\"/>\n  <deceasedDateTime value=\"2020\"/>\n</Patient>"
	_, err := UnmarshalXML([]byte(in))
	var xe *XMLError
	require.ErrorAs(t, err, &xe)
	assert.ErrorIs(t, err, ErrChoice)
	assert.ErrorIs(t, err, ErrXML)
	assert.Equal(t, 4, xe.Line)
	assert.Greater(t, xe.Column, 1)

	in = "<Patient xmlns=\"http://hl7.org/fhir\">\n  <id value=\"a\"/>\n  <multipleBirthInteger value=\"99999999999999999999999\"/>\n</Patient>"
	_, err = UnmarshalXML([]byte(in))
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 3, xe.Line)
	assert.NotContains(t, err.Error(), "9999999999")

	in = "<Patient xmlns=\"http://hl7.org/fhir\">\n<text><status value=\"generated\"/>\n<div xmlns=\"http://www.w3.org/1999/xhtml\"><script/></div></text></Patient>"
	_, err = UnmarshalXML([]byte(in))
	require.ErrorAs(t, err, &xe)
	assert.ErrorIs(t, err, ErrXHTML)
	assert.Equal(t, 3, xe.Line)

	in = "<Patient xmlns=\"http://hl7.org/fhir\">\n\n  <id value=\"a\">\n</Patient>"
	_, err = UnmarshalXML([]byte(in))
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 4, xe.Line)
}

// One grammar: what Unmarshal refuses, the streaming decoder refuses.
func TestBundleDecoderGrammar(t *testing.T) {
	for _, in := range []string{
		`{"resourceType":"Bundle" "type":"collection"}`,
		`{"resourceType":"Bundle","type":"collection","entry":[],"entry":[]}`,
		`{"resourceType":"Bundle","type":"collection","type":"batch"}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}} {"resource":{"resourceType":"Patient"}}]}`,
		`{"resourceType":"Bundle","entry":[,{"resource":{"resourceType":"Patient"}}]}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},]}`,
		`{"resourceType":"Bundle","total":01}`,
		`{"resourceType":"Bundle","total":1,}`,
		`{"resourceType":"Bundle","type":"collection"} x`,
		`{"resourceType":"Bundle","type":"collection","":1}`,
		`{"resourceType":"Bundle","type":"collection","link":[{"url":"a"}"x"]}`,
	} {
		_, uerr := Unmarshal([]byte(in))
		assert.Error(t, uerr, in)
		d := NewBundleDecoder(strings.NewReader(in))
		var err error
		for i := 0; i < 10 && err == nil; i++ {
			_, err = d.Next()
		}
		assert.Error(t, err, in)
		assert.NotEqual(t, io.EOF, err, in)
		var se *StreamError
		assert.ErrorAs(t, err, &se, in)
	}
}

// countingReader yields an endless JSON string body and counts the bytes
// taken from it.
type countingReader struct {
	prefix string
	n      int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	i := 0
	for ; i < len(p) && len(c.prefix) > 0; i++ {
		p[i], c.prefix = c.prefix[0], c.prefix[1:]
	}
	for ; i < len(p); i++ {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

// The limits hold while reading: the decoder stops after little more
// than the limit, whatever the input's size.
func TestStreamLimits(t *testing.T) {
	const limit = 1 << 20
	for _, tc := range []struct {
		prefix string
		opt    StreamOption
	}{
		{`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"`, WithMaxResourceBytes(limit)},
		{`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","x":[1,2,{"a":"`, WithMaxResourceBytes(limit)},
		{`{"resourceType":"Bundle","id":"`, WithMaxHeaderBytes(limit)},
		{`{"resourceType":"Bundle","meta":{"tag":[{"code":"`, WithMaxHeaderBytes(limit)},
	} {
		src := &countingReader{prefix: tc.prefix}
		d := NewBundleDecoder(src, tc.opt)
		_, err := d.Next()
		assert.ErrorIs(t, err, ErrTooLarge, tc.prefix)
		assert.Less(t, src.n, int64(limit+256<<10), tc.prefix)
	}
	// Header members are bounded together, not one by one.
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle"`)
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&sb, `,"x%d":"%s"`, i, strings.Repeat("a", 300<<10))
	}
	sb.WriteString(`,"entry":[]}`)
	_, err := NewBundleDecoder(strings.NewReader(sb.String()), WithMaxHeaderBytes(limit)).Next()
	assert.ErrorIs(t, err, ErrTooLarge)

	// NDJSON: an oversized line is reported and the next line still read.
	in := `{"resourceType":"Patient","id":"` + strings.Repeat("a", 2*limit) + "\"}\n" + `{"resourceType":"Patient","id":"b"}` + "\n"
	nd := NewNDJSONDecoder(strings.NewReader(in), WithMaxResourceBytes(limit))
	_, err = nd.Next()
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 1, se.Line)
	assert.ErrorIs(t, err, ErrTooLarge)
	r, err := nd.Next()
	require.NoError(t, err)
	assert.Equal(t, "b", ResourceID(r))
	assert.Equal(t, 2, nd.Line())
}

// FuzzJSONToXML: JSON that decodes converts to XML or gives an *XMLError,
// never a panic; XML that is written reads back to the same resource.
func FuzzJSONToXML(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"resourceType":"Patient","":{}}`))
	f.Add([]byte(`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Unmarshal(data)
		x, xerr := JSONToXML(data)
		if err != nil {
			if xerr == nil {
				t.Fatalf("JSONToXML accepts what Unmarshal refuses (%v)", err)
			}
			return
		}
		if xerr != nil {
			var xe *XMLError
			if !errors.As(xerr, &xe) {
				t.Fatalf("error of type %T: %v", xerr, xerr)
			}
			return
		}
		back, err := UnmarshalXML(x)
		if err != nil {
			t.Fatalf("our own XML does not read back: %v\n%s", err, x)
		}
		a, _ := Marshal(r)
		b, _ := Marshal(back)
		if !bytes.Equal(a, b) {
			t.Fatalf("JSON→XML→JSON changed the resource:\n%s\n%s", a, b)
		}
	})
}

// FuzzXHTML: the checker never panics, and what it accepts is one
// well-formed element that cannot close the elements around it.
func FuzzXHTML(f *testing.F) {
	f.Add(xdiv + `<p>a <b>b</b> &amp; &#160;</p></div>`)
	f.Add(xdiv + `x</div></text></Patient><Patient>`)
	f.Add(`<div xmlns="http://www.w3.org/1999/xhtml"/>`)
	f.Add(xdiv + `<!-- c --><a href="x">y</a><img src="z" alt=""/></div>`)
	f.Fuzz(func(t *testing.T, s string) {
		if checkNarrativeXHTML(s) != nil {
			return
		}
		d := xml.NewDecoder(strings.NewReader("<text>" + s + "</text><after/>"))
		d.Strict = true
		depth, roots := 0, 0
		for {
			tok, err := d.Token()
			if err != nil {
				if err == io.EOF {
					break
				}
				// "<after/>" makes two roots, which encoding/xml accepts;
				// any other error is a checker bug.
				t.Fatalf("accepted div is not well-formed: %v\n%q", err, s)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if depth == 1 {
					roots++
					if x.Name.Local != "div" || x.Name.Space != xhtmlNS {
						t.Fatalf("accepted root %v", x.Name)
					}
				}
				if depth == 0 && x.Name.Local != "text" && x.Name.Local != "after" {
					t.Fatalf("escaped element %v\n%q", x.Name, s)
				}
				depth++
			case xml.EndElement:
				depth--
			}
		}
		if roots != 1 {
			t.Fatalf("%d root elements in %q", roots, s)
		}
	})
}

// FuzzNDJSON: the NDJSON reader never panics and ends.
func FuzzNDJSON(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("{\"resourceType\":\"Patient\"}\n\n{\"resourceType\":\"Patient\",\"id\":1}\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewNDJSONDecoder(bytes.NewReader(data), WithMaxResourceBytes(1<<12))
		for i := 0; i <= bytes.Count(data, []byte{'\n'})+1; i++ {
			_, err := d.Next()
			if err == io.EOF {
				return
			}
			var se *StreamError
			if err != nil && !errors.As(err, &se) {
				t.Fatalf("error of type %T", err)
			}
		}
		t.Fatal("the decoder did not end")
	})
}

func TestResolveFrom(t *testing.T) {
	p1 := &Patient{ID: ID{Value: "1"}, Meta: &Meta{VersionID: ID{Value: "2"}}}
	p2 := &Patient{ID: ID{Value: "1"}}
	o := &Organization{ID: ID{Value: "o"}}
	b := &Bundle{Type: Code{Value: "collection"}, Entry: []BundleEntry{
		{FullURL: URI{Value: "https://a.example/fhir/Patient/1"}, Resource: p1},
		{FullURL: URI{Value: "https://b.example/fhir/Patient/1"}, Resource: p2},
		{FullURL: URI{Value: "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"}, Resource: o},
	}}
	for _, tc := range []struct {
		from, ref string
		want      Resource
	}{
		{"https://b.example/fhir/Observation/x", "Patient/1", p2},
		{"https://a.example/fhir/Observation/x", "Patient/1", p1},
		{"https://a.example/fhir/Observation/x/_history/3", "Patient/1", p1},
		{"https://c.example/fhir/Observation/x", "Patient/1", nil},
		{"urn:uuid:0b2e5c3a-0000-4000-8000-000000000000", "Patient/1", p1},
		{"", "https://b.example/fhir/Patient/1", p2},
		{"", "https://a.example/fhir/Patient/1/_history/2", p1},
		{"", "https://a.example/fhir/Patient/1/_history/1", nil},
		{"https://a.example/fhir/Observation/x", "Patient/1/_history/2", p1},
		{"https://b.example/fhir/Observation/x", "Patient/1/_history/2", nil},
		{"", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", o},
		{"", "Organization/o", o},
		{"", "#x", nil},
		{"", "Patient", nil},
	} {
		assert.True(t, tc.want == b.ResolveFrom(tc.from, tc.ref), "%s from %s", tc.ref, tc.from)
	}
}

// Required-binding codes are generated as constants; the value on the wire
// stays the string.
func TestBindingConstants(t *testing.T) {
	p := &Patient{Gender: Code{Value: AdministrativeGenderFemale}}
	out, err := Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"resourceType":"Patient","gender":"female"}`, string(out))
	assert.Nil(t, Validate(p))
	assert.Equal(t, "entered-in-error", ObservationStatusEnteredInError)
	assert.True(t, vsObservationStatus(ObservationStatusEnteredInError))
	assert.Equal(t, "<=", QuantityComparatorLE)
}
