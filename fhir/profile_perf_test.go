package fhir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The letter filter in front of xhtmlProblem's forbidden-element search
// finds each forbidden element in any case, and lets everything else
// through to the same answer as the lower-casing reference.
func TestXHTMLProblemLetterFilter(t *testing.T) {
	cases := []string{`<div>x<`, `<div>x<1</div>`, `<div><Zed/></div>`, `<div><d></d></div>`, `<div>< script></div>`}
	for _, bad := range xhtmlBad[:len(xhtmlBad)-1] {
		name := bad[1:]
		cases = append(cases,
			`<div><`+name+`>x</div>`,
			`<div><`+strings.ToUpper(name)+`>x</div>`,
			`<div><`+strings.ToUpper(name[:1])+name[1:]+` a="b"/></div>`)
	}
	for _, s := range cases {
		got, want := xhtmlProblem(s), xhtmlProblemLower(s)
		if got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
	for _, bad := range xhtmlBad[:len(xhtmlBad)-1] {
		s := `<div><` + strings.ToUpper(bad[1:]) + `/></div>`
		if xhtmlProblem(s) == "" {
			t.Errorf("%q: no problem found", s)
		}
	}
}

// txt-1's event-handler check reads attribute names only: a word starting
// with "on" inside a value (R4's own StructureDefinition narratives have
// title="... only once ...") is not an attribute, and a '>' inside quotes
// does not end the tag.
func TestXHTMLProblemAttributeValues(t *testing.T) {
	for _, tt := range []struct{ div, want string }{
		{`<div><p title="taken once daily">x</p></div>`, ""},
		{`<div><a title='based on the record' href="a.html">x</a></div>`, ""},
		{`<div><td style="border: 0px #F0F0F0 solid; font-family: verdana" class="hierarchy">x</td></div>`, ""},
		{`<div><img src="a.png" alt="on"/><br/><hr /></div>`, ""},
		{`<div><p title="a > b" onclick="x()">x</p></div>`, "event handler attribute onclick"},
		{`<div><p class=a OnLoad=x>y</p></div>`, "event handler attribute onload"},
		{`<div><p title = "x"	onmouseover='y'>z</p></div>`, "event handler attribute onmouseover"},
		{`<div><p title="never closed>x</p></div>`, "unterminated tag"},
		{`<div><p`, "unterminated tag"},
		{`<div><?pi once ?><!-- once --></div>`, ""},
	} {
		assert.Equal(t, tt.want, xhtmlProblem(tt.div), tt.div)
		assert.Equal(t, tt.want, xhtmlProblemLower(tt.div), tt.div)
	}
	r, err := Unmarshal([]byte(`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p title=\"taken once daily\">x</p></div>"}}`))
	require.NoError(t, err)
	oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
	require.NoError(t, err)
	assert.Nil(t, oo)
}

// txt-1 and txt-2 share one expression (htmlChecks()), so the second is
// answered from the first's answer on the same element: each narrative
// still gets its own answer, and both rules report on the bad one only.
func TestValidateProfilesSharedExpression(t *testing.T) {
	good := `<div xmlns="http://www.w3.org/1999/xhtml">x</div>`
	bad := `<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>`
	for _, tc := range []struct {
		root, inner string
		want        []string
	}{
		{good, bad, []string{"txt-1 Patient.contained[0].text.div", "txt-2 Patient.contained[0].text.div"}},
		{bad, good, []string{"txt-1 Patient.text.div", "txt-2 Patient.text.div"}},
		{bad, bad, []string{"txt-1 Patient.text.div", "txt-2 Patient.text.div", "txt-1 Patient.contained[0].text.div", "txt-2 Patient.contained[0].text.div"}},
		{good, good, nil},
	} {
		inner := &Patient{ID: ID{Value: "a"}, Text: &Narrative{Status: Code{Value: "generated"}, Div: XHTML{Value: tc.inner}}}
		p := &Patient{
			Text:      &Narrative{Status: Code{Value: "generated"}, Div: XHTML{Value: tc.root}},
			Contained: []Resource{inner},
			Link:      []PatientLink{{Other: &Reference{Reference: String{Value: "#a"}}, Type: Code{Value: "seealso"}}},
		}
		for _, viaJSON := range []bool{false, true} {
			oo, err := ValidateProfiles(context.Background(), p, ValidateOptions{viaJSON: viaJSON})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if oo != nil {
				for _, is := range oo.Issue {
					if is.Details == nil {
						continue
					}
					if k := is.Details.Text.Value; k == "txt-1" || k == "txt-2" {
						got = append(got, k+" "+is.Expression[0].Value)
					}
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("root %q, contained %q, viaJSON %v: %q, want %q", tc.root, tc.inner, viaJSON, got, tc.want)
			}
		}
	}
}

// baseOf finds every type's base invariants as the map does, and none for
// a type (data type, backbone element, primitive) that has none.
func TestBaseOfMatchesMap(t *testing.T) {
	tb := invariants()
	names := []string{"", "Patient.Contact", "string", "x", "Elementx"}
	for name := range typeTable {
		names = append(names, name)
	}
	for name := range tb.base {
		names = append(names, name)
	}
	for _, name := range names {
		got, want := tb.baseOf(name), tb.base[name]
		if len(got) != len(want) || len(got) > 0 && &got[0] != &want[0] {
			t.Errorf("%q: %d invariants, want %d", name, len(got), len(want))
		}
	}
}

// The parts of ValidateProfiles on the UK Core Patient RichardSmith
// example (one issue: a binding-extensible warning on its contact's
// relationship), each alone, for a budget of where its time goes:
// go test -run '^$' -bench ValidateProfilesParts -benchmem ./fhir
func BenchmarkValidateProfilesParts(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(ukcoreDir, "examples", "UKCore-Patient-RichardSmith-Example.xml"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := UnmarshalXML(data)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st := nodeStates.Get().(*nodeState)
	defer st.release()
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ValidateProfiles(ctx, r, ValidateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			Validate(r)
		}
	})
	b.Run("tree", func(b *testing.B) {
		for b.Loop() {
			if _, ok := st.buildTyped(r); !ok {
				b.Fatal("left to the JSON path")
			}
		}
	})
	n, ok := st.buildTyped(r)
	if !ok {
		b.Fatal("left to the JSON path")
	}
	mk := func() *profileValidator {
		return &profileValidator{ctx: ctx, tables: invariants(), extMarked: true}
	}
	p := ukcoreProfiles["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
	b.Run("checks", func(b *testing.B) {
		for b.Loop() {
			mk().resource(n)
		}
	})
	b.Run("rules", func(b *testing.B) {
		for b.Loop() {
			mk().profileRules(n, []*profileInfo{p})
		}
	})
	b.Run("invariant-walk", func(b *testing.B) {
		for b.Loop() {
			mk().elements(n, n)
		}
	})
}
