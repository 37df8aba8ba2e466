package gpconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
)

// The Foundations capability: reads and searches of the practice's
// patients, practitioners, organisations and locations, and registering a
// patient (development_fhir_operation_guidance, foundations_use_case_*).

// read GETs [base]/{resourceType}/{id} and decodes it.
func read[T stu3.Resource](ctx context.Context, c *Client, resourceType, id, interaction, scope string) (T, error) {
	var zero T
	if id == "" {
		return zero, fmt.Errorf("gpconnect: %s: empty logical id", shortInteraction(interaction))
	}
	resp, err := c.do(ctx, http.MethodGet, "/"+resourceType+"/"+url.PathEscape(id), interaction, scope, nil, "")
	if err != nil {
		return zero, err
	}
	return decode[T](resp, interaction, resourceType)
}

// ReadPatient returns the provider's Patient with logical id id (from
// FindPatient); an unknown id matches ErrPatientNotFound.
func (c *Client) ReadPatient(ctx context.Context, id string) (*stu3.Patient, error) {
	return read[*stu3.Patient](ctx, c, "Patient", id, InteractionReadPatient, ScopePatientRead)
}

// ReadPractitioner returns the Practitioner with logical id id; an unknown
// id matches ErrPractitionerNotFound.
func (c *Client) ReadPractitioner(ctx context.Context, id string) (*stu3.Practitioner, error) {
	return read[*stu3.Practitioner](ctx, c, "Practitioner", id, InteractionReadPractitioner, ScopeOrganizationRead)
}

// ReadOrganization returns the Organization with logical id id; an unknown
// id matches ErrOrganisationNotFound.
func (c *Client) ReadOrganization(ctx context.Context, id string) (*stu3.Organization, error) {
	return read[*stu3.Organization](ctx, c, "Organization", id, InteractionReadOrganization, ScopeOrganizationRead)
}

// ReadLocation returns the Location with logical id id; an unknown id
// matches ErrNoRecordFound.
func (c *Client) ReadLocation(ctx context.Context, id string) (*stu3.Location, error) {
	return read[*stu3.Location](ctx, c, "Location", id, InteractionReadLocation, ScopeOrganizationRead)
}

// search GETs [base]/{resourceType}?identifier=system|value and returns
// the entries of that type.
func search[T any, P interface {
	*T
	stu3.Resource
}](ctx context.Context, c *Client, resourceType, system, value, interaction string) ([]T, error) {
	q := url.Values{"identifier": {system + "|" + value}}
	resp, err := c.do(ctx, http.MethodGet, "/"+resourceType+"?"+q.Encode(), interaction, ScopeOrganizationRead, nil, "")
	if err != nil {
		return nil, err
	}
	b, err := decode[*stu3.Bundle](resp, interaction, "bundle")
	if err != nil {
		return nil, err
	}
	return entries[T, P](b), nil
}

// SearchPractitioners returns the practitioners with an SDS user id
// (usually one; none is not an error).
func (c *Client) SearchPractitioners(ctx context.Context, sdsUserID string) ([]stu3.Practitioner, error) {
	if sdsUserID == "" {
		return nil, errors.New("gpconnect: search practitioner: empty sds user id")
	}
	return search[stu3.Practitioner](ctx, c, "Practitioner", SystemSDSUserID, sdsUserID, InteractionSearchPractitioner)
}

// SearchOrganizations returns the organisations the provider holds with an
// ODS code (none is not an error).
func (c *Client) SearchOrganizations(ctx context.Context, ods nhsid.ODSCode) ([]stu3.Organization, error) {
	if !ods.Valid() {
		return nil, errors.New("gpconnect: search organization: ods code is not 1 to 9 upper-case letters and digits")
	}
	return search[stu3.Organization](ctx, c, "Organization", SystemODSCode, string(ods), InteractionSearchOrganization)
}

// RegisterRequest is a patient to register at the practice as a temporary
// patient (foundations_use_case_register_a_patient): the NHS number,
// official name and birth date are what the provider traces in PDS; the
// rest is optional and PDS fills what is left out.
type RegisterRequest struct {
	NHSNumber nhsid.NHSNumber
	Family    string
	Given     []string
	BirthDate time.Time
	Gender    string // male, female, other, unknown
	// Address is the home address, Telecom the home, work or mobile phone
	// numbers and an email address.
	Address *stu3.Address
	Telecom []stu3.ContactPoint
}

// ErrRegisterRequest is wrapped when a RegisterRequest is refused before
// sending.
var ErrRegisterRequest = errors.New("gpconnect: invalid registration")

// registerParameters builds the $gpc.registerpatient Parameters.
func (r RegisterRequest) parameters() (*stu3.Parameters, error) {
	switch {
	case !r.NHSNumber.Valid():
		return nil, fmt.Errorf("%w: %w", ErrRegisterRequest, nhsid.ErrNHSNumberCheckDigit)
	case r.Family == "" || len(r.Given) == 0:
		return nil, fmt.Errorf("%w: family and given names are required", ErrRegisterRequest)
	case r.BirthDate.IsZero():
		return nil, fmt.Errorf("%w: birth date is required", ErrRegisterRequest)
	}
	switch r.Gender {
	case "", "male", "female", "other", "unknown":
	default:
		return nil, fmt.Errorf("%w: gender must be male, female, other or unknown", ErrRegisterRequest)
	}
	p := &stu3.Patient{
		Meta:       &stu3.Meta{Profile: []stu3.URI{{Value: ProfilePatient}}},
		Identifier: []stu3.Identifier{{System: stu3.URI{Value: SystemNHSNumber}, Value: stu3.String{Value: string(r.NHSNumber)}}},
		Name:       []stu3.HumanName{{Use: stu3.Code{Value: "official"}, Family: stu3.String{Value: r.Family}, Given: stu3.Strings(r.Given...)}},
		Gender:     stu3.Code{Value: r.Gender},
		BirthDate:  stu3.DateOf(r.BirthDate),
		Telecom:    r.Telecom,
	}
	if r.Address != nil {
		a := *r.Address
		a.Use = stu3.Code{Value: "home"}
		p.Address = []stu3.Address{a}
	}
	return &stu3.Parameters{Parameter: []stu3.ParametersParameter{{Name: stu3.String{Value: "registerPatient"}, Resource: p}}}, nil
}

// RegisterPatient registers a patient at the practice (a temporary
// registration) and returns the provider's Patient. A patient already
// registered matches ErrDuplicateRejected; an NHS number PDS does not hold
// or whose demographics do not verify matches
// ErrInvalidPatientDemographics. Like a booking it is sent once.
func (c *Client) RegisterPatient(ctx context.Context, r RegisterRequest) (*stu3.Patient, error) {
	params, err := r.parameters()
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/Patient/$gpc.registerpatient", InteractionRegisterPatient, ScopePatientWrite, params, "")
	if err != nil {
		return nil, err
	}
	b, err := decode[*stu3.Bundle](resp, InteractionRegisterPatient, "bundle")
	if err != nil {
		return nil, err
	}
	if ps := stu3.Resources[*stu3.Patient](b); len(ps) > 0 {
		return ps[0], nil
	}
	return nil, &spine.APIError{
		StatusCode: resp.StatusCode, Code: string(ErrInvalidResource), IssueType: "invalid",
		RequestID: resp.TraceID, InteractionID: InteractionRegisterPatient, Body: resp.Body,
	}
}
