package ers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir/stu3"
)

// Provider actions on referrals after triage or a cancellation. erstest
// does not model these (see the package documentation of erstest).
var (
	A022 = Endpoint{"A022", "cancel appointment, action later", []BusinessFunction{ServiceProviderClinician, ServiceProviderClinicianAdmin}, false}
	A027 = Endpoint{"A027", "convert advice and guidance to referral", []BusinessFunction{ServiceProviderClinician, ServiceProviderClinicianAdmin}, false}
	A028 = Endpoint{"A028", "record triage outcome", []BusinessFunction{ServiceProviderClinician, ServiceProviderClinicianAdmin}, true}
)

// ActionLater is an A022 request: the provider cancels the booked
// appointment and keeps the referral to rebook it later.
type ActionLater struct {
	Comments string
	// Priority, when set, changes the referral's priority.
	Priority    string
	Attachments []Letter
}

// CancelAppointmentActionLater runs A022 on the referral at version
// (If-Match).
func (c *Client) CancelAppointmentActionLater(ctx context.Context, ubrn string, version int, a ActionLater) (*Referral, error) {
	if err := c.check(A022); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A022, "ubrn", "needs a UBRN and the referral's version")
	}
	if strings.TrimSpace(a.Comments) == "" {
		return nil, refused(A022, "comments", "are required")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-cancelAppointmentActionLater-Parameters-1")
	p.Parameter = append(p.Parameter, param("comments", strValue(a.Comments)))
	if a.Priority != "" {
		p.Parameter = append(p.Parameter, param("priority", coding(SystemPriority, a.Priority)))
	}
	for i, l := range a.Attachments {
		doc, err := documentReference(A022, fmt.Sprintf("providerAttachmentFile[%d]", i), l, "PROVIDER")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("providerAttachmentFile", doc))
	}
	body, err := encodeSTU3(A022, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A022, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.cancelAppointmentActionLater", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// Review outcomes (eRS-ReviewOutcome-1) of A028.
const (
	ReviewReturnWithAdvice  = "RETURN_TO_REFERRER_WITH_ADVICE"
	ReviewAcceptBookLater   = "ACCEPT_REFER_BOOK_LATER"
	ReviewAcceptAndReferOn  = "ACCEPT_REFER_ON"
	ReviewRequireInfo       = "REQUIRE_FURTHER_INFORMATION"
	ReviewAcceptReturnToGP  = "ACCEPT_RETURN_TO_GP"
	ReviewAcceptBookedInRAS = "ACCEPT_BOOKED"
)

// TriageOutcome is an A028 review outcome.
type TriageOutcome struct {
	// Priority, when set, is sent first as reviewPriority.
	Priority    string
	Outcome     string
	Comments    string
	Attachments []Letter
}

// RecordTriageOutcome runs A028 on the referral at version (If-Match).
func (c *Client) RecordTriageOutcome(ctx context.Context, ubrn string, version int, o TriageOutcome) (*Referral, error) {
	if err := c.check(A028); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A028, "ubrn", "needs a UBRN and the referral's version")
	}
	if o.Outcome == "" || strings.TrimSpace(o.Comments) == "" {
		return nil, refused(A028, "reviewOutcome", "and reviewComments are required")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-RecordReviewOutcome-Parameters-1")
	if o.Priority != "" {
		p.Parameter = append(p.Parameter, param("reviewPriority", coding(SystemPriority, o.Priority)))
	}
	p.Parameter = append(p.Parameter,
		param("reviewOutcome", coding("https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewOutcome-1", o.Outcome)),
		param("reviewComments", strValue(o.Comments)))
	for i, l := range o.Attachments {
		doc, err := documentReference(A028, fmt.Sprintf("reviewAttachmentFile[%d]", i), l, "PROVIDER")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("reviewAttachmentFile", doc))
	}
	body, err := encodeSTU3(A028, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A028, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.recordReviewOutcome", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// Conversion is an A027 request: the provider turns an advice request
// (one the referrer authorised it to convert) into a referral.
type Conversion struct {
	// UBRN and Version are the advice request's.
	UBRN     string
	Version  int
	Guidance string
	Priority string
	Comments string
	// Attachments go with the guidance (GUIDANCE_RESPONSE),
	// ReviewAttachments with the referral (PROVIDER).
	Attachments       []Letter
	ReviewAttachments []Letter
}

// ConvertAdviceToReferral runs A027 and returns the new referral.
func (c *Client) ConvertAdviceToReferral(ctx context.Context, v Conversion) (*Referral, error) {
	if err := c.check(A027); err != nil {
		return nil, err
	}
	if !ValidUBRN(v.UBRN) || v.Version <= 0 {
		return nil, refused(A027, "createFrom", "needs the advice request's UBRN and version")
	}
	switch v.Priority {
	case Routine, Urgent, TwoWeekWait:
	default:
		return nil, refused(A027, "newReferralPriority", "%q is not ROUTINE, URGENT or TWO_WEEK_WAIT", v.Priority)
	}
	if strings.TrimSpace(v.Guidance) == "" {
		return nil, refused(A027, "guidance", "is required")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-CreateFromCommunicationRequestActionLater-Request-Parameters-1")
	p.Parameter = append(p.Parameter,
		param("createFrom", &stu3.Reference{Reference: stu3.String{Value: "CommunicationRequest/" + v.UBRN + "/_history/" + strconv.Itoa(v.Version)}}),
		param("guidance", strValue(v.Guidance)),
		param("newReferralPriority", coding(SystemPriority, v.Priority)))
	if v.Comments != "" {
		p.Parameter = append(p.Parameter, param("reviewComments", strValue(v.Comments)))
	}
	for i, l := range v.Attachments {
		doc, err := documentReference(A027, fmt.Sprintf("guidanceAttachmentFile[%d]", i), l, "GUIDANCE_RESPONSE")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("guidanceAttachmentFile", doc))
	}
	for i, l := range v.ReviewAttachments {
		doc, err := documentReference(A027, fmt.Sprintf("reviewAttachmentFile[%d]", i), l, "PROVIDER")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("reviewAttachmentFile", doc))
	}
	body, err := encodeSTU3(A027, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A027, method: http.MethodPost, path: "/STU3/ReferralRequest/$ers.createFromCommunicationRequestActionLater", body: body})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}
