package tofhir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

func fixture(t *testing.T, name string) *hl7v2.Message {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	m, err := hl7v2.Parse(data)
	require.NoError(t, err)
	return m
}

// trust is a mapping with the test trust's local systems, as a deployment
// would configure it.
var trust = &Mapping{
	IdentifierSystems:  map[string]string{"RRK": "https://fhir.rrk.example.nhs.uk/Id/mrn"},
	VisitNumberSystems: map[string]string{"RRK": "https://fhir.rrk.example.nhs.uk/Id/visit"},
	CodeSystems:        map[string]string{"WinPath": "https://fhir.rrk.example.nhs.uk/CodeSystem/winpath"},
}

func mustValidate(t *testing.T, r fhir.Resource) {
	t.Helper()
	if oo := fhir.Validate(r); oo != nil {
		for _, is := range oo.Issue {
			if is.Severity.Value == fhir.SeverityError {
				t.Errorf("%s: %s", is.Expression[0].Value, is.Diagnostics.Value)
			}
		}
	}
}

func TestADTFixturesConvertAndValidate(t *testing.T) {
	for _, name := range []string{"adt_a01.hl7", "adt_a02.hl7", "adt_a03.hl7", "adt_a04.hl7", "adt_a05.hl7", "adt_a06.hl7", "adt_a07.hl7", "adt_a08.hl7", "adt_a09.hl7", "adt_a10.hl7", "adt_a11.hl7", "adt_a12.hl7", "adt_a13.hl7", "adt_a28.hl7", "adt_a31.hl7", "adt_a34.hl7", "adt_a40.hl7", "adt_a01_old_nhs_form.hl7", "adt_a01_latin1.hl7", "oru_r01.hl7", "oru_r01_two_patients.hl7", "adt_a01_delimiters.hl7", "adt_a04_crlf.hl7", "adt_a04_lf.hl7", "adt_a08_truncation.hl7"} {
		t.Run(name, func(t *testing.T) {
			res, err := New(trust).Convert(fixture(t, name))
			require.NoError(t, err)
			mustValidate(t, res.Bundle)
			// The Bundle survives JSON and XML round trips.
			js, err := fhir.Marshal(res.Bundle)
			require.NoError(t, err)
			back, err := fhir.Unmarshal(js)
			require.NoError(t, err)
			js2, _ := fhir.Marshal(back)
			assert.JSONEq(t, string(js), string(js2))
			_, err = fhir.MarshalXML(res.Bundle)
			require.NoError(t, err)
			for _, u := range res.Unmapped {
				assert.NotContains(t, u.Value, "999", "no identifier in the report")
			}
			// UK Core's slice identifier:nhsNumber is max 1; fhir.Validate
			// is to check it too, and tofhir never produces two.
			for _, p := range res.Patients {
				n := 0
				for _, id := range p.Identifier {
					if id.System.Value == fhir.NHSNumberSystem {
						n++
					}
				}
				assert.LessOrEqual(t, n, 1, "NHS number identifiers on one Patient")
			}
		})
	}
}

func TestA01(t *testing.T) {
	res, err := New(trust).Convert(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	p := res.Patient
	n, ok := p.NHSNumber()
	require.True(t, ok)
	assert.Equal(t, fhir.NHSNumber("9990000018"), n)
	status, _ := p.NHSNumberVerificationStatus()
	assert.Equal(t, fhir.NHSNumberVerified, status)
	mrn, ok := fhir.IdentifierValue(p.Identifier, "https://fhir.rrk.example.nhs.uk/Id/mrn")
	assert.True(t, ok)
	assert.Equal(t, "RRK1234567", mrn)
	assert.Equal(t, "female", p.Gender.Value) // NHS code 2
	assert.Equal(t, "1980-01-01", p.BirthDate.Value)
	assert.Equal(t, "SMYTHE", p.Name[0].Family.Value)
	assert.Equal(t, []fhir.String{{Value: "ALEX"}, {Value: "JAMES"}}, p.Name[0].Given)
	assert.Equal(t, "LS1 4AP", p.Address[0].PostalCode.Value)
	assert.Equal(t, "home", p.Address[0].Use.Value)
	require.Len(t, p.Telecom, 2)
	assert.Equal(t, "mobile", p.Telecom[1].Use.Value)
	assert.Equal(t, "S", p.MaritalStatus.Coding[0].Code.Value)
	ods, _ := p.GPPracticeODS()
	assert.Equal(t, "A81001", ods)
	assert.Equal(t, fhir.GMPNumberSystem, p.GeneralPractitioner[1].Identifier.System.Value)

	e := res.Encounter
	require.NotNil(t, e)
	assert.Equal(t, "in-progress", e.Status.Value)
	assert.Equal(t, "IMP", e.Class.Code.Value)
	assert.Equal(t, "V0000123", e.Identifier[0].Value.Value)
	assert.Equal(t, "2026-11-24T09:30:00Z", e.Period.Start.Value)
	require.Len(t, e.Participant, 2)
	assert.Equal(t, "ATND", e.Participant[0].Type[0].Coding[0].Code.Value)
	assert.Equal(t, fhir.GMCNumberSystem, e.Participant[0].Individual.Identifier.System.Value)
	assert.Equal(t, "1234567", e.Participant[0].Individual.Identifier.Value.Value)
	assert.Equal(t, "19", e.Hospitalization.AdmitSource.Coding[0].Code.Value)
	assert.Equal(t, "RRK01, WARD 12, BED 3", e.Location[0].Location.Display.Value)
	// The Encounter points at the Patient's entry.
	assert.Same(t, fhir.Resource(p), res.Bundle.Resolve(e.Subject.Reference.Value))
	assert.Equal(t, "PUT", res.Bundle.Entry[0].Request.Method.Value)
	assert.Equal(t, "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", res.Bundle.Entry[0].Request.URL.Value)
	assert.Empty(t, fieldIssues(res))
	var segs []string
	for _, u := range res.Unmapped {
		segs = append(segs, u.Path)
	}
	assert.Equal(t, []string{"NK1[1]", "ZU1[1]", "AL1[1]", "DG1[1]"}, segs, "segments the ADT conversion does not read are listed")
}

func TestTriggerStatuses(t *testing.T) {
	base := string(fixture(t, "adt_a01.hl7").Encode())
	for trigger, want := range map[string]string{"A01": "in-progress", "A02": "in-progress", "A04": "arrived", "A05": "planned", "A06": "in-progress", "A07": "in-progress", "A08": "in-progress", "A09": "in-progress", "A10": "in-progress", "A11": "entered-in-error", "A12": "in-progress", "A13": "in-progress"} {
		msg := strings.Replace(base, "ADT^A01^ADT_A01", "ADT^"+trigger+"^ADT_A01", 1)
		m, err := hl7v2.Parse([]byte(msg))
		require.NoError(t, err)
		res, err := New(trust).Convert(m)
		require.NoError(t, err, trigger)
		assert.Equal(t, want, res.Encounter.Status.Value, trigger)
		mustValidate(t, res.Bundle)
		// Every trigger updates the one Encounter of this visit.
		enc := res.Bundle.Entry[1]
		assert.Same(t, fhir.Resource(res.Encounter), enc.Resource)
		assert.Equal(t, "PUT", enc.Request.Method.Value, trigger)
		assert.Equal(t, "Encounter?identifier=https://fhir.rrk.example.nhs.uk/Id/visit|V0000123", enc.Request.URL.Value, trigger)
		assert.Empty(t, enc.Request.IfNoneExist.Value)
	}
	res, err := New(trust).Convert(fixture(t, "adt_a03.hl7"))
	require.NoError(t, err)
	assert.Equal(t, "finished", res.Encounter.Status.Value)
	assert.Equal(t, "2026-11-24T16:00:00Z", res.Encounter.Period.End.Value)
	res, err = New(trust).Convert(fixture(t, "adt_a28.hl7"))
	require.NoError(t, err)
	assert.Nil(t, res.Encounter, "A28 adds a person, not a visit")
}

func TestMerge(t *testing.T) {
	res, err := New(trust).Convert(fixture(t, "adt_a40.hl7"))
	require.NoError(t, err)
	p := res.Patient
	n, _ := p.NHSNumber()
	assert.Equal(t, fhir.NHSNumber("9990000026"), n, "the survivor's number stays current")
	var old []string
	for _, id := range p.Identifier {
		if id.Use.Value == "old" {
			old = append(old, id.Value.Value)
		}
	}
	assert.Equal(t, []string{"RRK0000002"}, old, "the retired NHS number is not a second nhs-number identifier")
	nhsIDs := 0
	for _, id := range p.Identifier {
		if id.System.Value == fhir.NHSNumberSystem {
			nhsIDs++
		}
	}
	assert.Equal(t, 1, nhsIDs, "UK Core: identifier:nhsNumber max 1")
	require.Len(t, p.Link, 2)
	assert.Equal(t, "replaces", p.Link[0].Type.Value)
	assert.Equal(t, "9990000034", p.Link[0].Other.Identifier.Value.Value)
	// The retired record is deactivated and pointed at the survivor by a
	// conditional FHIRPath Patch.
	last := res.Bundle.Entry[len(res.Bundle.Entry)-1]
	assert.Equal(t, "PATCH", last.Request.Method.Value)
	assert.Equal(t, "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034", last.Request.URL.Value)
	patch, ok := last.Resource.(*fhir.Parameters)
	require.True(t, ok)
	require.Len(t, patch.Parameter, 3)
	assert.Equal(t, "active", patch.Parameter[1].Part[2].Value.(*fhir.String).Value)
	assert.False(t, patch.Parameter[1].Part[3].Value.(*fhir.Boolean).Value)
	link := patch.Parameter[2].Part[3].Part
	assert.Equal(t, "9990000026", link[0].Value.(*fhir.Reference).Identifier.Value.Value)
	assert.Equal(t, "replaced-by", link[1].Value.(*fhir.Code).Value)
	mustValidate(t, res.Bundle)

	m := fixture(t, "adt_a34.hl7")
	require.NoError(t, m.Set("MRG-1", ""))
	_, err = New(trust).Convert(m)
	assert.ErrorIs(t, err, ErrMissing)
}

func TestORU(t *testing.T) {
	res, err := New(trust).Convert(fixture(t, "oru_r01.hl7"))
	require.NoError(t, err)
	require.Len(t, res.DiagnosticReport, 1)
	r := res.DiagnosticReport[0]
	assert.Equal(t, "final", r.Status.Value)
	assert.Equal(t, "FBC", r.Code.Coding[0].Code.Value)
	require.Len(t, r.Category, 2)
	assert.Equal(t, "LAB", r.Category[0].Coding[0].Code.Value, "UK Core's mandatory laboratory slice")
	assert.Equal(t, "http://terminology.hl7.org/CodeSystem/v2-0074", r.Category[0].Coding[0].System.Value)
	assert.Equal(t, "HM", r.Category[1].Coding[0].Code.Value)
	require.Len(t, res.Observations, 9)
	require.Len(t, r.Result, 9)
	hb := res.Observations[0]
	q := hb.Value.(*fhir.Quantity)
	assert.Equal(t, "134", q.Value.Raw)
	assert.Equal(t, "g/L", q.Code.Value)
	assert.Equal(t, "http://unitsofmeasure.org", q.System.Value)
	assert.Equal(t, "115", hb.ReferenceRange[0].Low.Value.Raw)
	assert.Equal(t, "165", hb.ReferenceRange[0].High.Value.Raw)
	wbc := res.Observations[1]
	assert.Equal(t, "11.8", wbc.Value.(*fhir.Quantity).Value.Raw)
	assert.Equal(t, "H", wbc.Interpretation[0].Coding[0].Code.Value)
	k := res.Observations[4]
	assert.Equal(t, "L", k.Interpretation[0].Coding[0].Code.Value)
	egfr := res.Observations[6]
	assert.Equal(t, ">90", egfr.Value.(*fhir.String).Value)
	assert.Equal(t, "60", egfr.ReferenceRange[0].Low.Value.Raw)
	assert.Equal(t, "mL/min/{1.73_m2}", egfr.ReferenceRange[0].Low.Code.Value)
	coded := res.Observations[7].Value.(*fhir.CodeableConcept)
	assert.Equal(t, "http://snomed.info/sct", coded.Coding[0].System.Value)
	text := res.Observations[8].Value.(*fhir.String)
	assert.Equal(t, "Line one\nLine two with & ampersand", text.Value)
	assert.Equal(t, "Sample slightly haemolysed", res.Observations[8].Note[0].Text.Value)
	assert.Same(t, fhir.Resource(res.Patient), res.Bundle.Resolve(hb.Subject.Reference.Value))
	assert.Same(t, fhir.Resource(hb), res.Bundle.Resolve(r.Result[0].Reference.Value))
}

func TestUnmappedIsReported(t *testing.T) {
	res, err := Convert(fixture(t, "oru_r01.hl7")) // default mapping: no local systems
	require.NoError(t, err)
	var paths []string
	for _, u := range res.Unmapped {
		paths = append(paths, u.Path)
	}
	assert.Contains(t, paths, "PID-3(2).4", "the trust MRN authority")
	assert.Contains(t, paths, "OBX[1]-3.3", "the lab's local code system")
	mustValidate(t, res.Bundle)

	m := fixture(t, "adt_a01.hl7")
	require.NoError(t, m.Set("PID-8", "Q"))
	require.NoError(t, m.Set("PID-16", "Z"))
	require.NoError(t, m.Set("OBX[1]-6", "furlongs"))
	res, err = New(trust).Convert(m)
	require.NoError(t, err)
	assert.Equal(t, []Unmapped{
		{Path: "PID-8", Value: "Q", Reason: "unknown administrative sex code"},
		{Path: "PID-16", Value: "Z", Reason: "unknown marital status code"},
	}, fieldIssues(res))
	assert.Empty(t, res.Patient.Gender.Value)
}

func TestErrors(t *testing.T) {
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ORM^O01|1|P|2.4\rPID|1||9990000018^^^NHS^NH\r"))
	require.NoError(t, err)
	_, err = Convert(m)
	assert.ErrorIs(t, err, ErrUnsupported)
	var ce *Error
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "MSH-9", ce.Path)

	m, _ = hl7v2.Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rEVN|A01\r"))
	_, err = Convert(m)
	assert.ErrorIs(t, err, ErrMissing)

	m, _ = hl7v2.Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\rPID|1||\r"))
	_, err = Convert(m)
	assert.ErrorIs(t, err, ErrMissing)
}

func TestORUTwoPatientsByStructure(t *testing.T) {
	res, err := New(trust).Convert(fixture(t, "oru_r01_two_patients.hl7"))
	require.NoError(t, err)
	mustValidate(t, res.Bundle)
	require.Len(t, res.Patients, 2)
	nhs := func(p *fhir.Patient) fhir.NHSNumber { n, _ := p.NHSNumber(); return n }
	assert.Equal(t, fhir.NHSNumber("9990000026"), nhs(res.Patients[0]))
	assert.Equal(t, fhir.NHSNumber("9990000034"), nhs(res.Patients[1]))
	require.Len(t, res.DiagnosticReport, 2)
	require.Len(t, res.Observations, 5)
	owner := func(ref *fhir.Reference) *fhir.Patient {
		p, _ := res.Bundle.Resolve(ref.Reference.Value).(*fhir.Patient)
		return p
	}
	// Results are filed under their own patient and order.
	assert.Same(t, res.Patients[0], owner(res.DiagnosticReport[0].Subject))
	assert.Same(t, res.Patients[1], owner(res.DiagnosticReport[1].Subject))
	for i, o := range res.Observations {
		want := res.Patients[0]
		if i >= 3 {
			want = res.Patients[1]
		}
		assert.Same(t, want, owner(o.Subject), "observation %d", i+1)
	}
	assert.Len(t, res.DiagnosticReport[0].Result, 2, "the SPM's OBX describes the specimen, not a result")
	assert.Len(t, res.DiagnosticReport[1].Result, 2)
	// The NTE after the OBR is a report note in the R5 cross-version
	// extension UK Core profiles; the one after an OBX is that result's.
	ext := res.DiagnosticReport[0].Extension
	require.Len(t, ext, 1)
	assert.Equal(t, "http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.note", ext[0].URL.Value)
	assert.Equal(t, "Repeat requested", res.Observations[1].Note[0].Text.Value)
	// "<2.5" in an NM is a Quantity with a comparator.
	k := res.Observations[1].Value.(*fhir.Quantity)
	assert.Equal(t, "<", k.Comparator.Value)
	assert.Equal(t, "2.5", k.Value.Raw)
	// The specimen and its observation.
	require.Len(t, res.Specimens, 1)
	require.Len(t, res.DiagnosticReport[0].Specimen, 1)
	assert.Same(t, fhir.Resource(res.Specimens[0]), res.Bundle.Resolve(res.DiagnosticReport[0].Specimen[0].Reference.Value))
	assert.Equal(t, "BLD", res.Specimens[0].Type.Coding[0].Code.Value)
	assert.NotNil(t, res.Observations[2].Specimen)
	// Both CWE repetitions of OBX-5 are kept.
	org := res.Observations[4].Value.(*fhir.CodeableConcept)
	require.Len(t, org.Coding, 2)
	assert.Equal(t, "3092008", org.Coding[1].Code.Value)
}

func TestORUStructureErrors(t *testing.T) {
	for name, text := range map[string]string{
		"OBX before OBR": "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\rPID|1||9990000018^^^NHS^NH\rOBX|1|NM|X||1\r",
		"OBR before PID": "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\rOBR|1|||X\rPID|1||9990000018^^^NHS^NH\r",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := hl7v2.Parse([]byte(text))
			require.NoError(t, err)
			_, err = Convert(m)
			assert.ErrorIs(t, err, ErrStructure)
		})
	}
}

func TestEncounterUpdatesPerTrigger(t *testing.T) {
	a01 := string(fixture(t, "adt_a01.hl7").Encode())
	with := func(trigger string, edits ...string) *hl7v2.Message {
		m, err := hl7v2.Parse([]byte(strings.Replace(a01, "ADT^A01^ADT_A01", "ADT^"+trigger+"^ADT_A01", 1)))
		require.NoError(t, err)
		for i := 0; i < len(edits); i += 2 {
			require.NoError(t, m.Set(edits[i], edits[i+1]))
		}
		return m
	}
	// A02: the new location is active, the prior one (PV1-6) completed.
	res, err := New(trust).Convert(with("A02", "PV1-3.2", "WARD 14", "PV1-6.1", "RRK01", "PV1-6.2", "WARD 12"))
	require.NoError(t, err)
	locs := res.Encounter.Location
	require.Len(t, locs, 2)
	assert.Contains(t, locs[0].Location.Display.Value, "WARD 14")
	assert.Equal(t, "active", locs[0].Status.Value)
	assert.Equal(t, "RRK01, WARD 12", locs[1].Location.Display.Value)
	assert.Equal(t, "completed", locs[1].Status.Value)
	mustValidate(t, res.Bundle)

	// Without a visit number system, an A01 still creates (and says it
	// cannot be matched later); an A03 cannot find its Encounter, and
	// says so instead of creating another.
	res, err = Convert(with("A01"))
	require.NoError(t, err)
	require.Len(t, res.Bundle.Entry, 2)
	assert.Equal(t, "POST", res.Bundle.Entry[1].Request.Method.Value)
	res, err = Convert(with("A03"))
	require.NoError(t, err)
	assert.Len(t, res.Bundle.Entry, 1, "no Encounter entry")
	var paths []string
	for _, u := range res.Unmapped {
		paths = append(paths, u.Path)
	}
	assert.Contains(t, paths, "PV1-19")
}

func TestHL7NullIsAbsence(t *testing.T) {
	m := fixture(t, "adt_a01.hl7")
	for _, p := range []string{"PID-8", "PID-16", "PV1-8.1", "PV1-8.2", "PV1-8.3", "PV1-8.6", "PID-22"} {
		require.NoError(t, m.Set(p, `""`))
	}
	require.NoError(t, m.Set("PID-5(2).1", `""`))
	res, err := New(trust).Convert(m)
	require.NoError(t, err)
	p := res.Patient
	assert.Empty(t, p.Gender.Value, "PID-8 \"\" deletes the sex; it is not 'unknown'")
	assert.Nil(t, p.MaritalStatus)
	require.Len(t, p.Name, 1, "a name of \"\" is no name")
	for _, n := range p.Name {
		for _, g := range n.Given {
			assert.NotEqual(t, `""`, g.Value)
		}
	}
	for _, part := range res.Encounter.Participant {
		assert.NotEqual(t, "REF", part.Type[0].Coding[0].Code.Value, "PV1-8 \"\" is no referrer")
	}
	assert.Empty(t, fieldIssues(res))
	mustValidate(t, res.Bundle)
}

// fieldIssues is the Unmapped report without whole segments.
func fieldIssues(res *Result) []Unmapped {
	var out []Unmapped
	for _, u := range res.Unmapped {
		if u.Reason != "segment not mapped" {
			out = append(out, u)
		}
	}
	return out
}

func TestNameTypeAndOverridableTables(t *testing.T) {
	m := fixture(t, "adt_a01.hl7")
	require.NoError(t, m.SetRaw("PID-5", "SMYTHE^ALEX^^^^^L~SMITH^ALEX^^^^^M~AL^^^^^^N~X^^^^^^Q"))
	require.NoError(t, m.Set("PID-8", "X"))
	require.NoError(t, m.Set("PV1-2", "Z"))
	res, err := New(&Mapping{
		Genders:          map[string]string{"X": "other"},
		EncounterClasses: map[string][2]string{"Z": {"SS", "short stay"}},
	}).Convert(m)
	require.NoError(t, err)
	var uses []string
	for _, n := range res.Patient.Name {
		uses = append(uses, n.Use.Value)
	}
	assert.Equal(t, []string{"official", "maiden", "nickname", ""}, uses)
	assert.Contains(t, fieldIssues(res), Unmapped{Path: "PID-5(4).7", Value: "Q", Reason: "unknown name type"})
	assert.Equal(t, "other", res.Patient.Gender.Value)
	assert.Equal(t, "SS", res.Encounter.Class.Code.Value)
	// The defaults are still there, and DefaultMapping is not changed.
	assert.Equal(t, "female", DefaultMapping().Genders["2"])
	assert.NotContains(t, DefaultMapping().Genders, "X")
}

func TestUnmappedFieldsAreListed(t *testing.T) {
	m := fixture(t, "oru_r01_two_patients.hl7")
	require.NoError(t, m.Set("PID[2]-15", "en"))      // primary language
	require.NoError(t, m.Set("OBX[2]-17", "MANUAL"))  // observation method
	require.NoError(t, m.Set("PID-9", "SECRETALIAS")) // alias: a name
	res, err := New(trust).Convert(m)
	require.NoError(t, err)
	issues := fieldIssues(res)
	for _, want := range []string{"PID[2]-15", "OBX[2]-17", "PID-9"} {
		assert.Contains(t, issues, Unmapped{Path: want, Reason: "field not mapped"})
	}
	for _, u := range res.Unmapped {
		assert.NotContains(t, u.Value, "SECRET", "no values of unmapped fields")
	}
	// OBR-2 is the placer order number.
	assert.Equal(t, "PL1", res.DiagnosticReport[0].Identifier[0].Value.Value)
	assert.Equal(t, "PLAC", res.DiagnosticReport[0].Identifier[0].Type.Coding[0].Code.Value)
}

func TestApplyPatientUpdate(t *testing.T) {
	// The record as a server holds it, with data from other sources.
	existing := &fhir.Patient{
		Name:          []fhir.HumanName{{Family: fhir.String{Value: "OLDNAME"}}},
		Gender:        fhir.Code{Value: "female"},
		Telecom:       []fhir.ContactPoint{{System: fhir.Code{Value: "email"}, Value: fhir.String{Value: "a@example.nhs.uk"}}},
		Address:       []fhir.Address{{PostalCode: fhir.String{Value: "LS1 1AA"}}},
		Communication: []fhir.PatientCommunication{{Language: &fhir.CodeableConcept{Text: fhir.String{Value: "Welsh"}}}},
		Identifier: []fhir.Identifier{
			{System: fhir.URI{Value: fhir.NHSNumberSystem}, Value: fhir.String{Value: "9990000018"}},
			{System: fhir.URI{Value: "https://other.example/Id"}, Value: fhir.String{Value: "O1"}},
		},
	}
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124||ADT^A08^ADT_A01|U1|P|2.4\r" +
		"PID|1||9990000018^^^NHS^NH~RRK1^^^RRK^MR||NEWNAME^ALEX||19800101|\"\"||||||||M\r"))
	require.NoError(t, err)
	res, err := New(trust).Convert(m)
	require.NoError(t, err)
	assert.Equal(t, Sent, res.PatientPresence["name"])
	assert.Equal(t, Cleared, res.PatientPresence["gender"])
	assert.Equal(t, NotSent, res.PatientPresence["telecom"])
	assert.Equal(t, NotSent, res.PatientPresence["address"])

	got, err := ApplyPatientUpdate(existing, res)
	require.NoError(t, err)
	assert.Equal(t, "NEWNAME", got.Name[0].Family.Value, "sent: replaced")
	assert.Empty(t, got.Gender.Value, `"": deleted`)
	assert.Equal(t, "a@example.nhs.uk", got.Telecom[0].Value.Value, "empty: kept")
	assert.Equal(t, "LS1 1AA", got.Address[0].PostalCode.Value, "empty: kept")
	assert.Equal(t, "Welsh", got.Communication[0].Language.Text.Value, "not from HL7 v2: kept")
	assert.Equal(t, "M", got.MaritalStatus.Coding[0].Code.Value)
	var ids []string
	for _, id := range got.Identifier {
		ids = append(ids, id.Value.Value)
	}
	assert.Equal(t, []string{"9990000018", "O1", "RRK1"}, ids)
	assert.Equal(t, "OLDNAME", existing.Name[0].Family.Value, "existing is not changed")
	mustValidate(t, got)

	_, err = ApplyPatientUpdate(existing, &Result{})
	assert.Error(t, err)
}

func TestOneNHSNumberPerPatient(t *testing.T) {
	m := fixture(t, "adt_a01.hl7")
	require.NoError(t, m.SetRaw("PID-3", "9990000018^^^NHS^NH~9990000026^^^NHS^NH~RRK1234567^^^RRK^MR"))
	res, err := New(trust).Convert(m)
	require.NoError(t, err)
	n, _ := res.Patient.NHSNumber()
	assert.Equal(t, fhir.NHSNumber("9990000018"), n, "the first stands")
	count := 0
	for _, id := range res.Patient.Identifier {
		if id.System.Value == fhir.NHSNumberSystem {
			count++
		}
	}
	assert.Equal(t, 1, count)
	assert.Contains(t, fieldIssues(res), Unmapped{Path: "PID-3(2)", Reason: "a second NHS number; UK Core allows one per Patient, so it is not mapped"})
	mustValidate(t, res.Bundle)
}

func TestMergeTwoPairs(t *testing.T) {
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124||ADT^A40^ADT_A39|M2|P|2.4\rEVN|A40|20261124\r" +
		"PID|1||9990000026^^^NHS^NH||JONES^SAM\rMRG|9990000034^^^NHS^NH\r" +
		"PID|2||9990000042^^^NHS^NH||PATEL^ASHA\rMRG|9990000050^^^NHS^NH\r"))
	require.NoError(t, err)
	res, err := New(trust).Convert(m)
	require.NoError(t, err)
	require.Len(t, res.Patients, 2)
	var patches []string
	for _, e := range res.Bundle.Entry {
		if e.Request.Method.Value == "PATCH" {
			patches = append(patches, e.Request.URL.Value)
		}
	}
	assert.Equal(t, []string{
		"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034",
		"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000050",
	}, patches)
	assert.Equal(t, "9990000050", res.Patients[1].Link[0].Other.Identifier.Value.Value)
	mustValidate(t, res.Bundle)

	// A pair without its MRG is an error that says which.
	m, err = hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124||ADT^A40^ADT_A39|M3|P|2.4\r" +
		"PID|1||9990000026^^^NHS^NH\rMRG|9990000034^^^NHS^NH\rPID|2||9990000042^^^NHS^NH\r"))
	require.NoError(t, err)
	_, err = New(trust).Convert(m)
	var ce *Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "MRG[2]", ce.Path)
}

// An NHS number that fails modulus 11 is kept as written and reported, not
// dropped: fhir's SetNHSNumber refuses it, so the converter must not lean
// on it alone.
func TestInvalidNHSNumberIsKeptAndReported(t *testing.T) {
	m := fixture(t, "adt_a01.hl7")
	require.NoError(t, m.SetRaw("PID-3", "9990000017^^^NHS^NH~RRK1234567^^^RRK^MR"))
	res, err := New(trust).Convert(m)
	require.NoError(t, err)
	n, ok := res.Patient.NHSNumber()
	require.True(t, ok, "the number is kept")
	assert.Equal(t, "9990000017", n.Digits())
	assert.Contains(t, fieldIssues(res), Unmapped{Path: "PID-3(1).1", Reason: "the NHS number fails the modulus 11 check; kept, and validation reports it"})
	assert.NotNil(t, fhir.Validate(res.Patient), "validation reports the bad check digit")
}
