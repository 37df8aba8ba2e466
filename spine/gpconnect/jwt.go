package gpconnect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nhskit/nhskit/fhir/stu3"
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

// RequestingPractitioner is the logged-on user making the request.
type RequestingPractitioner struct {
	// ID is the user's logical id in the consumer system (a user id or a
	// GUID); it is also the JWT's sub.
	ID string
	// SDSUserID and SDSRoleProfileID come from the user's NHS smartcard;
	// left empty they are sent as "UNK", the value the specification
	// gives for a user who did not log on with a smartcard.
	SDSUserID        string
	SDSRoleProfileID string
	// LocalSystem and LocalID are the unique local user (or user-role)
	// identifier from the consumer system, e.g. system
	// "https://consumersupplier.example/Id/user-guid" and the user's GUID.
	// Both are required.
	LocalSystem string
	LocalID     string
	Family      string
	Given       []string
	Prefix      []string
}

// UnknownSDSID is the identifier value sent for an SDS user id or role
// profile id when the user is not logged on with an NHS smartcard.
const UnknownSDSID = "UNK"

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
	if r.Practitioner.LocalSystem == "" || r.Practitioner.LocalID == "" {
		missing = append(missing, "practitioner local system and id")
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

// Claims is the GP Connect JWT payload. The requesting_* claims are STU3
// resources; a claim that is absent is nil.
type Claims struct {
	Issuer                 string
	Subject                string
	Audience               string
	ExpiresAt              int64
	IssuedAt               int64
	ReasonForRequest       string
	RequestedScope         string
	RequestingDevice       *stu3.Device
	RequestingOrganization *stu3.Organization
	RequestingPractitioner *stu3.Practitioner
}

// claimsJSON is the payload as JSON, the resources written by fhir/stu3.
type claimsJSON struct {
	Issuer                 string          `json:"iss"`
	Subject                string          `json:"sub"`
	Audience               string          `json:"aud"`
	ExpiresAt              int64           `json:"exp"`
	IssuedAt               int64           `json:"iat"`
	ReasonForRequest       string          `json:"reason_for_request"`
	RequestedScope         string          `json:"requested_scope"`
	RequestingDevice       json.RawMessage `json:"requesting_device,omitempty"`
	RequestingOrganization json.RawMessage `json:"requesting_organization,omitempty"`
	RequestingPractitioner json.RawMessage `json:"requesting_practitioner,omitempty"`
}

// MarshalJSON writes the payload.
func (c Claims) MarshalJSON() ([]byte, error) {
	out := claimsJSON{
		Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, ExpiresAt: c.ExpiresAt, IssuedAt: c.IssuedAt,
		ReasonForRequest: c.ReasonForRequest, RequestedScope: c.RequestedScope,
	}
	for _, r := range []struct {
		res stu3.Resource
		dst *json.RawMessage
		ok  bool
	}{
		{c.RequestingDevice, &out.RequestingDevice, c.RequestingDevice != nil},
		{c.RequestingOrganization, &out.RequestingOrganization, c.RequestingOrganization != nil},
		{c.RequestingPractitioner, &out.RequestingPractitioner, c.RequestingPractitioner != nil},
	} {
		if !r.ok {
			continue
		}
		raw, err := stu3.Marshal(r.res)
		if err != nil {
			return nil, err
		}
		*r.dst = raw
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the payload; a requesting_* claim that is not a
// resource of its type gives an error wrapping ErrJWTResource.
func (c *Claims) UnmarshalJSON(data []byte) error {
	var in claimsJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*c = Claims{
		Issuer: in.Issuer, Subject: in.Subject, Audience: in.Audience, ExpiresAt: in.ExpiresAt, IssuedAt: in.IssuedAt,
		ReasonForRequest: in.ReasonForRequest, RequestedScope: in.RequestedScope,
	}
	present := func(raw json.RawMessage) bool {
		return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	}
	if present(in.RequestingDevice) {
		c.RequestingDevice = new(stu3.Device)
		if err := stu3.UnmarshalInto(in.RequestingDevice, c.RequestingDevice); err != nil {
			return fmt.Errorf("%w: requesting_device: %w", ErrJWTResource, err)
		}
	}
	if present(in.RequestingOrganization) {
		c.RequestingOrganization = new(stu3.Organization)
		if err := stu3.UnmarshalInto(in.RequestingOrganization, c.RequestingOrganization); err != nil {
			return fmt.Errorf("%w: requesting_organization: %w", ErrJWTResource, err)
		}
	}
	if present(in.RequestingPractitioner) {
		c.RequestingPractitioner = new(stu3.Practitioner)
		if err := stu3.UnmarshalInto(in.RequestingPractitioner, c.RequestingPractitioner); err != nil {
			return fmt.Errorf("%w: requesting_practitioner: %w", ErrJWTResource, err)
		}
	}
	return nil
}

func ident(system, value string) stu3.Identifier {
	return stu3.Identifier{System: stu3.URI{Value: system}, Value: stu3.String{Value: value}}
}

// TokenLifetime is the JWT lifetime the specification fixes.
const TokenLifetime = 5 * time.Minute

// NewClaims builds the claims for one request to audience (the provider's
// endpoint URL) at now.
func NewClaims(r *Requester, audience, scope string, now time.Time) (*Claims, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !validScope(scope) {
		return nil, fmt.Errorf("%w: requested scope %q is not one GP Connect defines", ErrInvalidRequester, scope)
	}
	if audience == "" {
		return nil, fmt.Errorf("%w: empty audience", ErrInvalidRequester)
	}
	p := r.Practitioner
	orUnknown := func(v string) string {
		if v == "" {
			return UnknownSDSID
		}
		return v
	}
	c := &Claims{
		Issuer:           r.Issuer,
		Subject:          p.ID,
		Audience:         audience,
		IssuedAt:         now.Unix(),
		ExpiresAt:        now.Add(TokenLifetime).Unix(),
		ReasonForRequest: "directcare",
		RequestedScope:   scope,
		RequestingDevice: &stu3.Device{
			Identifier: []stu3.Identifier{ident(r.Device.System, r.Device.Value)},
			Model:      stu3.String{Value: r.Device.Model},
			Version:    stu3.String{Value: r.Device.Version},
		},
		RequestingOrganization: &stu3.Organization{
			Identifier: []stu3.Identifier{ident(SystemODSCode, string(r.OrganizationODS))},
			Name:       stu3.String{Value: r.OrganizationName},
		},
		RequestingPractitioner: &stu3.Practitioner{
			ID: stu3.ID{Value: p.ID},
			Identifier: []stu3.Identifier{
				ident(SystemSDSUserID, orUnknown(p.SDSUserID)),
				ident(SystemSDSRoleProfileID, orUnknown(p.SDSRoleProfileID)),
				ident(p.LocalSystem, p.LocalID),
			},
			Name: []stu3.HumanName{{Family: stu3.String{Value: p.Family}, Given: stu3.Strings(p.Given...), Prefix: stu3.Strings(p.Prefix...)}},
		},
	}
	return c, nil
}

// Token returns the unsigned JWT ("alg": "none", empty signature).
func (c *Claims) Token() (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
}

// ErrJWTResource is wrapped, together with ErrInvalidRequester, when a
// requesting_device, requesting_organization or requesting_practitioner
// claim is present but is not a FHIR resource of its type (another
// resourceType, or an element the resource does not have). A provider
// answers that with 422 INVALID_RESOURCE rather than 400.
var ErrJWTResource = errors.New("gpconnect: jwt claim is not a valid fhir resource")

// MaxClockSkew is how far in the future a provider accepts a token's iat,
// so that a consumer whose clock runs a little fast is not refused. The
// provider acceptance tests send a token issued 200 seconds ahead and
// expect it to be accepted; exp is still iat + 5 minutes.
const MaxClockSkew = 5 * time.Minute

// ParseToken decodes an unsigned GP Connect JWT and checks its claims as a
// provider does: the header algorithm is "none", every required claim is
// present, reason_for_request is directcare, the scope is known (with an
// optional conf/N or conf/R), exp is iat + 5 minutes, iat is at most
// MaxClockSkew in the future and the token has not expired at now, the
// organisation carries an ODS code, and the practitioner an SDS user id
// (which may be "UNK"). Like real providers it accepts a practitioner
// without an SDS role profile id or a local identifier, which the
// specification warns some consumers omit. A requesting_* claim that is
// not a resource of its type gives an error that also wraps
// ErrJWTResource.
func ParseToken(token string, now time.Time) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		return jwt.UnsafeAllowNoneSignatureType, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodNone.Alg()}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequester, err)
	}
	if err := checkClaimResources(token); err != nil {
		return nil, err
	}
	if err := c.check(now); err != nil {
		return nil, err
	}
	return &c, nil
}

// claimResources lists, for each requesting_* claim, its resourceType and
// the STU3 elements that resource may carry.
var claimResources = []struct {
	claim, resourceType string
	elements            []string
}{
	{"requesting_device", "Device", []string{"id", "meta", "text", "extension", "identifier", "udi", "status", "type", "lotNumber", "manufacturer", "manufactureDate", "expirationDate", "model", "version", "patient", "owner", "contact", "location", "url", "note", "safety"}},
	{"requesting_organization", "Organization", []string{"id", "meta", "text", "extension", "identifier", "active", "type", "name", "alias", "telecom", "address", "partOf", "contact", "endpoint"}},
	{"requesting_practitioner", "Practitioner", []string{"id", "meta", "text", "extension", "identifier", "active", "name", "telecom", "address", "gender", "birthDate", "photo", "qualification", "communication"}},
}

// checkClaimResources checks that each requesting_* claim present in the
// payload is a resource of its type with only that resource's elements.
// A missing claim is left to check, which refuses it as a bad request.
func checkClaimResources(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: token is not three dot-separated parts", ErrInvalidRequester)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("%w: payload is not base64url: %w", ErrInvalidRequester, err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("%w: payload is not a json object: %w", ErrInvalidRequester, err)
	}
	for _, cr := range claimResources {
		raw, ok := claims[cr.claim]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		var res map[string]json.RawMessage
		if err := json.Unmarshal(raw, &res); err != nil {
			return fmt.Errorf("%w: %w: %s is not a json object", ErrInvalidRequester, ErrJWTResource, cr.claim)
		}
		var rt string
		if err := json.Unmarshal(res["resourceType"], &rt); err != nil || rt != cr.resourceType {
			return fmt.Errorf("%w: %w: %s.resourceType must be %s", ErrInvalidRequester, ErrJWTResource, cr.claim, cr.resourceType)
		}
		for k := range res {
			if k != "resourceType" && !containsString(cr.elements, k) {
				return fmt.Errorf("%w: %w: %s has element %q, which %s does not define", ErrInvalidRequester, ErrJWTResource, cr.claim, k, cr.resourceType)
			}
		}
	}
	return nil
}

func containsString(vs []string, want string) bool {
	for _, v := range vs {
		if v == want {
			return true
		}
	}
	return false
}

// BaseScope returns the requested_scope without its confidentiality
// values: "patient/*.read conf/N" gives "patient/*.read".
func (c *Claims) BaseScope() string {
	base, _, _ := strings.Cut(c.RequestedScope, " ")
	return base
}

func validScope(scope string) bool {
	fields := strings.Fields(scope)
	if len(fields) == 0 || strings.Join(fields, " ") != scope {
		return false
	}
	switch fields[0] {
	case ScopePatientRead, ScopePatientWrite, ScopeOrganizationRead, ScopeOrganizationWrite:
	default:
		return false
	}
	for _, f := range fields[1:] {
		if f != "conf/N" && f != "conf/R" {
			return false
		}
	}
	return true
}

func (c *Claims) check(now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequester}, args...)...)
	}
	switch {
	case c.Issuer == "":
		return bad("missing iss")
	case c.Subject == "":
		return bad("missing sub")
	case c.Audience == "":
		return bad("missing aud")
	case c.IssuedAt == 0 || c.ExpiresAt == 0:
		return bad("missing iat or exp")
	case c.ExpiresAt-c.IssuedAt != int64(TokenLifetime/time.Second):
		return bad("exp must be iat + 300 seconds, got %d", c.ExpiresAt-c.IssuedAt)
	case c.IssuedAt > now.Add(MaxClockSkew).Unix():
		return bad("iat is more than 5 minutes in the future")
	case c.ExpiresAt < now.Unix():
		return bad("token expired")
	case c.ReasonForRequest != "directcare":
		return bad("reason_for_request must be directcare")
	case !validScope(c.RequestedScope):
		return bad("unknown requested_scope")
	}
	if c.RequestingDevice == nil {
		return bad("missing requesting_device")
	}
	if len(c.RequestingDevice.Identifier) == 0 {
		return bad("requesting_device needs an identifier")
	}
	if c.RequestingOrganization == nil {
		return bad("missing requesting_organization")
	}
	if c.RequestingOrganization.Name.Value == "" || !c.RequestingOrganization.ODSCode().Valid() {
		return bad("requesting_organization needs a name and an ods code")
	}
	p := c.RequestingPractitioner
	if p == nil {
		return bad("missing requesting_practitioner")
	}
	if p.ID.Value == "" || len(p.Name) == 0 || (p.Name[0].Family.Value == "" && len(p.Name[0].Given) == 0) {
		return bad("requesting_practitioner needs an id and a family or given name")
	}
	if p.ID.Value != c.Subject {
		return bad("sub must equal requesting_practitioner.id")
	}
	user := false
	for _, id := range p.Identifier {
		user = user || (id.System.Value == SystemSDSUserID && id.Value.Value != "")
	}
	if !user {
		return bad("requesting_practitioner needs an sds user id (UNK when the user has no smartcard)")
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
