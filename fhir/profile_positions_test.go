package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nhskit/nhskit/fhir/internal/fhirxml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineCol gives the 1-based line and byte column of offset off.
func lineCol(data []byte, off int) (int, int) {
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, off - start + 1
}

func issuePosition(t *testing.T, is OperationOutcomeIssue) (line, col int64, loc []string) {
	t.Helper()
	for _, e := range is.Extension {
		v, _ := e.Value.(*Integer)
		require.NotNil(t, v, "%s has no integer", e.URL.Value)
		switch e.URL.Value {
		case ExtIssueLine:
			line = v.Value
		case ExtIssueCol:
			col = v.Value
		}
	}
	for _, l := range is.Location {
		loc = append(loc, l.Value)
	}
	return line, col, loc
}

func findRule(t *testing.T, oo *OperationOutcome, rule string) OperationOutcomeIssue {
	t.Helper()
	require.NotNil(t, oo)
	for _, is := range oo.Issue {
		if is.Details != nil && is.Details.Text.Value == rule {
			return is
		}
	}
	t.Fatalf("no %s issue in %+v", rule, oo.Issue)
	return OperationOutcomeIssue{}
}

func TestValidateBytesPositionsJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "profiles", "binding-birthsex-x.json"))
	require.NoError(t, err)
	oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	is := findRule(t, oo, RuleBinding)
	line, col, loc := issuePosition(t, is)
	wl, wc := lineCol(data, bytes.Index(data, []byte(`"valueCodeableConcept"`)))
	assert.Equal(t, int64(wl), line)
	assert.Equal(t, int64(wc), col)
	assert.Equal(t, []string{"Patient.extension[0].value", "Line[" + itoa(wl) + "] Col[" + itoa(wc) + "]"}, loc)

	// an absent element: the position of the element above it
	data, err = os.ReadFile(filepath.Join("testdata", "profiles", "slice-lab-category-missing.json"))
	require.NoError(t, err)
	oo, err = ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	line, col, _ = issuePosition(t, findRule(t, oo, RuleSlicing))
	wl, wc = lineCol(data, bytes.Index(data, []byte(`"category"`)))
	assert.Equal(t, [2]int64{int64(wl), int64(wc)}, [2]int64{line, col})
}

func TestValidateBytesPositionsXML(t *testing.T) {
	js, err := os.ReadFile(filepath.Join("testdata", "profiles", "binding-nhsnumber-status-99.json"))
	require.NoError(t, err)
	data, err := JSONToXML(js)
	require.NoError(t, err)
	data = bytes.ReplaceAll(data, []byte("><"), []byte(">\n<"))
	oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	line, col, loc := issuePosition(t, findRule(t, oo, RuleBinding))
	tag := []byte("<valueCodeableConcept>")
	wl, wc := lineCol(data, bytes.Index(data, tag)+len(tag))
	assert.Equal(t, [2]int64{int64(wl), int64(wc)}, [2]int64{line, col}, "%s", data)
	assert.Equal(t, "Patient.identifier[0].extension[0].value", loc[0])
}

// FHIR XML must have its elements in definition order: ValidateBytes
// reports, in each element, the first child out of it (rule xml-order), at
// its line; of the 215 UK Core examples (published XML), three have one.
func TestValidateBytesXMLOrder(t *testing.T) {
	const ns = `<Patient xmlns="http://hl7.org/fhir">`
	tests := []struct {
		name, xml string
		want      []string // expressions of the xml-order issues
	}{
		{"in order", ns + "\n<id value=\"p\"/>\n<active value=\"true\"/>\n<gender value=\"female\"/>\n</Patient>", nil},
		{"resource elements", ns + "\n<gender value=\"female\"/>\n<active value=\"true\"/>\n</Patient>", []string{"Patient.active"}},
		{"data type elements", ns + "\n<name>\n<given value=\"A\"/>\n<family value=\"B\"/>\n</name>\n</Patient>", []string{"Patient.name[0].family"}},
		{"one per element", ns + "\n<name>\n<given value=\"A\"/>\n<family value=\"B\"/>\n</name>\n<name>\n<given value=\"C\"/>\n<use value=\"usual\"/>\n</name>\n<gender value=\"male\"/>\n<active value=\"true\"/>\n<id value=\"p\"/>\n</Patient>",
			[]string{"Patient.active", "Patient.name[0].family", "Patient.name[1].use"}},
		{"extension value before its extensions", ns + "\n<extension url=\"http://example.org/a\">\n<valueString value=\"x\"/>\n<extension url=\"b\">\n<valueString value=\"y\"/>\n</extension>\n</extension>\n</Patient>", []string{"Patient.extension[0].extension[0]"}},
		{"contained resource", ns + "\n<contained>\n<Organization>\n<name value=\"O\"/>\n<id value=\"o\"/>\n</Organization>\n</contained>\n</Patient>", []string{"Patient.contained[0].id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oo, err := ValidateBytes(context.Background(), []byte(tt.xml), ValidateOptions{})
			require.NoError(t, err)
			var got []string
			if oo != nil {
				for _, is := range oo.Issue {
					if is.Details == nil || is.Details.Text.Value != RuleXMLOrder {
						continue
					}
					assert.Equal(t, SeverityError, is.Severity.Value)
					got = append(got, is.Expression[0].Value)
					line, _, _ := issuePosition(t, is)
					el := is.Expression[0].Value[strings.LastIndexByte(is.Expression[0].Value, '.')+1:]
					el = strings.TrimSuffix(el, "[0]")
					wl, _ := lineCol([]byte(tt.xml), bytes.LastIndex([]byte(tt.xml), []byte("<"+el+" ")))
					if !strings.Contains(tt.xml, "<"+el+" ") {
						wl, _ = lineCol([]byte(tt.xml), bytes.LastIndex([]byte(tt.xml), []byte("<"+el+">")))
					}
					assert.Equal(t, int64(wl), line, "%s", is.Expression[0].Value)
				}
			}
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
			oo, err = ValidateBytes(context.Background(), []byte(tt.xml), ValidateOptions{Suppress: []string{RuleXMLOrder}})
			require.NoError(t, err)
			if oo != nil {
				for _, is := range oo.Issue {
					assert.False(t, is.Details != nil && is.Details.Text.Value == RuleXMLOrder)
				}
			}
		})
	}
	// three published UK Core examples have an element out of order
	outOfOrder := map[string]string{
		"Extension-UKCore-CodingSCT-IllicitDrugs-Example.xml": "Observation.text",                                   // after status
		"UKCore-Observation-Lab-Albumin-Example.xml":          "Observation.meta",                                   // after text
		"UKCore-Questionnaire-EOLPlan-Example.xml":            "Questionnaire.item[0].item[0].item[0].extension[0]", // after linkId
	}
	examples := ukcoreExamplesXML(t)
	for _, f := range slices.Sorted(maps.Keys(examples)) {
		var got []string
		for _, is := range xmlOrderIssues(xmlOutline(t, examples[f])) {
			got = append(got, is.Expression[0].Value)
		}
		if want, ok := outOfOrder[f]; ok {
			assert.Equal(t, []string{want}, got, f)
		} else {
			assert.Empty(t, got, f)
		}
	}
}

// jsonAndXML is one resource in both formats.
type jsonAndXML struct {
	name    string
	js, xml []byte
}

// corpusJSONAndXML reads the invalid corpus (testdata/profiles) and gives
// each instance as XML too.
func corpusJSONAndXML(t *testing.T) []jsonAndXML {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "profiles", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []jsonAndXML
	for _, f := range files {
		js, err := os.ReadFile(f)
		require.NoError(t, err)
		x, err := JSONToXML(js)
		require.NoError(t, err, f)
		out = append(out, jsonAndXML{filepath.Base(f), js, x})
	}
	return out
}

// Every issue on every corpus instance, as JSON and as XML, gets a position.
func TestValidateBytesEveryIssuePlaced(t *testing.T) {
	for _, p := range corpusJSONAndXML(t) {
		for _, data := range [][]byte{p.js, p.xml} {
			oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
			require.NoError(t, err)
			require.NotNil(t, oo, p.name)
			for _, is := range oo.Issue {
				line, col, _ := issuePosition(t, is)
				assert.True(t, line > 0 && col > 0, "%s: %s at %s has no position", p.name, is.Diagnostics.Value, is.Expression[0].Value)
			}
		}
	}
}

func TestValidateBytesBadInput(t *testing.T) {
	_, err := ValidateBytes(context.Background(), []byte("{\n \"resourceType\": \"Patient\",\n \"gender\": 3\n}"), ValidateOptions{})
	var de *DecodeError
	require.True(t, errors.As(err, &de), "%v", err)
	_, err = ValidateBytes(context.Background(), []byte(`<Patient xmlns="http://hl7.org/fhir"><gender value="female"></Patient>`), ValidateOptions{})
	var xe *XMLError
	require.True(t, errors.As(err, &xe), "%v", err)
	assert.Positive(t, xe.Line)
	_, err = ValidateBytes(context.Background(), nil, ValidateOptions{})
	require.Error(t, err)
}

// FuzzValidateBytes: any input gives an outcome or an error, never a panic.
func FuzzValidateBytes(f *testing.F) {
	for _, n := range []string{"binding-birthsex-x.json", "slice-bp-component-closed.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "profiles", n))
		require.NoError(f, err)
		f.Add(data)
		if x, err := JSONToXML(data); err == nil {
			f.Add(x)
		}
	}
	// elements given empty: an empty object in JSON, an empty element in XML
	f.Add([]byte(`{"resourceType":"Patient","meta":{},"name":[{"family":"A"},{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fromData, err := ValidateBytes(context.Background(), data, ValidateOptions{MaxIssues: 50})
		if err != nil || !json.Valid(data) {
			return
		}
		// JSON that validates gives the same issues as XML, when the XML
		// holds all of it (an empty object, which FHIR JSON forbids,
		// does not reach it)
		x, err := JSONToXML(data)
		if err != nil {
			return
		}
		if back, err := XMLToJSON(x); err != nil || !sameJSONValue(data, back) {
			return
		}
		fromXML, err := ValidateBytes(context.Background(), x, ValidateOptions{MaxIssues: 50})
		if err != nil {
			t.Fatalf("%q validates; as XML it does not: %v", data, err)
		}
		if d := cmp.Diff(emptyAsOne(fromData), emptyAsOne(fromXML), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("%q: issues differ (-json +xml):\n%s", data, d)
		}
	})
}

// emptyAsOne is issueLines with an empty JSON object and an empty XML
// element, each its format's way to give an element with nothing in it,
// written alike: "empty" and the expression.
func emptyAsOne(oo *OperationOutcome) []string {
	lines := issueLines(oo)
	if oo == nil {
		return lines
	}
	for i := range oo.Issue {
		is := &oo.Issue[i]
		if is.Details != nil && (is.Details.Text.Value == RuleJSONEmptyObject || is.Details.Text.Value == RuleXMLEmptyElement) {
			lines[i] = "empty\t" + is.Expression[0].Value
		}
	}
	return lines
}

// sameJSONValue: a and b are the same JSON value (key order aside,
// numbers compared by their text).
func sameJSONValue(a, b []byte) bool {
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	return da.Decode(&va) == nil && db.Decode(&vb) == nil && cmp.Equal(va, vb)
}

// A published UK Core example in XML: the NHS number that fails modulus
// 11 is placed on the line of its <value> element.
func TestValidateBytesUKCoreExampleXML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ukcoreDir, "examples", "UKCore-Patient-BabyPatient-Example.xml"))
	require.NoError(t, err, "the UK Core examples must be in %s", ukcoreDir)
	oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	require.NotNil(t, oo)
	var got []string
	for _, is := range oo.Issue {
		if is.Severity.Value != SeverityError {
			continue
		}
		line, col, _ := issuePosition(t, is)
		got = append(got, is.Expression[0].Value+" "+itoa(int(line))+":"+itoa(int(col)))
	}
	off := bytes.Index(data, []byte(`<value value="9912003890" />`))
	require.Positive(t, off)
	wl, wc := lineCol(data, off+len(`<value value="9912003890" />`))
	assert.Equal(t, []string{"Patient.identifier[0].value " + itoa(wl) + ":" + itoa(wc)}, got)
}

// jsonPositionsTokens is jsonPositions as it was first written, through
// encoding/json's tokens: the reference the byte walk is compared with.
func jsonPositionsTokens(data []byte) map[string]position {
	px := &positionIndex{m: map[string]position{}, data: data}
	d := json.NewDecoder(bytes.NewReader(data))
	next := func() int {
		off := int(d.InputOffset())
		for off < len(data) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		return off
	}
	var value func(path string, tok json.Token) error
	object := func(root string) error {
		for {
			off := next()
			tok, err := d.Token()
			if err != nil {
				return err
			}
			if tok == json.Delim('}') {
				return nil
			}
			key, _ := tok.(string)
			vt, err := d.Token()
			if err != nil {
				return err
			}
			if vt == json.Delim('[') {
				px.element(root, key, -1, px.at(off))
				for i := 0; ; i++ {
					eoff := next()
					et, err := d.Token()
					if err != nil {
						return err
					}
					if et == json.Delim(']') {
						break
					}
					p := px.element(root, key, i, px.at(eoff))
					if err := value(p, et); err != nil {
						return err
					}
				}
				continue
			}
			// a resource's resourceType key gets a place no issue names;
			// ExampleScenario.instance's is an element
			p := px.element(root, key, -1, px.at(off))
			if err := value(p, vt); err != nil {
				return err
			}
		}
	}
	value = func(path string, tok json.Token) error {
		if tok == json.Delim('{') {
			// a resource inside (contained, entry.resource) keeps the path
			// of the element holding it
			return object(path)
		}
		return nil
	}
	off := next()
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return px.m
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if json.Unmarshal(data, &head) != nil || head.ResourceType == "" {
		return px.m
	}
	px.record(head.ResourceType, px.at(off))
	_ = object(head.ResourceType)
	return px.m
}

// The byte walk gives the very map the token walk gives, on every R4
// example (as published and compacted), every UK Core example (converted
// from XML) and inputs with escapes and a byte order mark (every tenth R4
// example under -race).
func TestJSONPositionsSameAsTokens(t *testing.T) {
	var docs [][]byte
	r4 := readR4Examples(t)
	for j, name := range slices.Sorted(maps.Keys(r4)) {
		if raceEnabled && j%r4RaceStep != 0 || truncatedExamples[name] {
			continue
		}
		docs = append(docs, r4[name])
		var buf bytes.Buffer
		if err := json.Compact(&buf, r4[name]); err == nil {
			docs = append(docs, buf.Bytes())
		}
	}
	examples := ukcoreExamplesXML(t)
	for _, f := range slices.Sorted(maps.Keys(examples)) {
		if js, err := XMLToJSON(examples[f]); err == nil {
			docs = append(docs, js)
		}
	}
	docs = append(docs,
		[]byte(`{"resourceType":"Patient","name":[{"family":"O\"Brien \u00e9","given":["a","b"]},{"text":"x\\"}],"_birthDate":{"extension":[{"url":"u","valueString":"v"}]},"birthDate":"2000","deceasedBoolean":false,"multipleBirthInteger":2}`),
		[]byte("  \n{ \"resourceType\" : \"Patient\" ,\n \"active\" : true , \"name\" : [ { \"family\" : \"A\" } ] }\n"),
		[]byte(`{"id":"x","resourceType":"Observation","status":"final","code":{"text":"c"},"valueQuantity":{"value":1.50,"unit":"mg"},"contained":[{"resourceType":"Patient","id":"p"}]}`),
		[]byte(`[]`), []byte(`{"resourceType":1}`), []byte(`{}`),
	)
	entries, asked := 0, 0
	for _, d := range docs {
		want, got := jsonPositionsTokens(d), jsonPositions(d, nil)
		entries += len(want)
		asked += checkAskedPositions(t, fmt.Sprintf("%.60s", d), want, func(ask map[string]bool) map[string]position { return jsonPositions(d, ask) })
		if !maps.Equal(want, got) {
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%.60s: %s at %v, byte walk %v", d, k, v, got[k])
					break
				}
			}
			t.Errorf("%.60s: %d paths, byte walk %d", d, len(want), len(got))
		}
	}
	t.Logf("%d documents, %d paths, %d asked for one by one", len(docs), entries, asked)
	// a byte order mark, which Unmarshal accepts, no longer hides every place
	bom := append([]byte("\ufeff"), `{"resourceType":"Patient","active":true}`...)
	assert.Equal(t, position{1, 30}, jsonPositions(bom, nil)["Patient.active"]) // byte columns: the mark is three
}

// checkAskedPositions checks that a positions walk asked for some of the
// paths of all (every place it gives, asked for none) gives those: every
// seventh and one that is not there; and one path at a time, alone or with
// the paths above it (as ValidateBytes asks), the walk stepping over what
// cannot hold it and stopping once it has them all. It gives how many
// paths it asked for one at a time.
func checkAskedPositions(t *testing.T, doc string, all map[string]position, walk func(ask map[string]bool) map[string]position) int {
	t.Helper()
	some, wantSome := map[string]bool{"Nowhere.x": true}, map[string]position{}
	keys := slices.Sorted(maps.Keys(all))
	for i, k := range keys {
		if i%7 == 0 {
			some[k], wantSome[k] = true, all[k]
		}
	}
	if gotSome := walk(some); !maps.Equal(wantSome, gotSome) {
		t.Errorf("%s: %d of the paths asked for, want %d", doc, len(gotSome), len(wantSome))
	}
	asked := 0
	step := max(1, len(keys)/6) // six a document: the walk is read whole each time
	for i := step / 2; i < len(keys); i += step {
		k := keys[i]
		above := map[string]bool{}
		positionCandidates(k, func(p string) bool { above[p] = true; return true })
		for _, ask := range []map[string]bool{{k: true}, above} {
			wantAsked := map[string]position{}
			for p := range ask {
				if v, ok := all[p]; ok {
					wantAsked[p] = v
				}
			}
			if got := walk(ask); !maps.Equal(wantAsked, got) {
				t.Errorf("%s: asked for %v: %v, want %v", doc, slices.Sorted(maps.Keys(ask)), got, wantAsked)
			}
		}
		asked++
	}
	return asked
}

// On any input, jsonPositions does not panic; on input Unmarshal accepts
// (what ValidateBytes gives it), it gives what the token walk gives.
func FuzzJSONPositions(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","name":[{"family":"O\"Brien","given":["a","b"]}],"_birthDate":{"extension":[{"url":"u","valueString":"v"}]},"birthDate":"2000"}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"c"},"valueQuantity":{"value":1.50},"contained":[{"resourceType":"Patient","id":"p"}]}`,
		"\ufeff{\"resourceType\":\"Patient\",\"active\":true}",
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","code":{"text":"x"}}}]}`,
		`[[1,[2]],{"a":[[]]}]`, `{"resourceType":"Patient","x":[[1],[2]]}`, `{"resourceType`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := jsonPositions(data, nil)
		// asked for some paths, the walk steps over values even in bad input
		_ = jsonPositions(data, map[string]bool{"Patient.name[0].given[1]": true, "Patient.birthDate": true})
		if bytes.HasPrefix(data, []byte("\ufeff")) {
			return // the token walk gives nothing after a byte order mark
		}
		if _, err := Unmarshal(data); err != nil {
			return
		}
		var v any
		if json.Unmarshal(data, &v) != nil || nestedArray(v) {
			return // kept as an unknown element, and the token walk misreads it
		}
		want := jsonPositionsTokens(data)
		if !maps.Equal(want, got) {
			t.Fatalf("%q: %v, want %v", data, got, want)
		}
		// the last path alone: the walk that steps over the rest finds it
		// where the whole walk does
		if keys := slices.Sorted(maps.Keys(want)); len(keys) > 0 {
			k := keys[len(keys)-1]
			if one := jsonPositions(data, map[string]bool{k: true}); one[k] != want[k] || len(one) != 1 {
				t.Fatalf("%q: asked for %s: %v, want %v", data, k, one, want[k])
			}
		}
	})
}

// nestedArray: v holds an array directly inside an array (no FHIR element
// is one).
func nestedArray(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, y := range x {
			if nestedArray(y) {
				return true
			}
		}
	case []any:
		for _, y := range x {
			if _, ok := y.([]any); ok || nestedArray(y) {
				return true
			}
		}
	}
	return false
}

// xmlOutline is the tree ValidateBytes checks the element order on: the
// elements of data that the strict parse read (decoded or not).
func xmlOutline(t testing.TB, data []byte) *Node {
	t.Helper()
	root, err := fhirxml.Parse(data)
	require.NoError(t, err)
	return outlineNode(root, root.Name(), root.Name(), nil)
}

// xmlPositionsTokens is what xmlPositions was before it read fhirxml's
// parse: it reads the tokens of data again. It indexes an XML resource's elements by path (those in
// want, or all when want is nil), at the end of each start tag (where a
// SAX locator, and so the HL7 validator, puts them).
func xmlPositionsTokens(data []byte, want map[string]bool) map[string]position {
	px := &positionIndex{m: map[string]position{}, data: data}
	px.want = want
	d := xml.NewDecoder(bytes.NewReader(data))
	type frame struct {
		path   string
		counts map[string]int
		skip   bool // xhtml
		holder bool // contained/resource: the next element is a resource
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err != nil {
			// io.EOF, or a syntax error after what decoded
			return px.m
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, col := d.InputPos()
			p := position{line, col}
			if len(stack) == 0 {
				px.record(t.Name.Local, p)
				stack = append(stack, &frame{path: t.Name.Local, counts: map[string]int{}})
				continue
			}
			top := stack[len(stack)-1]
			if top.skip {
				stack = append(stack, &frame{path: top.path, skip: true})
				continue
			}
			if top.holder && t.Name.Local != "" && t.Name.Local[0] >= 'A' && t.Name.Local[0] <= 'Z' {
				// the resource element inside contained or entry.resource
				stack = append(stack, &frame{path: top.path, counts: map[string]int{}})
				continue
			}
			name := t.Name.Local
			i := top.counts[name]
			top.counts[name]++
			path := top.path + "." + name + "[" + itoa(i) + "]"
			px.element(top.path, name, i, p)
			px.element(top.path, name, -1, p)
			f := &frame{path: path, counts: map[string]int{}}
			if t.Name.Space == "http://www.w3.org/1999/xhtml" {
				f.skip = true
			}
			if name == "contained" || name == "resource" || name == "outcome" || name == "return" {
				f.holder = true
			}
			for _, a := range t.Attr {
				if a.Name.Local == "url" {
					px.element(path, "url", -1, p)
				}
			}
			stack = append(stack, f)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// sameXMLTree compares the trees NodeFromXML and outlineNode give: names,
// types, values, indexes and children (a div's value aside, which
// NodeFromXML writes again and outlineNode keeps verbatim).
func sameXMLTree(t *testing.T, doc string, want, got *Node) bool {
	t.Helper()
	if want.Name != got.Name || want.Type != got.Type || want.index != got.index || len(want.kids) != len(got.kids) ||
		want.Type != "xhtml" && (want.raw != got.raw || want.hasVal() != got.hasVal() || !equalValues(want.value(), got.value())) {
		t.Errorf("%s: %s (%s, %q, [%d], %d children), outline %s (%s, %q, [%d], %d children)", doc,
			nodeLocation(want), want.Type, want.raw, want.index, len(want.kids), nodeLocation(got), got.Type, got.raw, got.index, len(got.kids))
		return false
	}
	for i := range want.kids {
		if !sameXMLTree(t, doc, want.kids[i], got.kids[i]) {
			return false
		}
	}
	return true
}

func equalValues(a, b any) bool {
	return fmt.Sprintf("%T %v", a, a) == fmt.Sprintf("%T %v", b, b)
}

// ValidateBytes reads XML once: the order check and the positions come
// from the elements the strict parse kept. On every UK Core example, every
// R4 example as XML (every fiftieth under -race), each also with its
// elements in reverse order (so that the order check has work) and the
// order check's own cases, the tree and the positions are those of
// reading the tokens again, and so are the order issues.
func TestXMLOutlineSameAsTokens(t *testing.T) {
	var docs []string
	var names []string
	examples := ukcoreExamplesXML(t)
	for _, f := range slices.Sorted(maps.Keys(examples)) {
		docs, names = append(docs, string(examples[f])), append(names, f)
	}
	r4 := readR4Examples(t)
	for j, name := range slices.Sorted(maps.Keys(r4)) {
		// under -race, a few: .ci/run runs the whole test without it
		if raceEnabled && j%(5*r4RaceStep) != 0 || truncatedExamples[name] {
			continue
		}
		if x, err := JSONToXML(r4[name]); err == nil {
			docs, names = append(docs, string(x)), append(names, name)
		}
	}
	for i, n := 0, len(docs); i < n; i++ {
		docs, names = append(docs, reverseXMLChildren(docs[i])), append(names, names[i]+" reversed")
	}
	paths, issues, asked := 0, 0, 0
	for i, doc := range docs {
		data := []byte(doc)
		root, err := fhirxml.Parse(data)
		require.NoError(t, err, names[i])
		want, err := NodeFromXML(data)
		require.NoError(t, err, names[i])
		got := outlineNode(root, root.Name(), root.Name(), nil)
		if !sameXMLTree(t, names[i], want, got) {
			continue
		}
		wantIssues, gotIssues := xmlOrderIssues(want), xmlOrderIssues(got)
		assert.Equal(t, wantIssues, gotIssues, names[i])
		issues += len(gotIssues)
		wantPos, gotPos := xmlPositionsTokens(data, nil), xmlPositions(root, nil)
		paths += len(wantPos)
		asked += checkAskedPositions(t, names[i], wantPos, func(ask map[string]bool) map[string]position { return xmlPositions(root, ask) })
		if !maps.Equal(wantPos, gotPos) {
			for k, v := range wantPos {
				if gotPos[k] != v {
					t.Errorf("%s: %s at %v, from the parse %v", names[i], k, v, gotPos[k])
					break
				}
			}
			t.Errorf("%s: %d paths, from the parse %d", names[i], len(wantPos), len(gotPos))
		}
	}
	t.Logf("%d documents, %d paths, %d order issues, %d paths asked for one by one", len(docs), paths, issues, asked)
	if !raceEnabled {
		assert.Greater(t, issues, 1000, "the reversed documents give the order check work")
	}
}

// reverseXMLChildren gives doc with the child elements of every element
// but the root's first one in reverse order (a narrative div left as it
// is).
func reverseXMLChildren(doc string) string {
	d := xml.NewDecoder(strings.NewReader(doc))
	type el struct {
		start xml.StartElement
		kids  []*el
		div   string
	}
	var read func(se xml.StartElement) *el
	read = func(se xml.StartElement) *el {
		e := &el{start: se}
		for {
			tok, err := d.Token()
			if err != nil {
				return e
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if x.Name.Local == "div" {
					var inner struct {
						Inner string `xml:",innerxml"`
					}
					_ = d.DecodeElement(&inner, &x)
					e.kids = append(e.kids, &el{start: x, div: inner.Inner})
					continue
				}
				e.kids = append(e.kids, read(x.Copy()))
			case xml.EndElement:
				return e
			}
		}
	}
	var root *el
	for root == nil {
		tok, err := d.Token()
		if err != nil {
			return doc
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = read(se.Copy())
		}
	}
	var b strings.Builder
	var write func(e *el, depth int)
	write = func(e *el, depth int) {
		b.WriteString("\n<" + e.start.Name.Local)
		if depth == 0 {
			b.WriteString(` xmlns="http://hl7.org/fhir"`)
		}
		if e.div != "" || e.start.Name.Local == "div" {
			b.WriteString(` xmlns="http://www.w3.org/1999/xhtml">` + e.div + "</div>")
			return
		}
		for _, a := range e.start.Attr {
			if a.Name.Space == "" && a.Name.Local != "xmlns" {
				b.WriteString(" " + a.Name.Local + `="`)
				_ = xml.EscapeText(&b, []byte(a.Value))
				b.WriteString(`"`)
			}
		}
		b.WriteString(">")
		kids := e.kids
		if depth > 0 {
			kids = slices.Clone(kids)
			slices.Reverse(kids)
		}
		for _, k := range kids {
			write(k, depth+1)
		}
		b.WriteString("</" + e.start.Name.Local + ">")
	}
	write(root, 0)
	return b.String()
}

// On any input the strict parse reads, outlineNode and xmlPositions do not
// panic, and give the tree and the positions of reading the tokens again
// (input in UTF-8 without a byte order mark, which the token readers take
// as it is).
func FuzzXMLOutline(f *testing.F) {
	for _, s := range []string{
		`<Patient xmlns="http://hl7.org/fhir"><id value="p"/><name><given value="A"/><family value="B"/></name><gender value="female"/></Patient>`,
		`<Observation xmlns="http://hl7.org/fhir"><contained><Patient><id value="p"/></Patient></contained><status value="final"/><code><text value="c"/></code><valueQuantity><value value="1.50"/></valueQuantity></Observation>`,
		`<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></text><extension url="http://example.org/a"><valueString value="x"/><extension url="b"><valueString value="y"/></extension></extension></Patient>`,
		`<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Basic><code><text value="x"/></code></Basic></resource></entry></Bundle>`,
		"<?xml version=\"1.0\"?>\n<Patient xmlns=\"http://hl7.org/fhir\">\n  <birthDate id=\"b\" value=\"2000\"><extension url=\"u\"><valueDateTime value=\"2000-01-01T00:00:00Z\"/></extension></birthDate>\n</Patient>",
		// white space written as such in attribute values reads as spaces
		"<Patient xmlns=\"http://hl7.org/fhir\"><name id=\"a\tb\"><family value=\"a\r\nb\nc&#10;d\"/></name></Patient>",
		// names split into many runs: counted in a map past a few
		`<Patient xmlns="http://hl7.org/fhir">` + strings.Repeat(`<name><family value="a"/></name><telecom><value value="1"/></telecom><identifier><value value="i"/></identifier>`, 5) + `</Patient>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := fhirxml.Parse(data)
		if err != nil {
			return
		}
		got := outlineNode(root, root.Name(), root.Name(), nil)
		gotPos := xmlPositions(root, nil)
		if bytes.HasPrefix(data, []byte("\ufeff")) || bytes.Contains(bytes.ToLower(data), []byte("encoding")) {
			return
		}
		want, err := NodeFromXML(data)
		if err != nil {
			return
		}
		if !sameXMLTree(t, "input", want, got) {
			t.Fatalf("%q: trees differ", data)
		}
		wantPos := xmlPositionsTokens(data, nil)
		if !maps.Equal(wantPos, gotPos) {
			t.Fatalf("%q: %v, want %v", data, gotPos, wantPos)
		}
		checkAskedPositions(t, fmt.Sprintf("%q", data), wantPos, func(ask map[string]bool) map[string]position { return xmlPositions(root, ask) })
	})
}

// One resource given as JSON and as XML gets the same issues (positions
// and XML order aside): the UK Core examples (as published, in XML, and as JSON), the
// invalid corpus, and the R4 examples (every tenth under -race).
func TestValidateBytesSameIssuesJSONAndXML(t *testing.T) {
	pairs := corpusJSONAndXML(t)
	for name, x := range ukcoreExamplesXML(t) {
		js, err := XMLToJSON(x)
		if err != nil {
			continue // the one that holds two values in one extension
		}
		pairs = append(pairs, jsonAndXML{name, js, x})
	}
	r4 := readR4Examples(t)
	for j, name := range slices.Sorted(maps.Keys(r4)) {
		if raceEnabled && j%r4RaceStep != 0 || truncatedExamples[name] || notResources[name] {
			continue
		}
		x, err := JSONToXML(r4[name])
		require.NoError(t, err, name)
		pairs = append(pairs, jsonAndXML{name, r4[name], x})
	}
	withIssues := 0
	for _, p := range pairs {
		fromJSON, err := ValidateBytes(context.Background(), p.js, ValidateOptions{})
		require.NoError(t, err, p.name)
		fromXML, err := ValidateBytes(context.Background(), p.xml, ValidateOptions{})
		require.NoError(t, err, p.name)
		// elements out of XML order (three published UK Core examples)
		// are an XML matter alone
		xmlLines := slices.DeleteFunc(issueLines(fromXML), func(l string) bool {
			return strings.Contains(l, "\t"+RuleXMLOrder+"\t")
		})
		if d := cmp.Diff(issueLines(fromJSON), xmlLines, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: issues differ (-json +xml):\n%s", p.name, d)
		}
		if fromJSON != nil && len(fromJSON.Issue) > 0 {
			withIssues++
		}
	}
	t.Logf("%d resources, %d with issues", len(pairs), withIssues)
	assert.Greater(t, withIssues, 50, "the invalid corpus and the known defects give issues")
}

// record places path (its "[0]" indexes dropped) at p, when asked for and
// not placed yet: the token walks' way, which the walks tested here
// replace.
func (px *positionIndex) record(path string, p position) {
	path = strings.ReplaceAll(path, "[0]", "")
	if px.want != nil && !px.want[path] {
		return
	}
	if _, ok := px.m[path]; !ok {
		px.m[path] = p
	}
}

// element records the element key (item idx, or -1) under parent, and
// under its alias, and gives its path.
func (px *positionIndex) element(parent, key string, idx int, p position) string {
	path := parent + "." + key
	if idx >= 0 {
		path += "[" + itoa(idx) + "]"
	}
	px.record(path, p)
	if alias, ok := elementAliases(key); ok {
		a := parent + "." + alias
		if idx >= 0 {
			a += "[" + itoa(idx) + "]"
		}
		px.record(a, p)
	}
	return path
}
