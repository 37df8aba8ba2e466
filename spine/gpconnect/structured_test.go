package gpconnect_test

import (
	"context"
	"github.com/nhskit/nhskit/fhir/stu3"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func TestStructuredQueryRules(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	nhs, ok := nhsid.TestNHSNumber(1)
	require.True(t, ok)
	yes := true
	lastYear := &gpconnect.DatePeriod{Start: now.AddDate(-1, 0, 0), End: now}
	tests := []struct {
		name string
		q    gpconnect.StructuredQuery
		ok   bool
	}{
		{"consultations in a period", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{Period: lastYear}}, true},
		{"consultations, most recent 3", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{MostRecent: 3}}, true},
		{"consultations period and most recent", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{Period: lastYear, MostRecent: 3}}, false},
		{"consultations with unfiltered problems", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{}, Problems: []gpconnect.ProblemsQuery{{}}}, true},
		{"consultations with filterSignificance", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{}, Problems: []gpconnect.ProblemsQuery{{Significance: "major"}}}, false},
		{"consultations with filterStatus", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{}, Problems: []gpconnect.ProblemsQuery{{Status: "active"}}}, false},
		{"consultations with a diary date", gpconnect.StructuredQuery{Consultations: &gpconnect.ConsultationsQuery{}, DiaryEntries: &gpconnect.DiaryQuery{SearchDate: now.AddDate(0, 1, 0)}}, false},
		{"problems with a diary date", gpconnect.StructuredQuery{Problems: []gpconnect.ProblemsQuery{{}}, DiaryEntries: &gpconnect.DiaryQuery{SearchDate: now.AddDate(0, 1, 0)}}, false},
		{"problems with immunisation flags", gpconnect.StructuredQuery{Problems: []gpconnect.ProblemsQuery{{}}, Immunisations: &gpconnect.ImmunisationsQuery{IncludeStatus: &yes}}, false},
		{"diary entries up to next month", gpconnect.StructuredQuery{DiaryEntries: &gpconnect.DiaryQuery{SearchDate: now.AddDate(0, 1, 0)}}, true},
		{"diary entries before today", gpconnect.StructuredQuery{DiaryEntries: &gpconnect.DiaryQuery{SearchDate: now.AddDate(0, 0, -1)}}, false},
		{"referral period reversed", gpconnect.StructuredQuery{Referrals: &gpconnect.PeriodQuery{Period: &gpconnect.DatePeriod{Start: now, End: now.AddDate(-1, 0, 0)}}}, false},
		{"problem significance unknown", gpconnect.StructuredQuery{Problems: []gpconnect.ProblemsQuery{{Significance: "huge"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.NHSNumber = nhs
			_, err := tt.q.Parameters(now)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, gpconnect.ErrStructuredQuery)
			}
		})
	}
}

func TestStructuredDiaryEntriesAndMetadata(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()
	meta, err := c.StructuredMetadata(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(meta), "gpc.getstructuredrecord")

	b, err := c.GetStructuredRecord(ctx, gpconnect.StructuredQuery{
		NHSNumber:     srv.Patients()[0],
		DiaryEntries:  &gpconnect.DiaryQuery{SearchDate: time.Now().AddDate(0, 6, 0)},
		Consultations: nil,
	})
	require.NoError(t, err)
	counts := gpconnect.Count(b)
	assert.Equal(t, 1, counts["ProcedureRequest"])
	assert.Empty(t, srv.Rejections())
}

// The fake applies the operation's rules to what a less careful consumer
// sends.
func TestFakeStructuredParameterRules(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	nhs := string(srv.Patients()[0])
	type Parameter = stu3.ParametersParameter
	value := func(name string, v stu3.Value) Parameter { return Parameter{Name: stu3.String{Value: name}, Value: v} }
	patient := value("patientNHSNumber", &stu3.Identifier{System: stu3.URI{Value: gpconnect.SystemNHSNumber}, Value: stu3.String{Value: nhs}})
	three, zero := &stu3.PositiveInt{Value: 3, Set: true}, &stu3.PositiveInt{Value: 0, Set: true}
	today := time.Now().In(gpconnecttest.London)
	past := &stu3.Period{Start: stu3.DateTime{Value: today.AddDate(-1, 0, 0).Format(time.DateOnly)}, End: stu3.DateTime{Value: today.AddDate(0, 0, -1).Format(time.DateOnly)}}
	date := func(v string) *stu3.Date { return &stu3.Date{Value: v} }
	codeOf := func(v string) *stu3.Code { return &stu3.Code{Value: v} }
	part := func(name string, parts ...Parameter) Parameter {
		return Parameter{Name: stu3.String{Value: name}, Part: parts}
	}
	tests := []struct {
		name   string
		params []Parameter
		status int
		code   string
	}{
		{"consultations with unfiltered problems", []Parameter{part("includeConsultations"), part("includeProblems")}, 200, ""},
		{"period and most recent", []Parameter{part("includeConsultations",
			value("consultationSearchPeriod", past),
			value("includeNumberOfMostRecent", three))}, 422, "INVALID_RESOURCE"},
		{"consultations with filterSignificance", []Parameter{part("includeConsultations"),
			part("includeProblems", value("filterSignificance", codeOf("major")))}, 422, "INVALID_PARAMETER"},
		{"problems with a medication date", []Parameter{part("includeProblems"),
			part("includeMedication", value("medicationSearchFromDate", date(past.Start.Value)))}, 422, "INVALID_PARAMETER"},
		{"most recent zero", []Parameter{part("includeConsultations", value("includeNumberOfMostRecent", zero))}, 422, "INVALID_PARAMETER"},
		{"allergies without includeResolvedAllergies", []Parameter{part("includeAllergies")}, 422, "INVALID_PARAMETER"},
		{"diary date in the past", []Parameter{part("includeDiaryEntries", value("diaryEntriesSearchDate", date(past.Start.Value)))}, 422, "INVALID_PARAMETER"},
		{"medication date with a time", []Parameter{part("includeMedication", value("medicationSearchFromDate", date(past.Start.Value+"T10:00:00Z")))}, 422, "INVALID_PARAMETER"},
		{"unknown parameter", []Parameter{part("includeEverything")}, 422, "INVALID_RESOURCE"},
		{"unknown part", []Parameter{part("includeProblems", value("filterColour", codeOf("red")))}, 422, "INVALID_RESOURCE"},
		{"part without a value", []Parameter{part("includeProblems", part("filterStatus"))}, 422, "INVALID_PARAMETER"},
		{"no clinical area", nil, 422, "INVALID_PARAMETER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &stu3.Parameters{Parameter: append([]Parameter{patient}, tt.params...)}
			status, code := send(t, srv, http.MethodPost, "/Patient/$gpc.getstructuredrecord", gpconnect.InteractionStructuredRecord, gpconnect.ScopePatientRead, body, nil)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.code, code)
		})
	}
	status, code := send(t, srv, http.MethodPost, "/Patient/$gpc.getstructuredrecord", gpconnect.InteractionStructuredRecord, gpconnect.ScopePatientRead, map[string]any{"resourceType": "Patient"}, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, "INVALID_RESOURCE", code)
}

// Walk and Count take the nil Bundle a failed call returns as empty.
func TestWalkNilBundle(t *testing.T) {
	assert.NotPanics(t, func() {
		assert.Empty(t, gpconnect.Count(nil))
		gpconnect.Walk(nil, func(stu3.Resource) bool { t.Fatal("called"); return false })
	})
}

// TestFakeStructuredRecordIsSTU3 reads the fake's structured record with
// fhir/stu3 and checks that every member it sends is an STU3 element the
// models know (none kept in an Unknown list) and that each resource is
// written back as it came.
func TestFakeStructuredRecordIsSTU3(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	yes := true
	b, err := c.GetStructuredRecord(context.Background(), gpconnect.StructuredQuery{
		NHSNumber:     srv.Patients()[0],
		Allergies:     &gpconnect.AllergiesQuery{IncludeResolved: true},
		Medications:   &gpconnect.MedicationsQuery{IncludeIssues: &yes},
		Immunisations: &gpconnect.ImmunisationsQuery{},
		DiaryEntries:  &gpconnect.DiaryQuery{},
	})
	require.NoError(t, err)
	require.NotEmpty(t, b.Entry)
	var unknown []string
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Slice:
			if v.Type() == reflect.TypeFor[[]stu3.RawField]() {
				for i := 0; i < v.Len(); i++ {
					unknown = append(unknown, path+"."+v.Index(i).Field(0).String())
				}
				return
			}
			for i := 0; i < v.Len(); i++ {
				walk(path, v.Index(i))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
	// The walk finds a member kept as unknown, however deep.
	walk("Patient", reflect.ValueOf(&stu3.Patient{Name: []stu3.HumanName{{Unknown: []stu3.RawField{{Name: "surname"}}}}}))
	require.Equal(t, []string{"Patient.Name.Unknown.surname"}, unknown)
	unknown = nil
	for _, e := range b.Entry {
		_, raw := e.Resource.(*stu3.RawResource)
		assert.False(t, raw, "%s is not an STU3 resource type", e.Resource.ResourceType())
		walk(e.Resource.ResourceType(), reflect.ValueOf(e.Resource))
	}
	assert.Empty(t, unknown, "members that are not STU3 elements")
}
