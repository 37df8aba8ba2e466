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
	// Tokens gives the bearer token: spine.UserRestricted (a healthcare
	// worker's CIS2 token: needed to update or create, and to see more than
	// one search result) or spine.AppRestricted (retrieval and single-match
	// search only); nil sends none (sandbox, pdstest). A 401 renews the
	// token once (when Tokens is a spine.Renewer) and re-sends the request.
	Tokens spine.TokenSource
	// EndUserOrganisationODS is sent as NHSD-End-User-Organisation-ODS, which
	// PDS requires of applications serving several organisations.
	EndUserOrganisationODS nhsid.ODSCode
	// RoleID is sent as NHSD-Session-URID (healthcare worker access).
	RoleID string
	// SyncWait, when positive, is sent as X-Sync-Wait (whole seconds) on
	// updates and creations: how long PDS waits for the update to complete
	// before answering 503 (default 10 s on PDS's side). The call's own
	// Timeout must be longer.
	SyncWait time.Duration

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
	base string
	cfg  Config
	http *httpx.Client
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
	if cfg.RequestsPerSecond < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0 || cfg.Timeout < 0 || cfg.SyncWait < 0 {
		return nil, fmt.Errorf("%w: RequestsPerSecond, Burst, MaxAttempts and Timeout must not be negative", ErrConfig)
	}
	rps := cfg.RequestsPerSecond
	if rps == 0 {
		rps = DefaultRequestsPerSecond
	}
	return &Client{
		base: strings.TrimSuffix(cfg.BaseURL, "/"),
		cfg:  cfg,
		http: platform.New(platform.Options{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
			Limiter: cfg.Limiter, RequestsPerSecond: rps, Burst: cfg.Burst,
			MaxAttempts: cfg.MaxAttempts, Timeout: cfg.Timeout,
			Tokens: cfg.Tokens,
		}),
	}, nil
}

type orgKey struct{}

// WithEndUserOrganisation returns a context whose PDS calls send ods as
// NHSD-End-User-Organisation-ODS instead of Config.EndUserOrganisationODS:
// for an application that serves several organisations from one client.
func WithEndUserOrganisation(ctx context.Context, ods nhsid.ODSCode) context.Context {
	return context.WithValue(ctx, orgKey{}, ods)
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

// newRequest builds a request with a new X-Request-ID, which every attempt
// of the call re-sends: PDS asks for a re-sent request to carry the same
// one.
func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*httpx.Request, error) {
	req := httpx.NewRequest(method, c.base+path, body)
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("X-Request-ID", httpx.NewUUID())
	org := c.cfg.EndUserOrganisationODS
	if o, ok := ctx.Value(orgKey{}).(nhsid.ODSCode); ok {
		if !o.Valid() {
			return nil, fmt.Errorf("%w: the end-user organisation is not an ODS code", ErrConfig)
		}
		org = o
	}
	if org != "" {
		req.Header.Set("NHSD-End-User-Organisation-ODS", string(org))
	}
	if c.cfg.RoleID != "" {
		req.Header.Set("NHSD-Session-URID", c.cfg.RoleID)
	}
	return req, nil
}

// write marks req as a write PDS de-duplicates by X-Request-ID, so that it
// may be re-sent, and sets X-Sync-Wait.
func (c *Client) write(req *httpx.Request) {
	req.RetrySafe = true
	if c.cfg.SyncWait > 0 {
		req.Header.Set("X-Sync-Wait", strconv.Itoa(int((c.cfg.SyncWait+time.Second-1)/time.Second)))
	}
}

func (c *Client) do(ctx context.Context, req *httpx.Request) (*httpx.Response, error) {
	resp, err := c.http.Do(ctx, req, nil)
	if err != nil {
		var ae *spine.APIError
		if !errors.Is(err, httpx.ErrCredentials) && errors.As(err, &ae) {
			return nil, ae
		}
		return nil, fmt.Errorf("pds: %w", err)
	}
	return resp, nil
}

var etagPattern = regexp.MustCompile(`^W/"([0-9]+)"$`)

func (c *Client) patient(resp *httpx.Response, requested nhsid.NHSNumber) (*Patient, error) {
	r, err := unmarshal(resp.Body)
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

// unmarshal decodes a FHIR resource from PDS. The Node.js sandbox sends
// meta.versionId as a JSON number where FHIR has a string; such an answer
// is read with the number as its string.
func unmarshal(data []byte) (fhir.Resource, error) {
	r, err := fhir.Unmarshal(data)
	if err == nil {
		return r, nil
	}
	fixed, ok := fixVersionIDs(data)
	if !ok {
		return nil, err
	}
	r, err2 := fhir.Unmarshal(fixed)
	if err2 != nil {
		return nil, err
	}
	return r, nil
}

// fixVersionIDs rewrites numeric meta.versionId values, in the resource
// and in the resources of its entries, as strings.
func fixVersionIDs(data []byte) ([]byte, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) != nil {
		return nil, false
	}
	changed := fixMeta(doc)
	if raw, ok := doc["entry"]; ok {
		var entries []map[string]json.RawMessage
		if json.Unmarshal(raw, &entries) == nil {
			entryChanged := false
			for _, e := range entries {
				var res map[string]json.RawMessage
				if json.Unmarshal(e["resource"], &res) == nil && fixMeta(res) {
					e["resource"], _ = json.Marshal(res)
					entryChanged = true
				}
			}
			if entryChanged {
				doc["entry"], _ = json.Marshal(entries)
				changed = true
			}
		}
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}

func fixMeta(doc map[string]json.RawMessage) bool {
	var meta map[string]json.RawMessage
	if json.Unmarshal(doc["meta"], &meta) != nil {
		return false
	}
	var n json.Number
	if json.Unmarshal(meta["versionId"], &n) != nil {
		return false
	}
	meta["versionId"], _ = json.Marshal(n.String())
	doc["meta"], _ = json.Marshal(meta)
	return true
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

// Patch is one JSON Patch (RFC 6902) operation. Value is always sent for
// add, replace and test, so a nil Value sends "value": null; it is never
// sent for remove, move and copy.
type Patch struct {
	Op    string `json:"op"` // add, remove, replace, test, move, copy
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// MarshalJSON writes the operation with "value" when its op takes one,
// null included.
func (p Patch) MarshalJSON() ([]byte, error) {
	switch p.Op {
	case "add", "replace", "test":
		return json.Marshal(struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value"`
		}{p.Op, p.Path, p.Value})
	}
	return json.Marshal(struct {
		Op   string `json:"op"`
		Path string `json:"path"`
		From string `json:"from,omitempty"`
	}{p.Op, p.Path, p.From})
}

// Update applies patches to the patient at the version read (If-Match),
// and returns the updated record. It needs healthcare worker (CIS2)
// access: PDS refuses an update with application-restricted access (403
// ErrInvalidMethod). A change inside a name, address or telecom item must
// name the item's id (a "test" or "replace" of /address/0/id, say), and a
// removal of an item must follow a test of it. A version conflict is an
// *spine.APIError matching spine.ErrResourceVersionMismatch: read the
// patient again and re-apply. The request is re-sent on failure with the
// same X-Request-ID, which PDS uses to recognise it, so an update is never
// applied twice.
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
	c.write(req)
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
	r, err := unmarshal(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("pds: decoding %s: %w", what, err)
	}
	return resp, r, nil
}
