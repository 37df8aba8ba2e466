package ers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/fhir/stu3"
)

// More endpoints of the referrer's and the provider's flow.

var (
	// A031 and A040, with the roles and access modes of their
	// specification files.
	A031 = Endpoint{"A031", "change shortlist", referrers, false}
	A040 = Endpoint{"A040", "retrieve on-behalf-of users", []BusinessFunction{ServiceProviderClinicianAdmin}, false}
)

// Concept is one code of an e-RS reference data code system.
type Concept struct {
	Code    string
	Display string
	// EffectiveFrom and EffectiveTo bound its use (dates as e-RS sends
	// them, "" when open).
	EffectiveFrom string
	EffectiveTo   string
}

var codeSystemPattern = regexp.MustCompile(`^[A-Z][A-Z-]{0,63}$`)

// ReferenceData runs A004: the codes of a reference data code system
// (SPECIALTY, CLINIC-TYPE, APPOINTMENT-CANCELLATION-REASON,
// REFERRAL-CANCELLATION-REASON, PRIORITY, …).
func (c *Client) ReferenceData(ctx context.Context, codeSystem string) ([]Concept, error) {
	if err := c.check(A004); err != nil {
		return nil, err
	}
	if !codeSystemPattern.MatchString(codeSystem) {
		return nil, refused(A004, "codeSystemType", "%q is not a code system name", codeSystem)
	}
	resp, err := c.do(ctx, &call{ep: A004, method: http.MethodGet, path: "/STU3/CodeSystem/" + codeSystem})
	if err != nil {
		return nil, err
	}
	cs, err := decodeSTU3[*stu3.CodeSystem](resp.Body, "CodeSystem")
	if err != nil {
		return nil, fmt.Errorf("ers: A004: %w", err)
	}
	out := make([]Concept, 0, len(cs.Concept))
	for _, x := range cs.Concept {
		out = append(out, Concept{
			Code: x.Code.Value, Display: x.Display.Value,
			EffectiveFrom: extStr(findExt(x.Extension, "Extension-eRS-EffectivefromDate-1")),
			EffectiveTo:   extStr(findExt(x.Extension, "Extension-eRS-EffectivetoDate-1")),
		})
	}
	return out, nil
}

// PatientLetter runs A019: a PDF for the patient summarising the referral
// and what they need to do next.
func (c *Client) PatientLetter(ctx context.Context, ubrn string) ([]byte, error) {
	if err := c.check(A019); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A019, "ubrn", "is not 12 digits")
	}
	resp, err := c.do(ctx, &call{ep: A019, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.generatePatientLetter", accept: "application/pdf", retrySafe: true})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ShortlistChange is an A031 change of an unbooked referral's shortlist.
type ShortlistChange struct {
	Criteria SearchCriteria
	// Services is the new shortlist: 1 to 20 service ids.
	Services []string
	// LetterIntention and FirstReminderDays as in NewReferral.
	LetterIntention   string
	FirstReminderDays *int
}

// ChangeShortlist runs A031 on the referral at version (If-Match).
func (c *Client) ChangeShortlist(ctx context.Context, ubrn string, version int, ch ShortlistChange) (*Referral, error) {
	if err := c.check(A031); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A031, "ubrn", "is not 12 digits")
	}
	if version <= 0 {
		return nil, refused(A031, "If-Match", "needs the referral's version")
	}
	list, err := shortlist(A031, ch.Criteria, ch.Services)
	if err != nil {
		return nil, err
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-ChangeShortlist-Parameters-1")
	p.Parameter = append(p.Parameter,
		param("shortlist", list),
		param("intentionToAddReferralLetter", coding(SystemLetterIntent, or(ch.LetterIntention, LetterNeedToAddLater))))
	if ch.FirstReminderDays != nil {
		p.Parameter = append(p.Parameter, param("firstReminderLetterFollowUpDays", uintValue(*ch.FirstReminderDays)))
	}
	body, err := encodeSTU3(A031, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A031, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.changeShortlist", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// OnBehalfOfUsers runs A040: the SDS user ids of the clinicians a
// SERVICE_PROVIDER_CLINICIAN_ADMIN may act for. It is sent with that
// business function and no on-behalf-of user (the one to pick comes from
// this answer), whatever the client's role.
func (c *Client) OnBehalfOfUsers(ctx context.Context) ([]string, error) {
	if c.access == AppRestricted {
		return nil, &RefusedError{Endpoint: A040.ID, Err: ErrUserRestrictedOnly}
	}
	h := http.Header{"Nhsd-Ers-Business-Function": {string(ServiceProviderClinicianAdmin)}}
	resp, err := c.do(ctx, &call{ep: Endpoint{ID: A040.ID, Name: A040.Name}, method: http.MethodGet, path: "/R4/Practitioner", query: url.Values{"_query": {"onBehalfOf"}}, noRoles: true, header: h})
	if err != nil {
		return nil, err
	}
	// Practitioner.identifier arrives as one object (an e-RS quirk like
	// HealthcareService.type); both shapes are read.
	b, err := decodeR4[*fhir.Bundle](resp.Body, "Bundle", &single{"resource", "identifier"})
	if err != nil {
		return nil, fmt.Errorf("ers: A040: %w", err)
	}
	var out []string
	for i, e := range b.Entry {
		p, ok := e.Resource.(*fhir.Practitioner)
		if !ok {
			return nil, fmt.Errorf("ers: A040: entry[%d] is not a Practitioner", i)
		}
		for _, id := range p.Identifier {
			if id.Value.Value != "" {
				out = append(out, id.Value.Value)
			}
		}
	}
	return out, nil
}

// Provider endpoints of the referral's review.
var (
	A013 = Endpoint{"A013", "accept referral", []BusinessFunction{ServiceProviderClinician, ServiceProviderClinicianAdmin}, true}
	A014 = Endpoint{"A014", "reject referral", []BusinessFunction{ServiceProviderClinician, ServiceProviderClinicianAdmin}, false}
)

// AcceptReferral runs A013: the provider accepts the referral at version
// (If-Match).
func (c *Client) AcceptReferral(ctx context.Context, ubrn string, version int) (*Referral, error) {
	if err := c.check(A013); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A013, "ubrn", "needs a UBRN and the referral's version")
	}
	resp, err := c.do(ctx, &call{ep: A013, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.acceptReferral", ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// RejectReferral runs A014: the provider returns the referral at version
// (If-Match) to the referrer for a reason code (reasonSystem "" means this
// client's APPOINTMENT-CANCELLATION-REASON system, which the examples use)
// with a comment.
func (c *Client) RejectReferral(ctx context.Context, ubrn string, version int, reasonSystem, reason, comment string) (*Referral, error) {
	if err := c.check(A014); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A014, "ubrn", "needs a UBRN and the referral's version")
	}
	if reason == "" || comment == "" {
		return nil, refused(A014, "rejectionReason", "and rejectionComments are required")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-RejectReferral-Parameters-1")
	p.Parameter = append(p.Parameter,
		param("rejectionReason", coding(or(reasonSystem, ReferenceSystem(c.base, "APPOINTMENT-CANCELLATION-REASON")), reason)),
		param("rejectionComments", strValue(comment)))
	body, err := encodeSTU3(A014, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A014, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.rejectReferral", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}
