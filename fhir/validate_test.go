package fhir

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHasLowByte(t *testing.T) {
	for _, s := range []string{"", "a", "https://fhir.nhs.uk/Id/nhs-number", "é€😀longtextwithoutspaces€€€€", strings.Repeat("x", 17)} {
		assert.False(t, hasLowByte(s), s)
	}
	for _, s := range []string{" ", "abc def", strings.Repeat("x", 15) + "\t", "x\x00", strings.Repeat("y", 8) + "\n" + strings.Repeat("y", 8), "\x7f\x20"} {
		assert.True(t, hasLowByte(s), "%q", s)
	}
	// Each position and each byte value.
	for pos := 0; pos < 20; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte(strings.Repeat("a", 20))
			b[pos] = byte(c)
			assert.Equal(t, c <= ' ', hasLowByte(string(b)), "byte %#x at %d", c, pos)
		}
	}
}

// hasByteBelow agrees with a byte loop for every threshold, byte value and
// position (the word trick is exact only for thresholds up to 0x80).
func TestHasByteBelow(t *testing.T) {
	for _, n := range []byte{1, ' ', ' ' + 1, '0', 0x7f, 0x80} {
		for size := 1; size <= 40; size++ {
			for pos := 0; pos < size; pos++ {
				for c := 0; c < 256; c++ {
					b := []byte(strings.Repeat("\x80", size))
					b[pos] = byte(c)
					if byte(c) < n != hasByteBelow(string(b), n) {
						t.Fatalf("n %#x, %d bytes, byte %#x at %d: got %v", n, size, c, pos, !(byte(c) < n))
					}
				}
			}
		}
		assert.False(t, hasByteBelow("", n))
	}
}

func TestCheckText(t *testing.T) {
	for s, want := range map[string]string{
		"Octavia":                       "",
		"01632 960587":                  "",
		" leading space":                "",
		"line\nbreak\tand tab":          "",
		strings.Repeat(" ", 9) + "x":    "",
		"":                              "a string has no non-whitespace content",
		" ":                             "a string has no non-whitespace content",
		strings.Repeat(" ", 17):         "a string has no non-whitespace content",
		" \r\n\t":                       "a string has no non-whitespace content",
		"bell\a":                        "a string contains a control character",
		strings.Repeat("x", 8) + "\x00": "a string contains a control character",
	} {
		assert.Equal(t, want, checkText(s), "%q", s)
	}
}

// daysIn agrees with the time package over years 0-9999.
func TestDaysIn(t *testing.T) {
	for y := 0; y <= 9999; y++ {
		for m := 1; m <= 12; m++ {
			if got, want := daysIn(y, m), time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%d, %d) = %d, want %d", y, m, got, want)
			}
		}
	}
}

// The date and dateTime formats: what Validate accepts (scanPartial) and
// what Time gives for it, with a time read by the time package as the
// reference for every value with a time part.
func TestDateTimeFormats(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		prec Precision // 0: not valid
	}{
		{"2026", precDay, PrecisionYear},
		{"0000", precDay, PrecisionYear},
		{"2026-11", precDay, PrecisionMonth},
		{"2024-02-29", precDay, PrecisionDay},
		{"2023-02-29", precDay, 0},
		{"2026-13", precDay, 0},
		{"2026-1", precDay, 0},
		{"2026-11-1", precDay, 0},
		{"20260", precDay, 0},
		{"+2026", precDay, 0},
		{"2026-11-30T10:00:00Z", precDay, 0},
		{"2026-11-30T10:00:00Z", precFull, PrecisionSecond},
		{"2026-11-30T23:59:60+14:00", precFull, PrecisionSecond},
		{"2026-11-30T10:00:00.123-05:30", precFull, PrecisionMillisecond},
		{"2026-11-30T10:00:00.1234567891Z", precFull, PrecisionMillisecond},
		{"2026-11-30T10:00:00", precFull, 0},
		{"2026-11-30T10:00Z", precFull, 0},
		{"2026-11-30T24:00:00Z", precFull, 0},
		{"2026-11-30T10:00:00.Z", precFull, 0},
		{"2026-11-30T10:00:00+15:00", precFull, 0},
		{"2026-11-30T10:00:00+01:60", precFull, 0},
		{"2026-11-30T10:00:00+0100", precFull, 0},
	} {
		p, ok := scanPartial(tc.s, tc.max)
		if ok != (tc.prec != 0) || ok && p.prec != tc.prec {
			t.Errorf("scanPartial(%q, %d) = %v %v, want precision %v", tc.s, tc.max, p.prec, ok, tc.prec)
			continue
		}
		pt, err := parsePartial(tc.s, tc.max)
		if (err == nil) != ok || ok && pt.Precision != tc.prec {
			t.Errorf("parsePartial(%q) = %v, %v, want precision %v", tc.s, pt.Precision, err, tc.prec)
			continue
		}
		if !ok {
			continue
		}
		ref := tc.s
		switch tc.prec {
		case PrecisionYear:
			ref += "-01-01T00:00:00Z"
		case PrecisionMonth:
			ref += "-01T00:00:00Z"
		case PrecisionDay:
			ref += "T00:00:00Z"
		}
		want, err := time.Parse(time.RFC3339Nano, strings.Replace(ref, ":60", ":59", 1))
		if err != nil {
			t.Fatalf("%q: %v", tc.s, err)
		}
		got := pt.Time
		if strings.Contains(tc.s, ":60") {
			got = got.Add(-time.Second)
		}
		if !got.Equal(want) {
			t.Errorf("%q: %v, want %v", tc.s, got, want)
		}
		_, off := got.Zone()
		_, woff := want.Zone()
		if off != woff {
			t.Errorf("%q: offset %d, want %d", tc.s, off, woff)
		}
	}
}

func issuesOf(oo *OperationOutcome) []string {
	if oo == nil {
		return nil
	}
	var out []string
	for _, is := range oo.Issue {
		out = append(out, is.Severity.Value+" "+is.Code.Value+" "+is.Expression[0].Value+": "+is.Diagnostics.Value)
	}
	return out
}

func mustPatient(t *testing.T, js string) *Patient {
	t.Helper()
	r, err := Unmarshal([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return r.(*Patient)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"valid", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"gender":"female","birthDate":"2010-10"}`, nil},
		{"bad code", `{"resourceType":"Patient","gender":"F"}`,
			[]string{`error code-invalid Patient.gender: the code "F" is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender`}},
		{"nhs number", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}`,
			[]string{"error value Patient.identifier[0].value: the NHS number *** *** 0019 fails the modulus 11 check"}},
		{"ods code", `{"resourceType":"Patient","generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"b86016"}}]}`,
			[]string{"error value Patient.generalPractitioner[0].identifier.value: the ODS code is not 1 to 9 upper-case letters and digits"}},
		{"date", `{"resourceType":"Patient","birthDate":"2010-02-30"}`,
			[]string{"error value Patient.birthDate: a date is not YYYY, YYYY-MM or YYYY-MM-DD"}},
		{"dateTime without zone", `{"resourceType":"Patient","deceasedDateTime":"2020-01-01T10:00:00"}`,
			[]string{"error value Patient.deceased.ofType(dateTime): a dateTime is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone"}},
		{"required", `{"resourceType":"Patient","link":[{"type":"seealso"}]}`,
			[]string{"error required Patient.link[0].other: minimum required = 1, but only found 0"}},
		{"null entry", `{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"x"}]},{"given":["b"]}]}`, nil},
		{"extension both", `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueString":"a","extension":[{"url":"y","valueString":"b"}]}]}`,
			[]string{"error invariant Patient.extension[0]: an extension has both a value and nested extensions (ext-1)"}},
		{"uk core value type", `{"resourceType":"Patient","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueString":"A"}]}`,
			[]string{"error structure Patient.extension[0]: extension Extension-UKCore-EthnicCategory takes CodeableConcept, not string"}},
		{"old pds url", `{"resourceType":"Patient","extension":[{"url":"https://fhir.nhs.uk/R4/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"text":"A"}}]}`, nil},
		{"contained unreferenced", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","name":"x"}]}`,
			[]string{`error invariant Patient.contained[0]: contained resource "o1" is not referenced from the resource (dom-3)`}},
		{"contained referenced", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","name":"x"}],"managingOrganization":{"reference":"#o1"}}`, nil},
		{"reference form", `{"resourceType":"Patient","managingOrganization":{"reference":"Organization/a b"}}`,
			[]string{"error value Patient.managingOrganization.reference: the reference is not of the form Type/id, an absolute URL, urn:uuid, urn:oid or #id"}},
		{"unknown element", `{"resourceType":"Patient","nickname":"x"}`,
			[]string{`error structure Patient.nickname: unknown element "nickname"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, issuesOf(Validate(mustPatient(t, tt.json))))
		})
	}
	// Decoding refuses a bad narrative; one made in Go is reported.
	p := &Patient{Text: &Narrative{Status: Code{Value: "generated"}, Div: XHTML{Value: "<p>x</p>"}}}
	assert.Equal(t, []string{"error value Patient.text.div: narrative div line 1 column 1: want a div element"}, issuesOf(Validate(p)))
}

func TestValidateObservationChoiceAndQuantity(t *testing.T) {
	r, err := Unmarshal([]byte(`{"resourceType":"Observation","status":"final","code":{"text":"weight"},"valueQuantity":{"value":72.5,"code":"kg"}}`))
	assert.NoError(t, err)
	assert.Equal(t, []string{"error invariant Observation.value.ofType(Quantity): a quantity with a code needs a system (qty-3)"}, issuesOf(Validate(r)))
	obs := r.(*Observation)
	obs.Value = &Address{City: String{Value: "Leeds"}}
	assert.Contains(t, issuesOf(Validate(obs)), "error structure Observation.value.ofType(Address): type Address is not allowed here")
	obs.Status = Code{}
	assert.Contains(t, issuesOf(Validate(obs)), "error required Observation.status: minimum required = 1, but only found 0")
}

func TestValidateAllocatesNothingWhenValid(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop its scratch buffers; .ci/run runs this test without -race")
	}
	p := mustPatient(t, patientJSON)
	p.Unknown = nil
	p.Name[0].Given = p.Name[0].Given[:1]
	p.Name[0].Given[0].Elem = nil
	if oo := Validate(p); oo != nil {
		t.Fatalf("not valid: %v", issuesOf(oo))
	}
	allocs := testing.AllocsPerRun(100, func() { Validate(p) })
	assert.Zero(t, allocs)
}

// dom-3 counts a canonical, uri or url "#id" (R4's expression takes
// descendants().as(canonical), as(uri) and as(url)) as a reference to the
// contained resource, as it does Reference.reference: R4's own
// Questionnaire-gcs refers to its contained ValueSets by answerValueSet.
func TestValidateContainedReferencedByCanonical(t *testing.T) {
	const vs = `{"resourceType":"ValueSet","id":"motor","status":"active"}`
	tests := []struct {
		name, json string
		want       []string
	}{
		{"answerValueSet", `{"resourceType":"Questionnaire","status":"active","contained":[` + vs + `],"item":[{"linkId":"1","type":"choice","answerValueSet":"#motor"}]}`, nil},
		{"extension valueCanonical", `{"resourceType":"Questionnaire","status":"active","contained":[` + vs + `],"extension":[{"url":"http://example.org/vs","valueCanonical":"#motor"}]}`, nil},
		{"extension valueUri to the container", `{"resourceType":"Questionnaire","status":"active","contained":[` + vs + `],"extension":[{"url":"http://example.org/vs","valueUri":"#"}]}`, nil},
		{"other id", `{"resourceType":"Questionnaire","status":"active","contained":[` + vs + `],"item":[{"linkId":"1","type":"choice","answerValueSet":"#verbal"}]}`,
			[]string{`error invariant Questionnaire.contained[0]: contained resource "motor" is not referenced from the resource (dom-3)`}},
		{"absolute canonical", `{"resourceType":"Questionnaire","status":"active","contained":[` + vs + `],"item":[{"linkId":"1","type":"choice","answerValueSet":"http://example.org/ValueSet/motor"}]}`,
			[]string{`error invariant Questionnaire.contained[0]: contained resource "motor" is not referenced from the resource (dom-3)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Unmarshal([]byte(tt.json))
			require.NoError(t, err)
			assert.Equal(t, tt.want, issuesOf(Validate(r)))
		})
	}
}
