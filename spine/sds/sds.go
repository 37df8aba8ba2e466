package sds

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/internal/platform"
)

// Base URLs of the SDS FHIR API.
const (
	SandboxURL     = "https://sandbox.api.service.nhs.uk/spine-directory/FHIR/R4"
	IntegrationURL = "https://int.api.service.nhs.uk/spine-directory/FHIR/R4"
	ProductionURL  = "https://api.service.nhs.uk/spine-directory/FHIR/R4"
)

// Identifier systems SDS uses.
const (
	SystemODSCode       = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemInteractionID = "https://fhir.nhs.uk/Id/nhsServiceInteractionId"
	SystemASID          = "https://fhir.nhs.uk/Id/nhsSpineASID"
	SystemPartyKey      = "https://fhir.nhs.uk/Id/nhsMhsPartyKey"
)

// Sentinel errors for answers SDS gave successfully. An answer that is not
// a success is a *spine.APIError.
var (
	// ErrNotFound: SDS holds no system for the organisation and interaction.
	ErrNotFound = errors.New("sds: no accredited system for that organisation and interaction")
	// ErrAmbiguous: SDS holds several, and no party key narrows them.
	ErrAmbiguous = errors.New("sds: several accredited systems match; give a party key")
	// ErrInvalid: the query or the answer is malformed.
	ErrInvalid = errors.New("sds: invalid query or response")
	// ErrConfig is wrapped by New's errors.
	ErrConfig = errors.New("sds: invalid config")
)

// Config configures a Client.
type Config struct {
	BaseURL string // default SandboxURL
	APIKey  string // sent as the apikey header; never logged
	// CacheLifetime is how long answers are reused (default 1 hour;
	// negative disables caching). CacheSize bounds the entries kept
	// (default 1,024); the least recently used goes first.
	CacheLifetime time.Duration
	CacheSize     int
	Now           func() time.Time

	// HTTPClient is the caller's client (TLS, proxies); nil means a default
	// one. TLS 1.2 is the floor.
	HTTPClient *http.Client
	// Logger receives one record per attempt; nil means silent.
	Logger *slog.Logger
	// Limiter, when set, is the rate limit every attempt waits on; share
	// one between the clients that spend one application's quota. When
	// nil, RequestsPerSecond and Burst make one for this client (no limit
	// by default).
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	// MaxAttempts caps attempts per request (default 4).
	MaxAttempts int
	// Timeout, when positive, bounds one request, every attempt and wait
	// included.
	Timeout time.Duration
}

// String describes the Config without its API key, so that a Config can
// be printed with %v or %+v.
func (c Config) String() string {
	key := "unset"
	if c.APIKey != "" {
		key = "***"
	}
	return "sds.Config{base url " + c.BaseURL + ", api key " + key + "}"
}

// GoString hides the API key from %#v.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the API key out of logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// DefaultCacheSize is the number of look-ups a Client keeps by default.
const DefaultCacheSize = 1024

// Client looks up endpoints. It is safe for concurrent use: however many
// goroutines look up the same endpoint at once, SDS is asked once.
type Client struct {
	base    string
	apiKey  string
	http    *httpx.Client
	ttl     time.Duration
	size    int
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	cache   map[string]*list.Element // of *cached, most recently used first
	lru     *list.List
	flights map[string]*flight
}

type cached struct {
	key     string
	ep      Endpoint
	expires time.Time
}

// flight is a look-up in progress that callers with the same key wait for.
type flight struct {
	done chan struct{}
	ep   Endpoint
	err  error
	rec  *httpx.Response
}

// New returns a Client.
func New(cfg Config) (*Client, error) {
	base := cfg.BaseURL
	if base == "" {
		base = SandboxURL
	}
	if u, err := url.Parse(base); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL must be an absolute URL", ErrConfig)
	}
	if cfg.RequestsPerSecond < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0 || cfg.Timeout < 0 || cfg.CacheSize < 0 {
		return nil, fmt.Errorf("%w: RequestsPerSecond, Burst, MaxAttempts and Timeout must not be negative", ErrConfig)
	}
	ttl := cfg.CacheLifetime
	if ttl == 0 {
		ttl = time.Hour
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		base:   strings.TrimRight(base, "/"),
		apiKey: cfg.APIKey,
		http: platform.New(platform.Options{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
			Limiter: cfg.Limiter, RequestsPerSecond: cfg.RequestsPerSecond, Burst: cfg.Burst,
			MaxAttempts: cfg.MaxAttempts, Timeout: cfg.Timeout,
		}),
		ttl:     ttl,
		size:    cmp.Or(cfg.CacheSize, DefaultCacheSize),
		timeout: cfg.Timeout,
		now:     now,
		cache:   map[string]*list.Element{},
		lru:     list.New(),
		flights: map[string]*flight{},
	}, nil
}

// Endpoint is where an organisation's system answers an interaction.
type Endpoint struct {
	ODSCode     nhsid.ODSCode
	Interaction string
	Address     string // e.g. a GP Connect provider's FHIR service root URL
	ASID        string
	PartyKey    string
}

// Lookup returns the endpoint address and ASID of the system that serves
// interaction for the organisation ods. partyKey may be "" unless the
// organisation has several systems for the interaction.
func (c *Client) Lookup(ctx context.Context, ods nhsid.ODSCode, interaction, partyKey string) (Endpoint, error) {
	if !ods.Valid() {
		return Endpoint{}, fmt.Errorf("%w: ods code is not 1 to 9 upper-case letters and digits", ErrInvalid)
	}
	if interaction == "" {
		return Endpoint{}, fmt.Errorf("%w: empty interaction id", ErrInvalid)
	}
	key := string(ods) + "\x00" + interaction + "\x00" + partyKey
	c.mu.Lock()
	if el, ok := c.cache[key]; ok {
		hit := el.Value.(*cached)
		if c.now().Before(hit.expires) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return hit.ep, nil
		}
		c.lru.Remove(el)
		delete(c.cache, key)
	}
	f, ok := c.flights[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
		go c.run(ctx, key, f, ods, interaction, partyKey)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return Endpoint{}, ctx.Err()
	}
	if f.rec != nil {
		httpx.Record(ctx, f.rec)
	}
	return f.ep, f.err
}

// run makes the look-up for every caller waiting on f, on a context of its
// own (the first caller's values, not its deadline: its giving up must not
// fail the others), bounded by the client's Timeout for each request and
// a minute in all.
func (c *Client) run(ctx context.Context, key string, f *flight, ods nhsid.ODSCode, interaction, partyKey string) {
	fctx := httpx.WithRecorder(context.WithoutCancel(ctx), func(r *httpx.Response) { f.rec = r })
	fctx, cancel := context.WithTimeout(fctx, time.Minute)
	defer cancel()
	ep, err := c.lookup(fctx, ods, interaction, partyKey)
	c.mu.Lock()
	f.ep, f.err = ep, err
	delete(c.flights, key)
	if err == nil && c.ttl > 0 {
		c.cache[key] = c.lru.PushFront(&cached{key: key, ep: ep, expires: c.now().Add(c.ttl)})
		for c.lru.Len() > c.size {
			old := c.lru.Back()
			c.lru.Remove(old)
			delete(c.cache, old.Value.(*cached).key)
		}
	}
	c.mu.Unlock()
	close(f.done)
}

// lookup asks SDS: the Device search gives the ASID and the party key, and
// the Endpoint search, narrowed by that party key, the address.
func (c *Client) lookup(ctx context.Context, ods nhsid.ODSCode, interaction, partyKey string) (Endpoint, error) {
	devices, err := c.search(ctx, "Device", ods, interaction, partyKey)
	if err != nil {
		return Endpoint{}, err
	}
	ep := Endpoint{ODSCode: ods, Interaction: interaction, PartyKey: partyKey}
	switch len(devices) {
	case 0:
		return Endpoint{}, ErrNotFound
	case 1:
		ep.ASID = devices[0].identifier(SystemASID)
		if ep.PartyKey == "" {
			ep.PartyKey = devices[0].identifier(SystemPartyKey)
		}
	default:
		return Endpoint{}, ErrAmbiguous
	}
	endpoints, err := c.search(ctx, "Endpoint", ods, interaction, ep.PartyKey)
	if err != nil {
		return Endpoint{}, err
	}
	switch len(endpoints) {
	case 0:
		return Endpoint{}, ErrNotFound
	case 1:
		ep.Address = endpoints[0].Address
	default:
		return Endpoint{}, ErrAmbiguous
	}
	if ep.ASID == "" || ep.Address == "" {
		return Endpoint{}, fmt.Errorf("%w: answer lacks an asid or an address", ErrInvalid)
	}
	return ep, nil
}

type resource struct {
	ResourceType string `json:"resourceType"`
	Identifier   []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Address string `json:"address"`
}

func (r resource) identifier(system string) string {
	for _, id := range r.Identifier {
		if id.System == system {
			return id.Value
		}
	}
	return ""
}

func (c *Client) search(ctx context.Context, kind string, ods nhsid.ODSCode, interaction, partyKey string) ([]resource, error) {
	q := url.Values{}
	q.Set("organization", SystemODSCode+"|"+string(ods))
	q.Add("identifier", SystemInteractionID+"|"+interaction)
	if partyKey != "" {
		q.Add("identifier", SystemPartyKey+"|"+partyKey)
	}
	req := httpx.NewRequest(http.MethodGet, c.base+"/"+kind+"?"+q.Encode(), nil)
	req.Header.Set("Accept", "application/fhir+json")
	if c.apiKey != "" {
		req.Header.Set("apikey", c.apiKey)
	}
	if httpx.CorrelationID(ctx) == "" {
		req.Header.Set("X-Correlation-Id", httpx.NewUUID())
	}
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource resource `json:"resource"`
		} `json:"entry"`
	}
	if _, err := c.http.Do(ctx, req, &b); err != nil {
		var ae *spine.APIError
		if errors.As(err, &ae) {
			return nil, ae
		}
		if errors.Is(err, httpx.ErrDecode) {
			return nil, fmt.Errorf("%w: %s search did not return a Bundle", ErrInvalid, kind)
		}
		return nil, fmt.Errorf("sds: %s search: %w", kind, err)
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("%w: %s search did not return a Bundle", ErrInvalid, kind)
	}
	out := make([]resource, 0, len(b.Entry))
	for _, e := range b.Entry {
		if e.Resource.ResourceType == kind {
			out = append(out, e.Resource)
		}
	}
	return out, nil
}
