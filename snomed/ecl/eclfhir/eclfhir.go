package eclfhir

import (
	"fmt"
	"net/url"
	"time"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// System is SNOMED CT's code system URI.
const System = "http://snomed.info/sct"

// Options page and localise an expansion.
type Options struct {
	Offset int
	Count  int    // 0: every code from Offset
	Locale string // displayLanguage, default en-GB
	Now    func() time.Time
}

// ImplicitURL is the implicit value set URL of an ECL expression.
func ImplicitURL(expr string) string {
	return System + "?fhir_vs=ecl/" + url.PathEscape(expr)
}

// Expand evaluates expr and returns the page of its expansion that opts
// asks for.
func Expand(store *snomed.Store, expr string, opts Options) (*fhir.ValueSet, error) {
	if opts.Offset < 0 || opts.Count < 0 {
		return nil, fmt.Errorf("eclfhir: offset and count must not be negative")
	}
	ids, err := ecl.Evaluate(store, expr)
	if err != nil {
		return nil, err
	}
	locale := opts.Locale
	if locale == "" {
		locale = "en-GB"
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	page := ids[min(opts.Offset, len(ids)):]
	if opts.Count > 0 && len(page) > opts.Count {
		page = page[:opts.Count]
	}
	exp := &fhir.ValueSetExpansion{
		Identifier: fhir.URI{Value: fhir.NewUUID()},
		Timestamp:  fhir.DateTimeOf(now()),
		Total:      fhir.Integer{Value: int64(len(ids)), Set: true},
		Offset:     fhir.Integer{Value: int64(opts.Offset), Set: true},
		Parameter: []fhir.ValueSetExpansionParameter{
			{Name: fhir.String{Value: "offset"}, Value: &fhir.Integer{Value: int64(opts.Offset), Set: true}},
			{Name: fhir.String{Value: "displayLanguage"}, Value: &fhir.Code{Value: locale}},
		},
	}
	if opts.Count > 0 {
		exp.Parameter = append(exp.Parameter, fhir.ValueSetExpansionParameter{Name: fhir.String{Value: "count"}, Value: &fhir.Integer{Value: int64(opts.Count), Set: true}})
	}
	for _, id := range page {
		c := fhir.ValueSetExpansionContains{System: fhir.URI{Value: System}, Code: fhir.Code{Value: fmt.Sprint(uint64(id))}}
		if t, ok := store.PreferredTerm(id, locale); ok {
			c.Display = fhir.String{Value: t}
		}
		if concept, ok := store.Concept(id); ok && !concept.Active {
			c.Inactive = fhir.Boolean{Value: true, Set: true}
		}
		exp.Contains = append(exp.Contains, c)
	}
	return &fhir.ValueSet{
		URL:       fhir.URI{Value: ImplicitURL(expr)},
		Status:    fhir.Code{Value: "active"},
		Expansion: exp,
	}, nil
}
