package pds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/internal/platform"
)

// DefaultRequestsPerSecond is PDS's default application rate limit (5
// transactions per second per application).
const DefaultRequestsPerSecond = 5

// Base paths of PDS on the API platform.
const BasePath = "/personal-demographics/FHIR/R4"

// Config configures a Client.
type Config struct {
	// BaseURL is the FHIR base: spine.Integration.BaseURL + BasePath, or a
	// pdstest server's URL.
	BaseURL string
	// Tokens gives the bearer token (spine.AppRestricted, or a
	// user-restricted source); nil sends none (sandbox, pdstest).
	Tokens spine.TokenSource
	// EndUserOrganisationODS is sent as NHSD-End-User-Organisation-ODS, which
	// PDS requires of applications serving several organisations.
	EndUserOrganisationODS nhsid.ODSCode
	// RoleID is sent as NHSD-Session-URID (healthcare worker access).
	RoleID string

	// HTTPClient is the caller's client (TLS, proxies); nil means a default
	// one. TLS 1.2 is the floor.
	HTTPClient *http.Client
	// Logger receives one record per attempt, NHS numbers masked and query
	// values hidden; nil means silent.
	Logger *slog.Logger
	// Limiter, when set, is the rate limit every attempt (retries
	// included) waits on. Share one between the clients that spend one
	// application's quota: PDS counts it per application, not per client.
	// When nil, RequestsPerSecond and Burst make a limiter for this client
	// alone (default 5 per second, the documented application limit, and
	// burst 1).
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	// MaxAttempts caps attempts per call, the first included (default 4).
	MaxAttempts int
	// Timeout, when positive, bounds one call, every attempt and wait
	// included.
	Timeout time.Duration
}

// Client is a PDS FHIR API client. It is safe for concurrent use.
type Client struct {
	base   string
	cfg    Config
	http   *httpx.Client
	tokens spine.TokenSource
}

// ErrConfig is returned by New for an unusable Config.
var ErrConfig = errors.New("pds: invalid config")

// New returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL must be an absolute URL", ErrConfig)
	}
	if cfg.EndUserOrganisationODS != "" && !cfg.EndUserOrganisationODS.Valid() {
		return nil, fmt.Errorf("%w: EndUserOrganisationODS is not an ODS code", ErrConfig)
	}
	if cfg.RequestsPerSecond < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: RequestsPerSecond, Burst, MaxAttempts and Timeout must not be negative", ErrConfig)
	}
	rps := cfg.RequestsPerSecond
	if rps == 0 {
		rps = DefaultRequestsPerSecond
	}
	return &Client{
		base:   strings.TrimSuffix(cfg.BaseURL, "/"),
		cfg:    cfg,
		tokens: cfg.Tokens,
		http: platform.New(platform.Options{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
			Limiter: cfg.Limiter, RequestsPerSecond: rps, Burst: cfg.Burst,
			MaxAttempts: cfg.MaxAttempts, Timeout: cfg.Timeout,
		}),
	}, nil
}

// Patient is a PDS patient record.
type Patient struct {
	*fhir.Patient
	// NHSNumber is the record's NHS number. When it differs from the one
	// asked for, the number asked for is superseded (Superseded is true):
	// PDS returns the current record, and the caller must replace the old
	// number in its own records.
	NHSNumber  nhsid.NHSNumber
	Requested  nhsid.NHSNumber
	Superseded bool
	// Restricted is true for a restricted (sensitive) patient: PDS has
	// removed their address, telecom and GP; never show or send location
	// details for them.
	Restricted bool
	// Version is the record's version, from the ETag (W/"n"); pass it to
	// Update.
	Version int
	// Raw is the resource as PDS sent it.
	Raw []byte
}

func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*httpx.Request, error) {
	req := httpx.NewRequest(method, c.base+path, body)
	req.Header.Set("Accept", "application/fhir+json")
	if c.cfg.EndUserOrganisationODS != "" {
		req.Header.Set("NHSD-End-User-Organisation-ODS", string(c.cfg.EndUserOrganisationODS))
	}
	if c.cfg.RoleID != "" {
		req.Header.Set("NHSD-Session-URID", c.cfg.RoleID)
	}
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("pds: access token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	return req, nil
}

func (c *Client) do(ctx context.Context, req *httpx.Request) (*httpx.Response, error) {
	resp, err := c.http.Do(ctx, req, nil)
	if err != nil {
		var ae *spine.APIError
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, fmt.Errorf("pds: %w", err)
	}
	return resp, nil
}

var etagPattern = regexp.MustCompile(`^W/"([0-9]+)"$`)

func (c *Client) patient(resp *httpx.Response, requested nhsid.NHSNumber) (*Patient, error) {
	r, err := fhir.Unmarshal(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("pds: decoding the patient: %w", err)
	}
	p, ok := r.(*fhir.Patient)
	if !ok {
		return nil, fmt.Errorf("pds: answer is a %s, not a Patient", r.ResourceType())
	}
	out := &Patient{Patient: p, NHSNumber: nhsid.NHSNumber(p.ID.Value), Requested: requested, Raw: resp.Body}
	out.Superseded = requested != "" && out.NHSNumber != requested
	out.Restricted = fhir.Restricted(p.Meta)
	if m := etagPattern.FindStringSubmatch(resp.Header.Get("ETag")); m != nil {
		out.Version, _ = strconv.Atoi(m[1])
	} else if p.Meta != nil {
		out.Version, _ = strconv.Atoi(p.Meta.VersionID.Value)
	}
	return out, nil
}

// ErrInvalidNHSNumber is returned, before any request, for a number that
// fails the modulus 11 check.
var ErrInvalidNHSNumber = errors.New("pds: invalid NHS number")

// Get retrieves a patient by NHS number.
func (c *Client) Get(ctx context.Context, nhs nhsid.NHSNumber) (*Patient, error) {
	if !nhs.Valid() {
		return nil, ErrInvalidNHSNumber
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/Patient/"+string(nhs), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.patient(resp, nhs)
}

// Patch is one JSON Patch (RFC 6902) operation.
type Patch struct {
	Op    string `json:"op"` // add, remove, replace, test, move, copy
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// Update applies patches to the patient at the version read (If-Match),
// and returns the updated record. A version conflict is an *spine.APIError
// matching spine.ErrResourceVersionMismatch: read the patient again and
// re-apply. The request is re-sent on failure with the same X-Request-ID,
// which PDS uses to recognise it, so an update is never applied twice.
func (c *Client) Update(ctx context.Context, nhs nhsid.NHSNumber, version int, patches ...Patch) (*Patient, error) {
	if !nhs.Valid() {
		return nil, ErrInvalidNHSNumber
	}
	if len(patches) == 0 {
		return nil, errors.New("pds: no patches")
	}
	body, err := json.Marshal(struct {
		Patches []Patch `json:"patches"`
	}{patches})
	if err != nil {
		return nil, fmt.Errorf("pds: encoding patches: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPatch, "/Patient/"+string(nhs), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json-patch+json")
	req.Header.Set("If-Match", `W/"`+strconv.Itoa(version)+`"`)
	req.Header.Set("X-Request-ID", httpx.NewUUID())
	req.RetrySafe = true
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.patient(resp, nhs)
}

// RelatedPeople returns the patient's related people (next of kin and
// others).
func (c *Client) RelatedPeople(ctx context.Context, nhs nhsid.NHSNumber) ([]*fhir.RelatedPerson, error) {
	if !nhs.Valid() {
		return nil, ErrInvalidNHSNumber
	}
	_, r, err := c.fetch(ctx, "/Patient/"+string(nhs)+"/RelatedPerson", "related people")
	if err != nil {
		return nil, err
	}
	b, ok := r.(*fhir.Bundle)
	if !ok {
		return nil, fmt.Errorf("pds: answer is a %s, not a Bundle", r.ResourceType())
	}
	var out []*fhir.RelatedPerson
	for _, e := range b.Entry {
		if rp, ok := e.Resource.(*fhir.RelatedPerson); ok {
			out = append(out, rp)
		}
	}
	return out, nil
}

// fetch GETs path and decodes the FHIR resource it answers with.
func (c *Client) fetch(ctx context.Context, path, what string) (*httpx.Response, fhir.Resource, error) {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	r, err := fhir.Unmarshal(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("pds: decoding %s: %w", what, err)
	}
	return resp, r, nil
}
