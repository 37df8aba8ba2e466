package fhir

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
)

// typedTreeCorpus gives every resource the profile tests use: the 215 UK
// Core examples, the R4 examples and the invalid corpus, by name.
func typedTreeCorpus(t *testing.T) ([]string, []Resource) {
	t.Helper()
	var names []string
	var rs []Resource
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 215 {
		t.Fatalf("want the 215 UK Core examples in %s, found %d", ukcoreDir, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := UnmarshalXML(data); err == nil {
			names, rs = append(names, "ukcore/"+filepath.Base(f)), append(rs, r)
		}
	}
	r4 := readR4Examples(t)
	keys := make([]string, 0, len(r4))
	for k := range r4 {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for j, k := range keys {
		if raceEnabled && j%r4RaceStep != 0 {
			continue // a sample under -race; .ci/run runs the whole corpus without it
		}
		if r, err := Unmarshal(r4[k]); err == nil {
			names, rs = append(names, "r4/"+k), append(rs, r)
		}
	}
	keys = keys[:0]
	for k := range profileGoldenInvalid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r, err := Unmarshal([]byte(profileGoldenInvalid[k]))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		names, rs = append(names, "invalid/"+k), append(rs, r)
	}
	return names, rs
}

// sameTypedTree reports the first difference between two trees: names, types,
// value text, whether a value is there, indexes (unless the typed build
// left out an empty object, after which its siblings keep the index the
// input gives them, which Marshal's output cannot), children and parents.
func sameTypedTree(a, b *Node, path string, index bool) string {
	if a.Name != b.Name || a.Type != b.Type || a.raw != b.raw || a.hasVal() != b.hasVal() || index && a.index != b.index {
		return path + ": json " + a.Name + " " + a.Type + " [" + a.raw + "] idx " + itoa(a.index) + "; typed " + b.Name + " " + b.Type + " [" + b.raw + "] idx " + itoa(b.index)
	}
	if len(a.kids) != len(b.kids) {
		var an, bn []string
		for _, k := range a.kids {
			an = append(an, k.Name)
		}
		for _, k := range b.kids {
			bn = append(bn, k.Name)
		}
		return path + ": children json " + strings.Join(an, ",") + "; typed " + strings.Join(bn, ",")
	}
	for i := range a.kids {
		if a.kids[i].parent != a || b.kids[i].parent != b {
			return path + "." + a.kids[i].Name + ": parent"
		}
		if d := sameTypedTree(a.kids[i], b.kids[i], path+"."+a.kids[i].Name+"["+itoa(i)+"]", index); d != "" {
			return d
		}
	}
	return ""
}

// TestTypedNodeTree: the tree built from the typed model is the tree
// built from Marshal's output, on every resource of the corpus; the few
// the typed builder leaves to the JSON path are counted.
func TestTypedNodeTree(t *testing.T) {
	names, rs := typedTreeCorpus(t)
	compareTypedTrees(t, names, rs)
}

// TestTypedNodeTreeUnsorted: with every type's sorted flag cleared, so
// that each scope keeps its key groups and sorts them as for a scope of
// another type, the trees are still those of Marshal's output; and every
// generated type is sorted, so ValidateProfiles takes the short way.
func TestTypedNodeTreeUnsorted(t *testing.T) {
	nodeTypesOnce.Do(resolveNodeTypes)
	for _, nt := range nodeTypes {
		if !nt.sorted {
			t.Errorf("%s: fields not in keyLess order", nt.def)
		}
	}
	names, rs := typedTreeCorpus(t)
	was := make([]bool, len(nodeTypes))
	for i, nt := range nodeTypes {
		was[i], nt.sorted = nt.sorted, false
	}
	defer func() {
		for i, nt := range nodeTypes {
			nt.sorted = was[i]
		}
	}()
	compareTypedTrees(t, names, rs)
}

func compareTypedTrees(t *testing.T, names []string, rs []Resource) {
	t.Helper()
	bailed := 0
	for i, r := range rs {
		src, err := marshalString(r)
		if err != nil {
			t.Fatal(err)
		}
		var js, ts nodeState
		want, err := js.build(src, true)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		got, ok := ts.buildTyped(r)
		if !ok {
			bailed++
			t.Logf("%s: left to the JSON path", names[i])
			continue
		}
		if d := sameTypedTree(want, got, want.Type, len(ts.tb.empties) == 0); d != "" {
			t.Errorf("%s: %s", names[i], d)
		}
	}
	t.Logf("%d resources, %d left to the JSON path", len(rs), bailed)
	if bailed > len(rs)/20 {
		t.Errorf("%d of %d resources left to the JSON path", bailed, len(rs))
	}
}

// TestValidateProfilesTypedVsJSON: ValidateProfiles gives the same issues
// (severity, code, rule, expression, message) whether its tree comes from
// the typed model or from Marshal's output, on the whole corpus and with
// each mode.
func TestValidateProfilesTypedVsJSON(t *testing.T) {
	names, rs := typedTreeCorpus(t)
	modes := []ValidateOptions{
		{},
		{Mode: ProfilesBase},
		{Mode: ProfilesNamed, Profile: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"},
	}
	// the typed tree's marks stand in for the invariant and extension
	// walks on nearly every resource, so the comparison tests them
	marked, typed := 0, 0
	st := nodeStates.Get().(*nodeState)
	for _, r := range rs {
		if _, ok := st.buildTypedMarked(r, invariants()); ok {
			typed++
			if st.tb.marksOK {
				marked++
			}
		}
	}
	st.release()
	t.Logf("marks used for %d of the %d typed trees (%d resources)", marked, typed, len(rs))
	assert.GreaterOrEqual(t, marked*100, typed*95, "marks used for %d of %d typed trees", marked, typed)
	for i, r := range rs {
		for _, opts := range modes {
			ref := opts
			ref.viaJSON = true
			want, werr := ValidateProfiles(context.Background(), r, ref)
			got, gerr := ValidateProfiles(context.Background(), r, opts)
			if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
				t.Fatalf("%s: errors differ: json %v, typed %v", names[i], werr, gerr)
			}
			if d := cmp.Diff(comparableIssueLines(r, want), comparableIssueLines(r, got)); d != "" {
				t.Errorf("%s (mode %d): issues differ (-json +typed):\n%s", names[i], opts.Mode, d)
			}
		}
	}
}

// comparableIssueLines is issueLines for comparing the issues of the
// typed tree with those of Marshal's: where r has an element with nothing
// in it, which Marshal leaves out, the indexes after it differ (the typed
// tree keeps the input's), so none is compared.
func comparableIssueLines(r Resource, oo *OperationOutcome) []string {
	lines := issueLines(oo)
	if emptyElements(r) == nil {
		return lines
	}
	for i, l := range lines {
		lines[i] = indexRE.ReplaceAllString(l, "")
	}
	return lines
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

func issueLines(oo *OperationOutcome) []string {
	if oo == nil {
		return nil
	}
	var out []string
	for _, is := range oo.Issue {
		key := ""
		if is.Details != nil {
			key = is.Details.Text.Value
		}
		var ex []string
		for _, e := range is.Expression {
			ex = append(ex, e.Value)
		}
		out = append(out, is.Severity.Value+"\t"+is.Code.Value+"\t"+key+"\t"+strings.Join(ex, ",")+"\t"+is.Diagnostics.Value)
	}
	return out
}

// xhtmlProblem's ASCII path gives what the lower-casing one gives.
func FuzzXHTMLProblemASCII(f *testing.F) {
	for _, s := range []string{
		`<div xmlns="http://www.w3.org/1999/xhtml">A synthetic patient</div>`,
		`<div><SCRIPT>x</SCRIPT></div>`, `<div><a href="JavaScript:x">y</a></div>`,
		`<div><p OnClick="x">y</p></div>`, `<div><p class="a"	onload=x>`, `<div><p`, `<div><!-- <p onx> --></div>`,
		`<div><Style/><meta/><form></form></div>`, `<div>javascript<</div>`, `<div><p on>x</p></div>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := xhtmlProblem(s), xhtmlProblemLower(s); got != want {
			t.Fatalf("%q: %q, want %q", s, got, want)
		}
	})
}

// A narrative with an empty tag ("<>") is an issue, not a panic, on both
// paths of txt-1's check.
func TestValidateProfilesEmptyTag(t *testing.T) {
	for _, div := range []string{`<div xmlns="http://www.w3.org/1999/xhtml"><></div>`, `<div xmlns="http://www.w3.org/1999/xhtml">é< ></div>`} {
		p := &Patient{Text: &Narrative{Status: Code{Value: "generated"}, Div: XHTML{Value: div}}}
		oo, err := ValidateProfiles(context.Background(), p, ValidateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if oo == nil || len(oo.Issue) == 0 {
			t.Errorf("%s: no issue", div)
		}
	}
}

// FuzzTypedNodeTree: on any resource Unmarshal accepts, the typed builder
// gives the JSON builder's tree, or leaves the resource to it.
func FuzzTypedNodeTree(f *testing.F) {
	for _, s := range profileGoldenInvalid {
		f.Add(s)
	}
	f.Add(`{"resourceType":"Patient","name":[{"given":["a",null,"c"],"_given":[null,{"id":"x"},{"extension":[{"url":"u","valueBoolean":true}]}]}],"_gender":{"id":"g"},"multipleBirthInteger":2}`)
	f.Add(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"},"component":[{"code":{"text":"c"},"valueInteger":-3}]}`)
	f.Add(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Organization","name":"o"}]}}]}`)
	f.Add(`{"resourceType":"Patient","contained":[{"resourceType":"Basic"}]}`)
	f.Add(`{"resourceType":"Patient","name":[{},{"family":"A"},{"period":{}},{"family":"B"}],"contact":[{"telecom":[{},{"value":"v"}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Unmarshal([]byte(s))
		if err != nil {
			return
		}
		src, err := marshalString(r)
		if err != nil {
			return
		}
		var js, ts nodeState
		want, err := js.build(src, true)
		if err != nil {
			return
		}
		got, ok := ts.buildTyped(r)
		if !ok {
			return
		}
		if d := sameTypedTree(want, got, want.Type, len(ts.tb.empties) == 0); d != "" {
			t.Fatalf("%s\n%s", src, d)
		}
	})
}

// TestTypedNodeTreeExtBelow: in every typed tree of the corpus, each node
// with an Extension among its descendants is marked extBelow (the
// extension walk skips the unmarked), and most nodes are not.
func TestTypedNodeTreeExtBelow(t *testing.T) {
	names, rs := typedTreeCorpus(t)
	nodes, marked := 0, 0
	var walk func(n *Node) bool
	walk = func(n *Node) bool {
		nodes++
		if n.extBelow {
			marked++
		}
		below := false
		for _, k := range n.kids {
			if walk(k) || k.Type == "Extension" {
				below = true
			}
		}
		return below
	}
	var check func(name string, n *Node)
	check = func(name string, n *Node) {
		for _, k := range n.kids {
			if !k.extBelow && walk(k) {
				t.Errorf("%s: %s has an extension below it but is not marked", name, nodeLocation(k))
			}
			check(name, k)
		}
	}
	for i, r := range rs {
		var st nodeState
		n, ok := st.buildTyped(r)
		if !ok {
			continue
		}
		check(names[i], n)
	}
	nodes, marked = 0, 0
	for _, r := range rs {
		var st nodeState
		if n, ok := st.buildTyped(r); ok {
			walk(n)
		}
	}
	t.Logf("%d of %d nodes marked", marked, nodes)
	if marked*2 > nodes {
		t.Errorf("%d of %d nodes marked extBelow", marked, nodes)
	}
}

// validText answers as utf8.ValidString, wherever a non-ASCII or invalid
// byte falls.
func TestValidText(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", "é", "abcdefgé", "abcdefghé", "abcdefg\xff", "abcdefgh\xff", "\xff", "abcdefghijklmno\xc3", "abcdefghijklmno\xc3\xa9", "日本語のテキスト"} {
		if got, want := validText(s), utf8.ValidString(s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}

// validText agrees with utf8.ValidString whatever the length and wherever
// the byte that is not ASCII stands (the word reads overlap at the end).
func TestValidTextPositions(t *testing.T) {
	for size := 1; size <= 40; size++ {
		for pos := 0; pos < size; pos++ {
			for _, c := range []byte{0x7f, 0x80, 0xc3, 0xe2, 0xff} {
				b := []byte(strings.Repeat("a", size))
				b[pos] = c
				if got, want := validText(string(b)), utf8.Valid(b); got != want {
					t.Fatalf("%d bytes, %#x at %d: %v, want %v", size, c, pos, got, want)
				}
			}
			b := []byte(strings.Repeat("a", size))
			if pos+2 <= size {
				copy(b[pos:], "é")
				assert.True(t, validText(string(b)), "é at %d of %d", pos, size)
			}
		}
	}
}

func FuzzValidText(f *testing.F) {
	f.Add("https://fhir.nhs.uk/Id/nhs-number")
	f.Add("abcdefgh\xe2\x82")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validText(s), utf8.ValidString(s); got != want {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
	})
}

// FuzzValidateProfilesTypedVsJSON: on any resource Unmarshal accepts,
// ValidateProfiles gives the same issues in each mode from the typed tree
// (key groups left out, extension walk pruned by extBelow) as from the
// tree of Marshal's output (every subtree walked).
func FuzzValidateProfilesTypedVsJSON(f *testing.F) {
	for _, s := range profileGoldenInvalid {
		f.Add(s)
	}
	f.Add(`{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-BirthSex","valueCodeableConcept":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender","code":"X"}]}}],"contact":[{"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactRank","valuePositiveInt":1}],"name":{"family":"F"}}],"_gender":{"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-Nope"}]},"gender":"male"}`)
	f.Add(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"code":"99"}]}}]}],"contained":[{"resourceType":"Organization","id":"o","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueString":"x"}]}],"managingOrganization":{"reference":"#o"}}`)
	// an array item with nothing in it (ele-1, which the marks walk once
	// missed), empty objects and an empty primitive part
	f.Add(`{"resourceType":"Patient","name":[{"family":"A","given":["B",null]},{},{"period":{}}],"_gender":{}}`)
	modes := []ValidateOptions{{}, {Mode: ProfilesBase}, {Mode: ProfilesNamed, Profile: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"}}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Unmarshal([]byte(s))
		if err != nil {
			return
		}
		for _, opts := range modes {
			want, werr := ValidateProfiles(context.Background(), r, ValidateOptions{Mode: opts.Mode, Profile: opts.Profile, viaJSON: true})
			got, gerr := ValidateProfiles(context.Background(), r, opts)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("mode %d: error %v via JSON, %v typed", opts.Mode, werr, gerr)
			}
			if d := cmp.Diff(comparableIssueLines(r, want), comparableIssueLines(r, got)); d != "" {
				t.Fatalf("%s\nmode %d: issues differ (-json +typed):\n%s", s, opts.Mode, d)
			}
		}
	})
}
