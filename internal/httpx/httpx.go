package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// Version is the nhskit version sent in the User-Agent header (and MESH's
// mex-ClientVersion). It is the one place the version is written.
const Version = "0.1.0"

// Defaults used when a Config field is zero.
const (
	DefaultMaxAttempts      = 4
	DefaultMaxElapsed       = 60 * time.Second
	DefaultBackoffMin       = 200 * time.Millisecond
	DefaultBackoffMax       = 10 * time.Second
	DefaultMaxRetryAfter    = 60 * time.Second
	DefaultMaxResponseBytes = 16 << 20
	// ErrorBodyBytes is how much of a failed response's body a StatusError
	// keeps.
	ErrorBodyBytes = 64 << 10
)

// Sentinel errors, found with errors.Is.
var (
	// ErrStatus is wrapped by every *StatusError.
	ErrStatus = errors.New("unsuccessful http status")
	// ErrResponseTooLarge is returned when a body exceeds MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response body exceeds the size limit")
	// ErrRetryBudget is wrapped when retrying stopped because the attempt
	// cap, the total time cap or the context deadline left no room.
	ErrRetryBudget = errors.New("retry budget exhausted")
	// ErrDecode is wrapped when Do cannot decode a 2xx answer into v.
	ErrDecode = errors.New("decoding the answer")
)

// Config configures a Client. The zero value is usable: no rate limit, the
// default retry policy, a silent logger and a default *http.Client.
type Config struct {
	// HTTPClient is the caller's client: its transport carries TLS and
	// client certificates (mTLS). When its Transport is an *http.Transport
	// whose MinVersion is below TLS 1.2, a clone with TLS 1.2 as the floor is
	// used instead. Nil means a clone of http.DefaultTransport.
	HTTPClient *http.Client

	// RequestsPerSecond and Burst set a client-side token bucket that every
	// attempt (retries included) waits on. Zero RequestsPerSecond means no
	// limit. Limiter, if set, is used instead and may be shared between
	// clients that share a quota: reservations on every limiter are taken
	// in time order (see wait), so a shared limiter holds its rate however
	// many clients and goroutines use it.
	RequestsPerSecond float64
	Burst             int
	Limiter           *rate.Limiter

	// MaxAttempts caps attempts per request, the first included (default 4;
	// 1 disables retries). MaxElapsed caps the time from the first attempt
	// after which no retry starts (default 60s).
	MaxAttempts int
	MaxElapsed  time.Duration

	// BackoffMin and BackoffMax bound the exponential backoff; the wait
	// before retry n is a random duration in [0, min(BackoffMax,
	// BackoffMin*2^n)] (full jitter). MaxRetryAfter caps a server's
	// Retry-After: a longer one is not waited for and the response is
	// returned to the caller.
	BackoffMin    time.Duration
	BackoffMax    time.Duration
	MaxRetryAfter time.Duration

	// Backoff, if set, replaces the default backoff. It is given the
	// attempt number (0 for the first retry) and the response, if any;
	// Retry-After still takes precedence.
	Backoff func(min, max time.Duration, attempt int, resp *http.Response) time.Duration

	// MaxResponseBytes caps bodies read by Do (default 16 MiB).
	MaxResponseBytes int64

	// Timeout, when positive, bounds one call of Do: every attempt, wait
	// and backoff included. DoStream ignores it (the body is read after
	// DoStream returns).
	Timeout time.Duration

	// CheckResponse turns a response whose status is not 2xx into the
	// service's typed error. It is given the response record with at most
	// ErrorBodyBytes of the body. Nil means a *StatusError.
	CheckResponse func(*Response) error

	// UserAgent is sent before "nhskit/<version>" when set, e.g.
	// "my-service/1.2".
	UserAgent string

	// Logger receives one record per attempt at Debug level (Warn for
	// retries and failures). Nil means silent.
	Logger *slog.Logger

	// Authorize, when set, puts the credentials on every call (a Request's
	// own Authorize takes precedence). It is called once before the first
	// attempt with renew false and, when the service answers 401, once more
	// with renew true: it should then drop the refused credentials and set
	// new ones, and the request is sent once more (whatever its method: a
	// 401 means it was not processed). Returning ErrNotRenewed from the
	// renewal hands the 401 to the caller unchanged.
	Authorize AuthorizeFunc
}

// AuthorizeFunc sets the credentials of a request in h; see
// Config.Authorize.
type AuthorizeFunc func(ctx context.Context, h http.Header, renew bool) error

// ErrNotRenewed is returned by an AuthorizeFunc that cannot renew the
// credentials a service refused (a static token, say): the 401 is then the
// call's answer.
var ErrNotRenewed = errors.New("credentials cannot be renewed")

// ErrCredentials is wrapped, with the AuthorizeFunc's own error, when the
// credentials could not be had: the call's error is then not the
// service's answer.
var ErrCredentials = errors.New("getting the credentials")

// Client sends requests with rate limiting, retries and logging. It is safe
// for concurrent use.
type Client struct {
	rc          *retryablehttp.Client
	limiter     *rate.Limiter
	logger      *slog.Logger
	userAgent   string
	maxAttempts int
	maxElapsed  time.Duration
	backoffMin  time.Duration
	backoffMax  time.Duration
	maxRetryAft time.Duration
	maxBody     int64
	timeout     time.Duration
	check       func(*Response) error
	authorize   AuthorizeFunc
	backoff     func(min, max time.Duration, attempt int, resp *http.Response) time.Duration
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		logger:      cfg.Logger,
		maxAttempts: orDefault(cfg.MaxAttempts, DefaultMaxAttempts),
		maxElapsed:  orDefault(cfg.MaxElapsed, DefaultMaxElapsed),
		backoffMin:  orDefault(cfg.BackoffMin, DefaultBackoffMin),
		backoffMax:  orDefault(cfg.BackoffMax, DefaultBackoffMax),
		maxRetryAft: orDefault(cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		maxBody:     orDefault(cfg.MaxResponseBytes, DefaultMaxResponseBytes),
		backoff:     cfg.Backoff,
		timeout:     cfg.Timeout,
		check:       cfg.CheckResponse,
		authorize:   cfg.Authorize,
		userAgent:   "nhskit/" + Version,
	}
	if cfg.UserAgent != "" {
		c.userAgent = cfg.UserAgent + " " + c.userAgent
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.backoff == nil {
		c.backoff = DefaultBackoff
	}
	switch {
	case cfg.Limiter != nil:
		c.limiter = cfg.Limiter
	case cfg.RequestsPerSecond > 0:
		burst := cfg.Burst
		if burst <= 0 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), burst)
	}

	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	hc := *base // shallow copy: the caller's client is never modified
	hc.Transport = &transport{base: tlsFloor(base.Transport), c: c}

	c.rc = &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil, // retryablehttp would log full URLs; we log ourselves
		RetryWaitMin: c.backoffMin,
		RetryWaitMax: c.backoffMax,
		RetryMax:     c.maxAttempts - 1,
		CheckRetry:   c.checkRetry,
		Backoff: func(_, _ time.Duration, _ int, resp *http.Response) time.Duration {
			// checkRetry has already decided the wait and stored it.
			if resp != nil {
				if st := stateFrom(resp.Request.Context()); st != nil {
					return st.nextWait
				}
			}
			return 0
		},
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if st := stateFrom(req.Context()); st != nil {
				st.attempt = st.base + attempt + 1
			}
		},
	}
	return c
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// tlsFloor returns rt, or for an *http.Transport (or nil, meaning the
// default transport) whose minimum TLS version is below 1.2, a clone with
// TLS 1.2 as the floor.
func tlsFloor(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt
	}
	if t.TLSClientConfig != nil && t.TLSClientConfig.MinVersion >= tls.VersionTLS12 {
		return t
	}
	t = t.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.MinVersion = tls.VersionTLS12
	return t
}

// Request is one logical request, sent in one or more attempts.
type Request struct {
	Method string
	URL    string
	Header http.Header

	// Body is sent with every attempt. For large bodies set GetBody
	// instead, which must return a fresh reader each time it is called.
	Body    []byte
	GetBody func() (io.Reader, error)

	// IdempotencyKey, when set, marks a non-idempotent request (POST,
	// PATCH) as safe to retry and is sent as the Idempotency-Key header
	// unless IdempotencyHeader names another header ("" sends none).
	IdempotencyKey    string
	IdempotencyHeader string
	// RetrySafe marks a non-idempotent request as safe to retry without a
	// key, for protocols that deduplicate by other means.
	RetrySafe bool

	// PerAttempt, when set, is called with each attempt's headers just
	// before it is sent, for values that must be fresh every time (MESH's
	// nonce-bearing Authorization header).
	PerAttempt func(h http.Header)

	// Authorize, when set, replaces the client's Config.Authorize for this
	// request.
	Authorize AuthorizeFunc
}

// NewRequest returns a Request with an empty header.
func NewRequest(method, rawURL string, body []byte) *Request {
	return &Request{Method: method, URL: rawURL, Header: make(http.Header), Body: body}
}

// Response is the record of one call: what came back and how it went. Do
// returns it with its error too, whenever a response or an attempt was
// made, so that a failed call's request id can be reported.
type Response struct {
	// StatusCode is 0 when no response arrived (a transport error).
	StatusCode int
	Header     http.Header
	// Body is the whole body of a 2xx answer, and at most ErrorBodyBytes
	// of any other.
	Body []byte
	// RequestID is the X-Request-ID of the last attempt, CorrelationID the
	// X-Correlation-ID sent ("" when none), Attempts the attempts made.
	RequestID     string
	CorrelationID string
	Attempts      int
	// RateLimitWait is the time spent waiting on the rate limiter, all
	// attempts together.
	RateLimitWait time.Duration
}

// StatusError is the error for a response whose status is not 2xx (after
// retries, if any) when the client has no CheckResponse.
type StatusError struct {
	Method     string
	Path       string // the request path with NHS numbers masked, no query
	StatusCode int
	Header     http.Header
	// Body is at most ErrorBodyBytes of the response body. It is never
	// included in Error().
	Body      []byte
	RequestID string
	Attempts  int
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d after %d attempt(s) (request id %s)",
		e.Method, e.Path, e.StatusCode, e.Attempts, e.RequestID)
}

// Unwrap makes errors.Is(err, ErrStatus) true.
func (e *StatusError) Unwrap() error { return ErrStatus }

// Do sends req, reads the whole response body (up to MaxResponseBytes) and,
// when v is not nil, decodes it as JSON into v. A non-2xx status after
// retries is passed to the client's CheckResponse, whose error Do returns
// (a *StatusError without one). The *Response is returned with the error
// too, unless nothing was attempted.
func (c *Client) Do(ctx context.Context, req *Request, v any) (*Response, error) {
	if ctx != nil && c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	resp, rec, err := c.send(ctx, req)
	if err != nil {
		return rec, err
	}
	defer resp.Body.Close()
	defer record(ctx, rec)
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return rec, fmt.Errorf("%s %s: reading body: %w", req.Method, RedactPath(resp.Request.URL), err)
	}
	if int64(len(body)) > c.maxBody {
		return rec, fmt.Errorf("%w (%d bytes) on %s %s", ErrResponseTooLarge, c.maxBody, req.Method, RedactPath(resp.Request.URL))
	}
	rec.Body = body
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			return rec, fmt.Errorf("%s %s: %w: %w", req.Method, RedactPath(resp.Request.URL), ErrDecode, err)
		}
	}
	return rec, nil
}

// DoStream sends req and returns the response with its body unread, for
// large downloads; the caller must close the body. A non-2xx status is
// handled as by Do.
func (c *Client) DoStream(ctx context.Context, req *Request) (*http.Response, error) {
	resp, rec, err := c.send(ctx, req)
	if err == nil {
		record(ctx, rec)
	}
	return resp, err
}

type recorderKey struct{}

// WithRecorder returns a context whose calls hand their *Response to fn
// when they end, successful or not. It is how a client lets its caller see
// the record of a call whose method returns only a decoded result.
func WithRecorder(ctx context.Context, fn func(*Response)) context.Context {
	return context.WithValue(ctx, recorderKey{}, fn)
}

// Record hands rec to the recorder of ctx, if it has one (see
// WithRecorder): for a call made on another context on this one's behalf.
func Record(ctx context.Context, rec *Response) { record(ctx, rec) }

func record(ctx context.Context, rec *Response) {
	if ctx == nil || rec == nil {
		return
	}
	if fn, ok := ctx.Value(recorderKey{}).(func(*Response)); ok && fn != nil {
		fn(rec)
	}
}

// send runs the attempts. It returns the record of the call whenever an
// attempt was made, and the open response only on a 2xx.
func (c *Client) send(ctx context.Context, req *Request) (*http.Response, *Response, error) {
	if ctx == nil {
		return nil, nil, errors.New("nil context")
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		// url.Parse errors quote the whole URL; keep it out of the message.
		return nil, nil, fmt.Errorf("%s: malformed url", req.Method)
	}
	st := &callState{start: time.Now(), idempotent: isIdempotent(req), perAttempt: req.PerAttempt}
	ctx = context.WithValue(ctx, stateKey{}, st)

	var body any
	switch {
	case req.GetBody != nil:
		body = retryablehttp.ReaderFunc(req.GetBody)
	case req.Body != nil:
		body = req.Body
	}
	header := make(http.Header, len(req.Header)+3)
	for k, vs := range req.Header {
		header[k] = append([]string(nil), vs...)
	}
	header.Set("User-Agent", c.userAgent)
	if id := CorrelationID(ctx); id != "" {
		header.Set("X-Correlation-ID", id)
	}
	correlationID := header.Get("X-Correlation-ID")
	if req.IdempotencyKey != "" && req.IdempotencyHeader != "-" {
		h := req.IdempotencyHeader
		if h == "" {
			h = "Idempotency-Key"
		}
		header.Set(h, req.IdempotencyKey)
	}
	authorize := c.authorize
	if req.Authorize != nil {
		authorize = req.Authorize
	}
	if authorize != nil {
		if err := authorize(ctx, header, false); err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w: %w", req.Method, RedactPath(u), ErrCredentials, err)
		}
	}

	var resp *http.Response
	var doErr error
	for renewed := false; ; renewed = true {
		rreq, err := retryablehttp.NewRequestWithContext(ctx, req.Method, u.String(), body)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", req.Method, RedactPath(u), err)
		}
		rreq.Header = header.Clone()
		resp, doErr = c.rc.Do(rreq)
		if doErr != nil || resp.StatusCode != http.StatusUnauthorized || authorize == nil || renewed {
			break
		}
		// The service refused the credentials: renew them once and send
		// the request again.
		aerr := authorize(ctx, header, true)
		if errors.Is(aerr, ErrNotRenewed) {
			break
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, ErrorBodyBytes))
		resp.Body.Close()
		if aerr != nil {
			rec := &Response{RequestID: st.requestID, CorrelationID: correlationID, Attempts: st.attempt,
				StatusCode: resp.StatusCode, Header: resp.Header, RateLimitWait: time.Duration(st.limitWait.Load())}
			record(ctx, rec)
			return nil, rec, fmt.Errorf("%s %s: status 401, renewing: %w: %w", req.Method, RedactPath(u), ErrCredentials, aerr)
		}
		st.base = st.attempt
	}
	rec := &Response{
		RequestID:     st.requestID,
		CorrelationID: correlationID,
		Attempts:      st.attempt,
		RateLimitWait: time.Duration(st.limitWait.Load()),
	}
	if err := doErr; err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		if st.attempt == 0 {
			rec = nil
		}
		record(ctx, rec)
		return nil, rec, c.wrapTransportError(req.Method, u, st, err)
	}
	rec.StatusCode, rec.Header = resp.StatusCode, resp.Header
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		rec.Body, _ = io.ReadAll(io.LimitReader(resp.Body, ErrorBodyBytes))
		record(ctx, rec)
		if c.check != nil {
			return nil, rec, c.check(rec)
		}
		ra, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, rec, &StatusError{
			Method:     req.Method,
			Path:       RedactPath(u),
			StatusCode: resp.StatusCode,
			Header:     resp.Header,
			Body:       rec.Body,
			RequestID:  st.requestID,
			Attempts:   st.attempt,
			RetryAfter: ra,
		}
	}
	return resp, rec, nil
}

func (c *Client) wrapTransportError(method string, u *url.URL, st *callState, err error) error {
	// *url.Error repeats the full URL, query included: keep only its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if st.budgetErr != nil {
		return fmt.Errorf("%s %s after %d attempt(s): %w: %w", method, RedactPath(u), st.attempt, st.budgetErr, err)
	}
	return fmt.Errorf("%s %s after %d attempt(s): %w", method, RedactPath(u), st.attempt, err)
}

func isIdempotent(req *Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return req.IdempotencyKey != "" || req.RetrySafe
}

// callState follows one logical request through its attempts.
type callState struct {
	perAttempt func(h http.Header)
	start      time.Time
	idempotent bool
	attempt    int           // 1-based number of the attempt in flight
	base       int           // attempts made before the credentials were renewed
	requestID  string        // X-Request-ID of the latest attempt
	nextWait   time.Duration // decided by checkRetry, used by Backoff
	budgetErr  error         // why retrying stopped early, if it did
	limitWait  atomic.Int64  // nanoseconds waited on the limiter
}

type stateKey struct{}

func stateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

// retryableStatus reports whether a status is worth another attempt.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// checkRetry decides whether to retry and, if so, how long to wait first.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st := stateFrom(ctx)
	if st == nil {
		return false, nil
	}
	if err != nil {
		if retry, _ := retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err); !retry {
			return false, nil
		}
		// A transport error may come after the server received the
		// request, so only an idempotent request is sent again.
		if !st.idempotent && !notSent(err) {
			return false, nil
		}
	} else if !retryableStatus(resp.StatusCode) || !st.idempotent {
		return false, nil
	}

	if st.attempt >= c.maxAttempts {
		st.budgetErr = fmt.Errorf("%w: %d attempts", ErrRetryBudget, st.attempt)
		return false, nil
	}
	wait := c.backoff(c.backoffMin, c.backoffMax, st.attempt-1, resp)
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if ra > c.maxRetryAft {
				st.budgetErr = fmt.Errorf("%w: retry-after %s exceeds the cap", ErrRetryBudget, ra)
				return false, nil
			}
			wait = ra
		}
	}
	if time.Since(st.start)+wait > c.maxElapsed {
		st.budgetErr = fmt.Errorf("%w: total time cap %s", ErrRetryBudget, c.maxElapsed)
		return false, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		st.budgetErr = fmt.Errorf("%w: context deadline is sooner than the next attempt", ErrRetryBudget)
		return false, nil
	}
	st.nextWait = wait
	return true, nil
}

// notSent reports whether err shows that the request never reached the
// server (the connection was refused or could not be made), which makes a
// retry safe whatever the method.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// DefaultBackoff is capped exponential backoff with full jitter: a random
// wait in [0, min(max, min*2^attempt)], never less than min/2.
func DefaultBackoff(min, max time.Duration, attempt int, _ *http.Response) time.Duration {
	ceiling := max
	if attempt < 30 {
		if d := min << attempt; d > 0 && d < max {
			ceiling = d
		}
	}
	floor := min / 2
	if ceiling <= floor {
		return ceiling
	}
	return floor + rand.N(ceiling-floor+1)
}

// parseRetryAfter reads a Retry-After value as delay-seconds or as an
// HTTP-date relative to now. A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// transport is the per-attempt layer: rate limit, request id, logging.
type transport struct {
	base http.RoundTripper
	c    *Client
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := stateFrom(ctx)
	if t.c.limiter != nil {
		waited, err := wait(ctx, t.c.limiter)
		if st != nil {
			st.limitWait.Add(int64(waited))
		}
		if err != nil {
			return nil, fmt.Errorf("rate limiter: %w", err)
		}
	}
	req = req.Clone(ctx)
	// A caller that set X-Request-ID keeps it on every attempt: services
	// such as PDS de-duplicate a re-sent request by it.
	id := req.Header.Get("X-Request-ID")
	if id == "" {
		id = NewUUID()
		req.Header.Set("X-Request-ID", id)
	}
	attempt := 1
	if st != nil {
		st.requestID = id
		attempt = st.attempt
		if st.perAttempt != nil {
			st.perAttempt(req.Header)
		}
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	latency := time.Since(start)

	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", RedactPath(req.URL)),
		slog.Int("attempt", attempt),
		slog.Duration("latency", latency),
		slog.String("request_id", id),
	}
	if cid := req.Header.Get("X-Correlation-ID"); cid != "" {
		attrs = append(attrs, slog.String("correlation_id", cid))
	}
	switch {
	case err != nil:
		var ue *url.Error
		cause := err
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		attrs = append(attrs, slog.String("error", cause.Error()))
		t.c.logger.LogAttrs(ctx, slog.LevelWarn, "http attempt failed", attrs...)
	case resp.StatusCode >= 400:
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		t.c.logger.LogAttrs(ctx, slog.LevelWarn, "http attempt", attrs...)
	default:
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		t.c.logger.LogAttrs(ctx, slog.LevelDebug, "http attempt", attrs...)
	}
	return resp, err
}

// ReadAllLimited reads r up to limit bytes and reports ErrResponseTooLarge
// past it.
func ReadAllLimited(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrResponseTooLarge
	}
	return buf.Bytes(), nil
}

// reserveMu serialises reservations on every limiter in the process.
// rate.Limiter.Wait reads the clock before taking the limiter's own lock, so
// under contention a goroutine can reserve with a stale timestamp, which
// moves the bucket back in time and lets more than the rate through (6%
// over in a one-second window with 1,000 goroutines at 250 per second).
// Reading the clock under one lock keeps reservations in time order, for a
// limiter of one client or one shared by many. The lock is held only to
// reserve, never while waiting.
var reserveMu sync.Mutex

// testOnReserve, set only by tests, sees each reservation's departure time
// under reserveMu.
var testOnReserve func(at time.Time)

// wait blocks until the limiter allows one event or ctx ends, and returns
// how long it waited; an abandoned reservation is given back.
func wait(ctx context.Context, l *rate.Limiter) (time.Duration, error) {
	reserveMu.Lock()
	now := time.Now()
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if r.OK() && testOnReserve != nil {
		testOnReserve(now.Add(d))
	}
	reserveMu.Unlock()
	if !r.OK() {
		return 0, errors.New("request exceeds the limiter's burst")
	}
	if d == 0 {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		r.Cancel()
		return 0, context.DeadlineExceeded
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return d, nil
	case <-ctx.Done():
		r.Cancel()
		return time.Since(now), ctx.Err()
	}
}
