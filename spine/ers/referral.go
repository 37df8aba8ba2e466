package ers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/nhsid"
)

var ubrnPattern = regexp.MustCompile(`^[0-9]{12}$`)

// ValidUBRN reports whether s has the form of a Unique Booking Reference
// Number: 12 digits.
func ValidUBRN(s string) bool { return ubrnPattern.MatchString(s) }

// Referral is an eRS-ReferralRequest-1 (STU3), the fields the booking flow
// needs; Raw is the whole resource.
type Referral struct {
	UBRN string
	// Version is the referral's version (meta.versionId, or the ETag
	// W/"n"): A016 refers to ReferralRequest/{ubrn}/_history/{version} and
	// the updates send it as If-Match.
	Version int
	Status  string // active, cancelled, …
	// State is the e-RS referral state (NOT_BOOKED, BOOKED, …).
	State    string
	Priority string
	Patient  nhsid.NHSNumber
	// CommissioningRuleOrg is the organisation whose commissioning rules
	// apply: pass it to Slots.
	CommissioningRuleOrg nhsid.ODSCode
	// Shortlist holds the shortlisted service ids.
	Shortlist []string
	Raw       json.RawMessage
}

var etagPattern = regexp.MustCompile(`^W/"([0-9]+)"$`)

func etagVersion(h http.Header) (int, bool) {
	if m := etagPattern.FindStringSubmatch(h.Get("ETag")); m != nil {
		n, err := strconv.Atoi(m[1])
		return n, err == nil
	}
	return 0, false
}

// ParseReferral reads a ReferralRequest.
func ParseReferral(b []byte) (*Referral, error) {
	r, err := decodeSTU3[*stu3.ReferralRequest](b, "ReferralRequest")
	if err != nil {
		return nil, err
	}
	return referralOf(r, b)
}

// referralOf reads a decoded ReferralRequest whose JSON is raw.
func referralOf(r *stu3.ReferralRequest, raw []byte) (*Referral, error) {
	out := &Referral{UBRN: r.ID.Value, Status: r.Status.Value, Raw: raw}
	v, err := metaVersion(r.Meta, "ReferralRequest")
	if err != nil {
		return nil, err
	}
	out.Version = v
	out.Priority = extStr(findExt(r.Extension, "Extension-eRS-ReferralPriority-1"))
	out.CommissioningRuleOrg = nhsid.ODSCode(extStr(findExt(r.Extension, "Extension-eRS-Commissioning-Rule-Org-1")))
	if st := findExt(r.Extension, "Extension-eRS-ReferralState-1"); st != nil {
		out.State = extStr(findExt(st.Extension, "state"))
	}
	out.Patient = nhsid.NHSNumber(refIdent(r.Subject))
	for _, c := range r.Contained {
		if l, ok := c.(*stu3.List); ok {
			for _, e := range l.Entry {
				if id := refIdent(e.Item); id != "" {
					out.Shortlist = append(out.Shortlist, id)
				}
			}
		}
	}
	return out, nil
}

// metaVersion reads meta.versionId as a number (0 when absent).
func metaVersion(m *stu3.Meta, what string) (int, error) {
	if m == nil || m.VersionID.Value == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(m.VersionID.Value)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("ers: %s.meta.versionId %q is not a number", what, m.VersionID.Value)
	}
	return v, nil
}

// referralParam reads the referral that a Parameters answer holds in the
// parameter name.
func referralParam(ep Endpoint, body []byte, name string) (*Referral, error) {
	r, err := resourceParam[*stu3.ReferralRequest](ep, body, name)
	if err != nil {
		return nil, err
	}
	raw, err := stu3.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("ers: %s: %w", ep.ID, err)
	}
	return referralOf(r, raw)
}

// resourceParam reads the resource of type P that a Parameters answer
// holds in the parameter name.
func resourceParam[P stu3.Resource](ep Endpoint, body []byte, name string) (P, error) {
	var zero P
	p, err := decodeSTU3[*stu3.Parameters](body, "Parameters")
	if err != nil {
		return zero, fmt.Errorf("ers: %s: answer is not a Parameters resource: %w", ep.ID, err)
	}
	x := paramNamed(p, name)
	if x == nil || x.Resource == nil {
		return zero, fmt.Errorf("ers: %s: answer has no %s", ep.ID, name)
	}
	r, ok := x.Resource.(P)
	if !ok {
		return zero, fmt.Errorf("ers: %s: %s is a %q", ep.ID, name, x.Resource.ResourceType())
	}
	return r, nil
}

func (c *Client) referral(resp *httpx.Response) (*Referral, error) {
	r, err := ParseReferral(resp.Body)
	if err != nil {
		return nil, err
	}
	if v, ok := etagVersion(resp.Header); ok {
		r.Version = v
	}
	return r, nil
}

// Referral runs A005: the referral's current version.
func (c *Client) Referral(ctx context.Context, ubrn string) (*Referral, error) {
	return c.ReferralVersion(ctx, ubrn, 0)
}

// ReferralVersion runs A005 for a given version (0: the current one).
func (c *Client) ReferralVersion(ctx context.Context, ubrn string, version int) (*Referral, error) {
	if err := c.check(A005); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A005, "ubrn", "is not 12 digits")
	}
	path := "/STU3/ReferralRequest/" + ubrn
	if version > 0 {
		path += "/_history/" + strconv.Itoa(version)
	}
	resp, err := c.do(ctx, &call{ep: A005, method: http.MethodGet, path: path})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// Referral letter intentions (eRS-ReferralLetterIntention-1).
const (
	LetterAttached       = "ATTACHED"
	LetterNeedToAddLater = "NEED_TO_ADD_LATER"
)

// NewReferral is an A011 create-referral request.
type NewReferral struct {
	Patient nhsid.NHSNumber
	// ReferringClinician is the SDS user id a REFERRING_CLINICIAN_ADMIN
	// creates the referral for.
	ReferringClinician string
	// LetterIntention is NEED_TO_ADD_LATER (default) or another
	// eRS-ReferralLetterIntention-1 code.
	LetterIntention string
	// FirstReminderDays is firstReminderLetterFollowUpDays, sent when not
	// nil.
	FirstReminderDays *int
	// PathwayStart is eReferralPathwayStart, sent when not zero.
	PathwayStart time.Time
	// Criteria are the search criteria the shortlist came from.
	Criteria SearchCriteria
	// Services is the shortlist: 1 to 20 service ids.
	Services []string
}

// CreateReferral runs A011 and returns the new referral with its UBRN.
// It is sent once: a lost answer is not retried (the referral may exist);
// look for it in the worklists.
func (c *Client) CreateReferral(ctx context.Context, n NewReferral) (*Referral, error) {
	return c.createReferral(ctx, A011, n)
}

// A021 is create referral and send for triage, deprecated by NHS England
// in favour of A011 followed by A016's triage deferral.
var A021 = Endpoint{"A021", "create referral and send for triage", referrers, false}

// CreateReferralForTriage runs A021: the referral is created and sent at
// once to the shortlisted triage (referral assessment) service. The
// specification marks A021 deprecated: prefer CreateReferral then Defer
// with DeferTriage.
func (c *Client) CreateReferralForTriage(ctx context.Context, n NewReferral) (*Referral, error) {
	return c.createReferral(ctx, A021, n)
}

func (c *Client) createReferral(ctx context.Context, ep Endpoint, n NewReferral) (*Referral, error) {
	if err := c.check(ep); err != nil {
		return nil, err
	}
	if !n.Patient.Valid() {
		return nil, refused(ep, "patient", "NHS number fails the modulus 11 check")
	}
	lb, err := shortlist(ep, n.Criteria, n.Services)
	if err != nil {
		return nil, err
	}
	if c.cfg.BusinessFunction == ReferringClinicianAdmin && n.ReferringClinician == "" {
		return nil, refused(ep, "referringClinician", "is required of a REFERRING_CLINICIAN_ADMIN")
	}
	profile, path := "eRS-CreateReferral-Parameters-1", "/STU3/ReferralRequest/$ers.createReferral"
	if ep.ID == A021.ID {
		profile, path = "eRS-CreateReferralAndSendForTriage-Parameters-1", "/STU3/ReferralRequest/$ers.createReferralAndSendForTriage"
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/" + profile)
	p.Parameter = append(p.Parameter, param("patient", ident(SystemNHSNumber, string(n.Patient))))
	if n.ReferringClinician != "" {
		p.Parameter = append(p.Parameter, param("referringClinician", ident(SystemSDSUser, n.ReferringClinician)))
	}
	p.Parameter = append(p.Parameter, param("intentionToAddReferralLetter", coding(SystemLetterIntent, or(n.LetterIntention, LetterNeedToAddLater))))
	if n.FirstReminderDays != nil {
		p.Parameter = append(p.Parameter, param("firstReminderLetterFollowUpDays", uintValue(*n.FirstReminderDays)))
	}
	if !n.PathwayStart.IsZero() {
		p.Parameter = append(p.Parameter, param("eReferralPathwayStart", &stu3.Instant{Value: n.PathwayStart.UTC().Format("2006-01-02T15:04:05.000Z")}))
	}
	p.Parameter = append(p.Parameter, param("shortlist", lb))
	body, err := encodeSTU3(ep, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: ep, method: http.MethodPost, path: path, body: body})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// shortlist builds an eRS-Shortlist-List-1 of services with the criteria
// they were found with, checking what e-RS checks: 1 to 20 service ids,
// none twice.
func shortlist(ep Endpoint, crit SearchCriteria, services []string) (*stu3.List, error) {
	if len(services) == 0 || len(services) > MaxServiceIDs {
		return nil, refused(ep, "shortlist", "takes 1 to %d services, not %d", MaxServiceIDs, len(services))
	}
	seen := map[string]bool{}
	for _, s := range services {
		if !validServiceID(s) {
			return nil, refused(ep, "shortlist", "%q is not a service id", s)
		}
		if seen[s] {
			return nil, &RefusedError{Endpoint: ep.ID, Field: "shortlist service " + s + " appears twice", Err: ErrDuplicateService}
		}
		seen[s] = true
	}
	if err := crit.validate(ep); err != nil {
		return nil, err
	}
	ref := literalRef("#ServiceSearchCriteria-1")
	l := &stu3.List{
		Meta:      meta("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-Shortlist-List-1"),
		Status:    stu3.Code{Value: "current"},
		Mode:      stu3.Code{Value: "snapshot"},
		Contained: []stu3.Resource{crit.parameters("ServiceSearchCriteria-1", true)},
		Extension: []stu3.Extension{{
			URL:   stu3.URI{Value: "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-Shortlist-SearchCriteria-1"},
			Value: &ref,
		}},
	}
	for _, s := range services {
		l.Entry = append(l.Entry, stu3.ListEntry{Item: identRef(SystemService, s)})
	}
	return l, nil
}

// CancelReferral runs A036: cancel the referral at version (If-Match) for
// a REFERRAL-CANCELLATION-REASON code, with a comment when the reason
// needs one. reasonSystem is ReferenceSystem(base, "REFERRAL-CANCELLATION-REASON")
// ("" means this client's).
func (c *Client) CancelReferral(ctx context.Context, ubrn string, version int, reasonSystem, reason, comment string) (*Referral, error) {
	if err := c.check(A036); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A036, "ubrn", "is not 12 digits")
	}
	if version <= 0 {
		return nil, refused(A036, "If-Match", "needs the referral's version")
	}
	if reason == "" {
		return nil, refused(A036, "cancellationReason", "is required")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-CancelReferral-Request-Parameters-1")
	p.Parameter = append(p.Parameter, param("cancellationReason", coding(or(reasonSystem, ReferenceSystem(c.base, "REFERRAL-CANCELLATION-REASON")), reason)))
	if comment != "" {
		p.Parameter = append(p.Parameter, param("cancellationComments", strValue(comment)))
	}
	body, err := encodeSTU3(A036, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A036, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.cancelReferral", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	// The answer is an eRS-CancelReferral-Response-Parameters-1 whose
	// updatedReferralRequest is the cancelled referral.
	return referralParam(A036, resp.Body, "updatedReferralRequest")
}

// Letter is one referral letter or attachment to attach with A012: a
// file uploaded with UploadFile.
type Letter struct {
	// Binary is the uploaded file's reference, "Binary/{id}" (UploadFile's
	// answer).
	Binary      string
	Description string
	// Indexed is when it was attached (default now).
	Indexed time.Time
}

// MaintainReferralLetter runs A012: the referral's letter and attachments
// become letters (an update replaces the previous set).
func (c *Client) MaintainReferralLetter(ctx context.Context, ubrn string, version int, letters ...Letter) (*Referral, error) {
	if err := c.check(A012); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A012, "ubrn", "is not 12 digits")
	}
	if version <= 0 {
		return nil, refused(A012, "If-Match", "needs the referral's version")
	}
	if len(letters) == 0 {
		return nil, refused(A012, "referralLetterFile", "needs at least one file")
	}
	p := newParameters("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-MaintainReferralLetter-Parameters-1")
	for i, l := range letters {
		doc, err := documentReference(A012, fmt.Sprintf("referralLetterFile[%d]", i), l, "REFERRER")
		if err != nil {
			return nil, err
		}
		p.Parameter = append(p.Parameter, param("referralLetterFile", doc))
	}
	body, err := encodeSTU3(A012, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A012, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.maintainReferralLetter", body: body, ifMatch: strconv.Itoa(version)})
	if err != nil {
		return nil, err
	}
	return c.referral(resp)
}

// documentReference builds the eRS-DocumentReference-1 of an uploaded file.
func documentReference(ep Endpoint, field string, l Letter, attachmentType string) (*stu3.DocumentReference, error) {
	if !strings.HasPrefix(l.Binary, "Binary/") || !ValidAttachmentID(strings.TrimPrefix(l.Binary, "Binary/")) {
		return nil, refused(ep, field, "is not a Binary/{id} reference")
	}
	at := l.Indexed
	if at.IsZero() {
		at = time.Now()
	}
	return &stu3.DocumentReference{
		Meta:        meta("https://fhir.nhs.uk/STU3/StructureDefinition/eRS-DocumentReference-1"),
		Status:      stu3.Code{Value: "current"},
		Type:        concept("https://fhir.nhs.uk/STU3/CodeSystem/eRS-AttachmentType-1", attachmentType),
		Indexed:     stu3.Instant{Value: at.UTC().Format("2006-01-02T15:04:05.000000+00:00")},
		Description: stu3.String{Value: l.Description},
		Content:     []stu3.DocumentReferenceContent{{Attachment: &stu3.Attachment{URL: stu3.URI{Value: l.Binary}}}},
	}, nil
}

// MaxFileBytes is the largest file A020 accepts (5 MiB).
const MaxFileBytes = 5 << 20

// UploadFile runs A020: it stores a file for the referral ubrn and returns
// its reference ("Binary/{id}") for MaintainReferralLetter. contentType is
// one of the types e-RS accepts (application/pdf, text/plain, image/png, …).
func (c *Client) UploadFile(ctx context.Context, ubrn, filename, contentType string, data []byte) (string, error) {
	if err := c.check(A020); err != nil {
		return "", err
	}
	if !ValidUBRN(ubrn) {
		return "", refused(A020, "NHSD-eRS-Referral-Id", "is not 12 digits")
	}
	if filename == "" || len(data) == 0 {
		return "", refused(A020, "file", "needs a name and content")
	}
	if len(data) > MaxFileBytes {
		return "", &RefusedError{Endpoint: A020.ID, Field: "file larger than 5 MiB", Err: ErrFileSizeError}
	}
	for _, r := range filename {
		if r < 0x20 || r > 0x7e || r == '/' || r == '\\' {
			// The specification names no encoding for the header: send
			// only names that travel as they are.
			return "", refused(A020, "NHSD-eRS-File-Name", "must be printable ASCII without path separators")
		}
	}
	h := http.Header{}
	h.Set("NHSD-eRS-File-Name", filename)
	h.Set("NHSD-eRS-Referral-Id", ubrn)
	resp, err := c.do(ctx, &call{ep: A020, method: http.MethodPost, path: "/STU3/Binary", body: data, ctype: contentType, header: h})
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("ers: A020: answer has no Location")
	}
	return loc, nil
}

// Action is an action available to the user on a referral (A029), e.g.
// CREATE_APPOINTMENT, CANCEL_REFERRAL, RECORD_REVIEW_OUTCOME.
type Action struct {
	Code    string
	Display string
}

// AvailableActions runs A029: what the user may do next with the
// referral at version.
func (c *Client) AvailableActions(ctx context.Context, ubrn string, version int) ([]Action, error) {
	if err := c.check(A029); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) || version <= 0 {
		return nil, refused(A029, "focus", "needs a UBRN and a version")
	}
	q := url.Values{
		"focus":  {"ReferralRequest/" + ubrn + "/_history/" + strconv.Itoa(version)},
		"intent": {"proposal"},
		"status": {"ready"},
	}
	resp, err := c.do(ctx, &call{ep: A029, method: http.MethodGet, path: "/STU3/Task", query: q})
	if err != nil {
		return nil, err
	}
	b, err := decodeSTU3[*stu3.Bundle](resp.Body, "Bundle")
	if err != nil {
		return nil, fmt.Errorf("ers: A029: %w", err)
	}
	out := []Action{}
	for i, e := range b.Entry {
		t, ok := e.Resource.(*stu3.Task)
		if !ok {
			return nil, fmt.Errorf("ers: A029: entry[%d] is not a Task", i)
		}
		if t.Code != nil && len(t.Code.Coding) > 0 {
			out = append(out, Action{Code: t.Code.Coding[0].Code.Value, Display: t.Code.Coding[0].Display.Value})
		}
	}
	return out, nil
}

// ClinicalInformation runs A007: the referral's clinical information as a
// PDF.
func (c *Client) ClinicalInformation(ctx context.Context, ubrn string) ([]byte, error) {
	if err := c.check(A007); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A007, "ubrn", "is not 12 digits")
	}
	resp, err := c.do(ctx, &call{ep: A007, method: http.MethodPost, path: "/STU3/ReferralRequest/" + ubrn + "/$ers.generateCRI", accept: "application/pdf", retrySafe: true})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
