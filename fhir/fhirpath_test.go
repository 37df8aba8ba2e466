package fhir

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluate(t *testing.T) {
	p := mustPatient(t, patientJSON)
	obs, err := Unmarshal([]byte(`{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":72.50,"unit":"kg"}}`))
	require.NoError(t, err)
	tests := []struct {
		r    Resource
		expr string
		want []any
	}{
		{p, "Patient.name.where(use = 'official').given.first()", []any{"Jane"}},
		{p, "Patient.identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value", []any{"9000000009"}},
		{p, "Patient.name[0].family", []any{"Smith"}},
		{p, "Patient.name[3].family", []any{}},
		{p, "Patient.deceased.exists()", []any{true}},
		{p, "Patient.deceased.ofType(boolean)", []any{false}},
		{p, "Patient.deceased.ofType(dateTime).exists()", []any{false}},
		{p, "Patient.gender = 'female'", []any{true}},
		{p, "Patient.gender != 'female'", []any{false}},
		{p, "Patient.multipleBirth = 2", []any{true}},
		{p, "Patient.contained.ofType(Organization).name", []any{"Synthetic Surgery"}},
		{p, "Patient.telecom.count()", []any{Number("0")}},
		{p, "Patient.telecom.empty()", []any{true}},
		{p, "Observation.value.ofType(Quantity).value", []any{}},
		{obs, "Observation.value.ofType(Quantity).value", []any{Number("72.50")}},
		{obs, "Observation.value.unit", []any{"kg"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Evaluate(tt.r, tt.expr)
			require.NoError(t, err)
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []string{"", "Patient.", "Patient.name.foo()", "Patient.name[", "Patient.gender = "} {
		_, err := Evaluate(p, bad)
		assert.True(t, errors.Is(err, ErrFHIRPath), "%q: %v", bad, err)
	}
}

// Collections compare item by item: two families are not one 'a'.
func TestEvaluateCollectionEquality(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","name":[{"family":"a"},{"family":"b"}]}`)
	got, err := Evaluate(p, "Patient.name.family = 'a'")
	require.NoError(t, err)
	assert.Equal(t, []any{false}, got)
	got, err = Evaluate(p, "Patient.name.family = ('a' | 'b')")
	require.NoError(t, err)
	assert.Equal(t, []any{true}, got)
	got, err = Evaluate(p, "Patient.name.where(family = 'b').family")
	require.NoError(t, err)
	assert.Equal(t, []any{"b"}, got)
}

// The answers issue 22 found wrong in the earlier subset engine.
func TestEvaluateFormerlyWrongAnswers(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","active":false,"gender":"male","multipleBirthInteger":2,
		"_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"unknown"}]},
		"name":[{"family":"A","given":["x"]},{"family":"B"}]}`)
	tests := []struct {
		expr string
		want []any
	}{
		{"Patient.name.where(given.exists()).family", []any{"A"}},
		{"Patient.gender.ofType(code)", []any{"male"}},
		{"Patient.birthDate.exists()", []any{true}},
		{"Patient.birthDate.hasValue()", []any{false}},
		{"Patient.name.family = 'A'", []any{false}},
		{"Patient.name.first().family = 'A'", []any{true}},
		{"Patient.active = 'false'", []any{false}},
		{"Patient.active = false", []any{true}},
		{"Patient.multipleBirth = 2.0", []any{true}},
		{"Patient.name\n  .family\n  .first()", []any{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Evaluate(p, tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Adding or taking away quantities in different units gives the answer
// in the left one's unit, also when its value is zero (a division by that
// value once panicked; found by FuzzFHIRPath).
func TestEvaluateQuantityUnits(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"0 'mg' + 1 'g'", "1000 'mg'"},
		{"1 'g' + 0 'mg'", "1 'g'"},
		{"2 'mg' - 1 'g'", "-998 'mg'"},
		{"0 'kg' + 500 'g' = 0.5 'kg'", "true"},
		{"0 'A0' + 0 ''", "0 'A0'"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := MustCompileFHIRPath(tt.expr).EvaluateNode(context.Background(), nil, nil)
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, fmt.Sprint(got[0]))
		})
	}
	got, err := MustCompileFHIRPath("1 'mg' + 1 'cm'").EvaluateNode(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, got, "units of different dimensions")
	// a unit raised absurdly far is not a unit (it once took forever)
	got, err = MustCompileFHIRPath("0 'A03330000000330000000' + 0 ''").EvaluateNode(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = MustCompileFHIRPath("1 'm3' = 1000 'L'").EvaluateNode(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{true}, got)
}

// Answers that would be too large to work out or write are refused, not
// attempted: an Integer power past int64 is empty, a round() precision
// past 1,000 digits an error.
func TestEvaluateTooLarge(t *testing.T) {
	ctx := context.Background()
	for expr, want := range map[string][]any{
		"2.power(100000000)": nil,
		"2.power(62)":        {int64(1) << 62},
		"2.power(63)":        nil,
		"(-2).power(63)":     {int64(-1) << 63},
		"1.power(100000000)": {int64(1)},
		"(-1).power(99999)":  {int64(-1)},
	} {
		got, err := MustCompileFHIRPath(expr).EvaluateNode(ctx, nil, nil)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}
	_, err := MustCompileFHIRPath("1.0.round(99999999)").EvaluateNode(ctx, nil, nil)
	assert.ErrorContains(t, err, "precision 99999999 is more than 1000")
	got, err := MustCompileFHIRPath("1.25.round(1000)").EvaluateNode(ctx, nil, nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
}

// repeat() ends: a projection that keeps making new values is stopped
// with an error (these once ran without end), while a walk of a tree and
// values found again end as before; equal values of different types are
// one item.
func TestEvaluateRepeatEnds(t *testing.T) {
	ctx := context.Background()
	for _, expr := range []string{"('a').repeat($this + 'b')", "(1).repeat($this + 1)", "(1 'm').repeat($this * 2)"} {
		_, err := MustCompileFHIRPath(expr).EvaluateNode(ctx, nil, nil)
		assert.ErrorContains(t, err, "still finding new items after 1000 rounds", expr)
	}
	for expr, want := range map[string][]any{
		"(1 | 1.0 | 2).repeat($this)":                {int64(1), int64(2)},
		"(1).repeat(iif($this < 3, $this + 1, 3.0))": {int64(2), int64(3)},
		"('a' | 'b').repeat('a')":                    {"a"},
	} {
		got, err := MustCompileFHIRPath(expr).EvaluateNode(ctx, nil, nil)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}
	q := mustPatient(t, `{"resourceType":"Patient","contact":[{"name":{"family":"A"}},{"name":{"family":"A"}}]}`)
	got, err := Evaluate(q, "Patient.repeat(contact).name.family")
	require.NoError(t, err)
	assert.Equal(t, []any{"A"}, got, "two equal contacts are one item")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = MustCompileFHIRPath("(1).repeat($this + 1)").EvaluateNode(cancelled, nil, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// An expression that multiplies its items is stopped at a million, not
// left to take all memory.
func TestEvaluateCollectionBound(t *testing.T) {
	expr := "(1).combine(1)" + strings.Repeat(".select((1).combine(1))", 30)
	_, err := MustCompileFHIRPath(expr).EvaluateNode(context.Background(), nil, nil)
	assert.ErrorContains(t, err, "select(): more than 1000000 items")
	got, err := MustCompileFHIRPath("(1).combine(1)"+strings.Repeat(".select((1).combine(1))", 18)).EvaluateNode(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Len(t, got, 1<<19)

	// union, distinct and the like of many items take time in proportion
	// (they were quadratic), and keep FHIRPath equality across types
	big := "(1).combine(2)" + strings.Repeat(".select((1).combine(2))", 18)
	mid := "(1).combine(2)" + strings.Repeat(".select((1).combine(2))", 15)
	for expr, want := range map[string][]any{
		big + " | 3":                              {int64(1), int64(2), int64(3)},
		"(" + big + ").distinct()":                {int64(1), int64(2)},
		"(" + big + ").intersect(1 | 5)":          {int64(1)},
		"(" + big + ").isDistinct()":              {false},
		"(1 | 2).subsetOf(" + big + ")":           {true},
		"(1 | 1.0 | '1' | true | 'true').count()": {int64(4)},
		"(1 'm' | 100 'cm' | 1 'g').count()":      {int64(2)},
		// quantities, dates and times are looked up by hash too
		"(" + big + ").select($index * 1 'mg').distinct().count()":                         {int64(1 << 19)},
		"(" + mid + ").select(@2020-01-01T00:00:00Z + $index * 1 second).isDistinct()":     {true},
		"(" + mid + ").select(@T00:00:00 + ($index mod 10) * 1 second).distinct().count()": {int64(10)},
	} {
		got, err := MustCompileFHIRPath(expr).EvaluateNode(context.Background(), nil, nil)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}

	// equivalence compares pair by pair, but does not go over the items
	// already matched again; past its bound it gives up with an error
	got, err = MustCompileFHIRPath("("+mid+") ~ ("+mid+")").EvaluateNode(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{true}, got)
	_, err = MustCompileFHIRPath("("+mid+").select($index) ~ ("+mid+").select(65535 - $index)").EvaluateNode(context.Background(), nil, nil)
	assert.ErrorContains(t, err, "~: collections of 65536 items take too many comparisons")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = MustCompileFHIRPath("("+mid+").select($index) ~ ("+mid+").select(65535 - $index)").EvaluateNode(cancelled, nil, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// An extension on a primitive (_birthDate) is an Extension like any
// other: its value[x] is read as value, in the JSON, XML and typed trees
// alike (fhirpath.js 3.18.0 gives the same answers).
func TestEvaluatePrimitiveExtension(t *testing.T) {
	const js = `{"resourceType":"Patient","birthDate":"2020-01-01","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"2020-01-01T08:30:00Z"}]}}`
	const xml = `<Patient xmlns="http://hl7.org/fhir"><birthDate value="2020-01-01"><extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime"><valueDateTime value="2020-01-01T08:30:00Z"/></extension></birthDate></Patient>`
	trees := everyTree(t, js, xml)
	tests := []struct {
		expr string
		want []any
	}{
		{"Patient.birthDate.extension('http://hl7.org/fhir/StructureDefinition/patient-birthTime').value", []any{"2020-01-01T08:30:00Z"}},
		{"Patient.birthDate.extension.value.ofType(dateTime)", []any{"2020-01-01T08:30:00Z"}},
		{"Patient.birthDate.extension.value is dateTime", []any{true}},
		{"Patient.birthDate.extension.url", []any{"http://hl7.org/fhir/StructureDefinition/patient-birthTime"}},
		{"Patient.birthDate.extension.valueDateTime", []any{"2020-01-01T08:30:00Z"}},
	}
	for _, tt := range tests {
		assertOnTrees(t, trees, tt.expr, tt.want)
	}
}

// Names that look like what they are not, in every tree builder: R4's
// ExampleScenario.instance has an element called resourceType (a code, not
// a resource's type), and TestScript's assert has both response (a code)
// and responseCode (a string), so responseCode is not response as a code
// (the lenient valueQuantity-style name of a choice element). Both were
// found by the fhirpath.js differential over the R4 examples.
func TestEvaluateLookalikeNames(t *testing.T) {
	docs := []struct{ json, xml string }{
		{`{"resourceType":"ExampleScenario","status":"draft","instance":[{"resourceId":"p1","resourceType":"Patient"}]}`,
			`<ExampleScenario xmlns="http://hl7.org/fhir"><status value="draft"/><instance><resourceId value="p1"/><resourceType value="Patient"/></instance></ExampleScenario>`},
		{`{"resourceType":"TestScript","setup":{"action":[{"assert":{"direction":"response","response":"okay","warningOnly":false}}]}}`,
			`<TestScript xmlns="http://hl7.org/fhir"><setup><action><assert><direction value="response"/><response value="okay"/><warningOnly value="false"/></assert></action></setup></TestScript>`},
	}
	tests := []struct {
		doc  int
		expr string
		want []any
	}{
		{0, "ExampleScenario.instance.resourceType", []any{"Patient"}},
		{0, "ExampleScenario.instance.resourceType is code", []any{true}},
		{0, "ExampleScenario.instance.resourceId", []any{"p1"}},
		{0, "ExampleScenario.instance is Patient", []any{false}},
		{1, "TestScript.setup.action.assert.response", []any{"okay"}},
		{1, "TestScript.setup.action.assert.responseCode", nil},
		{1, "TestScript.setup.action.assert.responseCode.count() + TestScript.setup.action.assert.response.count()", []any{Number("1")}},
	}
	trees := make([]map[string]*Node, len(docs))
	for i, d := range docs {
		trees[i] = everyTree(t, d.json, d.xml)
	}
	for _, tt := range tests {
		assertOnTrees(t, trees[tt.doc], tt.expr, tt.want)
	}
}

// everyTree builds the resource, given as JSON and as XML, with each Node
// builder: NodeFromJSON, NodeFromXML, the fast JSON builder and the typed
// one.
func everyTree(t *testing.T, js, xml string) map[string]*Node {
	t.Helper()
	fromJSON, err := NodeFromJSON([]byte(js))
	require.NoError(t, err)
	fromXML, err := NodeFromXML([]byte(xml))
	require.NoError(t, err)
	st := nodeStates.Get().(*nodeState)
	t.Cleanup(st.release)
	fast, err := st.build(js, false)
	require.NoError(t, err)
	r, err := Unmarshal([]byte(js))
	require.NoError(t, err)
	st2 := nodeStates.Get().(*nodeState)
	t.Cleanup(st2.release)
	typed, ok := st2.buildTyped(r)
	require.True(t, ok, "the typed builder refused %s", js)
	return map[string]*Node{"json": fromJSON, "xml": fromXML, "fast json": fast, "typed": typed}
}

// assertOnTrees evaluates expr on each tree and compares its plain values
// with want.
func assertOnTrees(t *testing.T, trees map[string]*Node, expr string, want []any) {
	t.Helper()
	p, err := CompileFHIRPath(expr)
	require.NoError(t, err)
	for name, n := range trees {
		got, err := p.EvaluateNode(context.Background(), n, nil)
		require.NoError(t, err, "%s on %s", expr, name)
		var plainGot []any
		for _, v := range got {
			plainGot = append(plainGot, plain(v))
		}
		assert.Equal(t, want, plainGot, "%s on %s", expr, name)
	}
}

// Every expression Validate reports must select an element of the resource
// (or the place where a required one is missing).
func TestValidationExpressionsEvaluate(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","gender":"F","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}`)
	oo := Validate(p)
	require.NotNil(t, oo)
	for _, is := range oo.Issue {
		got, err := Evaluate(p, is.Expression[0].Value)
		require.NoError(t, err)
		assert.Len(t, got, 1, is.Expression[0].Value)
	}
}

// A compiled expression is shared by many goroutines (run with -race).
func TestFHIRPathConcurrent(t *testing.T) {
	p := MustCompileFHIRPath("name.where(given.exists()).given.first() & '-' & (name.count() + 1).toString()")
	n, err := NodeFromJSON([]byte(`{"resourceType":"Patient","name":[{"given":["Ann"]},{"family":"B"}]}`))
	require.NoError(t, err)
	done := make(chan []any, 8)
	for i := 0; i < 8; i++ {
		go func() {
			got, err := p.EvaluateNode(context.Background(), n, nil)
			assert.NoError(t, err)
			done <- got
		}()
	}
	for i := 0; i < 8; i++ {
		assert.Equal(t, []any{"Ann-3"}, <-done)
	}
}

func TestFHIRPathErrors(t *testing.T) {
	for _, tt := range []struct {
		expr string
		pos  int
	}{
		{"name.", 5},
		{"name.where(", 11},
		{"2 + 2 /* open", 6},
		{"'open", 0},
		{"name.nosuch()", 5},
		{"@2015-13", 0},
		{"1 +", 3},
		{"name #", 5},
	} {
		_, err := CompileFHIRPath(tt.expr)
		var fe *FHIRPathError
		require.ErrorAs(t, err, &fe, tt.expr)
		assert.ErrorIs(t, err, ErrFHIRPath)
		assert.Equal(t, tt.pos, fe.Pos, tt.expr)
	}
	p := MustCompileFHIRPath("name.given.single()")
	n, _ := NodeFromJSON([]byte(`{"resourceType":"Patient","name":[{"given":["a","b"]}]}`))
	_, err := p.EvaluateNode(context.Background(), n, nil)
	var fe *FHIRPathError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 11, fe.Pos)
	assert.Error(t, MustCompileFHIRPath("name.given1").Check("Patient"))
	assert.NoError(t, MustCompileFHIRPath("name.given.where($this = 'a').exists()").Check("Patient"))
}

// subsetOf and supersetOf (FHIRPath N1 §5.1.4-5.1.5): an empty collection
// is a subset of anything; items compare by equality.
func TestEvaluateSubsetSuperset(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","name":[{"given":["a","b"]},{"given":["b","c"]}]}`)
	for expr, want := range map[string]bool{
		"Patient.name[0].given.subsetOf(Patient.name.given)":      true,
		"Patient.name.given.subsetOf(Patient.name[0].given)":      false,
		"Patient.name.given.supersetOf(Patient.name[1].given)":    true,
		"Patient.name[1].given.supersetOf(Patient.name[0].given)": false,
		"{}.subsetOf(Patient.name.given)":                         true,
		"Patient.name.given.supersetOf({})":                       true,
		"Patient.name.given.subsetOf({})":                         false,
	} {
		got, err := Evaluate(p, expr)
		require.NoError(t, err, expr)
		assert.Equal(t, []any{want}, got, expr)
	}
}

// as on more than one item is an error (N1; the official suite's
// testFHIRPathAsFunction21), unless FHIRPathEnv.LenientAs asks for the
// HL7 validator's R4 behaviour: keep the items of the type.
func TestEvaluateLenientAs(t *testing.T) {
	n, err := NodeFromJSON([]byte(`{"resourceType":"Patient","gender":"male","name":[{"use":"official","family":"A"},{"use":"maiden","family":"B"}],"contact":[{"name":{"family":"C"}}]}`))
	require.NoError(t, err)
	ctx := context.Background()
	lenient := &FHIRPathEnv{LenientAs: true}
	for _, tt := range []struct {
		expr string
		want []any // under LenientAs; nil: empty
	}{
		{"Patient.name.as(HumanName).use", []any{"official", "maiden"}},
		{"(Patient.name as HumanName).family", []any{"A", "B"}},
		{"Patient.descendants().as(HumanName).family", []any{"A", "B", "C"}},
		{"(Patient.name | Patient.gender).as(code)", []any{"male"}},
		{"(Patient.name | Patient.gender).as(string)", nil}, // a code is not a string to as
		{"Patient.name.as(Period)", nil},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			p := MustCompileFHIRPath(tt.expr)
			_, err := p.EvaluateNode(ctx, n, nil)
			var fe *FHIRPathError
			require.ErrorAs(t, err, &fe, "strict as on several items")
			got, err := p.EvaluateNode(ctx, n, lenient)
			require.NoError(t, err)
			var vals []any
			for _, v := range got {
				vals = append(vals, sysVal(v))
			}
			assert.Equal(t, tt.want, vals)
		})
	}
	// one item: the same answer either way
	p := MustCompileFHIRPath("Patient.name[0].as(HumanName).use")
	strict, err := p.EvaluateNode(ctx, n, nil)
	require.NoError(t, err)
	got, err := p.EvaluateNode(ctx, n, lenient)
	require.NoError(t, err)
	assert.Equal(t, strict, got)
	// an unknown type is still an error
	_, err = MustCompileFHIRPath("Patient.name.as(HumanName1)").EvaluateNode(ctx, n, lenient)
	assert.Error(t, err)
}
