package mesh

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message types, from mex-MessageType.
const (
	MessageTypeData   = "DATA"
	MessageTypeReport = "REPORT"
)

// Received describes a downloaded message: every mex- header MESH sent
// with its first chunk.
type Received struct {
	MessageID   string
	MessageType string // MessageTypeData or MessageTypeReport
	From        string
	To          string
	WorkflowID  string
	Subject     string
	LocalID     string
	PartnerID   string
	FileName    string
	ContentType string
	Checksum    string
	// ContentCompressed and ContentEncrypted are the sender's flags that
	// the content is itself a compressed or encrypted file; it is handed
	// over as sent, never decompressed.
	ContentCompressed bool
	ContentEncrypted  bool
	Chunks            int
	// Status fields: on a report, why it was sent (e.g. code "14",
	// undelivered) and which message it is about.
	StatusCode        string
	StatusEvent       string
	StatusDescription string
	StatusSuccess     string // SUCCESS or ERROR
	LinkedMessageID   string
	Size              int64 // content bytes
	// Header holds every header of the first chunk's response.
	Header http.Header
}

// IsReport reports whether the message is a MESH report rather than data.
func (r *Received) IsReport() bool { return strings.EqualFold(r.MessageType, MessageTypeReport) }

func receivedFrom(h http.Header) *Received {
	r := &Received{
		MessageID: h.Get("mex-MessageID"), MessageType: strings.ToUpper(h.Get("mex-MessageType")),
		From: h.Get("mex-From"), To: h.Get("mex-To"), WorkflowID: h.Get("mex-WorkflowID"),
		Subject: h.Get("mex-Subject"), LocalID: h.Get("mex-LocalID"), PartnerID: h.Get("mex-PartnerID"),
		FileName: h.Get("mex-FileName"), ContentType: h.Get("mex-Content-Type"), Checksum: h.Get("mex-Content-Checksum"),
		ContentCompressed: strings.EqualFold(h.Get("mex-Content-Compressed"), "Y"),
		ContentEncrypted:  strings.EqualFold(h.Get("mex-Content-Encrypted"), "Y"),
		StatusCode:        h.Get("mex-StatusCode"), StatusEvent: h.Get("mex-StatusEvent"),
		StatusDescription: h.Get("mex-StatusDescription"), StatusSuccess: h.Get("mex-StatusSuccess"),
		LinkedMessageID: h.Get("mex-LinkedMsgID"), Chunks: 1, Header: h.Clone(),
	}
	if r.MessageType == "" {
		r.MessageType = MessageTypeData
	}
	if r.ContentType == "" {
		r.ContentType = h.Get("Content-Type")
	}
	if v := h.Get("mex-Chunk-Range"); v != "" {
		if _, t, ok := strings.Cut(v, ":"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(t)); err == nil && n >= 1 {
				r.Chunks = n
			}
		}
	}
	return r
}

// Head returns a message's headers without its content (HEAD on the
// message).
func (c *Client) Head(ctx context.Context, messageID string) (*Received, error) {
	resp, err := c.do(ctx, "head", c.request(http.MethodHead, "inbox/"+url.PathEscape(messageID)))
	if err != nil {
		return nil, err
	}
	return receivedFrom(resp.Header), nil
}

// spool is a message being downloaded: one file per chunk, holding the
// chunk's content with any transfer compression removed.
type spool struct {
	dir       string
	temporary bool
}

func (c *Client) openSpool(messageID string) (*spool, error) {
	if c.cfg.StateDir == "" {
		d, err := os.MkdirTemp(c.cfg.TempDir, "nhskit-mesh-*")
		if err != nil {
			return nil, fmt.Errorf("mesh: spooling: %w", err)
		}
		return &spool{dir: d, temporary: true}, nil
	}
	sum := sha256.Sum256([]byte(c.cfg.Mailbox + "\x00" + messageID))
	d := filepath.Join(c.cfg.StateDir, "inbox", hex.EncodeToString(sum[:16]))
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("mesh: spooling: %w", err)
	}
	return &spool{dir: d}, nil
}

func (s *spool) chunk(n int) string { return filepath.Join(s.dir, strconv.Itoa(n)) }

// close removes a temporary spool; a durable one stays for a restart.
func (s *spool) close() {
	if s.temporary {
		os.RemoveAll(s.dir)
	}
}

// remove deletes the spool, durable or not.
func (s *spool) remove() { os.RemoveAll(s.dir) }

// reader returns the content, chunk after chunk.
func (s *spool) reader(chunks int) (io.Reader, func(), error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	rs := make([]io.Reader, 0, chunks)
	for n := 1; n <= chunks; n++ {
		f, err := os.Open(s.chunk(n))
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("mesh: spool: %w", err)
		}
		files = append(files, f)
		rs = append(rs, f)
	}
	return io.MultiReader(rs...), closeAll, nil
}

// fetch downloads every chunk the spool lacks. Each chunk is written to a
// temporary name and renamed once complete, so a chunk file present is a
// whole chunk; a body that breaks off or stalls is fetched again.
func (c *Client) fetch(ctx context.Context, messageID string, sp *spool) (*Received, error) {
	var info *Received
	total := 1
	for n := 1; n <= total; n++ {
		have := false
		if n > 1 {
			if _, err := os.Stat(sp.chunk(n)); err == nil {
				have = true
			}
		}
		var err error
		for attempt := 1; !have; attempt++ {
			var h http.Header
			h, err = c.fetchChunk(ctx, messageID, n, sp.chunk(n))
			if err == nil {
				if n == 1 {
					info = receivedFrom(h)
					total = info.Chunks
					if info.ContentCompressed && strings.EqualFold(h.Get("Content-Encoding"), "gzip") {
						// MESH flags every gzip-encoded answer as compressed
						// content; only HEAD tells the sender's own flag.
						head, err := c.Head(ctx, messageID)
						if err != nil {
							return nil, err
						}
						info.ContentCompressed = head.ContentCompressed
					}
				}
				break
			}
			if !transient(err) || ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
				return nil, err
			}
			pause(ctx, attempt)
		}
		c.progress(Progress{Op: "receive", MessageID: messageID, Chunk: n, Chunks: total})
	}
	return info, nil
}

// fetchChunk downloads chunk n to path, decompressing it when MESH sent it
// with Content-Encoding gzip (each chunk is a gzip member of its own).
func (c *Client) fetchChunk(ctx context.Context, messageID string, n int, path string) (http.Header, error) {
	p := "inbox/" + url.PathEscape(messageID)
	if n > 1 {
		p += "/" + strconv.Itoa(n)
	}
	req := c.request(http.MethodGet, p)
	if !c.cfg.PlainDownloads {
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept-Encoding", "identity")
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	rctx, stall := context.WithCancelCause(rctx)
	defer stall(nil)
	resp, err := c.http.DoStream(rctx, req)
	if err != nil {
		if ae := asAPIError("download", err); ae != nil {
			return nil, ae
		}
		return nil, fmt.Errorf("mesh: download %s chunk %d: %w", messageID, n, err)
	}
	defer resp.Body.Close()
	// A body that delivers nothing for StallTimeout is abandoned.
	body := newWatchdog(resp.Body, c.cfg.StallTimeout, func() { stall(errStalled) })
	defer body.stop()
	var r io.Reader = body
	counted := &countingReader{r: body}
	r = counted
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("mesh: download %s chunk %d: content encoding gzip but %w", messageID, n, err)
		}
		zr.Multistream(false)
		defer zr.Close()
		r = zr
	}
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("mesh: spooling: %w", err)
	}
	_, err = io.Copy(f, r)
	if err == nil && resp.ContentLength >= 0 && counted.n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		if cause := context.Cause(rctx); errors.Is(cause, errStalled) {
			err = cause
		}
		return nil, fmt.Errorf("mesh: download %s chunk %d: %w", messageID, n, err)
	}
	return resp.Header, nil
}

var errStalled = errors.New("mesh: download stalled")

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// watchdog calls fire when Read has delivered nothing for d.
type watchdog struct {
	r     io.Reader
	d     time.Duration
	mu    sync.Mutex
	timer *time.Timer
}

func newWatchdog(r io.Reader, d time.Duration, fire func()) *watchdog {
	w := &watchdog{r: r, d: d}
	w.timer = time.AfterFunc(d, fire)
	return w
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.mu.Lock()
		w.timer.Reset(w.d)
		w.mu.Unlock()
	}
	return n, err
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.timer.Stop()
	w.mu.Unlock()
}

// verify checks the spooled content against a "sha256:<hex>" checksum, the
// form this package sends; MESH carries the checksum as the sender gave it,
// in no fixed form, so others are not checked. It sets info.Size.
func verify(sp *spool, info *Received) error {
	r, done, err := sp.reader(info.Chunks)
	if err != nil {
		return err
	}
	defer done()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("mesh: spool: %w", err)
	}
	info.Size = n
	if want, ok := strings.CutPrefix(info.Checksum, "sha256:"); ok && len(want) == 64 && !strings.EqualFold(want, hex.EncodeToString(h.Sum(nil))) {
		return fmt.Errorf("%w: message %s", ErrChecksum, info.MessageID)
	}
	return nil
}

// Download writes a message's content to w, in order, fetching every
// chunk; memory stays constant. Transfer compression is removed; content
// the sender flagged as compressed is written as sent. A "sha256:"
// checksum is verified before anything is written to w.
func (c *Client) Download(ctx context.Context, messageID string, w io.Writer) (*Received, error) {
	sp, err := c.openSpool(messageID)
	if err != nil {
		return nil, err
	}
	defer sp.close()
	info, err := c.fetch(ctx, messageID, sp)
	if err != nil {
		return nil, err
	}
	if err := verify(sp, info); err != nil {
		sp.remove()
		return info, err
	}
	r, done, err := sp.reader(info.Chunks)
	if err != nil {
		return nil, err
	}
	defer done()
	if _, err := io.Copy(w, r); err != nil {
		return info, fmt.Errorf("mesh: download %s: %w", messageID, err)
	}
	return info, nil
}

// Acknowledge tells MESH the message is safely stored, removing it from
// the inbox. Acknowledging twice is harmless.
func (c *Client) Acknowledge(ctx context.Context, messageID string) error {
	req := c.request(http.MethodPut, "inbox/"+url.PathEscape(messageID)+"/status/acknowledged")
	var err error
	for attempt := 1; ; attempt++ {
		if _, err = c.do(ctx, "acknowledge", req); err == nil || !transient(err) || ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
			return err
		}
		pause(ctx, attempt)
	}
}

// transient reports whether asking again may succeed: a 5xx or 429 answer,
// or no answer at all. Only requests safe to repeat are asked again.
func transient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		// A request replayed on the network arrives with a nonce already
		// used; asking again brings a fresh one.
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusTooManyRequests ||
			(ae.StatusCode == http.StatusForbidden && strings.Contains(ae.Description, "Duplicated Authentication Token"))
	}
	return err != nil
}

// pause waits a little longer after each failed attempt.
func pause(ctx context.Context, attempt int) {
	t := time.NewTimer(time.Duration(attempt) * 50 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Handler stores one received message. It is given the content as a
// reader (valid only during the call) and must return nil only once the
// message is safely stored; Receive then acknowledges it. A handler may be
// called again for a message it already stored (after a crash between
// storing and acknowledging), so it should de-duplicate by MessageID.
type Handler func(ctx context.Context, msg *Received, body io.Reader) error

// Receive downloads every waiting message, hands each data message to
// handler (and each report to Config.ReportHandler), and acknowledges
// those stored. It returns how many were acknowledged and the first error;
// messages not acknowledged stay in the inbox and are delivered again
// later.
func (c *Client) Receive(ctx context.Context, handler Handler) (int, error) {
	return c.ReceiveWith(ctx, InboxOptions{}, handler)
}

// ReceiveWith is Receive for the messages opts selects.
func (c *Client) ReceiveWith(ctx context.Context, opts InboxOptions, handler Handler) (int, error) {
	var ids []string
	for id, err := range c.InboxWith(ctx, opts) {
		if err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	if opts.WorkflowFilter == "" {
		c.pruneSpools(ids)
	}
	done := 0
	var firstErr error
	for _, id := range ids {
		acked, err := c.receiveOne(ctx, id, handler)
		if err != nil {
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
		if acked {
			done++
		}
	}
	return done, firstErr
}

// pruneSpools removes durable download spools of messages no longer in
// the inbox (acknowledged elsewhere, expired).
func (c *Client) pruneSpools(inbox []string) {
	if c.cfg.StateDir == "" {
		return
	}
	keep := map[string]bool{}
	for _, id := range inbox {
		sum := sha256.Sum256([]byte(c.cfg.Mailbox + "\x00" + id))
		keep[hex.EncodeToString(sum[:16])] = true
	}
	entries, _ := os.ReadDir(filepath.Join(c.cfg.StateDir, "inbox"))
	for _, e := range entries {
		if !keep[e.Name()] {
			os.RemoveAll(filepath.Join(c.cfg.StateDir, "inbox", e.Name()))
		}
	}
}

func (c *Client) receiveOne(ctx context.Context, id string, handler Handler) (bool, error) {
	sp, err := c.openSpool(id)
	if err != nil {
		return false, err
	}
	defer sp.close()
	info, err := c.fetch(ctx, id, sp)
	if err != nil {
		if errors.Is(err, ErrMessageGone) {
			sp.remove()
		}
		return false, err
	}
	// Verify before the handler sees anything: a message that fails its
	// checksum is never stored, and stays in the inbox.
	if err := verify(sp, info); err != nil {
		sp.remove()
		return false, err
	}
	h := handler
	if info.IsReport() {
		if c.cfg.ReportHandler == nil {
			c.logger().Info("mesh report left in the inbox: no report handler", "message_id", id, "status_code", info.StatusCode)
			return false, nil
		}
		h = c.cfg.ReportHandler
	}
	if h == nil {
		return false, fmt.Errorf("%w: message %s (workflow %q) left in the inbox", ErrNoHandler, id, info.WorkflowID)
	}
	r, done, err := sp.reader(info.Chunks)
	if err != nil {
		return false, err
	}
	err = h(ctx, info, r)
	done()
	if err != nil {
		return false, fmt.Errorf("mesh: handler refused message %s (left in the inbox): %w", id, err)
	}
	// The message is stored: acknowledge it even if ctx was cancelled
	// meanwhile (a shutdown), or it would be delivered again.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.AckTimeout)
	defer cancel()
	if err := c.Acknowledge(actx, id); err != nil {
		return false, err
	}
	sp.remove()
	return true, nil
}

// Poll calls Receive every interval until ctx is done. MESH asks clients
// not to poll more often than every five minutes; interval ≤ 0 means five
// minutes.
func (c *Client) Poll(ctx context.Context, interval time.Duration, handler Handler) error {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	for {
		if _, err := c.Receive(ctx, handler); err != nil {
			if errors.Is(err, ErrAuth) {
				return err // polling on will not fix credentials
			}
			c.logger().Warn("mesh poll failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}
