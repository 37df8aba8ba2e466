package gpconnect

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nhskit/nhskit/nhsid"
)

// Requester describes who is asking: the consuming system, its
// organisation and the user. It fills the JWT's requesting_* claims.
type Requester struct {
	// Issuer is the consuming system's URI (the iss claim).
	Issuer string
	// Device identifies the consuming system.
	Device Device
	// OrganizationODS and OrganizationName describe the care organisation
	// the request originates from (not a hosting supplier).
	OrganizationODS  nhsid.ODSCode
	OrganizationName string
	// Practitioner is the user on whose behalf the request is made.
	Practitioner RequestingPractitioner
}

// Device identifies the requesting system.
type Device struct {
	System  string // identifier system, e.g. the supplier's device namespace
	Value   string // identifier value
	Model   string
	Version string
}

// RequestingPractitioner is the user making the request.
type RequestingPractitioner struct {
	// ID is the practitioner's local id; it is also the JWT's sub.
	ID               string
	SDSUserID        string
	SDSRoleProfileID string
	Family           string
	Given            []string
	Prefix           []string
}

// ErrInvalidRequester is wrapped by errors about a Requester or Claims
// that would make an invalid JWT.
var ErrInvalidRequester = errors.New("gpconnect: invalid jwt requester")

// Validate checks that r has what the JWT requires.
func (r *Requester) Validate() error {
	var missing []string
	if r.Issuer == "" {
		missing = append(missing, "issuer")
	}
	if r.Device.System == "" || r.Device.Value == "" {
		missing = append(missing, "device identifier")
	}
	if r.Device.Model == "" || r.Device.Version == "" {
		missing = append(missing, "device model and version")
	}
	if r.OrganizationName == "" {
		missing = append(missing, "organization name")
	}
	if r.Practitioner.ID == "" {
		missing = append(missing, "practitioner id")
	}
	if r.Practitioner.SDSUserID == "" {
		missing = append(missing, "practitioner sds user id")
	}
	if r.Practitioner.SDSRoleProfileID == "" {
		missing = append(missing, "practitioner sds role profile id")
	}
	if r.Practitioner.Family == "" {
		missing = append(missing, "practitioner family name")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %v", ErrInvalidRequester, missing)
	}
	if !r.OrganizationODS.Valid() {
		return fmt.Errorf("%w: organization ods code is not 1 to 9 upper-case letters and digits", ErrInvalidRequester)
	}
	return nil
}

// Claims is the GP Connect JWT payload.
type Claims struct {
	Issuer                 string        `json:"iss"`
	Subject                string        `json:"sub"`
	Audience               string        `json:"aud"`
	ExpiresAt              int64         `json:"exp"`
	IssuedAt               int64         `json:"iat"`
	ReasonForRequest       string        `json:"reason_for_request"`
	RequestedScope         string        `json:"requested_scope"`
	RequestingDevice       jwtDevice     `json:"requesting_device"`
	RequestingOrganization Organization  `json:"requesting_organization"`
	RequestingPractitioner Practitioner  `json:"requesting_practitioner"`
	RequestedRecord        *jwtRequested `json:"requested_record,omitempty"`
}

type jwtDevice struct {
	ResourceType string       `json:"resourceType"`
	Identifier   []Identifier `json:"identifier"`
	Model        string       `json:"model"`
	Version      string       `json:"version"`
}

type jwtRequested struct {
	ResourceType string       `json:"resourceType"`
	Identifier   []Identifier `json:"identifier,omitempty"`
}

// TokenLifetime is the JWT lifetime the specification fixes.
const TokenLifetime = 5 * time.Minute

// NewClaims builds the claims for one request to audience (the provider's
// endpoint URL) at now.
func NewClaims(r *Requester, audience, scope string, now time.Time) (*Claims, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	switch scope {
	case ScopePatientRead, ScopePatientWrite, ScopeOrganizationRead, ScopeOrganizationWrite:
	default:
		return nil, fmt.Errorf("%w: requested scope %q is not one GP Connect defines", ErrInvalidRequester, scope)
	}
	if audience == "" {
		return nil, fmt.Errorf("%w: empty audience", ErrInvalidRequester)
	}
	p := r.Practitioner
	c := &Claims{
		Issuer:           r.Issuer,
		Subject:          p.ID,
		Audience:         audience,
		IssuedAt:         now.Unix(),
		ExpiresAt:        now.Add(TokenLifetime).Unix(),
		ReasonForRequest: "directcare",
		RequestedScope:   scope,
		RequestingDevice: jwtDevice{
			ResourceType: "Device",
			Identifier:   []Identifier{{System: r.Device.System, Value: r.Device.Value}},
			Model:        r.Device.Model,
			Version:      r.Device.Version,
		},
		RequestingOrganization: Organization{
			ResourceType: "Organization",
			Identifier:   []Identifier{{System: SystemODSCode, Value: string(r.OrganizationODS)}},
			Name:         r.OrganizationName,
		},
		RequestingPractitioner: Practitioner{
			ResourceType: "Practitioner",
			ID:           p.ID,
			Identifier: []Identifier{
				{System: SystemSDSUserID, Value: p.SDSUserID},
				{System: SystemSDSRoleProfileID, Value: p.SDSRoleProfileID},
			},
			Name: []HumanName{{Family: p.Family, Given: p.Given, Prefix: p.Prefix}},
		},
	}
	return c, nil
}

// Token returns the unsigned JWT ("alg": "none", empty signature).
func (c *Claims) Token() (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
}

// ParseToken decodes an unsigned GP Connect JWT and checks its claims as a
// provider does: the header algorithm is "none", every required claim is
// present, reason_for_request is directcare, the scope is known, exp is
// iat + 5 minutes, iat is not in the future and the token has not expired
// at now, and the organisation and practitioner carry their identifiers.
func ParseToken(token string, now time.Time) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		return jwt.UnsafeAllowNoneSignatureType, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodNone.Alg()}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequester, err)
	}
	if err := c.check(now); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Claims) check(now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequester}, args...)...)
	}
	switch {
	case c.Issuer == "":
		return bad("missing iss")
	case c.Audience == "":
		return bad("missing aud")
	case c.IssuedAt == 0 || c.ExpiresAt == 0:
		return bad("missing iat or exp")
	case c.ExpiresAt-c.IssuedAt != int64(TokenLifetime/time.Second):
		return bad("exp must be iat + 300 seconds, got %d", c.ExpiresAt-c.IssuedAt)
	case c.IssuedAt > now.Add(time.Minute).Unix():
		return bad("iat is in the future")
	case c.ExpiresAt < now.Unix():
		return bad("token expired")
	case c.ReasonForRequest != "directcare":
		return bad("reason_for_request must be directcare")
	}
	switch c.RequestedScope {
	case ScopePatientRead, ScopePatientWrite, ScopeOrganizationRead, ScopeOrganizationWrite:
	default:
		return bad("unknown requested_scope")
	}
	if c.RequestingDevice.ResourceType != "Device" || len(c.RequestingDevice.Identifier) == 0 {
		return bad("requesting_device must be a Device with an identifier")
	}
	if c.RequestingOrganization.ResourceType != "Organization" || c.RequestingOrganization.Name == "" ||
		!c.RequestingOrganization.ODSCode().Valid() {
		return bad("requesting_organization must be an Organization with a name and an ods code")
	}
	p := c.RequestingPractitioner
	if p.ResourceType != "Practitioner" || p.ID == "" || len(p.Name) == 0 {
		return bad("requesting_practitioner must be a Practitioner with an id and a name")
	}
	if p.ID != c.Subject {
		return bad("sub must equal requesting_practitioner.id")
	}
	var user, role bool
	for _, id := range p.Identifier {
		user = user || (id.System == SystemSDSUserID && id.Value != "")
		role = role || (id.System == SystemSDSRoleProfileID && id.Value != "")
	}
	if !user || !role {
		return bad("requesting_practitioner needs an sds user id and an sds role profile id")
	}
	return nil
}

// The jwt.Claims methods. Validation is done by check, so these only
// expose the times.

func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (c *Claims) GetIssuer() (string, error)              { return c.Issuer, nil }
func (c *Claims) GetSubject() (string, error)             { return c.Subject, nil }
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{c.Audience}, nil
}
