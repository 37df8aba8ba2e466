package fhirterm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// The handler is also an fhir.Terminology, so that validation and
// FHIRPath answer SNOMED CT bindings from the same store, in process:
//
//	oo, err := fhir.ValidateProfiles(ctx, r, fhir.ValidateOptions{Terminology: h})
var _ fhir.Terminology = (*Handler)(nil)

// boundSet is a value set MemberOf has read once: its SNOMED CT part as
// one expression, or none (ok false).
type boundSet struct {
	vs valueSet
	ok bool
}

// boundSets caches MemberOf's value sets by URL; there are few (the
// implicit ones asked for, and those fhir.OpenCompose gives).
type boundSets struct {
	mu sync.Mutex
	m  map[string]boundSet
}

// maxBoundSets bounds the cache: implicit value set URLs come from the
// resources validated and so are not a closed set.
const maxBoundSets = 1024

// MemberOf answers whether a SNOMED CT code is in a value set, from the
// store: the Handler is a fhir.Terminology for fhir.ValidateProfiles
// (ValidateOptions.Terminology) and for FHIRPath's memberOf()
// (FHIRPathEnv.Terminology).
//
// valueSet is an implicit SNOMED CT value set (System + "?fhir_vs=…"), or
// a value set whose definition fhir.OpenCompose gives (every UK Core
// value set, and the base R4 ones validation binds, that the fhir package
// cannot expand itself). Its
// SNOMED CT includes and excludes are read as one expression constraint,
// as a posted compose is for $validate-code, and the value sets it
// includes are read the same way.
//
// known is false, and validation leaves the binding alone, when system is
// not SNOMED CT, the value set has no SNOMED CT part, it asks for another
// edition or version than the store's, or the store does not hold the
// concept or a concept the definition names (a store may be a subset). A code that is not a concept id is
// not in any SNOMED CT value set (known, not in). An inactive concept is
// not in one either: an expression constraint selects active concepts.
func (h *Handler) MemberOf(ctx context.Context, valueSet, system, code string) (in, known bool, err error) {
	if system != System {
		return false, false, nil
	}
	b, err := h.bound(valueSet)
	if err != nil || !b.ok {
		return false, false, err
	}
	id, ok := parseID(code)
	if !ok {
		return false, true, nil
	}
	if _, ok := h.store.Concept(id); !ok {
		return false, false, nil
	}
	in, err = h.member(ctx, b.vs, id)
	if errors.Is(err, ecl.ErrUnknownConcept) {
		// the definition names a concept this store does not hold
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return in, true, nil
}

// bound reads valueSet, once.
func (h *Handler) bound(url string) (boundSet, error) {
	h.boundSets.mu.Lock()
	b, ok := h.boundSets.m[url]
	h.boundSets.mu.Unlock()
	if ok {
		return b, nil
	}
	text, ok, err := h.boundECL(url, 0)
	if err != nil {
		return boundSet{}, err
	}
	if ok {
		vs, err := h.parsed(valueSet{url: url, text: text, param: "valueSet"})
		if err != nil {
			return boundSet{}, err
		}
		b = boundSet{vs: vs, ok: true}
	}
	h.boundSets.mu.Lock()
	if h.boundSets.m == nil || len(h.boundSets.m) >= maxBoundSets {
		h.boundSets.m = map[string]boundSet{}
	}
	h.boundSets.m[url] = b
	h.boundSets.mu.Unlock()
	return b, nil
}

// boundECL gives the SNOMED CT part of the value set url as ECL; ok is
// false when it has none or asks for another edition or version.
func (h *Handler) boundECL(url string, depth int) (text string, ok bool, err error) {
	if strings.HasPrefix(url, System) {
		text, err := h.implicitECL(url, "valueSet")
		if notFound(err) {
			return "", false, nil
		}
		return text, err == nil, err
	}
	compose, found := fhir.OpenCompose(url)
	if !found || depth > 8 {
		return "", false, nil
	}
	var inc, exc []fhir.ValueSetComposeConceptSet
	var or []string
	for _, cs := range compose.Include {
		switch {
		case cs.System.Value == System:
			inc = append(inc, cs)
		case cs.System.Value == "" && len(cs.Concept) == 0 && len(cs.Filter) == 0:
			// the union of the value sets named, for SNOMED CT their
			// SNOMED CT parts
			for _, v := range cs.ValueSet {
				e, ok, err := h.boundECL(v.Value, depth+1)
				if err != nil {
					return "", false, err
				}
				if ok {
					or = append(or, "("+e+")")
				}
			}
		}
	}
	for _, cs := range compose.Exclude {
		if cs.System.Value == System {
			exc = append(exc, cs)
		}
	}
	in, ok, err := h.setsECL(inc)
	if !ok || err != nil {
		return "", false, err
	}
	if in != "" {
		or = append([]string{in}, or...)
	}
	if len(or) == 0 {
		return "", false, nil
	}
	out, ok, err := h.setsECL(exc)
	if !ok || err != nil {
		return "", false, err
	}
	text = strings.Join(or, " OR ")
	if out != "" {
		text = "(" + text + ") MINUS (" + out + ")"
	}
	return text, true, nil
}

// setsECL gives SNOMED CT concept sets as one expression, their union
// ("" for none); ok is false when one asks for what this store does not
// have.
func (h *Handler) setsECL(sets []fhir.ValueSetComposeConceptSet) (text string, ok bool, err error) {
	if len(sets) == 0 {
		return "", true, nil
	}
	text, err = h.composeECL(&fhir.ValueSet{Compose: &fhir.ValueSetCompose{Include: sets}})
	if notFound(err) {
		return "", false, nil
	}
	return text, err == nil, err
}

// notFound reports a value set, edition or version this store does not
// have: not an error for MemberOf, a question it cannot answer.
func notFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}
