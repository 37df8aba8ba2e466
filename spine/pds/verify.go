package pds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/nhsid"
)

// Reason says why VerifyNHSNumber did not verify a number.
type Reason string

// The reasons.
const (
	ReasonNone        Reason = ""                  // verified
	ReasonNoMatch     Reason = "no-match"          // no patient matches the demographics exactly
	ReasonSeveral     Reason = "several-matches"   // more than one does
	ReasonOtherNumber Reason = "other-nhs-number"  // the one match has another NHS number
	ReasonNotExact    Reason = "not-exact"         // the match scored below 1
	ReasonNotVerified Reason = "number-unverified" // PDS does not mark the number verified (status 01)
)

// Verification is the outcome of VerifyNHSNumber.
type Verification struct {
	// Verified is true when the demographics trace to exactly one patient,
	// with a score of 1, whose record carries this NHS number marked
	// verified (status 01); else Reason says why not.
	Verified bool
	Reason   Reason
	// Match is the patient traced, when exactly one was.
	Match *Match
	// Status is the NHS number verification status on the traced record
	// (01 "number present and verified", 02 "number present but not
	// traced", …), "" when none was traced.
	Status string
}

// VerifyNHSNumber checks an NHS number someone gave against their
// demographics, the way a supplier traces before trusting a number:
//
//  1. search PDS by the demographics in q alone (no wildcards), asking for
//     exact matches only and at most one result, which
//     application-restricted access also allows;
//  2. the number is verified only if exactly one patient matches, with a
//     score of 1, that patient's NHS number is nhs, and the record marks it
//     verified (verification status 01).
//
// A refusal is not an error: the Verification says why. Errors are for a
// failed search (an *spine.APIError, or ErrQuery for an unusable query).
func (c *Client) VerifyNHSNumber(ctx context.Context, nhs nhsid.NHSNumber, q Query) (Verification, error) {
	if !nhs.Valid() {
		return Verification{}, ErrInvalidNHSNumber
	}
	for _, s := range append([]string{q.Family, q.Postcode}, q.Given...) {
		if strings.Contains(s, "*") {
			return Verification{}, fmt.Errorf("%w: no wildcards when verifying a number", ErrQuery)
		}
	}
	q.ExactMatch, q.FuzzyMatch, q.MaxResults = true, false, 1
	matches, err := c.Search(ctx, q)
	if errors.Is(err, ErrTooManyMatches) {
		return Verification{Reason: ReasonSeveral}, nil
	}
	if err != nil {
		return Verification{}, err
	}
	switch len(matches) {
	case 0:
		return Verification{Reason: ReasonNoMatch}, nil
	case 1:
	default:
		return Verification{Reason: ReasonSeveral}, nil
	}
	m := matches[0]
	v := Verification{Match: &m}
	v.Status, _ = m.Patient.Patient.NHSNumberVerificationStatus()
	switch {
	case m.NHSNumber != nhs:
		v.Reason = ReasonOtherNumber
	case m.Score < 1:
		v.Reason = ReasonNotExact
	case v.Status != fhir.NHSNumberVerified:
		v.Reason = ReasonNotVerified
	default:
		v.Verified = true
	}
	return v, nil
}
