package ers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
)

// Code systems and identifier systems of the STU3 API.
const (
	SystemNHSNumber     = "http://fhir.nhs.net/Id/nhs-number"
	SystemService       = "http://fhir.nhs.net/Id/ers-service"
	SystemSDSUser       = "http://fhir.nhs.net/Id/sds-user-id"
	SystemODS           = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemSpineOrg      = "https://directory.spineservices.nhs.uk/STU3/Organization"
	SystemPriority      = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1"
	SystemClinicType    = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ClinicType-1"
	SystemRequestType   = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-RequestType-1"
	SystemSortBy        = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-SortBy-1"
	SystemReviewReason  = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewReason-1"
	SystemListSelector  = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralListSelector-1"
	SystemLetterIntent  = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralLetterIntention-1"
	SystemSNOMED        = "http://snomed.info/sct"
	profileSearchParams = "https://fhir.nhs.uk/STU3/StructureDefinition/eRS-PatientServiceSearch-Parameters-1"
	profileCriteria     = "https://fhir.nhs.uk/STU3/StructureDefinition/eRS-ServiceSearchCriteria-Parameters-1"
)

// Priorities (eRS-Priority-1).
const (
	Routine     = "ROUTINE"
	Urgent      = "URGENT"
	TwoWeekWait = "TWO_WEEK_WAIT"
)

// ReferenceSystem returns the system URL of an e-RS reference data code
// system (A004's CodeSystem/{type}, e.g. "SPECIALTY"): the API's own base
// followed by "/STU3/CodeSystem/" and the type. The examples write the base
// as "_baseUrl_"; pass that as base to match them.
func ReferenceSystem(base, codeSystem string) string {
	return strings.TrimSuffix(base, "/") + "/STU3/CodeSystem/" + codeSystem
}

// Specialty returns the coding of a specialty code (CARDIOLOGY, …) in
// this client's reference data system.
func (c *Client) Specialty(code string) stu3.Coding {
	return *coding(ReferenceSystem(c.base, "SPECIALTY"), code)
}

// SearchCriteria are a service search's criteria (eRS-ServiceSearchCriteria-Parameters-1),
// also kept on a shortlist.
type SearchCriteria struct {
	Priority   string // ROUTINE, URGENT, TWO_WEEK_WAIT (required)
	Specialty  *stu3.Coding
	ClinicType string // eRS-ClinicType-1 code
	// IndicativeWaitLimit is the longest indicative wait in days (0: none).
	IndicativeWaitLimit int
	Postcode            string
	DistanceLimit       int    // miles (0: none)
	ClinicalTerm        string // SNOMED CT concept id
	NamedClinician      string // SDS user id
	// AgeAndGenderAppropriate is sent when not nil.
	AgeAndGenderAppropriate *bool
	Organisation            nhsid.ODSCode
}

// parameters writes the criteria. The order of the members follows the
// specification's examples, which put organisation before
// ageAndGenderAppropriate in A010 and after it in A011's shortlist
// (orgLast); e-RS reads them by name, but NHS England's sandbox compares
// request bodies as whole JSON values, the parameter array's order included.
func (s *SearchCriteria) parameters(id string, orgLast bool) *stu3.Parameters {
	p := newParameters(profileCriteria)
	p.ID = stu3.ID{Value: id}
	add := func(name string, v stu3.Value) { p.Parameter = append(p.Parameter, param(name, v)) }
	add("priority", coding(SystemPriority, s.Priority))
	if s.Specialty != nil {
		sp := *s.Specialty
		add("specialty", &sp)
	}
	if s.ClinicType != "" {
		add("clinicType", coding(SystemClinicType, s.ClinicType))
	}
	if s.IndicativeWaitLimit > 0 {
		add("indicativeAppointmentWaitTimeLimit", uintValue(s.IndicativeWaitLimit))
	}
	if s.Postcode != "" {
		add("postcode", strValue(s.Postcode))
	}
	if s.DistanceLimit > 0 {
		add("distanceLimit", uintValue(s.DistanceLimit))
	}
	if s.ClinicalTerm != "" {
		add("clinicalTerm", coding(SystemSNOMED, s.ClinicalTerm))
	}
	if s.NamedClinician != "" {
		add("namedClinician", ident(SystemSDSUser, s.NamedClinician))
	}
	org := func() {
		if s.Organisation != "" {
			add("organisation", ident(SystemSpineOrg, string(s.Organisation)))
		}
	}
	if !orgLast {
		org()
	}
	if s.AgeAndGenderAppropriate != nil {
		add("ageAndGenderAppropriate", boolValue(*s.AgeAndGenderAppropriate))
	}
	if orgLast {
		org()
	}
	return p
}

func (s *SearchCriteria) validate(ep Endpoint) error {
	switch s.Priority {
	case Routine, Urgent, TwoWeekWait:
	default:
		return refused(ep, "priority", "%q is not ROUTINE, URGENT or TWO_WEEK_WAIT", s.Priority)
	}
	if s.Specialty == nil && s.ClinicalTerm == "" && s.NamedClinician == "" && s.ClinicType == "" {
		return refused(ep, "searchCriteria", "needs a specialty, clinic type, clinical term or named clinician")
	}
	if s.Organisation != "" && !s.Organisation.Valid() {
		return refused(ep, "organisation", "is not an ODS code")
	}
	return nil
}

// ServiceSearch is an A010 patient service search.
type ServiceSearch struct {
	Patient nhsid.NHSNumber
	// RequestType is APPOINTMENT_REQUEST (default) or ADVICE_AND_GUIDANCE_REQUEST.
	RequestType string
	// SortBy is DISTANCE (default), IWT, …
	SortBy string
	// ReferringClinician is the SDS user id a REFERRING_CLINICIAN_ADMIN
	// searches for.
	ReferringClinician string
	Criteria           SearchCriteria
	// CommissioningRuleOrganisation, when set, applies that
	// organisation's commissioning rules.
	CommissioningRuleOrganisation nhsid.ODSCode
}

// ServiceSummary is one service of a search result
// (Extension-eRS-ServiceSummaryView-1 and the list item's extension).
type ServiceSummary struct {
	ID                string
	Name              string
	Specialty         string
	BookableType      string // DIRECTLY_BOOKABLE, INDIRECTLY_BOOKABLE
	AppointmentType   string
	RequestFlowType   string // APPOINTMENT_REQUEST, TRIAGE_REQUEST, …
	Location          nhsid.ODSCode
	LocationName      string
	LetterRequired    bool
	DisplayProminent  bool
	IndicativeWaitDay int // -1 when not given
}

// DirectlyBookable reports whether slots can be booked through A016.
func (s ServiceSummary) DirectlyBookable() bool { return s.BookableType == "DIRECTLY_BOOKABLE" }

// SearchServices runs A010: the services a patient may be referred to.
func (c *Client) SearchServices(ctx context.Context, q ServiceSearch) ([]ServiceSummary, error) {
	if err := c.check(A010); err != nil {
		return nil, err
	}
	if !q.Patient.Valid() {
		return nil, refused(A010, "patient", "NHS number fails the modulus 11 check")
	}
	if err := q.Criteria.validate(A010); err != nil {
		return nil, err
	}
	if c.cfg.BusinessFunction == ReferringClinicianAdmin && q.ReferringClinician == "" {
		return nil, refused(A010, "referringClinician", "is required of a REFERRING_CLINICIAN_ADMIN")
	}
	p := newParameters(profileSearchParams)
	rt, sb := or(q.RequestType, "APPOINTMENT_REQUEST"), or(q.SortBy, "DISTANCE")
	p.Parameter = append(p.Parameter,
		param("requestType", coding(SystemRequestType, rt)),
		param("sortBy", coding(SystemSortBy, sb)),
		param("patient", ident(SystemNHSNumber, string(q.Patient))))
	if q.ReferringClinician != "" {
		p.Parameter = append(p.Parameter, param("referringClinician", ident(SystemSDSUser, q.ReferringClinician)))
	}
	p.Parameter = append(p.Parameter, param("searchCriteria", q.Criteria.parameters("ServiceSearchCriteria-1", false)))
	if q.CommissioningRuleOrganisation != "" {
		p.Parameter = append(p.Parameter, param("commissioningRuleOrganisation", ident(SystemODS, string(q.CommissioningRuleOrganisation))))
	}
	body, err := encodeSTU3(A010, p)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A010, method: http.MethodPost, path: "/STU3/HealthcareService/$ers.searchHealthcareServicesForPatient", body: body, retrySafe: true})
	if err != nil {
		return nil, err
	}
	return ParseServiceList(resp.Body)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ParseServiceList reads an eRS-FetchServices-List-1 (A010's answer).
func ParseServiceList(b []byte) ([]ServiceSummary, error) {
	l, err := decodeSTU3[*stu3.List](b, "service list")
	if err != nil {
		return nil, err
	}
	out := make([]ServiceSummary, 0, len(l.Entry))
	for i, e := range l.Entry {
		s := ServiceSummary{IndicativeWaitDay: -1}
		if s.ID = refIdent(e.Item); s.ID == "" {
			return nil, fmt.Errorf("ers: service list entry[%d] has no service identifier", i)
		}
		if x := findExt(e.Extension, "Extension-eRS-ServiceSearch-ListItem-1"); x != nil {
			if d, ok := extBool(findExt(x.Extension, "displayProminently")); ok {
				s.DisplayProminent = d
			}
			if w := findExt(x.Extension, "indicativeAppointmentWaitTime"); w != nil {
				if n, ok := w.Value.(*stu3.UnsignedInt); ok && n.Set && n.Value <= math.MaxInt32 {
					s.IndicativeWaitDay = int(n.Value)
				}
			}
		}
		if v := findExt(e.Item.Extension, "Extension-eRS-ServiceSummaryView-1"); v != nil {
			s.Name = extStr(findExt(v.Extension, "serviceName"))
			s.Specialty = extStr(findExt(v.Extension, "specialty"))
			s.BookableType = extStr(findExt(v.Extension, "bookableType"))
			s.AppointmentType = extStr(findExt(v.Extension, "supportedAppointmentType"))
			s.RequestFlowType = extStr(findExt(v.Extension, "supportedRequestFlowType"))
			if loc := extRef(findExt(v.Extension, "location")); loc != nil {
				s.LocationName = loc.Display.Value
				s.Location = nhsid.ODSCode(refIdent(loc))
			}
			if r, ok := extBool(findExt(v.Extension, "referralLetterRequired")); ok {
				s.LetterRequired = r
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// HealthcareService is an R4 eRS HealthcareService (A033, A035, A037).
// The type member is read whether e-RS sends it as one object (a
// documented known issue) or as an array.
type HealthcareService struct {
	ID      string
	Version string
	Name    string
	Active  bool
	// Types are the service's type codings (clinic types).
	Types []fhir.Coding
	// Specialties are its specialty codes.
	Specialties []string
	// ProvidedBy is the ODS code of the provider organisation.
	ProvidedBy nhsid.ODSCode
	// Raw is the resource as e-RS sent it.
	Raw json.RawMessage
}

// serviceOf reads an R4 HealthcareService (its type wrapped in an
// array already) whose JSON is raw.
func serviceOf(r *fhir.HealthcareService, raw []byte) *HealthcareService {
	s := &HealthcareService{ID: r.ID.Value, Name: r.Name.Value, Active: !r.Active.Set || r.Active.Value, Raw: raw}
	if r.Meta != nil {
		s.Version = r.Meta.VersionID.Value
	}
	s.ProvidedBy = nhsid.ODSCode(refIdentR4(r.ProvidedBy))
	for _, t := range r.Type {
		s.Types = append(s.Types, t.Coding...)
	}
	for i := range r.Specialty {
		if c := firstCodeR4(&r.Specialty[i]); c != "" {
			s.Specialties = append(s.Specialties, c)
		}
	}
	return s
}

func validServiceID(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	_, err := strconv.ParseUint(id, 10, 64)
	return err == nil
}

// HealthcareService runs A033: the service's current version.
func (c *Client) HealthcareService(ctx context.Context, id string) (*HealthcareService, error) {
	if err := c.check(A033); err != nil {
		return nil, err
	}
	if !validServiceID(id) {
		return nil, refused(A033, "id", "is not a service id")
	}
	resp, err := c.do(ctx, &call{ep: A033, method: http.MethodGet, path: "/R4/HealthcareService/" + id})
	if err != nil {
		return nil, err
	}
	r, err := decodeR4[*fhir.HealthcareService](resp.Body, "HealthcareService", &single{"", "type"})
	if err != nil {
		return nil, err
	}
	s := serviceOf(r, resp.Body)
	if v, ok := etagVersion(resp.Header); ok {
		s.Version = strconv.Itoa(v)
	}
	return s, nil
}

// HealthcareServiceVersion runs A037 (HEAD): the service's current
// version, from the ETag, to compare with a cached copy.
func (c *Client) HealthcareServiceVersion(ctx context.Context, id string) (string, error) {
	if err := c.check(A037); err != nil {
		return "", err
	}
	if !validServiceID(id) {
		return "", refused(A037, "id", "is not a service id")
	}
	resp, err := c.do(ctx, &call{ep: A037, method: http.MethodHead, path: "/R4/HealthcareService/" + id})
	if err != nil {
		return "", err
	}
	v, ok := etagVersion(resp.Header)
	if !ok {
		return "", fmt.Errorf("ers: A037: answer has no ETag W/\"n\"")
	}
	return strconv.Itoa(v), nil
}

// MaxServiceIDs is the most ids A035 takes in one search.
const MaxServiceIDs = 20

// HealthcareServices runs A035: the services with these ids (at most 20).
func (c *Client) HealthcareServices(ctx context.Context, ids ...string) ([]*HealthcareService, error) {
	if err := c.check(A035); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxServiceIDs {
		return nil, refused(A035, "_id", "takes 1 to %d ids, not %d", MaxServiceIDs, len(ids))
	}
	for _, id := range ids {
		if !validServiceID(id) {
			return nil, refused(A035, "_id", "%q is not a service id", id)
		}
	}
	resp, err := c.do(ctx, &call{ep: A035, method: http.MethodGet, path: "/R4/HealthcareService", query: url.Values{"_id": {strings.Join(ids, ",")}}})
	if err != nil {
		return nil, err
	}
	b, err := decodeR4[*fhir.Bundle](resp.Body, "Bundle", &single{"resource", "type"})
	if err != nil {
		return nil, fmt.Errorf("ers: A035: %w", err)
	}
	out := make([]*HealthcareService, 0, len(b.Entry))
	for i, e := range b.Entry {
		r, ok := e.Resource.(*fhir.HealthcareService)
		if !ok {
			return nil, fmt.Errorf("ers: A035: entry[%d] is not a HealthcareService", i)
		}
		raw, err := fhir.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("ers: A035: %w", err)
		}
		out = append(out, serviceOf(r, raw))
	}
	return out, nil
}

// Role is one of a user's roles at an organisation (A030).
type Role struct {
	UserID            string
	Organisation      nhsid.ODSCode
	BusinessFunctions []BusinessFunction
}

// BusinessFunctions runs A030: the business functions the signed-in user
// holds, per organisation. Pick one and use it with WithBusinessFunction.
func (c *Client) BusinessFunctions(ctx context.Context) ([]Role, error) {
	if err := c.check(A030); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A030, method: http.MethodGet, path: "/R4/PractitionerRole", noRoles: true})
	if err != nil {
		return nil, err
	}
	b, err := decodeR4[*fhir.Bundle](resp.Body, "Bundle", nil)
	if err != nil {
		return nil, fmt.Errorf("ers: A030: %w", err)
	}
	var out []Role
	for i, e := range b.Entry {
		pr, ok := e.Resource.(*fhir.PractitionerRole)
		if !ok {
			return nil, fmt.Errorf("ers: A030: entry[%d] is not a PractitionerRole", i)
		}
		r := Role{UserID: refIdentR4(pr.Practitioner), Organisation: nhsid.ODSCode(refIdentR4(pr.Organization))}
		for i := range pr.Code {
			if code := firstCodeR4(&pr.Code[i]); code != "" {
				r.BusinessFunctions = append(r.BusinessFunctions, BusinessFunction(code))
			}
		}
		out = append(out, r)
	}
	return out, nil
}
