package gpconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nhskit/nhskit/fhir/stu3"
	"net/http"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// StructuredQuery selects the clinical areas of a $gpc.getstructuredrecord
// request. Each area is included when its pointer is non-nil.
type StructuredQuery struct {
	NHSNumber      nhsid.NHSNumber
	Allergies      *AllergiesQuery
	Medications    *MedicationsQuery
	Consultations  *ConsultationsQuery
	Problems       []ProblemsQuery // repeating: one per status/significance pair
	Immunisations  *ImmunisationsQuery
	Uncategorised  *PeriodQuery
	Investigations *PeriodQuery
	Referrals      *PeriodQuery
	DiaryEntries   *DiaryQuery
}

// DiaryQuery includes diary entries (planned care: recalls, reviews),
// those on or before SearchDate when it is set. SearchDate must be today
// or later.
type DiaryQuery struct{ SearchDate time.Time }

// AllergiesQuery includes allergies.
type AllergiesQuery struct{ IncludeResolved bool }

// MedicationsQuery includes medications active on or after From (zero:
// all), with each prescription issue unless IncludeIssues is false.
type MedicationsQuery struct {
	From          time.Time
	IncludeIssues *bool
}

// ConsultationsQuery includes consultations in a period or the most recent
// N; the specification refuses the two together (INVALID_RESOURCE).
type ConsultationsQuery struct {
	Period     *DatePeriod
	MostRecent int
}

// ProblemsQuery includes problems, optionally filtered by status (active,
// inactive) and significance (major, minor).
type ProblemsQuery struct{ Status, Significance string }

// ImmunisationsQuery includes immunisations.
type ImmunisationsQuery struct{ IncludeNotGiven, IncludeStatus *bool }

// PeriodQuery includes an area restricted to a period (nil: everything).
type PeriodQuery struct{ Period *DatePeriod }

// DatePeriod is a whole-date period; either end may be zero.
type DatePeriod struct{ Start, End time.Time }

func (p *DatePeriod) fhir() *stu3.Period {
	if p == nil {
		return nil
	}
	var out stu3.Period
	if !p.Start.IsZero() {
		out.Start.Value = p.Start.Format(time.DateOnly)
	}
	if !p.End.IsZero() {
		out.End.Value = p.End.Format(time.DateOnly)
	}
	return &out
}

func (p *DatePeriod) reversed() bool {
	return !p.Start.IsZero() && !p.End.IsZero() && p.Start.Format(time.DateOnly) > p.End.Format(time.DateOnly)
}

// ErrStructuredQuery is wrapped when a StructuredQuery is refused before
// sending.
var ErrStructuredQuery = errors.New("gpconnect: invalid structured record query")

// param is a named parameter with value v (nil for none).
func param(name string, v stu3.Value) stu3.ParametersParameter {
	return stu3.ParametersParameter{Name: stu3.String{Value: name}, Value: v}
}

func boolean(b bool) *stu3.Boolean { return &stu3.Boolean{Value: b, Set: true} }

// Parameters builds the request's Parameters resource, refusing the
// combinations the specification forbids.
func (q *StructuredQuery) Parameters(now time.Time) (*stu3.Parameters, error) {
	if !q.NHSNumber.Valid() {
		return nil, fmt.Errorf("%w: nhs number is not valid", ErrStructuredQuery)
	}
	today := now.Format(time.DateOnly)
	future := func(t time.Time) bool { return !t.IsZero() && t.Format(time.DateOnly) > today }
	p := &stu3.Parameters{Parameter: []stu3.ParametersParameter{
		param("patientNHSNumber", &stu3.Identifier{System: stu3.URI{Value: SystemNHSNumber}, Value: stu3.String{Value: string(q.NHSNumber)}}),
	}}
	// Part parameters that may not accompany consultations or problems
	// (accessrecord_structured_development_retrieve_patient_record, "Not
	// permitted parameter combinations").
	var others []string
	if q.Medications != nil && !q.Medications.From.IsZero() {
		others = append(others, "medicationSearchFromDate")
	}
	if q.Uncategorised != nil && q.Uncategorised.Period != nil {
		others = append(others, "uncategorisedDataSearchPeriod")
	}
	if q.Referrals != nil && q.Referrals.Period != nil {
		others = append(others, "referralSearchPeriod")
	}
	if q.DiaryEntries != nil && !q.DiaryEntries.SearchDate.IsZero() {
		others = append(others, "diaryEntriesSearchDate")
	}
	if q.Immunisations != nil && (q.Immunisations.IncludeNotGiven != nil || q.Immunisations.IncludeStatus != nil) {
		others = append(others, "includeNotGiven/includeStatus")
	}
	if q.Consultations != nil {
		for _, pq := range q.Problems {
			// Both problem filters are refused with consultations: the
			// specification lists filterStatus and filterSignificance.
			if pq.Status != "" || pq.Significance != "" {
				others = append(others, "filterStatus/filterSignificance")
				break
			}
		}
		if len(others) > 0 {
			return nil, fmt.Errorf("%w: consultations cannot be combined with %v", ErrStructuredQuery, others)
		}
	}
	if len(q.Problems) > 0 && len(others) > 0 {
		return nil, fmt.Errorf("%w: problems cannot be combined with %v", ErrStructuredQuery, others)
	}
	if a := q.Allergies; a != nil {
		par := param("includeAllergies", nil)
		par.Part = []stu3.ParametersParameter{param("includeResolvedAllergies", boolean(a.IncludeResolved))}
		p.Parameter = append(p.Parameter, par)
	}
	if m := q.Medications; m != nil {
		par := param("includeMedication", nil)
		if !m.From.IsZero() {
			if future(m.From) {
				return nil, fmt.Errorf("%w: medicationSearchFromDate is in the future", ErrStructuredQuery)
			}
			par.Part = append(par.Part, param("medicationSearchFromDate", &stu3.Date{Value: m.From.Format(time.DateOnly)}))
		}
		if m.IncludeIssues != nil {
			par.Part = append(par.Part, param("includePrescriptionIssues", boolean(*m.IncludeIssues)))
		}
		p.Parameter = append(p.Parameter, par)
	}
	if c := q.Consultations; c != nil {
		par := param("includeConsultations", nil)
		if c.Period != nil && c.MostRecent > 0 {
			return nil, fmt.Errorf("%w: consultationSearchPeriod and includeNumberOfMostRecent cannot be sent together", ErrStructuredQuery)
		}
		if c.Period != nil {
			if future(c.Period.Start) || future(c.Period.End) {
				return nil, fmt.Errorf("%w: consultationSearchPeriod is in the future", ErrStructuredQuery)
			}
			if c.Period.reversed() {
				return nil, fmt.Errorf("%w: consultationSearchPeriod starts after it ends", ErrStructuredQuery)
			}
			par.Part = append(par.Part, param("consultationSearchPeriod", c.Period.fhir()))
		}
		if c.MostRecent < 0 {
			return nil, fmt.Errorf("%w: includeNumberOfMostRecent must be positive", ErrStructuredQuery)
		}
		if c.MostRecent > 0 {
			par.Part = append(par.Part, param("includeNumberOfMostRecent", &stu3.PositiveInt{Value: int64(c.MostRecent), Set: true}))
		}
		p.Parameter = append(p.Parameter, par)
	}
	for _, pq := range q.Problems {
		par := param("includeProblems", nil)
		switch pq.Status {
		case "":
		case "active", "inactive":
			par.Part = append(par.Part, param("filterStatus", &stu3.Code{Value: pq.Status}))
		default:
			return nil, fmt.Errorf("%w: problem status must be active or inactive", ErrStructuredQuery)
		}
		switch pq.Significance {
		case "":
		case "major", "minor":
			par.Part = append(par.Part, param("filterSignificance", &stu3.Code{Value: pq.Significance}))
		default:
			return nil, fmt.Errorf("%w: problem significance must be major or minor", ErrStructuredQuery)
		}
		p.Parameter = append(p.Parameter, par)
	}
	if im := q.Immunisations; im != nil {
		par := param("includeImmunisations", nil)
		if im.IncludeNotGiven != nil {
			par.Part = append(par.Part, param("includeNotGiven", boolean(*im.IncludeNotGiven)))
		}
		if im.IncludeStatus != nil {
			par.Part = append(par.Part, param("includeStatus", boolean(*im.IncludeStatus)))
		}
		p.Parameter = append(p.Parameter, par)
	}
	for _, area := range []struct {
		q          *PeriodQuery
		name, part string
	}{
		{q.Uncategorised, "includeUncategorisedData", "uncategorisedDataSearchPeriod"},
		{q.Investigations, "includeInvestigations", "investigationSearchPeriod"},
		{q.Referrals, "includeReferrals", "referralSearchPeriod"},
	} {
		if area.q == nil {
			continue
		}
		par := param(area.name, nil)
		if area.q.Period != nil {
			if future(area.q.Period.Start) || future(area.q.Period.End) {
				return nil, fmt.Errorf("%w: %s is in the future", ErrStructuredQuery, area.part)
			}
			if area.q.Period.reversed() {
				return nil, fmt.Errorf("%w: %s starts after it ends", ErrStructuredQuery, area.part)
			}
			par.Part = append(par.Part, param(area.part, area.q.Period.fhir()))
		}
		p.Parameter = append(p.Parameter, par)
	}
	if d := q.DiaryEntries; d != nil {
		par := param("includeDiaryEntries", nil)
		if !d.SearchDate.IsZero() {
			if d.SearchDate.Format(time.DateOnly) < today {
				return nil, fmt.Errorf("%w: diaryEntriesSearchDate is before today", ErrStructuredQuery)
			}
			par.Part = append(par.Part, param("diaryEntriesSearchDate", &stu3.Date{Value: d.SearchDate.Format(time.DateOnly)}))
		}
		p.Parameter = append(p.Parameter, par)
	}
	return p, nil
}

// GetStructuredRecord calls $gpc.getstructuredrecord and returns the
// structured record Bundle, every resource typed by package fhir/stu3
// (Patient, List, AllergyIntolerance, MedicationStatement, Condition, …) and
// kept whole: elements and extensions the models do not name are kept in
// Unknown, so nothing the provider sent is lost.
func (c *Client) GetStructuredRecord(ctx context.Context, q StructuredQuery) (*stu3.Bundle, error) {
	params, err := q.Parameters(c.now())
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/Patient/$gpc.getstructuredrecord", InteractionStructuredRecord, ScopePatientRead, params, "")
	if err != nil {
		return nil, err
	}
	b := new(stu3.Bundle)
	if err := stu3.UnmarshalInto(resp.Body, b); err != nil {
		return nil, fmt.Errorf("gpconnect: %s: decoding bundle: %w", shortInteraction(InteractionStructuredRecord), err)
	}
	return b, nil
}

// StructuredMetadata returns the CapabilityStatement of the provider's
// Access Record Structured endpoint as JSON (the Client's BaseURL being
// that endpoint, found in SDS under InteractionStructuredRecord).
func (c *Client) StructuredMetadata(ctx context.Context) (json.RawMessage, error) {
	resp, err := c.do(ctx, http.MethodGet, "/metadata", InteractionStructuredMetadata, ScopeOrganizationRead, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Walk calls fn for each resource in b in order; it stops early when fn
// returns false. The lists are List resources whose entries reference the
// clinical items. A nil b has no resources.
func Walk(b *stu3.Bundle, fn func(r stu3.Resource) bool) {
	if b == nil {
		return
	}
	for _, e := range b.Entry {
		if e.Resource != nil && !fn(e.Resource) {
			return
		}
	}
}

// Count returns how many resources of each type b holds.
func Count(b *stu3.Bundle) map[string]int {
	n := map[string]int{}
	Walk(b, func(r stu3.Resource) bool { n[r.ResourceType()]++; return true })
	return n
}
