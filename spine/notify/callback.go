package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Sign returns the hex HMAC-SHA256 of body under the callback secret
// "applicationID.apiKey", as NHS Notify sends it in the
// x-hmac-sha256-signature header.
func Sign(applicationID, apiKey string, body []byte) string {
	m := hmac.New(sha256.New, []byte(applicationID+"."+apiKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// MessageStatusEvent is a message status callback.
type MessageStatusEvent struct {
	MessageID         string
	Reference         string
	Status            MessageStatus
	StatusDescription string
	FailureReasonCode string
	// Channels are the channels' final statuses (delivered or failed).
	Channels    []ChannelOutcome
	Timestamp   time.Time
	RoutingPlan RoutingPlan
	// IdempotencyKey identifies the event; a retried delivery repeats it.
	IdempotencyKey string
	// Link is the URL of the message (to read it with Message).
	Link string
}

// ChannelOutcome is a channel's status in a message status callback.
type ChannelOutcome struct {
	Type   ChannelType   `json:"type"`
	Status ChannelStatus `json:"channelStatus"`
}

// ChannelStatusEvent is a channel (and supplier) status callback.
type ChannelStatusEvent struct {
	MessageID         string
	Reference         string
	Channel           ChannelType
	CascadeType       string
	CascadeOrder      int
	Status            ChannelStatus
	StatusDescription string
	FailureReasonCode string
	SupplierStatus    string
	RetryCount        int
	Timestamp         time.Time
	IdempotencyKey    string
	Link              string
}

type callbackItem struct {
	Type       string `json:"type"`
	Attributes struct {
		MessageID                string           `json:"messageId"`
		MessageReference         string           `json:"messageReference"`
		MessageStatus            MessageStatus    `json:"messageStatus"`
		MessageStatusDescription string           `json:"messageStatusDescription"`
		MessageFailureReasonCode string           `json:"messageFailureReasonCode"`
		Channels                 []ChannelOutcome `json:"channels"`
		RoutingPlan              RoutingPlan      `json:"routingPlan"`
		Channel                  ChannelType      `json:"channel"`
		CascadeType              string           `json:"cascadeType"`
		CascadeOrder             int              `json:"cascadeOrder"`
		ChannelStatus            ChannelStatus    `json:"channelStatus"`
		ChannelStatusDescription string           `json:"channelStatusDescription"`
		ChannelFailureReasonCode string           `json:"channelFailureReasonCode"`
		SupplierStatus           string           `json:"supplierStatus"`
		RetryCount               int              `json:"retryCount"`
		Timestamp                time.Time        `json:"timestamp"`
	} `json:"attributes"`
	Links struct {
		Message string `json:"message"`
	} `json:"links"`
	Meta struct {
		IdempotencyKey string `json:"idempotencyKey"`
	} `json:"meta"`
}

// CallbackBody is the body of a callback request: a "data" array of
// MessageStatus or ChannelStatus items. Fakes build it with
// MessageStatusCallback and ChannelStatusCallback.
type CallbackBody struct {
	Data []json.RawMessage `json:"data"`
}

// ErrCallback is wrapped by ParseCallback's errors.
var ErrCallback = errors.New("notify: malformed callback")

// ParseCallback decodes a callback body into its events, in order: each
// is a MessageStatusEvent or a ChannelStatusEvent. An item of another type
// or without its required members is an error naming its index.
func ParseCallback(body []byte) ([]any, error) {
	var b CallbackBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, errors.Join(ErrCallback, err)
	}
	if len(b.Data) == 0 {
		return nil, errors.Join(ErrCallback, errors.New("data is empty"))
	}
	out := make([]any, 0, len(b.Data))
	for i, raw := range b.Data {
		var it callbackItem
		if err := json.Unmarshal(raw, &it); err != nil {
			return nil, errors.Join(ErrCallback, &itemError{i, err.Error()})
		}
		a := it.Attributes
		if a.MessageID == "" || a.MessageReference == "" || a.Timestamp.IsZero() {
			return nil, errors.Join(ErrCallback, &itemError{i, "messageId, messageReference or timestamp missing"})
		}
		switch it.Type {
		case "MessageStatus":
			if a.MessageStatus == "" {
				return nil, errors.Join(ErrCallback, &itemError{i, "messageStatus missing"})
			}
			out = append(out, MessageStatusEvent{
				MessageID: a.MessageID, Reference: a.MessageReference, Status: a.MessageStatus,
				StatusDescription: a.MessageStatusDescription, FailureReasonCode: a.MessageFailureReasonCode,
				Channels: a.Channels, Timestamp: a.Timestamp, RoutingPlan: a.RoutingPlan,
				IdempotencyKey: it.Meta.IdempotencyKey, Link: it.Links.Message,
			})
		case "ChannelStatus":
			if a.Channel == "" || a.ChannelStatus == "" {
				return nil, errors.Join(ErrCallback, &itemError{i, "channel or channelStatus missing"})
			}
			out = append(out, ChannelStatusEvent{
				MessageID: a.MessageID, Reference: a.MessageReference, Channel: a.Channel,
				CascadeType: a.CascadeType, CascadeOrder: a.CascadeOrder, Status: a.ChannelStatus,
				StatusDescription: a.ChannelStatusDescription, FailureReasonCode: a.ChannelFailureReasonCode,
				SupplierStatus: a.SupplierStatus, RetryCount: a.RetryCount, Timestamp: a.Timestamp,
				IdempotencyKey: it.Meta.IdempotencyKey, Link: it.Links.Message,
			})
		default:
			return nil, errors.Join(ErrCallback, &itemError{i, "unknown type"})
		}
	}
	return out, nil
}

type itemError struct {
	index int
	msg   string
}

func (e *itemError) Error() string { return "data/" + strconv.Itoa(e.index) + ": " + e.msg }

// MessageStatusCallback encodes a message status callback item (for fakes
// and tests).
func MessageStatusCallback(ev MessageStatusEvent) json.RawMessage {
	var it callbackItem
	it.Type = "MessageStatus"
	a := &it.Attributes
	a.MessageID, a.MessageReference, a.MessageStatus = ev.MessageID, ev.Reference, ev.Status
	a.MessageStatusDescription, a.MessageFailureReasonCode = ev.StatusDescription, ev.FailureReasonCode
	a.Channels, a.Timestamp, a.RoutingPlan = ev.Channels, ev.Timestamp, ev.RoutingPlan
	it.Links.Message, it.Meta.IdempotencyKey = ev.Link, ev.IdempotencyKey
	return encodeItem(it, true)
}

// ChannelStatusCallback encodes a channel status callback item.
func ChannelStatusCallback(ev ChannelStatusEvent) json.RawMessage {
	var it callbackItem
	it.Type = "ChannelStatus"
	a := &it.Attributes
	a.MessageID, a.MessageReference, a.Channel = ev.MessageID, ev.Reference, ev.Channel
	a.CascadeType, a.CascadeOrder, a.ChannelStatus = ev.CascadeType, ev.CascadeOrder, ev.Status
	a.ChannelStatusDescription, a.ChannelFailureReasonCode = ev.StatusDescription, ev.FailureReasonCode
	a.SupplierStatus, a.RetryCount, a.Timestamp = ev.SupplierStatus, ev.RetryCount, ev.Timestamp
	it.Links.Message, it.Meta.IdempotencyKey = ev.Link, ev.IdempotencyKey
	return encodeItem(it, false)
}

func encodeItem(it callbackItem, message bool) json.RawMessage {
	a := it.Attributes
	attrs := map[string]any{"messageId": a.MessageID, "messageReference": a.MessageReference,
		"timestamp": a.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z07:00")}
	put := func(k string, v any, ok bool) {
		if ok {
			attrs[k] = v
		}
	}
	if message {
		attrs["messageStatus"] = a.MessageStatus
		put("messageStatusDescription", a.MessageStatusDescription, a.MessageStatusDescription != "")
		put("messageFailureReasonCode", a.MessageFailureReasonCode, a.MessageFailureReasonCode != "")
		ch := a.Channels
		if ch == nil {
			ch = []ChannelOutcome{}
		}
		attrs["channels"] = ch
		attrs["routingPlan"] = a.RoutingPlan
	} else {
		attrs["channel"], attrs["channelStatus"] = a.Channel, a.ChannelStatus
		attrs["cascadeType"], attrs["cascadeOrder"], attrs["retryCount"] = a.CascadeType, a.CascadeOrder, a.RetryCount
		put("channelStatusDescription", a.ChannelStatusDescription, a.ChannelStatusDescription != "")
		put("channelFailureReasonCode", a.ChannelFailureReasonCode, a.ChannelFailureReasonCode != "")
		put("supplierStatus", a.SupplierStatus, a.SupplierStatus != "")
	}
	b, _ := json.Marshal(map[string]any{"type": it.Type, "attributes": attrs,
		"links": map[string]string{"message": it.Links.Message},
		"meta":  map[string]string{"idempotencyKey": it.Meta.IdempotencyKey}})
	return b
}

// Deduper remembers callback idempotency keys so that a redelivered
// callback is handed to the caller once. Seen reports whether key was
// already recorded; Record records it once the caller has handled the
// event. An implementation shared by several instances (a database table)
// makes that hold across them.
type Deduper interface {
	Seen(ctx context.Context, key string) (bool, error)
	Record(ctx context.Context, key string) error
}

// MemoryDeduper is a Deduper for one process: it remembers keys for TTL
// (default 3 hours, longer than NHS Notify's 2-hour redelivery window).
type MemoryDeduper struct {
	TTL time.Duration
	Now func() time.Time

	mu   sync.Mutex
	keys map[string]time.Time
	ops  int
}

func (d *MemoryDeduper) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Seen implements Deduper.
func (d *MemoryDeduper) Seen(_ context.Context, key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	exp, ok := d.keys[key]
	return ok && d.now().Before(exp), nil
}

// Record implements Deduper.
func (d *MemoryDeduper) Record(_ context.Context, key string) error {
	ttl := d.TTL
	if ttl <= 0 {
		ttl = 3 * time.Hour
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.keys == nil {
		d.keys = map[string]time.Time{}
	}
	now := d.now()
	d.keys[key] = now.Add(ttl)
	if d.ops++; d.ops%1024 == 0 {
		for k, exp := range d.keys {
			if !now.Before(exp) {
				delete(d.keys, k)
			}
		}
	}
	return nil
}

// CallbackHandler is the http.Handler of a sender's callback endpoints:
// it checks the x-api-key header (401 when missing or wrong) and the
// x-hmac-sha256-signature of the body (403 when wrong), decodes the
// events and hands each to OnMessageStatus or OnChannelStatus, then
// answers 202. An event whose handler fails makes the answer 500, so NHS
// Notify delivers it again; events already handled are skipped by their
// idempotency key (Dedup). Two deliveries of one event arriving at the
// same moment may both be handed over (the key is recorded after the
// handler succeeds), and NHS Notify does not promise order: handlers
// must be idempotent and must not assume that a later status comes
// later.
type CallbackHandler struct {
	// ApplicationID and APIKey make the signing secret
	// "ApplicationID.APIKey"; APIKey is also the expected x-api-key.
	ApplicationID string
	APIKey        string

	OnMessageStatus func(context.Context, MessageStatusEvent) error
	OnChannelStatus func(context.Context, ChannelStatusEvent) error

	// Dedup skips redelivered events; nil means a MemoryDeduper made on
	// first use. Set NoDedup to hand every delivery to the caller.
	Dedup   Deduper
	NoDedup bool
	// MaxBodyBytes caps the body (default 1 MiB): 413 beyond it.
	MaxBodyBytes int64
	// Logger receives one record per refused or failed callback, without
	// its content; nil means silent.
	Logger *slog.Logger

	once sync.Once
}

// String describes the handler without its API key (the x-api-key and
// half the signing secret), so that it can be printed with %v or %+v.
func (h *CallbackHandler) String() string {
	if h == nil {
		return "notify.CallbackHandler(nil)"
	}
	return "notify.CallbackHandler{application id " + h.ApplicationID + ", api key ***}"
}

// GoString hides the API key from %#v.
func (h *CallbackHandler) GoString() string { return h.String() }

// LogValue keeps the API key out of logs.
func (h *CallbackHandler) LogValue() slog.Value { return slog.StringValue(h.String()) }

func (h *CallbackHandler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ServeHTTP implements http.Handler.
func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() {
		if h.Dedup == nil && !h.NoDedup {
			h.Dedup = &MemoryDeduper{}
		}
	})
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	key := r.Header.Get("x-api-key")
	if h.APIKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(h.APIKey)) != 1 {
		h.log().Warn("notify callback refused: api key missing or wrong")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if int64(len(body)) > limit {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	want := Sign(h.ApplicationID, h.APIKey, body)
	got := r.Header.Get("x-hmac-sha256-signature")
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		h.log().Warn("notify callback refused: signature does not match")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	events, err := ParseCallback(body)
	if err != nil {
		h.log().Warn("notify callback refused", slog.String("error", err.Error()))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	for _, ev := range events {
		if err := h.handle(ctx, ev); err != nil {
			h.log().Error("notify callback handler failed", slog.String("error", err.Error()))
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (h *CallbackHandler) handle(ctx context.Context, ev any) error {
	var key string
	switch e := ev.(type) {
	case MessageStatusEvent:
		key = e.IdempotencyKey
	case ChannelStatusEvent:
		key = e.IdempotencyKey
	}
	if h.Dedup != nil && key != "" {
		seen, err := h.Dedup.Seen(ctx, key)
		if err != nil {
			return err
		}
		if seen {
			return nil
		}
	}
	var err error
	switch e := ev.(type) {
	case MessageStatusEvent:
		if h.OnMessageStatus != nil {
			err = h.OnMessageStatus(ctx, e)
		}
	case ChannelStatusEvent:
		if h.OnChannelStatus != nil {
			err = h.OnChannelStatus(ctx, e)
		}
	}
	if err != nil {
		return err
	}
	if h.Dedup != nil && key != "" {
		return h.Dedup.Record(ctx, key)
	}
	return nil
}
