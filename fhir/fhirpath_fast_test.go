package fhir

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every invariant expression fastBool compiles gives, on every element of
// the UK Core examples and the golden invalid corpus, exactly what the
// interpreter gives (known, same Boolean).
func TestFastBoolMatchesInterpreter(t *testing.T) {
	exprs := map[string]bool{}
	for _, list := range baseInvariants {
		for _, inv := range list {
			exprs[inv.Expr] = true
		}
	}
	for _, p := range ukcoreProfiles {
		for _, inv := range p.Invariants {
			exprs[inv.Expr] = true
		}
	}
	type compiledPair struct {
		src  string
		prog *FHIRPath
		fast fastPred
	}
	type guardPair struct {
		src   string
		prog  *FHIRPath
		guard guardPred
	}
	var fast []compiledPair
	var guards []guardPair
	type absentPair struct {
		src    string
		prog   *FHIRPath
		absent []string
	}
	var absents []absentPair
	for e := range exprs {
		p, err := CompileFHIRPath(e)
		if err != nil {
			continue
		}
		if f := fastBool(p); f != nil {
			fast = append(fast, compiledPair{e, p, f})
		} else {
			if g := guardBool(p); g != nil {
				guards = append(guards, guardPair{e, p, g})
			}
			if a, ok := emptyWhenAbsent(p.root); ok {
				absents = append(absents, absentPair{e, p, a})
			}
		}
	}
	sort.Slice(fast, func(i, j int) bool { return fast[i].src < fast[j].src })
	if len(fast) < 10 {
		t.Fatalf("only %d invariants compiled to closures", len(fast))
	}
	t.Logf("%d of %d invariant expressions compiled to Go, %d more partly", len(fast), len(exprs), len(guards))
	if len(guards) < 5 {
		t.Fatalf("only %d invariants compiled to guards", len(guards))
	}

	var docs []*Node
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	if err != nil || len(files) != 215 {
		t.Fatalf("want the 215 UK Core examples in %s (%v)", ukcoreDir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := NodeFromXML(data)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n)
	}
	for _, js := range profileGoldenInvalid {
		n, err := NodeFromJSON([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n)
	}
	// choice elements by their typed names, empty elements, values with
	// and without extensions
	for _, js := range []string{
		`{"resourceType":"Observation","valueQuantity":{"value":1},"extension":[{"url":"u"},{"url":"v","valueString":"x"}]}`,
		`{"resourceType":"Patient","_gender":{"id":"g"},"text":{"status":"generated"},"contained":[{"resourceType":"Patient","meta":{"versionId":"1","security":[{"code":"x"}]}}]}`,
	} {
		n, err := NodeFromJSON([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n)
	}
	ctx := context.Background()
	cases, decidedCases, absentCases := 0, 0, 0
	var visit func(n *Node)
	visit = func(n *Node) {
		for _, c := range fast {
			ok, known, err := c.prog.EvaluateBool(ctx, n, nil)
			got := c.fast(n)
			cases++
			if err != nil || !known || ok != got {
				t.Errorf("%s on %s: interpreter %v (known %v, err %v), closure %v", c.src, nodeLocation(n), ok, known, err, got)
			}
		}
		for _, c := range absents {
			if _, count := pathFirst2(n, c.absent); count != 0 {
				continue
			}
			ok, known, err := c.prog.EvaluateBool(ctx, n, nil)
			cases++
			absentCases++
			if err != nil || known {
				t.Errorf("%s on %s with %v absent: interpreter %v (known %v, err %v), want unknown", c.src, nodeLocation(n), c.absent, ok, known, err)
			}
		}
		for _, c := range guards {
			got, decided := c.guard(n)
			if !decided {
				continue
			}
			ok, known, err := c.prog.EvaluateBool(ctx, n, nil)
			cases++
			decidedCases++
			if err != nil || !known || ok != got {
				t.Errorf("%s on %s: interpreter %v (known %v, err %v), guard %v", c.src, nodeLocation(n), ok, known, err, got)
			}
		}
		for _, k := range n.kids {
			visit(k)
		}
	}
	for _, d := range docs {
		visit(d)
	}
	t.Logf("%d cases, %d decided by guards, %d unknown for an absent element (%d expressions)", cases, decidedCases, absentCases, len(absents))
	if absentCases == 0 {
		t.Error("no constraint skipped for an absent element")
	}
	if decidedCases == 0 {
		t.Error("no guard decided anything")
	}
}

// dom3Expression gives what the interpreter gives for R4's dom-3 (with LenientAs and
// %resource the resource, as ValidateProfiles evaluates it) on every
// resource with contained ones in the R4 and UK Core examples and on
// synthetic ones that take each way of referring (every tenth R4 example
// under -race).
func TestDom3MatchesInterpreter(t *testing.T) {
	prog := requireBaseInvariant(t, "DomainResource", "dom-3", dom3Expr)
	docs := exampleTrees(t)
	const org = `{"resourceType":"Organization","id":"o","name":"x"}`
	for _, js := range []string{
		`{"resourceType":"Patient","contained":[` + org + `]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"managingOrganization":{"reference":"#o"}}`,
		`{"resourceType":"Patient","contained":[` + org + `],"managingOrganization":{"reference":"#p"}}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","name":"x"}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","partOf":{"reference":"#"}}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","endpoint":[{"reference":"#"}]},{"resourceType":"Organization","id":"p"}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","partOf":{"reference":"#o"}}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o"},{"resourceType":"Organization","id":"p","partOf":{"reference":"#o"}}]}`,
		`{"resourceType":"Questionnaire","status":"active","contained":[{"resourceType":"ValueSet","id":"v","status":"active"}],"item":[{"linkId":"1","type":"choice","answerValueSet":"#v"}]}`,
		`{"resourceType":"Questionnaire","status":"active","contained":[{"resourceType":"ValueSet","id":"v","status":"active","url":"#"}]}`,
		`{"resourceType":"Questionnaire","status":"active","contained":[{"resourceType":"ValueSet","id":"v","status":"active","compose":{"include":[{"valueSet":["#"]}]}}]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"extension":[{"url":"u","valueUri":"#o"}]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"extension":[{"url":"u","valueUrl":"#o"}]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"extension":[{"url":"u","valueString":"#o"}]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"extension":[{"url":"u","valueOid":"#o"}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","extension":[{"url":"u","valueUri":"#"}]}]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"photo":[{"url":"#o"}]}`,
		`{"resourceType":"Patient","contained":[` + org + `],"managingOrganization":{"_reference":{"extension":[{"url":"u","valueString":"x"}]}}}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[` + org + `]}},{"resource":{"resourceType":"Patient","managingOrganization":{"reference":"#o"}}}]}`,
		// more contained resources than dom3Check scans for
		manyContained(20, func(i int) bool { return true }, ""),
		manyContained(20, func(i int) bool { return i != 13 }, ""),
		manyContained(20, func(i int) bool { return i != 13 }, `,"extension":[{"url":"u","valueUri":"#c13"}]`),
		manyContained(20, func(i int) bool { return i != 13 }, `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"#c13\">x</a></div>"}`),
		manyContained(20, func(i int) bool { return i%2 == 0 }, `,"link":[{"type":"seealso","other":{"reference":"#"}}]`),
		manyContained(20, func(i int) bool { return false }, `,"managingOrganization":{"reference":"#"}`),
	} {
		n, err := NodeFromJSON([]byte(js))
		require.NoError(t, err, js)
		docs = append(docs, n)
	}
	ctx := context.Background()
	cases, failing := 0, 0
	var visit func(n *Node)
	visit = func(n *Node) {
		if n.parent == nil || (n.Name == "contained" || n.Name == "resource") && isResourceType(n.Type) {
			if n.first("contained") != nil {
				want, known, err := prog.EvaluateBool(ctx, n, &FHIRPathEnv{LenientAs: true, Resource: n})
				got := dom3Expression(n)
				if got && !dom3(n) {
					t.Errorf("%s: dom3 fails what the expression passes", nodeLocation(n))
				}
				for _, narrative := range []bool{false, true} {
					if s, i := dom3Scan(n, narrative), dom3Indexed(n, narrative); s != i {
						t.Errorf("%s: narrative %v: scanned %v, indexed %v", nodeLocation(n), narrative, s, i)
					}
				}
				cases++
				if !got {
					failing++
				}
				if err != nil || !known || want != got {
					t.Errorf("%s: interpreter %v (known %v, err %v), dom3 %v", nodeLocation(n), want, known, err, got)
				}
			}
		}
		for _, k := range n.kids {
			visit(k)
		}
	}
	for _, d := range docs {
		visit(d)
	}
	t.Logf("%d resources with contained ones, %d failing dom-3", cases, failing)
	// an id with only an extension: '#' + id is empty (as in fhirpath.js),
	// so the resource passes, as one without an id does
	n, err := NodeFromJSON([]byte(`{"resourceType":"Patient","contained":[{"resourceType":"Organization","_id":{"extension":[{"url":"u","valueString":"v"}]},"name":"x"}]}`))
	require.NoError(t, err)
	ok, known, err := prog.EvaluateBool(ctx, n, &FHIRPathEnv{LenientAs: true, Resource: n})
	require.NoError(t, err)
	require.True(t, known && ok)
	require.True(t, dom3Expression(n))
	require.Greater(t, failing, 5)
	require.Greater(t, cases-failing, 5)
}

// requireBaseInvariant compiles expr, which must be the expression of the
// R4 invariant key on typ.
func requireBaseInvariant(t *testing.T, typ, key, expr string) *FHIRPath {
	t.Helper()
	found := false
	for _, inv := range baseInvariants[typ] {
		found = found || inv.Key == key && inv.Expr == expr
	}
	require.True(t, found, "the expression is not R4's %s any more", key)
	return MustCompileFHIRPath(expr)
}

// exampleTrees gives the trees of the R4 examples (every r4RaceStep-th
// under -race) and of the UK Core examples.
func exampleTrees(t *testing.T) []*Node {
	t.Helper()
	var docs []*Node
	r4 := readR4Examples(t)
	for j, name := range slices.Sorted(maps.Keys(r4)) {
		if raceEnabled && j%r4RaceStep != 0 {
			continue
		}
		if n, err := NodeFromJSON(r4[name]); err == nil {
			docs = append(docs, n)
		}
	}
	examples := ukcoreExamplesXML(t)
	for _, f := range slices.Sorted(maps.Keys(examples)) {
		n, err := NodeFromXML(examples[f])
		require.NoError(t, err, f)
		docs = append(docs, n)
	}
	return docs
}

// manyContained is a Patient with n contained Organizations (c0, c1, ...),
// those for which referenced holds referenced by generalPractitioner, and
// more JSON members (",...") after them.
func manyContained(n int, referenced func(int) bool, more string) string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient","contained":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"resourceType":"Organization","id":"c%d","name":"x"}`, i)
	}
	b.WriteString(`],"generalPractitioner":[{"display":"x"}`)
	for i := range n {
		if referenced(i) {
			fmt.Fprintf(&b, `,{"reference":"#c%d"}`, i)
		}
	}
	b.WriteString(`]` + more + `}`)
	return b.String()
}

// A narrative's <a href="#id"> or <img src="#id"> refers to a contained
// resource for dom-3, in Validate and in ValidateProfiles, as the HL7
// validator counts it; other attributes and a bare "#" do not.
func TestDom3NarrativeLinks(t *testing.T) {
	const bin = `{"resourceType":"Binary","id":"img","contentType":"image/png","data":"iVBORw0KGgo="}`
	// pad: more contained resources, each a section entry, so that the
	// checks look the Binary up in their index rather than scan for it
	pad := 0
	doc := func(div string) string {
		var more, entries strings.Builder
		for i := range pad {
			fmt.Fprintf(&more, `,{"resourceType":"Organization","id":"p%d","name":"x"}`, i)
			if i > 0 {
				entries.WriteByte(',')
			}
			fmt.Fprintf(&entries, `{"reference":"#p%d"}`, i)
		}
		section := ""
		if pad > 0 {
			section = `,"section":[{"title":"s","entry":[` + entries.String() + `]}]`
		}
		return `{"resourceType":"Composition","status":"final","type":{"text":"letter"},"date":"2026-12-07","author":[{"display":"Dr A"}],"title":"t",` +
			`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">` + div + `</div>"},"contained":[` + bin + more.String() + `]` + section + `}`
	}
	type test struct {
		name       string
		js         string
		referenced bool
	}
	var tests []test
	for _, p := range []int{0, 20} {
		pad = p
		suffix := ""
		if p > 0 {
			suffix = fmt.Sprintf(" with %d more contained", p)
		}
		for _, tt := range []test{
			{"img src", doc(`<img src=\"#img\" alt=\"scan\"/>`), true},
			{"a href", doc(`<p>see <a href=\"#img\">the scan</a></p>`), true},
			{"a href written with an entity", doc(`<a href=\"&#35;img\">the scan</a>`), true},
			{"bare #", doc(`<a href=\"#\">top</a>`), false},
			{"another id", doc(`<img src=\"#other\" alt=\"x\"/>`), false},
			{"another attribute", doc(`<p title=\"#img\">x</p>`), false},
			{"text only", doc(`see #img`), false},
			{"no narrative link", doc(`<a href=\"https://example.org/#img\">x</a>`), false},
		} {
			tt.name += suffix
			tests = append(tests, tt)
		}
	}
	tests = append(tests, []test{
		{"a contained resource's narrative", `{"resourceType":"Patient","contained":[` + bin + `,{"resourceType":"Organization","id":"o","name":"x","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><img src=\"#img\"/></div>"}}],"managingOrganization":{"reference":"#o"}}`, true},
	}...)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Unmarshal([]byte(tt.js))
			require.NoError(t, err)
			n, err := NodeFromJSON([]byte(tt.js))
			require.NoError(t, err)
			assert.Equal(t, tt.referenced, dom3(n), "dom3")
			assert.False(t, dom3Expression(n) && !dom3(n))
			var validateDom3, profilesDom3 []string
			if oo := Validate(r); oo != nil {
				for _, is := range oo.Issue {
					if strings.Contains(is.Diagnostics.Value, "dom-3") {
						validateDom3 = append(validateDom3, is.Diagnostics.Value)
					}
				}
			}
			oo, err := ValidateProfiles(ctx, r, ValidateOptions{})
			require.NoError(t, err)
			if oo != nil {
				for _, is := range oo.Issue {
					if is.Details != nil && is.Details.Text.Value == "dom-3" || strings.Contains(is.Diagnostics.Value, "dom-3") {
						profilesDom3 = append(profilesDom3, is.Diagnostics.Value)
					}
				}
			}
			if tt.referenced {
				assert.Empty(t, validateDom3, "Validate")
				assert.Empty(t, profilesDom3, "ValidateProfiles")
			} else {
				assert.Len(t, validateDom3, 1, "Validate")
				assert.Len(t, profilesDom3, 1, "ValidateProfiles")
			}
		})
	}
}

// profileValidator.ref1 gives R4's ref-1 as the interpreter does, at every
// Reference of the R4 and UK Core examples and of resources with more
// contained ones than it scans, wherever it decides.
func TestRef1MatchesInterpreter(t *testing.T) {
	prog := requireBaseInvariant(t, "Reference", "ref-1", ref1Expr)
	docs := exampleTrees(t)
	for _, js := range []string{
		manyContained(20, func(i int) bool { return true }, `,"managingOrganization":{"reference":"#c99"}`),
		manyContained(20, func(i int) bool { return i%3 == 0 }, `,"link":[{"type":"seealso","other":{"reference":"#"}}]`),
		manyContained(3, func(i int) bool { return true }, `,"managingOrganization":{"reference":"#c9"}`),
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","_id":{"extension":[{"url":"u","valueString":"v"}]},"name":"x"}],"managingOrganization":{"reference":"#"}}`,
		`{"resourceType":"Patient","managingOrganization":{"_reference":{"extension":[{"url":"u","valueString":"v"}]}}}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + manyContained(20, func(i int) bool { return true }, "") + `}]}`,
		// a Bundle entry's resource is its own %rootResource: "#o" names
		// its own contained resources, not another entry's
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + manyContained(20, func(i int) bool { return true }, `,"managingOrganization":{"reference":"#c99"}`) + `}]}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"x"}],"managingOrganization":{"reference":"#o"}}},` +
			`{"resource":{"resourceType":"Patient","managingOrganization":{"reference":"#o"}}}]}`,
		// a contained resource's "#id" names one contained beside it
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","partOf":{"reference":"#o2"}},{"resourceType":"Organization","id":"o2","partOf":{"reference":"#o3"}}],"managingOrganization":{"reference":"#o1"}}`,
	} {
		n, err := NodeFromJSON([]byte(js))
		require.NoError(t, err, js)
		docs = append(docs, n)
	}
	ctx := context.Background()
	v := &profileValidator{}
	decided, failing := 0, 0
	var visit func(res, n *Node)
	visit = func(res, n *Node) {
		if n.parent == nil || (n.Name == "contained" || n.Name == "resource") && isResourceType(n.Type) {
			res = n // as ValidateProfiles checks it
		}
		if n.Type == "Reference" {
			got, ok := v.ref1(res, n)
			if ok {
				decided++
				if !got {
					failing++
				}
				want, known, err := prog.EvaluateBool(ctx, n, &FHIRPathEnv{Resource: res, RootResource: rootResourceOf(res)})
				if err != nil || !known || want != got {
					t.Errorf("%s: interpreter %v (known %v, err %v), ref1 %v", nodeLocation(n), want, known, err, got)
				}
			}
		}
		for _, k := range n.kids {
			visit(res, k)
		}
	}
	for _, d := range docs {
		visit(d, d)
	}
	t.Logf("%d references decided, %d failing ref-1", decided, failing)
	require.Greater(t, failing, 3)
	require.Greater(t, decided-failing, 100)
}
