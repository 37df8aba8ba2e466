package ers

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
)

// Advice and guidance: a referrer asks a service's clinicians for advice
// about a patient instead of (or before) referring.
var (
	A023 = Endpoint{"A023", "retrieve advice and guidance worklist", []BusinessFunction{ServiceProviderClinician, ServiceProviderAdmin, ServiceProviderClinicianAdmin}, false}
	A024 = Endpoint{"A024", "retrieve advice and guidance request", clinical, true}
	A043 = Endpoint{"A043", "retrieve advice and guidance overview", clinical, true}
	A044 = Endpoint{"A044", "create advice and guidance request", referrers, false}
)

// AdviceRequest is an A044 request for advice and guidance.
type AdviceRequest struct {
	Patient nhsid.NHSNumber
	// ConversionAuthorised lets the provider turn the request into a
	// referral (AUTHORISED_TO_CONVERT).
	ConversionAuthorised bool
	Criteria             SearchCriteria
	// ServiceID is the advice service asked.
	ServiceID string
	// Request is the clinical question.
	Request string
	// Attachments are uploaded files (UploadFile) sent with it.
	Attachments []Letter
	// ReferringClinician is the SDS user id a REFERRING_CLINICIAN_ADMIN
	// asks for.
	ReferringClinician string
}

// Advice is an advice and guidance request (eRS-CommunicationRequest-1).
type Advice struct {
	UBRN      string
	Version   int
	Status    string
	Priority  string
	Specialty string
	Patient   nhsid.NHSNumber
	// ConversionAuthorised is the provider conversion authorisation.
	ConversionAuthorised bool
	Raw                  json.RawMessage
}

// ParseAdvice reads an eRS-CommunicationRequest-1.
func ParseAdvice(b []byte) (*Advice, error) {
	r, err := decodeSTU3[*stu3.CommunicationRequest](b, "CommunicationRequest")
	if err != nil {
		return nil, err
	}
	return adviceOf(r, b)
}

// adviceOf reads a decoded CommunicationRequest whose JSON is raw.
func adviceOf(r *stu3.CommunicationRequest, raw []byte) (*Advice, error) {
	a := &Advice{UBRN: r.ID.Value, Status: r.Status.Value, Raw: raw}
	v, err := metaVersion(r.Meta, "CommunicationRequest")
	if err != nil {
		return nil, err
	}
	a.Version = v
	a.Priority = extStr(findExt(r.Extension, "Extension-eRS-ReferralPriority-1"))
	a.Specialty = extStr(findExt(r.Extension, "Extension-eRS-Specialty-1"))
	a.ConversionAuthorised = extStr(findExt(r.Extension, "Extension-eRS-ProviderConversionAuthorisation-1")) == "AUTHORISED_TO_CONVERT"
	a.Patient = nhsid.NHSNumber(refIdent(r.Subject))
	return a, nil
}

// CreateAdviceRequest runs A044 and returns the new request with its UBRN.
// Like CreateReferral it is sent once.
func (c *Client) CreateAdviceRequest(ctx context.Context, q AdviceRequest) (*Advice, error) {
	if err := c.check(A044); err != nil {
		return nil, err
	}
	if !q.Patient.Valid() {
		return nil, refused(A044, "patient", "NHS number fails the modulus 11 check")
	}
	if strings.TrimSpace(q.Request) == "" {
		return nil, refused(A044, "request", "is required")
	}
	if c.cfg.BusinessFunction == ReferringClinicianAdmin && q.ReferringClinician == "" {
		return nil, refused(A044, "referringClinician", "is required of a REFERRING_CLINICIAN_ADMIN")
	}
	list, err := shortlist(A044, q.Criteria, []string{q.ServiceID})
	if err != nil {
		return nil, err
	}
	auth := "NOT_AUTHORISED_TO_CONVERT"
	if q.ConversionAuthorised {
		auth = "AUTHORISED_TO_CONVERT"
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-CreateAdviceAndGuidance-Request-Parameters-1")
	p.Parameter = append(p.Parameter,
		param("patient", ident(SystemNHSNumber, string(q.Patient))),
		param("providerConversionAuthorisation", coding("https://fhir.nhs.uk/STU3/CodeSystem/eRS-ProviderConversionAuthorisation-1", auth)),
		param("shortlist", list),
		param("request", strValue(q.Request)))
	for i, l := range q.Attachments {
		doc, err := documentReference(A044, fmt.Sprintf("requestAttachmentFile[%d]", i), l, "ADVICE_REQUEST")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("requestAttachmentFile", doc))
	}
	if q.ReferringClinician != "" {
		p.Parameter = append(p.Parameter, param("referringClinician", ident(SystemSDSUser, q.ReferringClinician)))
	}
	body, err := encodeSTU3(A044, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A044, method: http.MethodPost, path: "/STU3/CommunicationRequest/$ers.createAdviceAndGuidance", body: body})
	if err != nil {
		return nil, err
	}
	return adviceParam(A044, resp.Body, "createdCommunicationRequest")
}

// adviceParam reads the advice request that a Parameters answer holds in
// the parameter name.
func adviceParam(ep Endpoint, body []byte, name string) (*Advice, error) {
	r, err := resourceParam[*stu3.CommunicationRequest](ep, body, name)
	if err != nil {
		return nil, err
	}
	raw, err := stu3.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("ers: %s: %w", ep.ID, err)
	}
	return adviceOf(r, raw)
}

// AdviceVersion runs A024: the advice request (version 0: the current
// one).
func (c *Client) AdviceVersion(ctx context.Context, ubrn string, version int) (*Advice, error) {
	if err := c.check(A024); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A024, "ubrn", "is not 12 digits")
	}
	path := "/STU3/CommunicationRequest/" + ubrn
	if version > 0 {
		path += "/_history/" + strconv.Itoa(version)
	}
	resp, err := c.do(ctx, &call{ep: A024, method: http.MethodGet, path: path})
	if err != nil {
		return nil, err
	}
	a, err := ParseAdvice(resp.Body)
	if err != nil {
		return nil, err
	}
	if v, ok := etagVersion(resp.Header); ok {
		a.Version = v
	}
	return a, nil
}

// AdviceOverview runs A043: the advice and guidance conversation as a
// PDF.
func (c *Client) AdviceOverview(ctx context.Context, ubrn string) ([]byte, error) {
	if err := c.check(A043); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A043, "ubrn", "is not 12 digits")
	}
	resp, err := c.do(ctx, &call{ep: A043, method: http.MethodPost, path: "/STU3/CommunicationRequest/" + ubrn + "/$ers.generateCRI", accept: "application/pdf", retrySafe: true})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// AdviceItem is one request on the provider's advice and guidance
// worklist. Patient prints masked.
type AdviceItem struct {
	UBRN      string
	Priority  string
	Specialty string
	Patient   nhsid.NHSNumber
	// Category is the request's state, e.g. PROVIDER_RESPONSE_REQUIRED.
	Category       string
	Referrer       string // SDS user id
	ServiceID      string
	ServiceName    string
	FirstRequested time.Time
	LastUpdated    time.Time
}

// AdviceWorklist runs A023 (ADVICE_AND_GUIDANCE_REQUESTS) and yields its
// items, stopping at the first error.
func (c *Client) AdviceWorklist(ctx context.Context) iter.Seq2[AdviceItem, error] {
	return func(yield func(AdviceItem, error) bool) {
		items, err := c.adviceWorklist(ctx)
		if err != nil {
			yield(AdviceItem{}, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func (c *Client) adviceWorklist(ctx context.Context) ([]AdviceItem, error) {
	if err := c.check(A023); err != nil {
		return nil, err
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-FetchWorklist-Parameters-1")
	p.Parameter = append(p.Parameter, param("listType", concept("https://fhir.nhs.uk/STU3/CodeSystem/eRS-CommunicationListSelector-1", "ADVICE_AND_GUIDANCE_REQUESTS")))
	body, err := encodeSTU3(A023, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A023, method: http.MethodPost, path: "/STU3/CommunicationRequest/$ers.fetchworklist", body: body, retrySafe: true})
	if err != nil {
		return nil, err
	}
	return ParseAdviceWorklist(resp.Body)
}

// ParseAdviceWorklist reads A023's eRS-FetchWorklist-List-1.
func ParseAdviceWorklist(b []byte) ([]AdviceItem, error) {
	l, err := decodeSTU3[*stu3.List](b, "advice worklist")
	if err != nil {
		return nil, err
	}
	out := make([]AdviceItem, 0, len(l.Entry))
	for i, e := range l.Entry {
		ubrn, ok := "", false
		if e.Item != nil {
			ubrn, ok = strings.CutPrefix(e.Item.Reference.Value, "CommunicationRequest/")
		}
		if !ok || !ValidUBRN(ubrn) {
			return nil, fmt.Errorf("ers: advice worklist entry[%d]: item is not a CommunicationRequest reference", i)
		}
		it := AdviceItem{UBRN: ubrn}
		if len(e.Extension) > 0 {
			x := e.Extension[0].Extension
			it.Priority = extStr(findExt(x, "priority"))
			it.Specialty = extStr(findExt(x, "specialty"))
			it.Patient = nhsid.NHSNumber(extStr(findExt(x, "patient")))
			it.Category = extStr(findExt(x, "category"))
			it.Referrer = extStr(findExt(x, "referrer"))
			if s := extRef(findExt(x, "service")); s != nil {
				it.ServiceName = s.Display.Value
				it.ServiceID = refIdent(s)
			}
			it.FirstRequested, _ = time.Parse(time.RFC3339Nano, extStr(findExt(x, "adviceFirstRequested")))
			it.LastUpdated, _ = time.Parse(time.RFC3339Nano, extStr(findExt(x, "adviceLastUpdated")))
		}
		out = append(out, it)
	}
	return out, nil
}

// A025 and A026: the conversation of an advice request, and the
// provider's answer.
var (
	A025 = Endpoint{"A025", "retrieve advice and guidance conversation", clinical, true}
	A026 = Endpoint{"A026", "send advice and guidance response", []BusinessFunction{ServiceProviderClinician, ServiceProviderClinicianAdmin}, false}
)

// Message is one message of an advice and guidance conversation.
type Message struct {
	ID string
	// SentBy is REQUESTER (the referrer) or RESPONDER (the provider).
	SentBy string
	Sent   time.Time
	Text   string
}

// AdviceConversation runs A025: the messages of the advice request at
// version, oldest first.
func (c *Client) AdviceConversation(ctx context.Context, ubrn string, version int) ([]Message, error) {
	if err := c.check(A025); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A025, "based-on", "needs a UBRN and a version")
	}
	q := url.Values{
		"based-on": {"CommunicationRequest/" + ubrn + "/_history/" + strconv.Itoa(version)},
		"_include": {"Communication:requester-practitionerrole:PractitionerRole", "Communication:sender-practitionerrole:PractionerRole", "Communication:content-reference:DocumentReference"},
	}
	resp, err := c.do(ctx, &call{ep: A025, method: http.MethodGet, path: "/STU3/Communication", query: q})
	if err != nil {
		return nil, err
	}
	b, err := decodeSTU3[*stu3.Bundle](resp.Body, "Bundle")
	if err != nil {
		return nil, fmt.Errorf("ers: A025: %w", err)
	}
	var out []Message
	for _, e := range b.Entry {
		m, ok := e.Resource.(*stu3.Communication)
		if !ok {
			continue // included PractitionerRoles and DocumentReferences
		}
		msg := Message{ID: m.ID.Value}
		if len(m.Category) > 0 {
			msg.SentBy = firstCode(&m.Category[0])
		}
		msg.Sent, _ = time.Parse(time.RFC3339Nano, m.Sent.Value)
		for _, n := range m.Note {
			msg.Text += n.Text.Value
		}
		out = append(out, msg)
	}
	slices.SortStableFunc(out, func(a, b Message) int { return a.Sent.Compare(b.Sent) })
	return out, nil
}

// Guidance outcomes (eRS-GuidanceResponseOutcome-1).
const (
	RequireFurtherInformation  = "REQUIRE_FURTHER_INFORMATION"
	ReturnToReferrerWithAdvice = "RETURN_TO_REFERRER_WITH_ADVICE"
)

// AdviceResponse is the provider's answer (A026).
type AdviceResponse struct {
	// Outcome is REQUIRE_FURTHER_INFORMATION or
	// RETURN_TO_REFERRER_WITH_ADVICE; Recommendation (with the latter) an
	// eRS-GuidanceIntendedRecommendation-1 code.
	Outcome        string
	Recommendation string
	Guidance       string
	// UpdatedPriority, when set, changes the request's priority.
	UpdatedPriority string
	Attachments     []Letter
}

// SendAdviceResponse runs A026 on the advice request at version
// (If-Match) and returns the updated request.
func (c *Client) SendAdviceResponse(ctx context.Context, ubrn string, version int, r AdviceResponse) (*Advice, error) {
	if err := c.check(A026); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A026, "ubrn", "needs a UBRN and the request's version")
	}
	switch r.Outcome {
	case RequireFurtherInformation, ReturnToReferrerWithAdvice:
	default:
		return nil, refused(A026, "guidanceOutcome", "%q is not an outcome", r.Outcome)
	}
	if strings.TrimSpace(r.Guidance) == "" {
		return nil, refused(A026, "guidance", "is required")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-SendCommunicationToRequester-Request-Parameters-1")
	p.Parameter = append(p.Parameter, param("guidanceOutcome", coding("https://fhir.nhs.uk/STU3/CodeSystem/eRS-GuidanceResponseOutcome-1", r.Outcome)))
	if r.Recommendation != "" {
		p.Parameter = append(p.Parameter, param("guidanceIntendedRecommendation", coding("https://fhir.nhs.uk/STU3/CodeSystem/eRS-GuidanceIntendedRecommendation-1", r.Recommendation)))
	}
	p.Parameter = append(p.Parameter, param("guidance", strValue(r.Guidance)))
	if r.UpdatedPriority != "" {
		p.Parameter = append(p.Parameter, param("updatedPriority", coding(SystemPriority, r.UpdatedPriority)))
	}
	for i, l := range r.Attachments {
		doc, err := documentReference(A026, fmt.Sprintf("guidanceAttachmentFile[%d]", i), l, "GUIDANCE_RESPONSE")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("guidanceAttachmentFile", doc))
	}
	body, err := encodeSTU3(A026, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A026, method: http.MethodPost, path: "/STU3/CommunicationRequest/" + ubrn + "/$ers.sendCommunicationToRequester", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return adviceParam(A026, resp.Body, "updatedCommunicationRequest")
}
