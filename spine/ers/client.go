package ers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/internal/platform"
)

// BasePath is e-RS's FHIR base on the API platform: requests go to
// environment base URL + BasePath + "/STU3/..." or "/R4/...".
const BasePath = "/referrals/FHIR"

// BaseURL returns the e-RS FHIR base of a platform environment, e.g.
// BaseURL(spine.Integration) = "https://int.api.service.nhs.uk/referrals/FHIR".
func BaseURL(env spine.Environment) string { return env.BaseURL + BasePath }

// DefaultRequestsPerSecond is e-RS's standard production rate limit: 10
// requests per second per application.
const DefaultRequestsPerSecond = 10

// BusinessFunction is an e-RS role, sent as NHSD-eRS-Business-Function.
type BusinessFunction string

// The e-RS business functions.
const (
	ReferringClinician            BusinessFunction = "REFERRING_CLINICIAN"
	ReferringClinicianAdmin       BusinessFunction = "REFERRING_CLINICIAN_ADMIN"
	ReferringAdmin                BusinessFunction = "REFERRING_ADMIN"
	ServiceProviderClinician      BusinessFunction = "SERVICE_PROVIDER_CLINICIAN"
	ServiceProviderClinicianAdmin BusinessFunction = "SERVICE_PROVIDER_CLINICIAN_ADMIN"
	ServiceProviderAdmin          BusinessFunction = "SERVICE_PROVIDER_ADMIN"
	ServiceDefiner                BusinessFunction = "SERVICE_DEFINER"
)

// Access is how the application authenticates.
type Access int

// Access modes.
const (
	// UserRestricted: a healthcare worker signed in through NHS CIS2; every
	// endpoint is open to it.
	UserRestricted Access = iota
	// AppRestricted: a signed JWT, no user; only the endpoints listed in
	// the specification's "Access modes" table (A004, A005, A007, A008,
	// A013, A024, A025, A028, A029, A033, A035, A036, A037, A042, A043).
	AppRestricted
)

func (a Access) String() string {
	if a == AppRestricted {
		return "application-restricted"
	}
	return "user-restricted"
}

// Config configures a Client.
type Config struct {
	// BaseURL is the e-RS FHIR base (BaseURL(spine.Integration), an erstest
	// server's URL, or the sandbox's http://127.0.0.1:9000/FHIR); "/STU3"
	// and "/R4" are appended.
	BaseURL string
	// Tokens gives the bearer token: a CIS2 user-restricted source
	// (*spine.UserRestricted), or *spine.AppRestricted for unattended
	// access. Nil sends none (sandbox). On a 401 a spine.Renewer is asked
	// once for a new token and the request is sent again.
	Tokens spine.TokenSource
	// Access says which mode Tokens is; a *spine.AppRestricted Tokens makes
	// it AppRestricted whatever is set here. Calls to an endpoint the mode
	// does not allow are refused before sending (*RefusedError).
	Access Access
	// BusinessFunction is the user's e-RS role (NHSD-eRS-Business-Function)
	// and Organisation the ODS code it is held at
	// (NHSD-End-User-Organisation-ODS): pick them from BusinessFunctions
	// (A030). OnBehalfOfUserID is the SDS user id of the clinician a
	// SERVICE_PROVIDER_CLINICIAN_ADMIN acts for, and only then allowed.
	BusinessFunction BusinessFunction
	Organisation     nhsid.ODSCode
	OnBehalfOfUserID string

	// HTTPClient is the caller's client (TLS); nil means a default one.
	// It follows A042's 307 to the attachment store.
	HTTPClient *http.Client
	// Logger receives one record per attempt; nil means silent.
	Logger *slog.Logger
	// Limiter is shared by the clients that spend one application's
	// quota; when nil, RequestsPerSecond (default 10) and Burst make one.
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	// MaxAttempts caps attempts per call (default 4), 429 and 423 retries
	// included.
	MaxAttempts int
	// Timeout, when positive, bounds one HTTP call with its retries.
	Timeout time.Duration
	// Backoff is the wait before retry n (0-based) after a 429 or a 423;
	// default 1 s doubling (1, 2, 4 s …), as the specification asks, with
	// a little jitter.
	Backoff func(n int) time.Duration
}

// Client is an e-RS FHIR API client. It is safe for concurrent use.
type Client struct {
	base   string
	cfg    Config
	access Access
	http   *httpx.Client
}

// ErrConfig is returned by New for an unusable Config.
var ErrConfig = errors.New("ers: invalid config")

// New returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL must be an absolute URL", ErrConfig)
	}
	if cfg.Organisation != "" && !cfg.Organisation.Valid() {
		return nil, fmt.Errorf("%w: Organisation is not an ODS code", ErrConfig)
	}
	if cfg.RequestsPerSecond < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: RequestsPerSecond, Burst, MaxAttempts and Timeout must not be negative", ErrConfig)
	}
	if (cfg.BusinessFunction == ServiceProviderClinicianAdmin) != (cfg.OnBehalfOfUserID != "") {
		return nil, fmt.Errorf("%w: OnBehalfOfUserID is required with, and only allowed with, SERVICE_PROVIDER_CLINICIAN_ADMIN", ErrConfig)
	}
	access := cfg.Access
	switch cfg.Tokens.(type) {
	case *spine.AppRestricted:
		access = AppRestricted
	case *spine.UserRestricted:
		if access == AppRestricted {
			return nil, fmt.Errorf("%w: a spine.UserRestricted token source is not application-restricted", ErrConfig)
		}
	}
	rps := cfg.RequestsPerSecond
	if rps == 0 {
		rps = DefaultRequestsPerSecond
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 4
	}
	return &Client{
		base:   strings.TrimSuffix(cfg.BaseURL, "/"),
		cfg:    cfg,
		access: access,
		http: platform.New(platform.Options{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
			Limiter: cfg.Limiter, RequestsPerSecond: rps, Burst: cfg.Burst,
			MaxAttempts: cfg.MaxAttempts, Timeout: cfg.Timeout,
			// The bearer token, renewed once on a 401 when Tokens is a
			// spine.Renewer (spine.UserRestricted is).
			Tokens: cfg.Tokens,
		}),
	}, nil
}

// WithBusinessFunction returns a copy of c acting in another role (and,
// for SERVICE_PROVIDER_CLINICIAN_ADMIN, on behalf of onBehalfOf), sharing
// c's transport and rate limit.
func (c *Client) WithBusinessFunction(bf BusinessFunction, org nhsid.ODSCode, onBehalfOf string) (*Client, error) {
	if (bf == ServiceProviderClinicianAdmin) != (onBehalfOf != "") {
		return nil, fmt.Errorf("%w: OnBehalfOfUserID is required with, and only allowed with, SERVICE_PROVIDER_CLINICIAN_ADMIN", ErrConfig)
	}
	if org != "" && !org.Valid() {
		return nil, fmt.Errorf("%w: Organisation is not an ODS code", ErrConfig)
	}
	d := *c
	d.cfg.BusinessFunction, d.cfg.Organisation, d.cfg.OnBehalfOfUserID = bf, org, onBehalfOf
	return &d, nil
}

// Endpoint describes one e-RS endpoint: its id, which business functions
// may call it (none listed: any, or no role header), and whether
// application-restricted access may.
type Endpoint struct {
	ID        string
	Name      string
	Roles     []BusinessFunction
	AppAccess bool
}

var (
	referrers = []BusinessFunction{ReferringClinician, ReferringClinicianAdmin}
	clinical  = []BusinessFunction{ReferringClinician, ReferringClinicianAdmin, ServiceProviderClinician, ServiceProviderClinicianAdmin}
	worklist  = []BusinessFunction{ServiceProviderClinician, ServiceProviderAdmin, ServiceProviderClinicianAdmin, ReferringClinician, ReferringClinicianAdmin, ReferringAdmin}
)

// Endpoints used by this client, with the roles and access modes of the
// specification (components/*/schemas/endpoints/aNNN-*.yaml, "Supported
// security patterns" and "Pre-requisites").
var (
	A004 = Endpoint{"A004", "retrieve reference data", clinical, true}
	A005 = Endpoint{"A005", "retrieve referral request", clinical, true}
	A007 = Endpoint{"A007", "retrieve clinical information", clinical, true}
	A008 = Endpoint{"A008", "retrieve worklist", worklist, true}
	A010 = Endpoint{"A010", "patient service search", referrers, false}
	A011 = Endpoint{"A011", "create referral", referrers, false}
	A012 = Endpoint{"A012", "maintain referral letter", referrers, false}
	A015 = Endpoint{"A015", "retrieve appointment slots", referrers, false}
	A016 = Endpoint{"A016", "book or defer appointment", referrers, false}
	A019 = Endpoint{"A019", "generate patient letter", referrers, false}
	A020 = Endpoint{"A020", "upload file", clinical, false}
	A029 = Endpoint{"A029", "available actions for user", clinical, true}
	A030 = Endpoint{"A030", "retrieve business functions", nil, false}
	A033 = Endpoint{"A033", "retrieve healthcare service", referrers, true}
	A034 = Endpoint{"A034", "update appointment", referrers, false}
	A035 = Endpoint{"A035", "search for healthcare services", referrers, true}
	A036 = Endpoint{"A036", "cancel referral", clinical, true}
	A037 = Endpoint{"A037", "retrieve healthcare service version (HEAD)", referrers, true}
	A038 = Endpoint{"A038", "retrieve appointment", clinical, false}
	A041 = Endpoint{"A041", "search service requests", clinical, false}
	A042 = Endpoint{"A042", "retrieve attachment", clinical, true}
)

// Allows reports whether a user in business function bf may call the
// endpoint (an endpoint with no roles listed takes any).
func (ep Endpoint) Allows(bf BusinessFunction) bool {
	return len(ep.Roles) == 0 || slices.Contains(ep.Roles, bf)
}

// check refuses locally what e-RS would refuse: an endpoint closed to the
// access mode or to the business function.
func (c *Client) check(ep Endpoint) error {
	if c.access == AppRestricted && !ep.AppAccess {
		return &RefusedError{Endpoint: ep.ID, Err: ErrUserRestrictedOnly}
	}
	if c.access == UserRestricted && len(ep.Roles) > 0 {
		if c.cfg.BusinessFunction == "" {
			return &RefusedError{Endpoint: ep.ID, Err: ErrNoBusinessFunction}
		}
		if !ep.Allows(c.cfg.BusinessFunction) {
			return &RefusedError{Endpoint: ep.ID, Role: c.cfg.BusinessFunction, Err: ErrRoleNotAllowed}
		}
	}
	return nil
}

// call is one request to an endpoint.
type call struct {
	ep      Endpoint
	method  string
	path    string // after the base, e.g. "/STU3/Slot"
	query   url.Values
	body    []byte
	ctype   string
	accept  string
	ifMatch string // the version for If-Match W/"n", "" for none
	header  http.Header
	noRoles bool // A030: no role headers
	// retrySafe marks a POST that reads and changes nothing (A008, A010,
	// A007), which the transport may send again.
	retrySafe bool
}

func (c *Client) newRequest(ctx context.Context, k *call) (*httpx.Request, error) {
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	req := httpx.NewRequest(k.method, u, k.body)
	req.RetrySafe = k.retrySafe
	accept := k.accept
	if accept == "" {
		accept = "application/fhir+json"
	}
	req.Header.Set("Accept", accept)
	if k.body != nil {
		ct := k.ctype
		if ct == "" {
			ct = "application/fhir+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	// The R4 endpoints refuse the role and organisation headers from an
	// application-restricted caller ("Not allowed for
	// application-restricted access", r4 headers/request/*OnlyUserRestricted.yaml).
	userHeaders := !(c.access == AppRestricted && strings.HasPrefix(k.path, "/R4/"))
	if !k.noRoles && userHeaders {
		if c.cfg.BusinessFunction != "" {
			req.Header.Set("NHSD-eRS-Business-Function", string(c.cfg.BusinessFunction))
		}
		if c.cfg.OnBehalfOfUserID != "" {
			req.Header.Set("NHSD-eRS-On-Behalf-Of-User-ID", c.cfg.OnBehalfOfUserID)
		}
	}
	if c.cfg.Organisation != "" && userHeaders {
		req.Header.Set("NHSD-End-User-Organisation-ODS", string(c.cfg.Organisation))
	}
	if k.ifMatch != "" {
		req.Header.Set("If-Match", `W/"`+k.ifMatch+`"`)
	}
	for h, v := range k.header {
		req.Header[h] = v
	}
	return req, nil
}

func (c *Client) backoff(n int) time.Duration {
	if c.cfg.Backoff != nil {
		return c.cfg.Backoff(n)
	}
	d := time.Second << min(n, 6)
	return d + rand.N(d/10+1)
}

// do sends k and returns the answer. Non-idempotent requests (POST) that
// get 429 are sent again after the exponential backoff the specification
// asks for (e-RS did not process them); GET and PUT are retried by the
// transport on 429, 502, 503 and 504.
func (c *Client) do(ctx context.Context, k *call) (*httpx.Response, error) {
	if ctx == nil {
		return nil, errors.New("ers: nil context")
	}
	if err := c.check(k.ep); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, k)
		if err != nil {
			return nil, err
		}
		resp, err := c.http.Do(ctx, req, nil)
		if err == nil {
			return resp, nil
		}
		var ae *spine.APIError
		if !errors.As(err, &ae) {
			return resp, c.wrap(k.ep, err)
		}
		if ae.StatusCode == http.StatusTooManyRequests && k.method == http.MethodPost && !k.retrySafe && attempt+1 < c.cfg.MaxAttempts {
			if !sleep(ctx, c.retryWait(resp, attempt)) {
				return resp, ctx.Err()
			}
			continue
		}
		return resp, c.wrap(k.ep, err)
	}
}

// wrap turns a transport error into an *Error (an answer) or an error
// naming the endpoint.
func (c *Client) wrap(ep Endpoint, err error) error {
	var ae *spine.APIError
	if errors.As(err, &ae) {
		return &Error{Endpoint: ep.ID, APIError: ae}
	}
	return fmt.Errorf("ers: %s: %w", ep.ID, err)
}

func (c *Client) retryWait(resp *httpx.Response, attempt int) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 && s <= 60 {
			return time.Duration(s) * time.Second
		}
	}
	return c.backoff(attempt)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// RetryLocked runs fn with the referral's current version (A005) and, while
// fn fails with ErrLocked (423: another user or system is updating the
// referral), reads the referral again and retries after Backoff, as the
// specification asks, up to MaxAttempts times. Any other outcome of fn is
// returned as it is.
func (c *Client) RetryLocked(ctx context.Context, ubrn string, fn func(ctx context.Context, r *Referral) error) error {
	for attempt := 0; ; attempt++ {
		r, err := c.Referral(ctx, ubrn)
		if err != nil {
			return err
		}
		err = fn(ctx, r)
		if !errors.Is(err, ErrLocked) || attempt+1 >= c.cfg.MaxAttempts {
			return err
		}
		if !sleep(ctx, c.backoff(attempt)) {
			return ctx.Err()
		}
	}
}
