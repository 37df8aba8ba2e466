package mesh

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
)

// Outbound is a message to send.
type Outbound struct {
	To          string // recipient mailbox id
	WorkflowID  string
	Subject     string
	FileName    string
	ContentType string // the content's media type, e.g. text/csv
	PartnerID   string
	// LocalID is the sender's own id for the message, unique per message:
	// it is how an unanswered first request is resolved without sending
	// twice, and, with Config.StateDir, how a send resumes after a
	// restart. Send makes one (a UUID) when it is empty.
	LocalID string
	// Compress gzips each chunk on the wire (Content-Encoding: gzip, each
	// chunk compressed on its own, as MESH requires). The recipient
	// receives the content as given.
	Compress bool
	// ContentCompressed and ContentEncrypted are flags MESH passes to the
	// recipient (mex-Content-Compressed, mex-Content-Encrypted): the
	// content itself is a compressed or encrypted file. MESH and this
	// package never decompress or decrypt such content.
	ContentCompressed bool
	ContentEncrypted  bool
	Body              io.Reader
}

// outboxRecord is the durable state of one send, written before its first
// request.
type outboxRecord struct {
	LocalID    string    `json:"local_id"`
	To         string    `json:"to"`
	WorkflowID string    `json:"workflow_id"`
	Checksum   string    `json:"checksum"`
	Chunks     int       `json:"chunks"`
	Started    time.Time `json:"started"`
	MessageID  string    `json:"message_id,omitempty"`
	Sent       int       `json:"chunks_sent"` // chunks MESH accepted, in order
	Done       bool      `json:"done"`
}

func (c *Client) recordPath(localID string) string {
	sum := sha256.Sum256([]byte(c.cfg.Mailbox + "\x00" + localID))
	return filepath.Join(c.cfg.StateDir, "outbox", hex.EncodeToString(sum[:16])+".json")
}

func (c *Client) loadRecord(localID string) (*outboxRecord, error) {
	if c.cfg.StateDir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.recordPath(localID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mesh: outbox record: %w", err)
	}
	var r outboxRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("mesh: outbox record %s is corrupt: %w", c.recordPath(localID), err)
	}
	return &r, nil
}

// saveRecord writes the record durably: a temporary file, fsync, rename.
func (c *Client) saveRecord(r *outboxRecord) error {
	if c.cfg.StateDir == "" {
		return nil
	}
	p := c.recordPath(r.LocalID)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("mesh: outbox record: %w", err)
	}
	b, _ := json.Marshal(r)
	f, err := os.CreateTemp(filepath.Dir(p), ".rec-*")
	if err != nil {
		return fmt.Errorf("mesh: outbox record: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("mesh: outbox record: %w", err)
	}
	return nil
}

// Send uploads a message in chunks and returns its MESH message id.
//
// The body is hashed (and, unless it is a file or in-memory reader,
// spooled to a temporary file) first, so memory stays constant and every
// chunk can be resent. A failed chunk is resent, not the message. A first
// request whose outcome is unknown (a lost answer, a 5xx) is resolved by
// tracking the local id before anything is sent again, and a message is
// taken as this send's only if its recipient, workflow and checksum match;
// otherwise Send fails with ErrLocalIDAmbiguous rather than guess. With
// Config.StateDir, calling Send again with the same LocalID after a crash
// resumes the send (or returns the id of the completed one).
func (c *Client) Send(ctx context.Context, m Outbound) (string, error) {
	if m.To == "" || m.WorkflowID == "" || m.Body == nil {
		return "", fmt.Errorf("%w: to, workflow id and body are required", ErrBadRequest)
	}
	if m.LocalID == "" {
		m.LocalID = httpx.NewUUID()
	}
	if len(m.LocalID) > 300 {
		return "", fmt.Errorf("%w: local id is %d characters, MESH takes at most 300", ErrBadRequest, len(m.LocalID))
	}
	m.To = strings.ToUpper(m.To)
	var f io.ReaderAt
	var size int64
	var sum string
	if ra, n, ok := sizedReaderAt(m.Body); ok {
		// A file or in-memory body is chunked in place: one pass for the
		// checksum, and no copy on disk.
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(ra, 0, n)); err != nil {
			return "", fmt.Errorf("mesh: reading the message body: %w", err)
		}
		f, size, sum = ra, n, hex.EncodeToString(h.Sum(nil))
	} else {
		tmp, n, s, err := c.spool(m.Body)
		if err != nil {
			return "", err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		f, size, sum = tmp, n, s
	}
	checksum := "sha256:" + sum
	chunks := max(1, int((size+c.cfg.ChunkSize-1)/c.cfg.ChunkSize))

	rec, err := c.loadRecord(m.LocalID)
	if err != nil {
		return "", err
	}
	if rec != nil && (rec.To != m.To || rec.WorkflowID != m.WorkflowID || rec.Checksum != checksum || rec.Chunks != chunks) {
		return "", fmt.Errorf("%w: local id %s was used for a different message", ErrLocalIDAmbiguous, m.LocalID)
	}
	if rec != nil && rec.Done {
		return rec.MessageID, nil
	}
	if rec == nil {
		rec = &outboxRecord{LocalID: m.LocalID, To: m.To, WorkflowID: m.WorkflowID, Checksum: checksum, Chunks: chunks, Started: c.now().UTC()}
		if err := c.saveRecord(rec); err != nil {
			return "", err
		}
	} else if rec.MessageID == "" {
		// A previous run may have created the message before it stopped.
		t, err := c.resolveLocal(ctx, rec)
		if err != nil {
			return "", err
		}
		if t != nil {
			rec.MessageID, rec.Sent = t.MessageID, 1
			if err := c.saveRecord(rec); err != nil {
				return "", err
			}
		}
	}

	section := func(n int) (int64, int64) {
		off := int64(n-1) * c.cfg.ChunkSize
		return off, min(c.cfg.ChunkSize, size-off)
	}
	prepare := func(req *httpx.Request, n int) (func(), error) {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("mex-Chunk-Range", strconv.Itoa(n)+":"+strconv.Itoa(chunks))
		off, length := section(n)
		if !m.Compress {
			req.GetBody = func() (io.Reader, error) { return sized{io.NewSectionReader(f, off, length)}, nil }
			return func() {}, nil
		}
		// Each chunk is compressed on its own, once, to a temporary file
		// that every attempt rereads.
		req.Header.Set("Content-Encoding", "gzip")
		z, zn, err := c.gzipChunk(io.NewSectionReader(f, off, length))
		if err != nil {
			return nil, err
		}
		req.GetBody = func() (io.Reader, error) { return sized{io.NewSectionReader(z, 0, zn)}, nil }
		return func() { z.Close(); os.Remove(z.Name()) }, nil
	}

	if rec.MessageID == "" {
		id, err := c.sendFirst(ctx, m, rec, prepare)
		if err != nil {
			return "", err
		}
		rec.MessageID, rec.Sent = id, 1
		if err := c.saveRecord(rec); err != nil {
			return id, err
		}
		_, length := section(1)
		c.progress(Progress{Op: "send", MessageID: id, Chunk: 1, Chunks: chunks, Bytes: length, Total: size})
	}
	id := rec.MessageID
	for n := rec.Sent + 1; n <= chunks; n++ {
		if err := c.sendChunk(ctx, id, n, chunks, prepare); err != nil {
			return id, err
		}
		rec.Sent = n
		if err := c.saveRecord(rec); err != nil {
			return id, err
		}
		off, length := section(n)
		c.progress(Progress{Op: "send", MessageID: id, Chunk: n, Chunks: chunks, Bytes: off + length, Total: size})
	}
	rec.Done = true
	if err := c.saveRecord(rec); err != nil {
		return id, err
	}
	return id, nil
}

// sendFirst posts the first chunk, which creates the message. It is not
// retried blindly: on an unknown outcome tracking tells whether it
// arrived.
func (c *Client) sendFirst(ctx context.Context, m Outbound, rec *outboxRecord, prepare func(*httpx.Request, int) (func(), error)) (string, error) {
	first := c.request(http.MethodPost, "outbox")
	done, err := prepare(first, 1)
	if err != nil {
		return "", err
	}
	defer done()
	h := first.Header
	h.Set("mex-From", c.cfg.Mailbox)
	h.Set("mex-To", m.To)
	h.Set("mex-WorkflowID", m.WorkflowID)
	h.Set("mex-LocalID", m.LocalID)
	h.Set("mex-Content-Checksum", rec.Checksum)
	for k, v := range map[string]string{"mex-Subject": m.Subject, "mex-FileName": m.FileName, "mex-PartnerID": m.PartnerID, "mex-Content-Type": m.ContentType} {
		if v != "" {
			h.Set(k, v)
		}
	}
	if m.ContentType != "" && rec.Chunks == 1 {
		h.Set("Content-Type", m.ContentType)
	}
	if m.ContentCompressed {
		h.Set("mex-Content-Compressed", "Y")
	}
	if m.ContentEncrypted {
		h.Set("mex-Content-Encrypted", "Y")
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.do(ctx, "send", first)
		if err == nil {
			var r struct {
				MessageID string `json:"message_id"`
			}
			if err := json.Unmarshal(resp.Body, &r); err != nil || r.MessageID == "" {
				return "", fmt.Errorf("mesh: send: response has no message id")
			}
			return r.MessageID, nil
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests {
			return "", err // refused: sending again would be refused too
		}
		if ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
			return "", fmt.Errorf("mesh: send: outcome unknown for local id %s (track it, or call Send again with the same local id and a state dir): %w", m.LocalID, err)
		}
		// Did it land? Ask before sending again, and never send again on
		// an answer that does not say "no".
		t, terr := c.resolveLocal(ctx, rec)
		if terr != nil {
			return "", terr
		}
		if t != nil {
			return t.MessageID, nil
		}
	}
}

// resolveLocal asks tracking whether the message with the record's local
// id exists: nil when MESH says it does not, its tracking when exactly one
// message with that local id matches the record, and an error otherwise.
func (c *Client) resolveLocal(ctx context.Context, rec *outboxRecord) (*Tracking, error) {
	var err error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		var t *Tracking
		t, err = c.TrackLocal(ctx, rec.LocalID)
		switch {
		case err == nil:
			if !strings.EqualFold(t.Recipient, rec.To) || t.WorkflowID != rec.WorkflowID ||
				(t.Checksum != "" && !strings.EqualFold(t.Checksum, rec.Checksum)) ||
				(!t.UploadTimestamp.IsZero() && t.UploadTimestamp.Before(rec.Started.Add(-5*time.Minute))) {
				return nil, fmt.Errorf("%w: local id %s belongs to message %s, not this send", ErrLocalIDAmbiguous, rec.LocalID, t.MessageID)
			}
			return t, nil
		case errors.Is(err, ErrNotFound):
			return nil, nil
		case errors.Is(err, ErrLocalIDAmbiguous):
			return nil, fmt.Errorf("mesh: send: cannot tell which message is this send's (local id %s): %w", rec.LocalID, err)
		case ctx.Err() != nil:
			return nil, err
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("mesh: send: cannot tell whether the message arrived (local id %s), not resending: %w", rec.LocalID, err)
}

// sendChunk posts chunk n (n ≥ 2). A chunk resent replaces itself, so it
// is retried freely. MESH answers 423 to a chunk of a message already
// complete: that is a lost answer to this very chunk when tracking says
// the message was accepted.
func (c *Client) sendChunk(ctx context.Context, id string, n, chunks int, prepare func(*httpx.Request, int) (func(), error)) error {
	req := c.request(http.MethodPost, "outbox/"+url.PathEscape(id)+"/"+strconv.Itoa(n))
	done, err := prepare(req, n)
	if err != nil {
		return err
	}
	defer done()
	req.RetrySafe = true
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		if _, err = c.do(ctx, "send chunk", req); err == nil {
			return nil
		}
		if errors.Is(err, ErrLocked) && n == chunks {
			t, terr := c.trackSure(ctx, id)
			if terr != nil {
				return fmt.Errorf("mesh: message %s chunk %d of %d: refused as complete, and tracking failed: %w", id, n, chunks, terr)
			}
			if t.Status != "uploading" {
				return nil
			}
		}
		var ae *APIError
		if ctx.Err() != nil || (errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests) {
			break
		}
	}
	return fmt.Errorf("mesh: message %s chunk %d of %d: %w", id, n, chunks, err)
}

// sized gives a chunk's reader a Len, so that it is sent with a
// Content-Length rather than in chunked transfer encoding, as NHS England's
// client sends it.
type sized struct{ *io.SectionReader }

// Len is the number of bytes not yet read.
func (s sized) Len() int {
	pos, _ := s.Seek(0, io.SeekCurrent)
	return int(s.Size() - pos)
}

// trackSure tracks a message, asking again while the answer is a transient
// failure (5xx, 429, a broken connection).
func (c *Client) trackSure(ctx context.Context, id string) (*Tracking, error) {
	var err error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		var t *Tracking
		if t, err = c.Track(ctx, id); err == nil {
			return t, nil
		}
		var ae *APIError
		if ctx.Err() != nil || (errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != http.StatusTooManyRequests) {
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

// gzipChunk compresses r into a temporary file, as a gzip member of its
// own, and returns the file and its size.
func (c *Client) gzipChunk(r io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp(c.cfg.TempDir, "nhskit-mesh-gz-*")
	if err != nil {
		return nil, 0, fmt.Errorf("mesh: compressing: %w", err)
	}
	zw := gzip.NewWriter(f)
	_, err = io.Copy(zw, r)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	var n int64
	if err == nil {
		n, err = f.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, fmt.Errorf("mesh: compressing: %w", err)
	}
	return f, n, nil
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

// spool copies r to a temporary file and returns the file, its size and
// the content's SHA-256.
func (c *Client) spool(r io.Reader) (*os.File, int64, string, error) {
	f, err := os.CreateTemp(c.cfg.TempDir, "nhskit-mesh-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("mesh: spooling: %w", err)
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, "", fmt.Errorf("mesh: reading the message body: %w", err)
	}
	return f, size, hex.EncodeToString(h.Sum(nil)), nil
}
