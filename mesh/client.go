package mesh

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
)

// DefaultChunkSize is the chunk size used when Config.ChunkSize is zero.
const DefaultChunkSize = 20 << 20

// Config configures a Client.
type Config struct {
	BaseURL   string // e.g. IntegrationURL, or a meshtest server's URL
	Mailbox   string
	Password  string // never logged or put in errors
	SharedKey string // the environment's shared key for the auth MAC
	// HTTPClient carries the client certificate (MESH uses mutual TLS).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// ChunkSize is the largest body one request carries (default 20 MiB;
	// MESH accepts at most 100 MiB).
	ChunkSize int64
	// TempDir holds spooled content while it is chunked or downloaded, so
	// memory stays constant whatever the size (default os.TempDir()).
	TempDir string
	// RequestsPerSecond limits this client (0: no limit).
	RequestsPerSecond float64
	// MaxAttempts caps retries of each request (default 5).
	MaxAttempts int
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
	Bytes     int64 // bytes moved so far (on the wire, compressed if so)
	Total     int64
}

// Client talks to one mailbox. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
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
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	cfg.Mailbox = strings.ToUpper(cfg.Mailbox)
	return &Client{
		cfg:  cfg,
		base: strings.TrimRight(cfg.BaseURL, "/") + "/messageexchange/",
		now:  now,
		http: httpx.New(httpx.Config{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger, RequestsPerSecond: cfg.RequestsPerSecond,
			MaxAttempts: cfg.MaxAttempts, BackoffMin: 100 * time.Millisecond, BackoffMax: 5 * time.Second,
			UserAgent: "nhskit-mesh",
		}),
	}, nil
}

// request prepares a request whose Authorization header is made afresh,
// with a new nonce, for every attempt.
func (c *Client) request(method, path string, body []byte) *httpx.Request {
	req := httpx.NewRequest(method, c.base+path, body)
	req.Header.Set("Accept", MediaTypeV2)
	req.PerAttempt = func(h http.Header) {
		h.Set("Authorization", AuthHeader(c.cfg.Mailbox, c.cfg.Password, c.cfg.SharedKey, httpx.NewUUID(), 0, c.now()))
	}
	return req
}

func (c *Client) do(ctx context.Context, op string, req *httpx.Request) (*httpx.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := c.http.Do(ctx, req, nil)
		if err == nil {
			return resp, nil
		}
		var se *httpx.StatusError
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("mesh: %s: %w", op, err)
		}
		ae := parseAPIError(op, se.StatusCode, se.Body)
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

// Handshake validates the mailbox (MESH asks clients to do so daily) and
// reports the client's platform.
func (c *Client) Handshake(ctx context.Context) error {
	req := c.request(http.MethodGet, url.PathEscape(c.cfg.Mailbox), nil)
	req.Header.Set("mex-ClientVersion", "nhskit/"+httpx.Version)
	req.Header.Set("mex-OSName", runtime.GOOS)
	req.Header.Set("mex-OSArchitecture", runtime.GOARCH)
	req.Header.Set("mex-OSVersion", runtime.Version())
	_, err := c.do(ctx, "handshake", req)
	return err
}

// Outbound is a message to send.
type Outbound struct {
	To          string // recipient mailbox id
	WorkflowID  string
	Subject     string
	FileName    string
	ContentType string
	// LocalID is the sender's own id for the message; it is how a lost
	// first response is resolved without sending twice. Send makes one
	// (a UUID) when it is empty.
	LocalID  string
	Compress bool // gzip the content on the way
	Body     io.Reader
}

// Send uploads a message in chunks and returns its MESH message id. The
// body is spooled to a temporary file first (computing its SHA-256 and,
// when asked, compressing it), so memory stays constant and every chunk
// can be resent. A failed chunk is resent, not the message; a first
// request whose answer is lost is looked up by local id through tracking
// before anything is sent again, so a message is never created twice.
func (c *Client) Send(ctx context.Context, m Outbound) (string, error) {
	if m.To == "" || m.WorkflowID == "" || m.Body == nil {
		return "", fmt.Errorf("%w: to, workflow id and body are required", ErrBadRequest)
	}
	if m.LocalID == "" {
		m.LocalID = httpx.NewUUID()
	}
	var f io.ReaderAt
	var size int64
	var sum string
	if ra, n, ok := sizedReaderAt(m.Body); ok && !m.Compress {
		// A file or in-memory body can be chunked in place: one reading
		// pass for the checksum, and no copy on disk.
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(ra, 0, n)); err != nil {
			return "", fmt.Errorf("mesh: reading the message body: %w", err)
		}
		f, size, sum = ra, n, hex.EncodeToString(h.Sum(nil))
	} else {
		tmp, n, s, err := c.spool(m.Body, m.Compress)
		if err != nil {
			return "", err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		f, size, sum = tmp, n, s
	}

	chunks := int((size + c.cfg.ChunkSize - 1) / c.cfg.ChunkSize)
	if chunks == 0 {
		chunks = 1
	}
	section := func(n int) (int64, int64) {
		off := int64(n-1) * c.cfg.ChunkSize
		return off, min(c.cfg.ChunkSize, size-off)
	}
	headers := func(req *httpx.Request, n int) {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("mex-Chunk-Range", strconv.Itoa(n)+":"+strconv.Itoa(chunks))
		if m.Compress {
			req.Header.Set("Content-Encoding", "gzip")
			req.Header.Set("mex-Content-Compressed", "Y")
		}
	}
	body := func(n int) func() (io.Reader, error) {
		off, length := section(n)
		return func() (io.Reader, error) { return io.NewSectionReader(f, off, length), nil }
	}

	// The first chunk creates the message. It is not retried blindly: on
	// a failure tracking tells whether it arrived.
	first := c.request(http.MethodPost, url.PathEscape(c.cfg.Mailbox)+"/outbox", nil)
	headers(first, 1)
	first.GetBody = body(1)
	first.Header.Set("mex-From", c.cfg.Mailbox)
	first.Header.Set("mex-To", m.To)
	first.Header.Set("mex-WorkflowID", m.WorkflowID)
	first.Header.Set("mex-LocalID", m.LocalID)
	first.Header.Set("mex-Content-Checksum", "sha256:"+sum)
	if m.Subject != "" {
		first.Header.Set("mex-Subject", m.Subject)
	}
	if m.FileName != "" {
		first.Header.Set("mex-FileName", m.FileName)
	}
	var id string
	for attempt := 1; ; attempt++ {
		resp, err := c.do(ctx, "send", first)
		if err == nil {
			var r struct {
				MessageID string `json:"message_id"`
			}
			if err := json.Unmarshal(resp.Body, &r); err != nil || r.MessageID == "" {
				return "", fmt.Errorf("mesh: send: response has no message id")
			}
			id = r.MessageID
			break
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests {
			return "", err // refused: sending again would be refused too
		}
		if ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
			return "", err
		}
		// Did the first attempt land? Ask before sending again, and never
		// send again on an answer that does not say "no".
		t, terr := c.findLocal(ctx, m.LocalID)
		if terr != nil {
			return "", fmt.Errorf("mesh: send: cannot tell whether the message arrived (local id %s), not resending: %w", m.LocalID, terr)
		}
		if t != nil {
			id = t.MessageID
			break
		}
	}
	c.progress(Progress{Op: "send", MessageID: id, Chunk: 1, Chunks: chunks, Bytes: min(size, c.cfg.ChunkSize), Total: size})
	for n := 2; n <= chunks; n++ {
		req := c.request(http.MethodPost, url.PathEscape(c.cfg.Mailbox)+"/outbox/"+url.PathEscape(id)+"/"+strconv.Itoa(n), nil)
		headers(req, n)
		req.GetBody = body(n)
		req.RetrySafe = true // a chunk resent replaces itself
		var err error
		for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
			if _, err = c.do(ctx, "send chunk", req); err == nil {
				break
			}
			var ae *APIError
			if ctx.Err() != nil || (errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests) {
				break
			}
		}
		if err != nil {
			return id, fmt.Errorf("mesh: message %s chunk %d of %d: %w", id, n, chunks, err)
		}
		off, length := section(n)
		c.progress(Progress{Op: "send", MessageID: id, Chunk: n, Chunks: chunks, Bytes: off + length, Total: size})
	}
	return id, nil
}

func (c *Client) progress(p Progress) {
	if c.cfg.Progress != nil {
		c.cfg.Progress(p)
	}
}

// sizedReaderAt returns r as an io.ReaderAt with its size when r can be
// read at offsets without consuming it: a regular file, bytes.Reader,
// strings.Reader or io.SectionReader positioned at its start.
func sizedReaderAt(r io.Reader) (io.ReaderAt, int64, bool) {
	type sized interface {
		io.ReaderAt
		Size() int64
	}
	switch v := r.(type) {
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return nil, 0, false
		}
		if pos, err := v.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
			return nil, 0, false
		}
		return v, st.Size(), true
	case io.Seeker:
		if s, ok := r.(sized); ok {
			if pos, err := v.Seek(0, io.SeekCurrent); err == nil && pos == 0 {
				return s, s.Size(), true
			}
		}
	}
	return nil, 0, false
}

// spool copies r to a temporary file, compressing it if asked, and returns
// the file, its size and the SHA-256 of the uncompressed content.
func (c *Client) spool(r io.Reader, compress bool) (*os.File, int64, string, error) {
	f, err := os.CreateTemp(c.cfg.TempDir, "nhskit-mesh-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("mesh: spooling: %w", err)
	}
	h := sha256.New()
	var w io.Writer = f
	var zw *gzip.Writer
	if compress {
		zw = gzip.NewWriter(f)
		w = zw
	}
	if _, err := io.Copy(io.MultiWriter(w, h), r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, "", fmt.Errorf("mesh: reading the message body: %w", err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, 0, "", fmt.Errorf("mesh: compressing: %w", err)
		}
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, "", err
	}
	return f, size, hex.EncodeToString(h.Sum(nil)), nil
}

// findLocal asks tracking for a local id until it gets a definite answer:
// the message (it landed) or not found (it did not).
func (c *Client) findLocal(ctx context.Context, localID string) (*Tracking, error) {
	var err error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		var t *Tracking
		t, err = c.TrackLocal(ctx, localID)
		switch {
		case err == nil:
			return t, nil
		case errors.Is(err, ErrNotFound):
			return nil, nil
		case ctx.Err() != nil:
			return nil, err
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
	return nil, err
}

// Tracking is what MESH knows of a sent message.
type Tracking struct {
	MessageID   string `json:"message_id"`
	LocalID     string `json:"local_id"`
	Recipient   string `json:"recipient"`
	WorkflowID  string `json:"workflow_id"`
	Status      string `json:"status"` // accepted, acknowledged, undeliverable…
	TotalChunks int    `json:"total_chunks"`
}

// Track returns a sent message's tracking by message id.
func (c *Client) Track(ctx context.Context, messageID string) (*Tracking, error) {
	return c.track(ctx, url.PathEscape(c.cfg.Mailbox)+"/outbox/tracking/"+url.PathEscape(messageID))
}

// TrackLocal returns a sent message's tracking by the sender's local id.
func (c *Client) TrackLocal(ctx context.Context, localID string) (*Tracking, error) {
	return c.track(ctx, url.PathEscape(c.cfg.Mailbox)+"/outbox/tracking?localID="+url.QueryEscape(localID))
}

func (c *Client) track(ctx context.Context, path string) (*Tracking, error) {
	resp, err := c.do(ctx, "tracking", c.request(http.MethodGet, path, nil))
	if err != nil {
		return nil, err
	}
	var t Tracking
	if err := json.Unmarshal(resp.Body, &t); err != nil {
		return nil, fmt.Errorf("mesh: tracking: %w", err)
	}
	return &t, nil
}

// Inbox lists the ids of the messages waiting, following every page.
func (c *Client) Inbox(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		path := url.PathEscape(c.cfg.Mailbox) + "/inbox"
		for path != "" {
			resp, err := c.do(ctx, "inbox", c.request(http.MethodGet, path, nil))
			if err != nil {
				yield("", err)
				return
			}
			var page struct {
				Messages []string          `json:"messages"`
				Links    map[string]string `json:"links"`
			}
			if err := json.Unmarshal(resp.Body, &page); err != nil {
				yield("", fmt.Errorf("mesh: inbox: %w", err))
				return
			}
			for _, id := range page.Messages {
				if !yield(id, nil) {
					return
				}
			}
			next := page.Links["next"]
			path = ""
			if next != "" && len(page.Messages) > 0 {
				// next is an absolute path on the server.
				path = strings.TrimPrefix(next, "/messageexchange/")
			}
		}
	}
}

// Received describes a downloaded message.
type Received struct {
	MessageID  string
	From       string
	To         string
	WorkflowID string
	Subject    string
	LocalID    string
	FileName   string
	Checksum   string
	Compressed bool
	Size       int64 // uncompressed bytes written
}

// Download writes a message's content to w, uncompressed and in order,
// fetching every chunk; memory stays constant. When the sender gave a
// sha256 checksum it is verified; a mismatch is ErrChecksum (w has then
// received the content already: use Receive to verify before storing).
func (c *Client) Download(ctx context.Context, messageID string, w io.Writer) (*Received, error) {
	f, info, _, err := c.fetchAll(ctx, messageID)
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	r, done, err := content(f, info)
	if err != nil {
		return nil, err
	}
	defer done()
	hsum := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, hsum), r)
	if err != nil {
		return nil, fmt.Errorf("mesh: download %s: %w", messageID, err)
	}
	info.Size = n
	if !checksumOK(info.Checksum, hsum.Sum(nil)) {
		return info, fmt.Errorf("%w: message %s", ErrChecksum, messageID)
	}
	return info, nil
}

func checksumOK(header string, sum []byte) bool {
	want, ok := strings.CutPrefix(header, "sha256:")
	return !ok || strings.EqualFold(want, hex.EncodeToString(sum))
}

// content returns a reader of the uncompressed content of a spooled
// message, from its start.
func content(f *os.File, info *Received) (io.Reader, func(), error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	if !info.Compressed {
		return f, func() {}, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("mesh: message %s: content is not gzip: %w", info.MessageID, err)
	}
	return zr, func() { zr.Close() }, nil
}

// rehash resets h to the SHA-256 of the first n bytes of f and leaves f
// positioned at n.
func rehash(f *os.File, h hash.Hash, n int64) error {
	h.Reset()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n)); err != nil {
		return err
	}
	_, err := f.Seek(n, io.SeekStart)
	return err
}

// fetchAll downloads every chunk of a message into a temporary file (the
// caller removes it). Chunks are spooled because the gzip stream spans
// chunks, and a chunk fetched twice (after a lost response) must not be
// written twice. For uncompressed content it also returns the SHA-256,
// computed as the chunks arrive; for compressed content sum is nil.
func (c *Client) fetchAll(ctx context.Context, messageID string) (*os.File, *Received, []byte, error) {
	h := sha256.New()
	f, err := os.CreateTemp(c.cfg.TempDir, "nhskit-mesh-*")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("mesh: spooling: %w", err)
	}
	fail := func(err error) (*os.File, *Received, []byte, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, nil, nil, err
	}
	var info *Received
	total := 1
	var wire int64
	for n := 1; n <= total; n++ {
		path := url.PathEscape(c.cfg.Mailbox) + "/inbox/" + url.PathEscape(messageID)
		if n > 1 {
			path += "/" + strconv.Itoa(n)
		}
		var k int64
		for attempt := 1; ; attempt++ {
			var err error
			var dst io.Writer = f
			if n > 1 && !info.Compressed {
				dst = io.MultiWriter(f, h)
			}
			k, err = c.fetchChunk(ctx, path, n, dst, &info, &total)
			if err == nil && n == 1 && !info.Compressed {
				// The first chunk told us the content is plain: hash what
				// was written, then hash the rest as it arrives.
				if herr := rehash(f, h, k); herr != nil {
					return fail(herr)
				}
			}
			if err == nil {
				break
			}
			var ae *APIError
			if errors.As(err, &ae) || ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
				return fail(err)
			}
			// The body broke off mid-chunk: drop what arrived and fetch it
			// again, restarting the running hash from what is kept.
			if terr := f.Truncate(wire); terr != nil {
				return fail(terr)
			}
			if info != nil && !info.Compressed {
				if herr := rehash(f, h, wire); herr != nil {
					return fail(herr)
				}
			}
			if _, serr := f.Seek(wire, io.SeekStart); serr != nil {
				return fail(serr)
			}
		}
		wire += k
		c.progress(Progress{Op: "receive", MessageID: messageID, Chunk: n, Chunks: total, Bytes: wire})
	}
	if info.Compressed {
		return f, info, nil, nil
	}
	return f, info, h.Sum(nil), nil
}

// fetchChunk downloads chunk n into f, filling info and total from the
// first chunk's headers.
func (c *Client) fetchChunk(ctx context.Context, path string, n int, f io.Writer, info **Received, total *int) (int64, error) {
	req := c.request(http.MethodGet, path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.http.DoStream(ctx, req)
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) {
			return 0, parseAPIError("download", se.StatusCode, se.Body)
		}
		return 0, fmt.Errorf("mesh: download chunk %d: %w", n, err)
	}
	defer resp.Body.Close()
	h := resp.Header
	if n == 1 {
		*info = &Received{
			MessageID: h.Get("mex-MessageID"), From: h.Get("mex-From"), To: h.Get("mex-To"),
			WorkflowID: h.Get("mex-WorkflowID"), Subject: h.Get("mex-Subject"), LocalID: h.Get("mex-LocalID"),
			FileName: h.Get("mex-FileName"), Checksum: h.Get("mex-Content-Checksum"),
			Compressed: strings.EqualFold(h.Get("mex-Content-Compressed"), "Y") || strings.EqualFold(h.Get("Content-Encoding"), "gzip"),
		}
		if r := h.Get("mex-Chunk-Range"); r != "" {
			if _, t, ok := strings.Cut(r, ":"); ok {
				if v, err := strconv.Atoi(t); err == nil && v >= 1 {
					*total = v
				}
			}
		}
	}
	k, err := io.Copy(f, resp.Body)
	if err != nil {
		return 0, fmt.Errorf("mesh: download chunk %d: %w", n, err)
	}
	if cl := resp.ContentLength; cl >= 0 && k != cl {
		return 0, fmt.Errorf("mesh: download chunk %d: %w", n, io.ErrUnexpectedEOF)
	}
	return k, nil
}

// Acknowledge tells MESH the message is safely stored, removing it from
// the inbox. Acknowledging twice is harmless.
func (c *Client) Acknowledge(ctx context.Context, messageID string) error {
	req := c.request(http.MethodPut, url.PathEscape(c.cfg.Mailbox)+"/inbox/"+url.PathEscape(messageID)+"/status/acknowledged", nil)
	_, err := c.do(ctx, "acknowledge", req)
	return err
}

// Handler stores one received message. It is given the content as a
// reader (valid only during the call) and must return nil only once the
// message is safely stored; Receive then acknowledges it. A handler may be
// called again for a message it already stored (after a crash between
// storing and acknowledging), so it should de-duplicate by MessageID.
type Handler func(ctx context.Context, msg *Received, body io.Reader) error

// Receive downloads every waiting message, hands each to handler, and
// acknowledges those the handler stored. It returns how many were
// acknowledged and the first error; messages not acknowledged stay in the
// inbox and are delivered again later.
func (c *Client) Receive(ctx context.Context, handler Handler) (int, error) {
	var ids []string
	for id, err := range c.Inbox(ctx) {
		if err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	done := 0
	var firstErr error
	for _, id := range ids {
		if err := c.receiveOne(ctx, id, handler); err != nil {
			if errors.Is(err, ErrMessageGone) {
				continue // acknowledged elsewhere or expired meanwhile
			}
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		done++
	}
	return done, firstErr
}

func (c *Client) receiveOne(ctx context.Context, id string, handler Handler) error {
	f, info, sum, err := c.fetchAll(ctx, id)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Verify before the handler sees anything: a message that fails its
	// checksum is never stored, and stays in the inbox. Plain content was
	// hashed on arrival; compressed content is hashed by decompressing it.
	if sum == nil {
		r, done, err := content(f, info)
		if err != nil {
			return err
		}
		hsum := sha256.New()
		n, err := io.Copy(hsum, r)
		done()
		if err != nil {
			return fmt.Errorf("mesh: message %s: %w", id, err)
		}
		sum, info.Size = hsum.Sum(nil), n
	} else if st, err := f.Stat(); err == nil {
		info.Size = st.Size()
	}
	if !checksumOK(info.Checksum, sum) {
		return fmt.Errorf("%w: message %s", ErrChecksum, id)
	}
	r, done, err := content(f, info)
	if err != nil {
		return err
	}
	defer done()
	if err := handler(ctx, info, r); err != nil {
		return fmt.Errorf("mesh: handler refused message %s (left in the inbox): %w", id, err)
	}
	return c.Acknowledge(ctx, id)
}

// Poll calls Receive every interval until ctx is done (graceful shutdown:
// a receive in progress finishes its current message first only if the
// handler honours ctx). MESH asks clients not to poll more often than
// every five minutes; interval ≤ 0 means five minutes. A rate-limit
// answer (429) waits for its Retry-After before the next poll.
func (c *Client) Poll(ctx context.Context, interval time.Duration, handler Handler) error {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	for {
		wait := interval
		if _, err := c.Receive(ctx, handler); err != nil {
			var ae *APIError
			if errors.As(err, &ae) && errors.Is(err, ErrAuth) {
				return err // polling on will not fix credentials
			}
			c.logger().Warn("mesh poll failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
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
	Address     string `json:"address"`
	Description string `json:"description"`
	Type        string `json:"endpoint_type"`
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
	resp, err := c.do(ctx, "lookup", c.request(http.MethodGet, path, nil))
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
