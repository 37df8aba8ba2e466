package mesh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
)

// DefaultChunkSize is the chunk size used when Config.ChunkSize is zero.
const DefaultChunkSize = 20 << 20

// Defaults for Config's timeouts.
const (
	DefaultTimeout      = 10 * time.Minute
	DefaultStallTimeout = time.Minute
	DefaultAckTimeout   = 30 * time.Second
)

// Config configures a Client.
type Config struct {
	BaseURL   string // e.g. IntegrationURL, or a meshtest server's URL
	Mailbox   string
	Password  string // never logged or put in errors
	SharedKey string // the environment's shared key for the auth MAC
	// HTTPClient carries the client certificate (MESH uses mutual TLS).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// ChunkSize is the most uncompressed content one request carries
	// (default 20 MiB; MESH accepts at most 100 MB a request).
	ChunkSize int64
	// TempDir holds spooled content while it is chunked or downloaded, so
	// memory stays constant whatever the size (default os.TempDir()).
	TempDir string
	// StateDir, when set, makes transfers durable across restarts: Send
	// writes an outbox record there before its first request and updates
	// it as chunks are accepted, so Send called again with the same
	// LocalID resumes instead of sending a second copy; downloads keep
	// each received chunk there until the message is acknowledged, so a
	// restarted Receive fetches only the chunks it lacks.
	StateDir string
	// RequestsPerSecond limits this client (0: no limit).
	RequestsPerSecond float64
	// MaxAttempts caps retries of each request (default 5).
	MaxAttempts int
	// Timeout bounds each request, body included (default 10 minutes).
	Timeout time.Duration
	// StallTimeout ends a download whose body delivers nothing for this
	// long (default one minute); the chunk is then fetched again.
	StallTimeout time.Duration
	// AckTimeout bounds the acknowledgement of a stored message, which is
	// sent even when the caller's context is already cancelled (default
	// 30 seconds), so a shutdown does not leave a stored message to be
	// delivered again.
	AckTimeout time.Duration
	// PlainDownloads stops asking for gzip transfer encoding on downloads
	// (no Accept-Encoding: gzip). MESH then sends every chunk plain,
	// decompressing those sent compressed, instead of compressing plain
	// ones on the fly: less CPU on both sides, more bytes on the wire.
	PlainDownloads bool
	// ReportHandler receives report messages (non-delivery and other
	// status reports MESH sends to a sender's inbox). One is acknowledged
	// only when ReportHandler returns nil; when ReportHandler is nil,
	// reports stay in the inbox untouched and data handlers never see
	// them.
	ReportHandler Handler
	// Progress, when set, is called after each chunk sent or received.
	Progress func(Progress)
	Now      func() time.Time
}

// Progress reports a transfer's advance.
type Progress struct {
	Op        string // "send" or "receive"
	MessageID string
	Chunk     int
	Chunks    int
	Bytes     int64 // content bytes moved so far (uncompressed)
	Total     int64
}

// Client talks to one mailbox. It is safe for concurrent use.
type Client struct {
	cfg  Config
	root string // base URL + "/messageexchange/"
	base string // root + mailbox + "/"
	http *httpx.Client
	now  func() time.Time
}

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("mesh: invalid config")

// New returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.Mailbox == "" || cfg.Password == "" || cfg.SharedKey == "" {
		return nil, fmt.Errorf("%w: base url, mailbox, password and shared key are required", ErrConfig)
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ChunkSize > 100_000_000 {
		return nil, fmt.Errorf("%w: chunk size %d exceeds MESH's 100 MB a request", ErrConfig, cfg.ChunkSize)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	cfg.Mailbox = strings.ToUpper(cfg.Mailbox)
	root := strings.TrimRight(cfg.BaseURL, "/") + "/messageexchange/"
	return &Client{
		cfg:  cfg,
		root: root,
		base: root + url.PathEscape(cfg.Mailbox) + "/",
		now:  now,
		http: httpx.New(httpx.Config{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger, RequestsPerSecond: cfg.RequestsPerSecond,
			MaxAttempts: cfg.MaxAttempts, BackoffMin: 100 * time.Millisecond, BackoffMax: 5 * time.Second,
			UserAgent: "nhskit-mesh",
			// MESH's error bodies become *APIError on every path, streams
			// included; the operation is named by the caller.
			CheckResponse: func(r *httpx.Response) error {
				e := parseAPIError("", r.StatusCode, r.Body)
				e.RequestID = r.RequestID
				return e
			},
		}),
	}, nil
}

// request prepares a request on the client's mailbox (path relative to
// it) whose Authorization header is made afresh, with a new nonce, for
// every attempt.
func (c *Client) request(method, path string) *httpx.Request {
	return c.requestURL(method, c.base+path)
}

func (c *Client) requestURL(method, u string) *httpx.Request {
	req := httpx.NewRequest(method, u, nil)
	req.Header.Set("Accept", MediaTypeV2)
	req.PerAttempt = func(h http.Header) {
		h.Set("Authorization", AuthHeader(c.cfg.Mailbox, c.cfg.Password, c.cfg.SharedKey, httpx.NewUUID(), 0, c.now()))
	}
	return req
}

func (c *Client) do(ctx context.Context, op string, req *httpx.Request) (*httpx.Response, error) {
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		resp, err := c.http.Do(rctx, req, nil)
		cancel()
		if err == nil {
			return resp, nil
		}
		ae := asAPIError(op, err)
		if ae == nil {
			return nil, fmt.Errorf("mesh: %s: %w", op, err)
		}
		// Go's transport replays an idempotent request, headers and all,
		// when a kept-alive connection breaks before the answer; MESH then
		// refuses the repeated nonce. Such a request was already processed
		// or never was, and asking again with a fresh nonce is safe.
		if ae.StatusCode == http.StatusForbidden && strings.Contains(ae.Description, "Duplicated Authentication Token") &&
			attempt < c.cfg.MaxAttempts && (req.Method != http.MethodPost || req.RetrySafe) {
			continue
		}
		return nil, ae
	}
}

// asAPIError returns err's *APIError, named for op, or nil.
func asAPIError(op string, err error) *APIError {
	var ae *APIError
	if !errors.As(err, &ae) {
		return nil
	}
	named := *ae
	named.Op = op
	return &named
}

// Handshake validates the mailbox (MESH asks clients to do so once a day)
// and reports the client's platform: POST /messageexchange/{mailbox}.
func (c *Client) Handshake(ctx context.Context) error {
	req := c.requestURL(http.MethodPost, c.root+url.PathEscape(c.cfg.Mailbox))
	req.Header.Set("mex-ClientVersion", "nhskit/"+httpx.Version)
	req.Header.Set("mex-OSName", runtime.GOOS)
	req.Header.Set("mex-OSArchitecture", runtime.GOARCH)
	req.Header.Set("mex-OSVersion", runtime.Version())
	req.RetrySafe = true // a handshake changes nothing
	_, err := c.do(ctx, "handshake", req)
	return err
}

// Ping checks that MESH answers, without authenticating:
// GET /messageexchange/_ping.
func (c *Client) Ping(ctx context.Context) error {
	req := httpx.NewRequest(http.MethodGet, c.root+"_ping", nil)
	_, err := c.do(ctx, "ping", req)
	return err
}

// Count returns how many messages wait in the inbox (GET .../count, which
// the specification marks deprecated; Inbox is the way to list them).
func (c *Client) Count(ctx context.Context) (int, error) {
	resp, err := c.do(ctx, "count", c.request(http.MethodGet, "count"))
	if err != nil {
		return 0, err
	}
	var r struct {
		Count *int `json:"count"`
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil || r.Count == nil {
		return 0, fmt.Errorf("mesh: count: response has no count")
	}
	return *r.Count, nil
}

func (c *Client) progress(p Progress) {
	if c.cfg.Progress != nil {
		c.cfg.Progress(p)
	}
}

func (c *Client) logger() *slog.Logger {
	if c.cfg.Logger != nil {
		return c.cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Endpoint is a mailbox found by lookup.
type Endpoint struct {
	MailboxID   string `json:"mailbox_id"`
	MailboxName string `json:"mailbox_name"`
}

// LookupEndpoint finds the mailboxes registered for an ODS code and
// workflow.
func (c *Client) LookupEndpoint(ctx context.Context, ods, workflowID string) ([]Endpoint, error) {
	return c.lookup(ctx, "endpointlookup/"+url.PathEscape(ods)+"/"+url.PathEscape(workflowID))
}

// SearchWorkflow finds the mailboxes that receive a workflow.
func (c *Client) SearchWorkflow(ctx context.Context, workflowID string) ([]Endpoint, error) {
	return c.lookup(ctx, "workflowsearch/"+url.PathEscape(workflowID))
}

func (c *Client) lookup(ctx context.Context, path string) ([]Endpoint, error) {
	// MESH does not demand authentication here; NHS England's client
	// sends it anyway, and so does this one.
	resp, err := c.do(ctx, "lookup", c.requestURL(http.MethodGet, c.root+path))
	if err != nil {
		return nil, err
	}
	var r struct {
		Results []Endpoint `json:"results"`
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		return nil, fmt.Errorf("mesh: lookup: %w", err)
	}
	return r.Results, nil
}
