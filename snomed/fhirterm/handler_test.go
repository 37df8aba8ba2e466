package fhirterm_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed/fhirterm"
	"github.com/nhskit/nhskit/snomed/rf2"
)

func ukHandler(t *testing.T, opts ...fhirterm.Option) http.Handler {
	t.Helper()
	return fhirterm.New(openUK(t), opts...)
}

// call sends a request and decodes the FHIR response.
func call(t *testing.T, h http.Handler, method, target, contentType, body string) (int, fhir.Resource) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, "application/fhir+json; charset=utf-8", rec.Header().Get("Content-Type"))
	res, err := fhir.Unmarshal(rec.Body.Bytes())
	require.NoError(t, err, rec.Body.String())
	return rec.Code, res
}

func get(t *testing.T, h http.Handler, path string, q url.Values) (int, fhir.Resource) {
	t.Helper()
	return call(t, h, http.MethodGet, path+"?"+q.Encode(), "", "")
}

func params(t *testing.T, res fhir.Resource) *fhir.Parameters {
	t.Helper()
	p, ok := res.(*fhir.Parameters)
	require.True(t, ok, "got %T", res)
	return p
}

func outcome(t *testing.T, res fhir.Resource) fhir.OperationOutcomeIssue {
	t.Helper()
	o, ok := res.(*fhir.OperationOutcome)
	require.True(t, ok, "got %T", res)
	require.Len(t, o.Issue, 1)
	return o.Issue[0]
}

// text renders a value as text for comparison.
func text(v fhir.Value) string {
	switch x := v.(type) {
	case *fhir.String:
		return x.Value
	case *fhir.Code:
		return x.Value
	case *fhir.URI:
		return x.Value
	case *fhir.Boolean:
		return strconv.FormatBool(x.Value)
	case *fhir.Integer:
		return strconv.FormatInt(x.Value, 10)
	case *fhir.Coding:
		return x.System.Value + "|" + x.Code.Value
	}
	return ""
}

func values(p []fhir.ParametersParameter, name string) []string {
	var out []string
	for _, x := range p {
		if x.Name.Value == name {
			out = append(out, text(x.Value))
		}
	}
	return out
}

func value(p []fhir.ParametersParameter, name string) string {
	v := values(p, name)
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// properties lists code=value of each property (group properties as
// code{sub=value,...}).
func properties(p *fhir.Parameters) []string {
	var out []string
	for _, x := range p.Parameter {
		if x.Name.Value != "property" {
			continue
		}
		s := value(x.Part, "code")
		if v := value(x.Part, "value"); v != "" {
			s += "=" + v
		}
		var subs []string
		for _, sp := range x.Part {
			if sp.Name.Value == "subproperty" {
				subs = append(subs, value(sp.Part, "code")+"="+value(sp.Part, "value"))
			}
		}
		if subs != nil {
			s += "{" + strings.Join(subs, ",") + "}"
		}
		out = append(out, s)
	}
	return out
}

func id(x uint64) string { return strconv.FormatUint(x, 10) }

func TestLookup(t *testing.T) {
	h := ukHandler(t)
	status, res := get(t, h, "/fhir/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(type2Diabetes)}})
	require.Equal(t, http.StatusOK, status)
	p := params(t, res)
	assert.Equal(t, "SNOMED CT", value(p.Parameter, "name"))
	assert.Equal(t, "http://snomed.info/sct/83821000000107/version/20261001", value(p.Parameter, "version"))
	// The NHS clinical language refset comes before GB English.
	assert.Equal(t, "Diabetes mellitus type 2", value(p.Parameter, "display"))
	var designations []string
	for _, x := range p.Parameter {
		if x.Name.Value == "designation" {
			designations = append(designations, value(x.Part, "use")+" "+value(x.Part, "value"))
		}
	}
	assert.ElementsMatch(t, []string{
		"http://snomed.info/sct|900000000000003001 Type 2 diabetes mellitus (disorder)",
		"http://snomed.info/sct|900000000000013009 Type 2 diabetes mellitus",
		"http://snomed.info/sct|900000000000013009 Diabetes mellitus type 2",
	}, designations)
	assert.Equal(t, []string{"inactive=false", "sufficientlyDefined=false", "moduleId=900000000000207008", "effectiveTime=20260401", "parent=73211009"}, properties(p))

	// Attributes in a role group, and a requested normal form.
	_, res = get(t, h, "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(childAsthma)}, "property": {"normalFormTerse", "parent", "609096000"}})
	assert.Equal(t, []string{"parent=195967001", "normalFormTerse==== 195967001 : { 363698007 = 39607008 }", "609096000{363698007=39607008}"}, properties(params(t, res)))

	// en-US, and the pharmacy refset through en-x-.
	_, res = get(t, h, "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(paracetamol)}, "displayLanguage": {"en-US"}})
	assert.Equal(t, "Acetaminophen", value(params(t, res).Parameter, "display"))
	_, res = get(t, h, "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(paraTablet)}, "displayLanguage": {"en-x-999000691000001104"}})
	assert.Equal(t, "Paracetamol 500mg tablets", value(params(t, res).Parameter, "display"))

	// A UK clinical extension concept, and a retired one.
	_, res = get(t, h, "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(asthmaReview)}, "property": {"moduleId"}})
	assert.Equal(t, []string{"moduleId=999000011000000103"}, properties(params(t, res)))
	_, res = get(t, h, "/CodeSystem/$lookup", url.Values{"coding": {fhirterm.System + "|" + id(retiredAsthma)}, "property": {"inactive"}})
	assert.Equal(t, []string{"inactive=true"}, properties(params(t, res)))
}

func TestLookupErrors(t *testing.T) {
	h := ukHandler(t)
	for _, tc := range []struct {
		name   string
		q      url.Values
		status int
		code   string
		expr   string
	}{
		{"unknown code", url.Values{"system": {fhirterm.System}, "code": {"99999999"}}, 404, "not-found", "code"},
		{"not a number", url.Values{"system": {fhirterm.System}, "code": {"asthma"}}, 404, "not-found", "code"},
		{"unknown system", url.Values{"system": {"http://loinc.org"}, "code": {"1-8"}}, 404, "not-found", "system"},
		{"no system", url.Values{"code": {id(asthma)}}, 400, "required", "system"},
		{"no code", url.Values{"system": {fhirterm.System}}, 400, "required", "code"},
		{"other version", url.Values{"system": {fhirterm.System}, "code": {id(asthma)}, "version": {"http://snomed.info/sct/900000000000207008/version/20200131"}}, 404, "not-found", "version"},
		{"coding without bar", url.Values{"coding": {id(asthma)}}, 400, "invalid", "coding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, res := get(t, h, "/CodeSystem/$lookup", tc.q)
			assert.Equal(t, tc.status, status)
			is := outcome(t, res)
			assert.Equal(t, tc.code, is.Code.Value)
			require.Len(t, is.Expression, 1)
			assert.Equal(t, tc.expr, is.Expression[0].Value)
		})
	}
	// The edition's own URI without a version is accepted.
	status, _ := get(t, h, "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(asthma)}, "version": {"http://snomed.info/sct/83821000000107"}})
	assert.Equal(t, 200, status)
}

func TestSubsumes(t *testing.T) {
	h := ukHandler(t)
	for _, tc := range []struct {
		a, b uint64
		want string
	}{
		{asthma, asthma, "equivalent"},
		{asthma, childAsthma, "subsumes"},
		{childAsthma, disease, "subsumed-by"},
		{asthma, diabetes, "not-subsumed"},
		{clinicalFinding, type2Diabetes, "subsumes"},
		{retiredAsthma, asthma, "not-subsumed"},
	} {
		status, res := get(t, h, "/CodeSystem/$subsumes", url.Values{"system": {fhirterm.System}, "codeA": {id(tc.a)}, "codeB": {id(tc.b)}})
		require.Equal(t, 200, status)
		assert.Equal(t, tc.want, value(params(t, res).Parameter, "outcome"), "%d %d", tc.a, tc.b)
	}
	// Codings in a POSTed Parameters resource.
	body := `{"resourceType":"Parameters","parameter":[
		{"name":"codingA","valueCoding":{"system":"http://snomed.info/sct","code":"64572001"}},
		{"name":"codingB","valueCoding":{"system":"http://snomed.info/sct","code":"44054006"}}]}`
	status, res := call(t, h, http.MethodPost, "/CodeSystem/$subsumes", "application/fhir+json", body)
	require.Equal(t, 200, status)
	assert.Equal(t, "subsumes", value(params(t, res).Parameter, "outcome"))

	status, res = get(t, h, "/CodeSystem/$subsumes", url.Values{"system": {fhirterm.System}, "codeA": {id(asthma)}, "codeB": {"12345"}})
	assert.Equal(t, 404, status)
	assert.Equal(t, "codeB", outcome(t, res).Expression[0].Value)
	status, _ = get(t, h, "/CodeSystem/$subsumes", url.Values{"system": {fhirterm.System}, "codeA": {id(asthma)}})
	assert.Equal(t, 400, status)
}

func TestValidateCodeSystem(t *testing.T) {
	h := ukHandler(t)
	for _, tc := range []struct {
		name    string
		q       url.Values
		result  string
		display string
		message string
	}{
		{"known", url.Values{"url": {fhirterm.System}, "code": {id(asthma)}}, "true", "Asthma", ""},
		{"synonym display", url.Values{"url": {fhirterm.System}, "code": {id(asthma)}, "display": {"bronchial asthma"}}, "true", "Asthma", ""},
		{"wrong display", url.Values{"url": {fhirterm.System}, "code": {id(asthma)}, "display": {"Hay fever"}}, "false", "Asthma", `display "Hay fever" is not a term of concept 195967001 (its preferred term is "Asthma")`},
		{"unknown", url.Values{"url": {fhirterm.System}, "code": {"12345"}}, "false", "", `code "12345" is not a concept in http://snomed.info/sct/83821000000107/version/20261001`},
		{"inactive", url.Values{"url": {fhirterm.System}, "code": {id(retiredAsthma)}}, "true", "Asthma attack", "concept " + id(retiredAsthma) + " is inactive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, res := get(t, h, "/CodeSystem/$validate-code", tc.q)
			require.Equal(t, 200, status)
			p := params(t, res)
			assert.Equal(t, tc.result, value(p.Parameter, "result"))
			assert.Equal(t, tc.display, value(p.Parameter, "display"))
			assert.Equal(t, tc.message, value(p.Parameter, "message"))
		})
	}
	status, _ := get(t, h, "/CodeSystem/$validate-code", url.Values{"url": {"http://loinc.org"}, "code": {"1-8"}})
	assert.Equal(t, 404, status)
}

func vsURL(query string) string { return fhirterm.System + "?fhir_vs=" + query }

func TestValidateValueSet(t *testing.T) {
	h := ukHandler(t)
	for _, tc := range []struct {
		url    string
		code   uint64
		result string
	}{
		{vsURL("isa/" + id(disease)), childAsthma, "true"},
		{vsURL("isa/" + id(disease)), disease, "true"},
		{vsURL("isa/" + id(disease)), appendicectomy, "false"},
		{vsURL("refset/" + id(ukSubset)), childAsthma, "true"},
		{vsURL("refset/" + id(ukSubset)), type2Diabetes, "false"},
		{vsURL("ecl/" + url.PathEscape("< 195967001 : 363698007 = << 39607008")), childAsthma, "true"},
		{vsURL("ecl/" + url.PathEscape("< 195967001 : 363698007 = << 39607008")), asthma, "false"},
		{vsURL("ecl/" + url.PathEscape("<< 404684003 MINUS << 73211009")), type2Diabetes, "false"},
		{vsURL("ecl/" + url.PathEscape("<< 404684003 MINUS << 73211009")), asthma, "true"},
		{vsURL("ecl/" + url.PathEscape(">> 233678006")), disease, "true"},
		{vsURL("ecl/" + url.PathEscape("^ 999002271000000101")), asthma, "true"},
		{"http://snomed.info/sct/83821000000107/version/20261001?fhir_vs", asthma, "true"},
		{vsURL("isa/" + id(disease)), retiredAsthma, "false"},
	} {
		status, res := get(t, h, "/ValueSet/$validate-code", url.Values{"url": {tc.url}, "system": {fhirterm.System}, "code": {id(tc.code)}})
		require.Equal(t, 200, status, tc.url)
		assert.Equal(t, tc.result, value(params(t, res).Parameter, "result"), "%s %d", tc.url, tc.code)
	}
	// A code of another system is simply not in a SNOMED CT value set.
	_, res := get(t, h, "/ValueSet/$validate-code", url.Values{"url": {vsURL("isa/" + id(disease))}, "system": {"http://loinc.org"}, "code": {"1-8"}})
	assert.Equal(t, "false", value(params(t, res).Parameter, "result"))
}

func TestValueSetErrors(t *testing.T) {
	h := ukHandler(t)
	for _, tc := range []struct {
		name   string
		url    string
		status int
		code   string
		diag   string
	}{
		{"bad ECL", vsURL("ecl/" + url.PathEscape("<< 404684003 AND")), 400, "invalid", "bad ECL: ecl: offset 16"},
		{"unknown concept in ECL", vsURL("ecl/" + url.PathEscape("<< "+id(rf2.MakeSCTID(9200002, rf2.PartConcept)))), 400, "code-invalid", "unknown concept"},
		{"unknown value set", "http://example.org/ValueSet/x", 404, "not-found", "is not known here"},
		{"isa needs an id", vsURL("isa/asthma"), 400, "invalid", "isa/ needs a concept id"},
		{"other edition", "http://snomed.info/sct/900000000000207008/version/20200131?fhir_vs", 404, "not-found", "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, op := range []string{"/ValueSet/$validate-code", "/ValueSet/$expand"} {
				status, res := get(t, h, op, url.Values{"url": {tc.url}, "system": {fhirterm.System}, "code": {id(asthma)}, "count": {"5"}})
				assert.Equal(t, tc.status, status, op)
				is := outcome(t, res)
				assert.Equal(t, tc.code, is.Code.Value, op)
				assert.Contains(t, is.Diagnostics.Value, tc.diag, op)
			}
		})
	}
}

const composeVS = `{"resourceType":"Parameters","parameter":[
	{"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","url":"http://example.org/fhir/ValueSet/respiratory","compose":{
		"include":[
			{"system":"http://snomed.info/sct","filter":[{"property":"concept","op":"is-a","value":"64572001"},{"property":"concept","op":"is-not-a","value":"73211009"}]},
			{"system":"http://snomed.info/sct","filter":[{"property":"constraint","op":"=","value":"< 71388002"}]},
			{"system":"http://snomed.info/sct","concept":[{"code":"387517004"}]}],
		"exclude":[{"system":"http://snomed.info/sct","filter":[{"property":"concept","op":"in","value":"%s"}]}]}}},
	{"name":"code","valueCode":"%s"},
	{"name":"system","valueUri":"http://snomed.info/sct"}]}`

func TestValueSetCompose(t *testing.T) {
	h := ukHandler(t)
	for code, want := range map[uint64]string{
		disease: "true", asthma: "false" /* excluded by the subset */, childAsthma: "false",
		diabetes: "false", type2Diabetes: "false", appendicectomy: "true", asthmaReview: "true",
		procedure: "false", paracetamol: "true", substance: "false",
	} {
		body := strings.Replace(strings.Replace(composeVS, "%s", id(ukSubset), 1), "%s", id(code), 1)
		status, res := call(t, h, http.MethodPost, "/ValueSet/$validate-code", "application/fhir+json", body)
		require.Equal(t, 200, status)
		assert.Equal(t, want, value(params(t, res).Parameter, "result"), "code %d", code)
	}
	// The whole expansion, by id.
	body := strings.Replace(strings.Replace(composeVS, "%s", id(ukSubset), 1), "%s", id(asthma), 1)
	status, res := call(t, h, http.MethodPost, "/ValueSet/$expand", "application/fhir+json", body)
	require.Equal(t, 200, status)
	vs := res.(*fhir.ValueSet)
	assert.Equal(t, "http://example.org/fhir/ValueSet/respiratory", vs.URL.Value)
	assert.Equal(t, []string{id(disease), id(diabetes) /* is-not-a keeps 73211009 out */, id(appendicectomy), id(paracetamol), id(asthmaReview)}[0:1], codes(vs)[0:1])
	assert.ElementsMatch(t, []string{id(disease), id(appendicectomy), id(paracetamol), id(asthmaReview)}, codes(vs))

	for name, filter := range map[string]string{
		"unsupported op":    `{"property":"concept","op":"regex","value":"a.*"}`,
		"not an id":         `{"property":"concept","op":"is-a","value":"asthma"}`,
		"unknown property":  `{"property":"parent","op":"exists","value":"true"}`,
		"bad ECL in filter": `{"property":"constraint","op":"=","value":"<< ("}`,
	} {
		body := `{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","compose":{"include":[{"system":"http://snomed.info/sct","filter":[` + filter + `]}]}}},{"name":"code","valueCode":"195967001"}]}`
		status, res := call(t, h, http.MethodPost, "/ValueSet/$validate-code", "application/fhir+json", body)
		assert.Equal(t, 400, status, name)
		assert.Equal(t, "ValueSet.compose.include.filter", outcome(t, res).Expression[0].Value, name)
	}
}

func codes(vs *fhir.ValueSet) []string {
	var out []string
	for _, c := range vs.Expansion.Contains {
		out = append(out, c.Code.Value)
	}
	return out
}

func TestExpand(t *testing.T) {
	h := ukHandler(t)
	status, res := get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(clinicalFinding))}})
	require.Equal(t, 200, status)
	vs := res.(*fhir.ValueSet)
	assert.Equal(t, int64(6), vs.Expansion.Total.Value)
	assert.Equal(t, []string{id(type2Diabetes), id(disease), id(diabetes), id(asthma), id(childAsthma), id(clinicalFinding)}, codes(vs), "ascending ids")
	assert.Equal(t, "Diabetes mellitus type 2", vs.Expansion.Contains[0].Display.Value)

	// Pages are slices of one order.
	var paged []string
	for off := 0; off < 6; off += 4 {
		_, res := get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(clinicalFinding))}, "offset": {strconv.Itoa(off)}, "count": {"4"}})
		vs := res.(*fhir.ValueSet)
		assert.Equal(t, int64(6), vs.Expansion.Total.Value)
		assert.Equal(t, int64(off), vs.Expansion.Offset.Value)
		paged = append(paged, codes(vs)...)
	}
	assert.Equal(t, codes(vs), paged)

	// A filter: every word begins a word of a term.
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(root))}, "filter": {"asth"}, "count": {"10"}})
	vs = res.(*fhir.ValueSet)
	// Exact term, then term prefixes (preferred first), then word matches.
	assert.Equal(t, []string{id(asthma), id(asthmaReview), id(ukSubset), id(childAsthma)}, codes(vs))
	assert.Equal(t, int64(4), vs.Expansion.Total.Value)
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("ecl/" + url.PathEscape("<< 404684003"))}, "filter": {"asth child"}})
	assert.Equal(t, []string{id(childAsthma)}, codes(res.(*fhir.ValueSet)))
	// Within a refset, and with the retired concept when activeOnly=false.
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("refset/" + id(ukSubset))}, "filter": {"asthma"}})
	assert.Equal(t, []string{id(asthma), id(childAsthma)}, codes(res.(*fhir.ValueSet)))
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("")[:len(vsURL(""))-1]}, "filter": {"asthma attack"}, "activeOnly": {"false"}})
	vs = res.(*fhir.ValueSet)
	require.Equal(t, []string{id(retiredAsthma)}, codes(vs))
	assert.True(t, vs.Expansion.Contains[0].Inactive.Value)
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {fhirterm.System + "?fhir_vs"}, "filter": {"asthma attack"}})
	assert.Empty(t, codes(res.(*fhir.ValueSet)))

	// A short page leaves total out: more may follow.
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(root))}, "filter": {"asth"}, "count": {"2"}})
	vs = res.(*fhir.ValueSet)
	assert.Len(t, vs.Expansion.Contains, 2)
	assert.False(t, vs.Expansion.Total.Set)
	_, res = get(t, ukHandler(t, fhirterm.WithExactTotals()), "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(root))}, "filter": {"asth"}, "count": {"2"}})
	assert.Equal(t, int64(4), res.(*fhir.ValueSet).Expansion.Total.Value)

	// Designations and display language.
	_, res = get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(appendicectomy))}, "includeDesignations": {"true"}, "displayLanguage": {"en-US"}})
	vs = res.(*fhir.ValueSet)
	require.Len(t, vs.Expansion.Contains, 1)
	assert.Equal(t, "Appendectomy", vs.Expansion.Contains[0].Display.Value)
	assert.Len(t, vs.Expansion.Contains[0].Designation, 3)

	// Bad parameters.
	for name, q := range map[string]url.Values{
		"negative count":  {"url": {vsURL("isa/" + id(root))}, "count": {"-1"}},
		"offset not int":  {"url": {vsURL("isa/" + id(root))}, "offset": {"x"}},
		"activeOnly word": {"url": {vsURL("isa/" + id(root))}, "activeOnly": {"yes"}},
		"no url":          {"filter": {"asthma"}},
	} {
		status, res := get(t, h, "/ValueSet/$expand", q)
		assert.Equal(t, 400, status, name)
		outcome(t, res)
	}
	// Too large without paging.
	status, res = get(t, ukHandler(t, fhirterm.WithMaxExpansion(3)), "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(root))}})
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, "too-costly", outcome(t, res).Code.Value)
}

func TestTranslate(t *testing.T) {
	h := ukHandler(t)
	type match struct{ Equivalence, Concept, Source, Group, Priority, Rule, Advice string }
	matches := func(p *fhir.Parameters) []match {
		var out []match
		for _, x := range p.Parameter {
			if x.Name.Value != "match" {
				continue
			}
			m := match{Equivalence: value(x.Part, "equivalence"), Concept: value(x.Part, "concept"), Source: value(x.Part, "source")}
			for _, e := range x.Extension {
				v := text(e.Value)
				switch {
				case strings.HasSuffix(e.URL.Value, "map-group"):
					m.Group = v
				case strings.HasSuffix(e.URL.Value, "map-priority"):
					m.Priority = v
				case strings.HasSuffix(e.URL.Value, "map-rule"):
					m.Rule = v
				case strings.HasSuffix(e.URL.Value, "map-advice"):
					m.Advice = v
				}
			}
			out = append(out, m)
		}
		return out
	}
	icd := fhirterm.System + "?fhir_cm=999002271000000101"
	status, res := get(t, h, "/ConceptMap/$translate", url.Values{"system": {fhirterm.System}, "code": {id(type2Diabetes)}, "targetsystem": {fhirterm.ICD10System}})
	require.Equal(t, 200, status)
	p := params(t, res)
	assert.Equal(t, "true", value(p.Parameter, "result"))
	want := []match{
		{"relatedto", fhirterm.ICD10System + "|O24.1", icd, "1", "1", "IFA 77386006 | Pregnancy (finding) |", "IF PREGNANT CHOOSE O24.1"},
		{"relatedto", fhirterm.ICD10System + "|E11.9", icd, "1", "2", "OTHERWISE TRUE", "ALWAYS E11.9"},
		{"relatedto", fhirterm.ICD10System + "|Y42.3", icd, "2", "1", "TRUE", "ADDITIONAL CODE POSSIBLE"},
	}
	if d := cmp.Diff(want, matches(p)); d != "" {
		t.Error(d)
	}
	// OPCS-4 by url; a row with no target is unmatched.
	_, res = get(t, h, "/ConceptMap/$translate", url.Values{"url": {fhirterm.System + "?fhir_cm=1382401000000109"}, "coding": {fhirterm.System + "|" + id(appendicectomy)}})
	assert.Equal(t, []match{{"relatedto", fhirterm.OPCS4System + "|H01.9", fhirterm.System + "?fhir_cm=1382401000000109", "1", "1", "TRUE", "ALWAYS H01.9"}}, matches(params(t, res)))
	_, res = get(t, h, "/ConceptMap/$translate", url.Values{"system": {fhirterm.System}, "code": {id(disease)}})
	p = params(t, res)
	assert.Equal(t, "false", value(p.Parameter, "result"))
	assert.Equal(t, "unmatched", matches(p)[0].Equivalence)
	_, res = get(t, h, "/ConceptMap/$translate", url.Values{"system": {fhirterm.System}, "code": {id(procedure)}})
	assert.Equal(t, "false", value(params(t, res).Parameter, "result"))

	// Reverse: from a classification code to concepts.
	_, res = get(t, h, "/ConceptMap/$translate", url.Values{"system": {fhirterm.ICD10System}, "code": {"J45.9"}, "reverse": {"true"}})
	p = params(t, res)
	assert.Equal(t, "true", value(p.Parameter, "result"))
	assert.Equal(t, []string{fhirterm.System + "|" + id(asthma), fhirterm.System + "|" + id(childAsthma)}, func() []string {
		var out []string
		for _, m := range matches(p) {
			out = append(out, m.Concept)
		}
		return out
	}())

	for name, q := range map[string]url.Values{
		"unknown map":          {"url": {fhirterm.System + "?fhir_cm=447562003"}, "system": {fhirterm.System}, "code": {id(asthma)}},
		"unknown targetsystem": {"targetsystem": {"http://hl7.org/fhir/sid/icd-9-cm"}, "system": {fhirterm.System}, "code": {id(asthma)}},
		"unknown source":       {"system": {"http://loinc.org"}, "code": {"1-8"}},
	} {
		status, res := get(t, h, "/ConceptMap/$translate", q)
		assert.Equal(t, 404, status, name)
		outcome(t, res)
	}
	status, _ = get(t, h, "/ConceptMap/$translate", url.Values{"code": {"J45.9"}, "reverse": {"true"}})
	assert.Equal(t, 400, status)
}

func TestMetadata(t *testing.T) {
	h := ukHandler(t)
	status, res := get(t, h, "/fhir/metadata", nil)
	require.Equal(t, 200, status)
	cs := res.(*fhir.CapabilityStatement)
	assert.Equal(t, "4.0.1", cs.FhirVersion.Value)
	var ops []string
	for _, r := range cs.Rest[0].Resource {
		for _, o := range r.Operation {
			ops = append(ops, r.Type.Value+"/$"+o.Name.Value)
		}
	}
	assert.Equal(t, []string{"CodeSystem/$lookup", "CodeSystem/$subsumes", "CodeSystem/$validate-code", "ValueSet/$expand", "ValueSet/$validate-code", "ConceptMap/$translate"}, ops)
	assert.Nil(t, fhir.Validate(cs))

	_, res = get(t, h, "/fhir/metadata", url.Values{"mode": {"terminology"}})
	tc := res.(*fhir.TerminologyCapabilities)
	assert.Equal(t, "http://snomed.info/sct/83821000000107/version/20261001", tc.CodeSystem[0].Version[0].Code.Value)
	assert.Nil(t, fhir.Validate(tc))
}

func TestRequests(t *testing.T) {
	h := ukHandler(t)
	// A form post.
	status, res := call(t, h, http.MethodPost, "/CodeSystem/$lookup", "application/x-www-form-urlencoded", url.Values{"system": {fhirterm.System}, "code": {id(asthma)}}.Encode())
	require.Equal(t, 200, status)
	assert.Equal(t, "Asthma", value(params(t, res).Parameter, "display"))
	// A Parameters resource mixing primitive types.
	status, res = call(t, h, http.MethodPost, "/ValueSet/$expand", "application/fhir+json",
		`{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"http://snomed.info/sct?fhir_vs=isa/64572001"},{"name":"count","valueInteger":2},{"name":"filter","valueString":"diab"},{"name":"activeOnly","valueBoolean":true}]}`)
	require.Equal(t, 200, status)
	assert.Equal(t, []string{id(diabetes), id(type2Diabetes)}, codes(res.(*fhir.ValueSet)))

	for _, tc := range []struct {
		name, method, path, ct, body string
		status                       int
	}{
		{"unknown operation", "GET", "/CodeSystem/$closure", "", "", 404},
		{"wrong method", "DELETE", "/CodeSystem/$lookup", "", "", 405},
		{"metadata by POST", "POST", "/metadata", "", "", 405},
		{"not a resource", "POST", "/CodeSystem/$lookup", "application/fhir+json", `{"x":1}`, 400},
		{"not Parameters", "POST", "/CodeSystem/$lookup", "application/fhir+json", `{"resourceType":"Patient"}`, 400},
		{"XML", "POST", "/CodeSystem/$lookup", "application/fhir+xml", `<Parameters/>`, 415},
		{"unsupported value type", "POST", "/CodeSystem/$lookup", "application/fhir+json", `{"resourceType":"Parameters","parameter":[{"name":"code","valueQuantity":{"value":1}}]}`, 400},
		{"too large", "POST", "/CodeSystem/$lookup", "application/fhir+json", `{"resourceType":"Parameters","parameter":[{"name":"code","valueString":"` + strings.Repeat("1", 2<<20) + `"}]}`, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, res := call(t, h, tc.method, tc.path, tc.ct, tc.body)
			assert.Equal(t, tc.status, status)
			outcome(t, res)
		})
	}
	// Invalid UTF-8 is never echoed.
	status, res = get(t, h, "/CodeSystem/$lookup", url.Values{"system": {"http://x\xff"}, "code": {"1"}})
	assert.Equal(t, 404, status)
	assert.NotContains(t, outcome(t, res).Diagnostics.Value, "\xff")
}

func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/tx/r4/", http.StripPrefix("/tx/r4", ukHandler(t)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/tx/r4/CodeSystem/$lookup?system=" + url.QueryEscape(fhirterm.System) + "&code=195967001")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(b), `"valueString":"Asthma"`)
}

// TestConcurrent: one handler answers many requests at once (the value
// set cache, the edition read on first use) with the answers it gives
// one at a time.
func TestConcurrent(t *testing.T) {
	h := fhirterm.New(openUK(t), fhirterm.WithMaxExpansion(4))
	targets := []string{
		"/CodeSystem/$lookup?system=http://snomed.info/sct&code=" + id(type2Diabetes),
		"/CodeSystem/$subsumes?system=http://snomed.info/sct&codeA=" + id(disease) + "&codeB=" + id(childAsthma),
		"/ValueSet/$validate-code?system=http://snomed.info/sct&code=" + id(asthma) + "&url=" + url.QueryEscape(vsURL("ecl/"+url.PathEscape("> "+id(childAsthma)))),
		"/ValueSet/$expand?count=2&offset=1&url=" + url.QueryEscape(vsURL("ecl/"+url.PathEscape("<< "+id(disease)+" MINUS << "+id(diabetes)))),
		"/ValueSet/$expand?url=" + url.QueryEscape(vsURL("isa/"+id(root))),
		"/ConceptMap/$translate?system=" + url.QueryEscape(fhirterm.ICD10System) + "&code=J45.9&reverse=true",
	}
	want := make([]string, len(targets))
	strip := func(b string) string { // expansion timestamps differ
		if i := strings.Index(b, `"timestamp":`); i >= 0 {
			return b[:i] + b[i+len(`"timestamp":"2026-01-01T00:00:00Z"`):]
		}
		return b
	}
	for i, target := range targets {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		want[i] = strconv.Itoa(rec.Code) + strip(rec.Body.String())
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 60 {
				k := (g + i) % len(targets)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, targets[k], nil))
				if got := strconv.Itoa(rec.Code) + strip(rec.Body.String()); got != want[k] {
					t.Errorf("%s: %s, want %s", targets[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, "422", want[4][:3], "the unpaged root expansion is too costly")
}

// An offset near the largest integer is past every match: the page is
// empty and the total is still given (offset+count must not overflow).
func TestExpandHugeOffset(t *testing.T) {
	h := fhirterm.New(openUK(t))
	q := url.Values{"url": {"http://snomed.info/sct?fhir_vs"}, "filter": {"asth"}, "count": {"10"}}
	status, res := get(t, h, "/ValueSet/$expand", q)
	require.Equal(t, http.StatusOK, status)
	want := res.(*fhir.ValueSet).Expansion.Total
	require.True(t, want.Set)
	for _, offset := range []string{"9223372036854775807", "9223372036854775800", "2147483648"} {
		q.Set("offset", offset)
		status, res = get(t, h, "/ValueSet/$expand", q)
		require.Equal(t, http.StatusOK, status, offset)
		vs := res.(*fhir.ValueSet)
		assert.Empty(t, vs.Expansion.Contains, offset)
		assert.Equal(t, want, vs.Expansion.Total, offset)
	}
}
