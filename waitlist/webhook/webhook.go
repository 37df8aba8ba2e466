package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/waitlist"
)

// Header names.
const (
	HeaderSignature = "Nhskit-Signature"
	HeaderEventID   = "Nhskit-Event-Id"
)

// Errors from Verify.
var (
	ErrNoSignature  = errors.New("webhook: missing or malformed signature header")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance")
)

// Sign returns the signature header value for body at t.
func Sign(secret []byte, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header against body at now; tolerance ≤ 0
// means five minutes.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// Notifier posts notifications to URL. It retries through internal/httpx
// (deliveries carry an idempotency key, the event id) and remembers the
// event ids it has delivered so a notification is sent once.
type Notifier struct {
	URL        string
	Secret     []byte
	HTTPClient *http.Client
	// MaxAttempts caps delivery attempts (default 4).
	MaxAttempts int
	Now         func() time.Time

	once sync.Once
	c    *httpx.Client
	mu   sync.Mutex
	sent map[string]bool
}

var _ waitlist.Notifier = (*Notifier)(nil)

// Notify implements waitlist.Notifier.
func (n *Notifier) Notify(ctx context.Context, note waitlist.Notification) error {
	n.once.Do(func() {
		n.c = httpx.New(httpx.Config{HTTPClient: n.HTTPClient, MaxAttempts: n.MaxAttempts, BackoffMin: 50 * time.Millisecond})
		n.sent = map[string]bool{}
	})
	n.mu.Lock()
	dup := n.sent[note.EventID]
	n.mu.Unlock()
	if dup {
		return nil
	}
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("webhook: encoding: %w", err)
	}
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	req := httpx.NewRequest(http.MethodPost, n.URL, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEventID, note.EventID)
	req.Header.Set(HeaderSignature, Sign(n.Secret, body, now()))
	req.IdempotencyKey = note.EventID
	if _, err := n.c.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("webhook: delivering %s: %w", note.EventID, err)
	}
	n.mu.Lock()
	n.sent[note.EventID] = true
	n.mu.Unlock()
	return nil
}

// Handler returns an http.Handler that verifies deliveries, drops
// duplicates by event id, and passes each new notification to fn.
func Handler(secret []byte, now func() time.Time, fn func(context.Context, waitlist.Notification) error) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{}
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := httpx.ReadAllLimited(r.Body, 1<<20)
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := Verify(secret, r.Header.Get(HeaderSignature), body, now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var note waitlist.Notification
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&note); err != nil {
			http.Error(w, "not a notification", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := seen[note.EventID]
		seen[note.EventID] = true
		mu.Unlock()
		if !dup {
			if err := fn(r.Context(), note); err != nil {
				mu.Lock()
				delete(seen, note.EventID)
				mu.Unlock()
				http.Error(w, "not processed", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
