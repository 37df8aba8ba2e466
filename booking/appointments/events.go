package appointments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/waitlist/webhook"
)

// Consume runs fn over the ledger's events as the named consumer until
// ctx ends: each event goes to one instance's fn, in order, and again if
// fn fails (after poll), so fn must be idempotent by Event.Seq. Use one
// consumer name per purpose: "waitlist" to offer released places (a
// waiting list's Hold keyed by the release's Seq makes one offer however
// often it is delivered), "webhooks" for Webhooks.Deliver.
func Consume(ctx context.Context, l booking.Ledger, consumer string, poll time.Duration, fn func(context.Context, booking.Event) error) error {
	if poll <= 0 {
		poll = time.Second
	}
	var wake <-chan struct{}
	if w, ok := l.(booking.Watcher); ok {
		if ch, err := w.Watch(ctx); err == nil {
			wake = ch
		}
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		n, err := l.Consume(ctx, consumer, 100, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && n == 100 {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
		}
	}
}

// Notification is the JSON body of a webhook. It names slots and
// appointments by id; the patient reference goes out only when the
// Webhooks opt in.
type Notification struct {
	ID          string    `json:"id"` // "evt-<seq>": the same on every retry
	Type        string    `json:"type"`
	Seq         uint64    `json:"seq"`
	At          time.Time `json:"at"`
	Slot        string    `json:"slot"`
	Service     string    `json:"service,omitempty"`
	Start       time.Time `json:"start"`
	Free        int       `json:"free"`
	Appointment string    `json:"appointment,omitempty"`
	Patient     string    `json:"patient,omitempty"`
}

var eventTypes = map[booking.EventKind]string{
	booking.Booked:       "appointment.booked",
	booking.Cancelled:    "appointment.cancelled",
	booking.SlotReleased: "slot.released",
	booking.SlotRemoved:  "slot.removed",
}

// DeadLetter is a notification that could not be delivered.
type DeadLetter struct {
	Notification Notification
	Attempts     int
	LastError    string
}

// Webhooks delivers booking events to one URL, signed as
// waitlist/webhook signs them (Standard Webhooks style: HMAC-SHA256 over
// timestamp and body, in the Nhskit-Signature header), retrying with
// backoff and moving what still fails to a dead-letter list.
type Webhooks struct {
	url            string
	secret         []byte
	client         *http.Client
	maxAttempts    int
	backoff        time.Duration
	includePatient bool
	now            func() time.Time
	sleep          func(context.Context, time.Duration) error

	mu   sync.Mutex
	dead []DeadLetter
}

// WebhookOption configures Webhooks.
type WebhookOption func(*Webhooks)

// WithHTTPClient sets the client deliveries use (default
// http.DefaultClient).
func WithHTTPClient(c *http.Client) WebhookOption { return func(w *Webhooks) { w.client = c } }

// WithAttempts sets how many times a notification is tried (default 5)
// and the first wait between tries, which doubles (default 500 ms).
func WithAttempts(n int, backoff time.Duration) WebhookOption {
	return func(w *Webhooks) { w.maxAttempts, w.backoff = n, backoff }
}

// WithPatient opts in to sending the patient reference.
func WithPatient() WebhookOption { return func(w *Webhooks) { w.includePatient = true } }

// WithWebhookClock sets the clock for signatures and the wait between
// tries (for tests).
func WithWebhookClock(now func() time.Time, sleep func(context.Context, time.Duration) error) WebhookOption {
	return func(w *Webhooks) { w.now, w.sleep = now, sleep }
}

// NewWebhooks checks the target: an http or https URL and a secret of at
// least 16 bytes (an empty secret would sign nothing).
func NewWebhooks(target string, secret []byte, opts ...WebhookOption) (*Webhooks, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("appointments: webhook url must be http or https")
	}
	if len(secret) < 16 {
		return nil, errors.New("appointments: webhook secret must be at least 16 bytes")
	}
	w := &Webhooks{url: target, secret: secret, client: http.DefaultClient, maxAttempts: 5, backoff: 500 * time.Millisecond,
		now: time.Now, sleep: func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

// DeadLetters returns the notifications that were given up on.
func (w *Webhooks) DeadLetters() []DeadLetter {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]DeadLetter(nil), w.dead...)
}

// Deliver sends one event (a consumer callback for Consume). Events of
// other kinds are skipped. It returns an error only when ctx ended, so the
// event is delivered again later; a notification that keeps failing goes
// to the dead-letter list and the log moves on.
func (w *Webhooks) Deliver(ctx context.Context, ev booking.Event) error {
	typ, ok := eventTypes[ev.Kind]
	if !ok {
		return nil
	}
	n := Notification{ID: "evt-" + strconv.FormatUint(ev.Seq, 10), Type: typ, Seq: ev.Seq, At: ev.At.UTC(), Slot: ev.SlotID,
		Service: ev.Slot.Service, Start: ev.Slot.Start.UTC(), Free: ev.Free, Appointment: ev.BookingID}
	if w.includePatient {
		n.Patient = ev.RequestID
	}
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	wait := w.backoff
	var last string
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, n.ID, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err.Error()
		if !retry || attempt >= w.maxAttempts {
			w.mu.Lock()
			w.dead = append(w.dead, DeadLetter{Notification: n, Attempts: attempt, LastError: last})
			w.mu.Unlock()
			return nil
		}
		if err := w.sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

// post sends once; retry says whether a failure is worth another try
// (network errors, 408, 429, 5xx).
func (w *Webhooks) post(ctx context.Context, id string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderEventID, id)
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(w.secret, body, w.now()))
	resp, err := w.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("appointments: webhook %s: %w", id, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("appointments: webhook %s: status %d", id, resp.StatusCode)
	}
	return false, fmt.Errorf("appointments: webhook %s: status %d", id, resp.StatusCode)
}

// Replay rebuilds every appointment's state from a ledger's events (the
// audit trail): what Booking returns, for id, slot, patient, status and
// version.
func Replay(events []booking.Event) map[string]booking.Booking {
	out := map[string]booking.Booking{}
	for _, ev := range events {
		if ev.BookingID == "" {
			continue
		}
		b, seen := out[ev.BookingID]
		switch ev.Kind {
		case booking.Booked:
			if !seen {
				b = booking.Booking{ID: ev.BookingID, RequestID: ev.RequestID, Created: ev.At}
			}
			b.SlotID, b.Status, b.Updated = ev.SlotID, booking.StatusBooked, ev.At
			b.Version++
		case booking.Cancelled:
			if b.SlotID != ev.SlotID {
				continue // the old slot of a reschedule: counted on Booked
			}
			b.Status, b.Updated = booking.StatusCancelled, ev.At
			b.Version++
		default:
			continue
		}
		out[ev.BookingID] = b
	}
	return out
}
