package pds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
)

// Query is a PDS patient search. The minimum is Family and a BirthDate
// (exact or a range); a fuzzy search needs given, family and birth date,
// or family or given with birth date, gender and postcode. Names and
// postcodes may end with a * wildcard (not in a fuzzy search).
type Query struct {
	Family string
	Given  []string
	Gender string // male, female, other, unknown
	// BirthDate is an exact date; BirthDateFrom and BirthDateTo bound a
	// range (either may be zero).
	BirthDate, BirthDateFrom, BirthDateTo time.Time
	DeathDate, DeathDateFrom, DeathDateTo time.Time
	Postcode                              string
	Email                                 string
	Phone                                 string
	// GeneralPractitioner is the ODS code of the registered practice.
	GeneralPractitioner string
	FuzzyMatch          bool
	ExactMatch          bool
	History             bool
	// MaxResults is 1–50 (0 leaves PDS's default: 1 for
	// application-restricted access, 50 for healthcare workers).
	MaxResults int
}

// ErrQuery is wrapped for a query that PDS would refuse.
var ErrQuery = errors.New("pds: invalid search")

func dateParams(v url.Values, name string, eq, from, to time.Time) {
	const f = "2006-01-02"
	if !eq.IsZero() {
		v.Add(name, "eq"+eq.Format(f))
	}
	if !from.IsZero() {
		v.Add(name, "ge"+from.Format(f))
	}
	if !to.IsZero() {
		v.Add(name, "le"+to.Format(f))
	}
}

// Values encodes the query as PDS's search parameters.
func (q Query) Values() (url.Values, error) {
	v := url.Values{}
	if q.MaxResults < 0 || q.MaxResults > 50 {
		return nil, fmt.Errorf("%w: MaxResults must be 1 to 50", ErrQuery)
	}
	if q.Family == "" && len(q.Given) == 0 {
		return nil, fmt.Errorf("%w: a family or given name is needed", ErrQuery)
	}
	if q.BirthDate.IsZero() && q.BirthDateFrom.IsZero() && q.BirthDateTo.IsZero() {
		return nil, fmt.Errorf("%w: a birth date or range is needed", ErrQuery)
	}
	if q.Family != "" {
		v.Set("family", q.Family)
	}
	for _, g := range q.Given {
		v.Add("given", g)
	}
	if q.Gender != "" {
		v.Set("gender", q.Gender)
	}
	dateParams(v, "birthdate", q.BirthDate, q.BirthDateFrom, q.BirthDateTo)
	dateParams(v, "death-date", q.DeathDate, q.DeathDateFrom, q.DeathDateTo)
	if q.Postcode != "" {
		v.Set("address-postalcode", q.Postcode)
	}
	if q.Email != "" {
		v.Set("email", q.Email)
	}
	if q.Phone != "" {
		v.Set("phone", q.Phone)
	}
	if q.GeneralPractitioner != "" {
		v.Set("general-practitioner", q.GeneralPractitioner)
	}
	if q.FuzzyMatch {
		v.Set("_fuzzy-match", "true")
	}
	if q.ExactMatch {
		v.Set("_exact-match", "true")
	}
	if q.History {
		v.Set("_history", "true")
	}
	if q.MaxResults > 0 {
		v.Set("_max-results", strconv.Itoa(q.MaxResults))
	}
	return v, nil
}

// Match is one search result.
type Match struct {
	*Patient
	// Score is PDS's match score, 0 to 1; 1 is an exact match.
	Score float64
}

// ErrTooManyMatches is matched (errors.Is) by the *spine.APIError a search
// returns when more patients match than MaxResults allows; refine the
// query.
var ErrTooManyMatches = spine.ErrTooManyMatches

// Search finds patients by demographics, best match first. No match is an
// empty result; too many matches is an error (ErrTooManyMatches), never an
// empty result.
func (c *Client) Search(ctx context.Context, q Query) ([]Match, error) {
	v, err := q.Values()
	if err != nil {
		return nil, err
	}
	resp, r, err := c.fetch(ctx, "/Patient?"+v.Encode(), "the search result")
	if err != nil {
		return nil, err
	}
	outcomeError := func(oo *fhir.OperationOutcome) error {
		raw, _ := fhir.Marshal(oo)
		e := spine.ParseAPIError(resp.StatusCode, resp.Header, raw, resp.RequestID)
		e.CorrelationID, e.Attempts = resp.CorrelationID, resp.Attempts
		return e
	}
	switch x := r.(type) {
	case *fhir.OperationOutcome:
		return nil, outcomeError(x)
	case *fhir.Bundle:
		var out []Match
		for _, e := range x.Entry {
			switch res := e.Resource.(type) {
			case *fhir.OperationOutcome:
				return nil, outcomeError(res)
			case *fhir.Patient:
				raw, _ := fhir.Marshal(res)
				p := &Patient{Patient: res, NHSNumber: nhsid.NHSNumber(res.ID.Value), Restricted: fhir.Restricted(res.Meta), Raw: raw}
				if res.Meta != nil {
					p.Version, _ = strconv.Atoi(res.Meta.VersionID.Value)
				}
				m := Match{Patient: p}
				if e.Search != nil {
					m.Score, _ = e.Search.Score.Float64()
				}
				out = append(out, m)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("pds: search answered with a %s", r.ResourceType())
}
