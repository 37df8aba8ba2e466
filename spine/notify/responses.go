package notify

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Response is a recipient's answer to an NHS App message that offered
// answer options (keywords): Code is the keyword chosen. Free text is not
// supported by NHS Notify.
type Response struct {
	ID         string // a UUID
	MessageID  string
	Code       string
	Channel    ChannelType // nhsapp
	AuthoredAt time.Time
	Timestamp  time.Time // when NHS Notify processed it
}

type responsesPage struct {
	Data []struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			MessageID  string      `json:"messageId"`
			Code       string      `json:"code"`
			AuthoredAt time.Time   `json:"authoredAt"`
			Timestamp  time.Time   `json:"timestamp"`
			Channel    ChannelType `json:"channel"`
		} `json:"attributes"`
	} `json:"data"`
	Links struct {
		Self string  `json:"self"`
		Next *string `json:"next"`
	} `json:"links"`
	Meta struct {
		TotalCount int `json:"totalCount"`
	} `json:"meta"`
}

// Responses returns the recipient responses to a message, following the
// cursor of each page, and stops at the first error. NHS Notify keeps
// them for 9 months.
func (c *Client) Responses(ctx context.Context, messageID string) iter.Seq2[Response, error] {
	return func(yield func(Response, error) bool) {
		if !ksuid.MatchString(messageID) {
			yield(Response{}, ErrInvalidID)
			return
		}
		cursor := ""
		for pages := 0; ; pages++ {
			path := c.paths.Messages + "/" + url.PathEscape(messageID) + "/responses"
			if cursor != "" {
				path += "?" + url.Values{"cursor": {cursor}}.Encode()
			}
			req, err := c.newRequest(ctx, http.MethodGet, path, nil)
			if err != nil {
				yield(Response{}, err)
				return
			}
			var page responsesPage
			if _, err := c.do(ctx, req, &page); err != nil {
				yield(Response{}, err)
				return
			}
			for _, d := range page.Data {
				r := Response{ID: d.ID, MessageID: d.Attributes.MessageID, Code: d.Attributes.Code,
					Channel: d.Attributes.Channel, AuthoredAt: d.Attributes.AuthoredAt, Timestamp: d.Attributes.Timestamp}
				if !yield(r, nil) {
					return
				}
			}
			if page.Links.Next == nil || *page.Links.Next == "" {
				return
			}
			// The next link is a whole URL; only its opaque cursor is
			// used, so the bearer token never goes to another host.
			next, err := url.Parse(*page.Links.Next)
			if err != nil || next.Query().Get("cursor") == "" || next.Query().Get("cursor") == cursor || pages > 10000 {
				yield(Response{}, fmt.Errorf("notify: responses: unusable next link"))
				return
			}
			cursor = next.Query().Get("cursor")
		}
	}
}

// RecipientResponseEvent is a recipient response callback: a recipient
// answered an NHS App message with one of its keywords.
type RecipientResponseEvent struct {
	MessageID string
	// Reference is the messageReference the message was sent with.
	Reference         string
	CascadeType       string
	Channel           ChannelType
	ChannelStatus     ChannelStatus
	FailureReasonCode string
	Code              string
	ResponseID        string
	AuthoredAt        time.Time
	Timestamp         time.Time
	IdempotencyKey    string
	// Link is the URL of the response.
	Link string
}

type responseItem struct {
	Type       string `json:"type"`
	Attributes struct {
		MessageID                string        `json:"messageId"`
		MessageReference         string        `json:"messageReference"`
		CascadeType              string        `json:"cascadeType"`
		Channel                  ChannelType   `json:"channel"`
		ChannelStatus            ChannelStatus `json:"channelStatus"`
		ChannelFailureReasonCode string        `json:"channelFailureReasonCode,omitempty"`
		Code                     string        `json:"code"`
		ResponseID               string        `json:"responseId"`
		AuthoredAt               time.Time     `json:"authoredAt"`
		Timestamp                time.Time     `json:"timestamp"`
	} `json:"attributes"`
	Links struct {
		RecipientResponse string `json:"recipientResponse"`
	} `json:"links"`
	Meta struct {
		IdempotencyKey string `json:"idempotencyKey"`
	} `json:"meta"`
}

// ParseResponseCallback decodes a recipient response callback body.
func ParseResponseCallback(body []byte) ([]RecipientResponseEvent, error) {
	var b struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, errors.Join(ErrCallback, err)
	}
	if len(b.Data) == 0 {
		return nil, errors.Join(ErrCallback, errors.New("data is empty"))
	}
	out := make([]RecipientResponseEvent, 0, len(b.Data))
	for i, raw := range b.Data {
		var it responseItem
		if err := json.Unmarshal(raw, &it); err != nil {
			return nil, errors.Join(ErrCallback, &itemError{i, err.Error()})
		}
		a := it.Attributes
		switch {
		case it.Type != "RecipientResponse":
			return nil, errors.Join(ErrCallback, &itemError{i, "not a RecipientResponse"})
		case a.MessageID == "" || a.MessageReference == "" || a.Code == "" || a.ResponseID == "" || a.Timestamp.IsZero():
			return nil, errors.Join(ErrCallback, &itemError{i, "messageId, messageReference, code, responseId or timestamp missing"})
		}
		out = append(out, RecipientResponseEvent{
			MessageID: a.MessageID, Reference: a.MessageReference, CascadeType: a.CascadeType, Channel: a.Channel,
			ChannelStatus: a.ChannelStatus, FailureReasonCode: a.ChannelFailureReasonCode, Code: a.Code,
			ResponseID: a.ResponseID, AuthoredAt: a.AuthoredAt, Timestamp: a.Timestamp,
			IdempotencyKey: it.Meta.IdempotencyKey, Link: it.Links.RecipientResponse,
		})
	}
	return out, nil
}

// RecipientResponseCallback encodes a recipient response callback item
// (for fakes and tests).
func RecipientResponseCallback(ev RecipientResponseEvent) json.RawMessage {
	var it responseItem
	it.Type = "RecipientResponse"
	a := &it.Attributes
	a.MessageID, a.MessageReference, a.CascadeType, a.Channel = ev.MessageID, ev.Reference, ev.CascadeType, ev.Channel
	a.ChannelStatus, a.ChannelFailureReasonCode, a.Code, a.ResponseID = ev.ChannelStatus, ev.FailureReasonCode, ev.Code, ev.ResponseID
	a.AuthoredAt, a.Timestamp = ev.AuthoredAt.UTC(), ev.Timestamp.UTC()
	it.Links.RecipientResponse, it.Meta.IdempotencyKey = ev.Link, ev.IdempotencyKey
	b, _ := json.Marshal(it)
	return b
}

// ResponseHandler is the http.Handler of a sender's recipient response
// callback endpoint. NHS Notify authenticates these callbacks with mutual
// TLS, not with an API key and signature: serve the handler over TLS with
// tls.RequireAndVerifyClientCert and the NHS Notify CA in ClientCAs. The
// handler refuses (401) a request that did not present a verified client
// certificate, decodes the responses, skips repeats by idempotency key
// (Dedup, as CallbackHandler) and hands each to OnResponse; 202 accepts,
// and a failed OnResponse answers 500 so that NHS Notify redelivers.
type ResponseHandler struct {
	OnResponse func(context.Context, RecipientResponseEvent) error
	// VerifyPeer, when set, is also asked about the verified client
	// certificate chain (to pin NHS Notify's subject, say).
	VerifyPeer   func(*tls.ConnectionState) error
	Dedup        Deduper
	NoDedup      bool
	MaxBodyBytes int64
	Logger       *slog.Logger

	once sync.Once
}

// ServeHTTP implements http.Handler.
func (h *ResponseHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() {
		if h.Dedup == nil && !h.NoDedup {
			h.Dedup = &MemoryDeduper{}
		}
	})
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		log.Warn("notify response callback refused: no verified client certificate")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if h.VerifyPeer != nil {
		if err := h.VerifyPeer(r.TLS); err != nil {
			log.Warn("notify response callback refused: client certificate", slog.String("error", err.Error()))
			w.WriteHeader(http.StatusForbidden)
			return
		}
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
	evs, err := ParseResponseCallback(body)
	if err != nil {
		log.Warn("notify response callback refused", slog.String("error", err.Error()))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	dedup := h.Dedup
	ctx := r.Context()
	for _, ev := range evs {
		if dedup != nil && ev.IdempotencyKey != "" {
			seen, err := dedup.Seen(ctx, ev.IdempotencyKey)
			if err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			if seen {
				continue
			}
		}
		if h.OnResponse != nil {
			if err := h.OnResponse(ctx, ev); err != nil {
				log.Error("notify response handler failed", slog.String("error", err.Error()))
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
		}
		if dedup != nil && ev.IdempotencyKey != "" {
			if err := dedup.Record(ctx, ev.IdempotencyKey); err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
		}
	}
	w.WriteHeader(http.StatusAccepted)
}
