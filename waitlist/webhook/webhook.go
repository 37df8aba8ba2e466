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

// ErrNoSecret is a Notifier or Handler without a signing secret: it
// refuses to send or receive anything rather than run unsigned.
var ErrNoSecret = errors.New("webhook: a non-empty signing secret is required")

// DefaultDedup is how many event ids a Notifier or Handler remembers by
// default, the oldest forgotten first.
const DefaultDedup = 1 << 16

// dedup remembers up to max ids, forgetting the oldest first, so memory
// stays bounded however long the process runs.
type dedup struct {
	max  int
	seen map[string]bool
	ring []string
	next int
}

func newDedup(n int) *dedup {
	if n <= 0 {
		n = DefaultDedup
	}
	return &dedup{max: n, seen: map[string]bool{}}
}

func (d *dedup) has(id string) bool { return d.seen[id] }

func (d *dedup) add(id string) {
	if d.seen[id] {
		return
	}
	if len(d.ring) < d.max {
		d.ring = append(d.ring, id)
	} else {
		delete(d.seen, d.ring[d.next])
		d.ring[d.next] = id
		d.next = (d.next + 1) % d.max
	}
	d.seen[id] = true
}

// forget drops id (a delivery that failed and may come again); its slot
// in the ring is reused when it is evicted.
func (d *dedup) forget(id string) { delete(d.seen, id) }

// Notifier posts notifications to URL. It retries through internal/httpx
// (deliveries carry an idempotency key, the event id) and remembers the
// last Dedup event ids it delivered so a notification is sent once.
//
// Bodies carry no contact details (phone number, email address) unless
// IncludeContact is set: the receiver looks them up from the entry id,
// so a body that leaks through a log or a proxy names nobody.
type Notifier struct {
	URL            string
	Secret         []byte
	HTTPClient     *http.Client
	IncludeContact bool
	// MaxAttempts caps delivery attempts (default 4).
	MaxAttempts int
	// Dedup is how many delivered event ids are remembered (default
	// DefaultDedup).
	Dedup int
	Now   func() time.Time

	once sync.Once
	c    *httpx.Client
	mu   sync.Mutex
	sent *dedup
}

var _ waitlist.Notifier = (*Notifier)(nil)

// Notify implements waitlist.Notifier.
func (n *Notifier) Notify(ctx context.Context, note waitlist.Notification) error {
	if len(n.Secret) == 0 {
		return ErrNoSecret
	}
	n.once.Do(func() {
		n.c = httpx.New(httpx.Config{HTTPClient: n.HTTPClient, MaxAttempts: n.MaxAttempts, BackoffMin: 50 * time.Millisecond})
		n.sent = newDedup(n.Dedup)
	})
	n.mu.Lock()
	dup := n.sent.has(note.EventID)
	n.mu.Unlock()
	if dup {
		return nil
	}
	if !n.IncludeContact {
		note.Contact.SMS, note.Contact.Email = "", ""
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
	n.sent.add(note.EventID)
	n.mu.Unlock()
	return nil
}

// HandlerConfig configures a receiving Handler.
type HandlerConfig struct {
	Secret []byte // required
	// Handle is called once per new notification; an error answers 503
	// so that the sender retries.
	Handle func(context.Context, waitlist.Notification) error
	Now    func() time.Time // default time.Now
	// Tolerance is how far a signature's time may be from now (default
	// five minutes).
	Tolerance time.Duration
	// Dedup is how many event ids are remembered (default DefaultDedup).
	Dedup int
}

// NewHandler returns an http.Handler that verifies deliveries, drops
// duplicates by event id, and passes each new notification to
// cfg.Handle. It refuses to run without a secret.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if len(cfg.Secret) == 0 {
		return nil, ErrNoSecret
	}
	if cfg.Handle == nil {
		return nil, errors.New("webhook: a Handle function is required")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	var mu sync.Mutex
	seen := newDedup(cfg.Dedup)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := httpx.ReadAllLimited(r.Body, 1<<20)
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := Verify(cfg.Secret, r.Header.Get(HeaderSignature), body, now(), cfg.Tolerance); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var note waitlist.Notification
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&note); err != nil {
			http.Error(w, "not a notification", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := seen.has(note.EventID)
		seen.add(note.EventID)
		mu.Unlock()
		if !dup {
			if err := cfg.Handle(r.Context(), note); err != nil {
				mu.Lock()
				seen.forget(note.EventID)
				mu.Unlock()
				http.Error(w, "not processed", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}), nil
}
