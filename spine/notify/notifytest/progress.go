package notifytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/nhskit/nhskit/spine/notify"
)

// ErrUnknownMessage is returned by Deliver and Fail for an id the fake
// has not stored.
var ErrUnknownMessage = errors.New("notifytest: no such message")

func sortStatuses(s []notify.Status) {
	sort.Slice(s, func(i, j int) bool {
		if !s[i].Timestamps.Created.Equal(s[j].Timestamps.Created) {
			return s[i].Timestamps.Created.Before(s[j].Timestamps.Created)
		}
		return s[i].ID < s[j].ID
	})
}

// Advance moves the fake's clock on by d and moves every message whose
// next step is due (enrichment EnrichAfter after creation, the end of each
// channel attempt AttemptFor after it started, delivered or failed as
// SetOutcome says), then delivers the callbacks due. It returns the
// callback deliveries that failed (they stay queued).
func (s *Server) Advance(d time.Duration) int {
	s.mu.Lock()
	end := s.now.Add(d)
	ids := make([]string, 0, len(s.messages))
	for id := range s.messages {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := s.messages[id]
		for !m.doc.Status.Final() {
			if m.doc.Timestamps.Enriched.IsZero() {
				due := m.since.Add(s.EnrichAfter)
				if due.After(end) {
					break
				}
				s.now = due
				s.enrich(m)
				continue
			}
			due := m.since.Add(s.AttemptFor)
			if due.After(end) {
				break
			}
			s.now = due
			out := notify.ChannelDelivered
			if o, ok := m.outcomes[m.doc.Channels[m.current].Type]; ok {
				out = o
			}
			s.resolve(m, out, "")
		}
	}
	s.now = end
	s.mu.Unlock()
	return s.FlushCallbacks()
}

// Deliver delivers a message at once on its current channel (enriching it
// first if need be), and delivers the callbacks.
func (s *Server) Deliver(id string) error {
	return s.force(id, notify.ChannelDelivered, "")
}

// Fail fails the message's current channel at once with the reason (the
// next channel of its routing plan is tried, or the message fails), and
// delivers the callbacks.
func (s *Server) Fail(id, reason string) error {
	return s.force(id, notify.ChannelFailed, reason)
}

func (s *Server) force(id string, out notify.ChannelStatus, reason string) error {
	s.mu.Lock()
	m, ok := s.messages[id]
	if !ok {
		s.mu.Unlock()
		return ErrUnknownMessage
	}
	if m.doc.Status.Final() {
		s.mu.Unlock()
		return fmt.Errorf("notifytest: message is already %s", m.doc.Status)
	}
	if m.doc.Timestamps.Enriched.IsZero() {
		s.enrich(m)
	}
	s.resolve(m, out, reason)
	s.mu.Unlock()
	s.FlushCallbacks()
	return nil
}

// enrich looks the recipient up (always found) and starts the first
// channel; s.mu is held.
func (s *Server) enrich(m *message) {
	m.doc.Timestamps.Enriched = s.now
	m.doc.Metadata = []notify.Lookup{{Source: "pds", Version: "1", QueriedAt: s.now, Labels: channelNames(m.doc.Channels)}}
	for i := range m.doc.Channels {
		m.doc.Channels[i].Timestamps.Created = s.now
		m.doc.Channels[i].Status = notify.ChannelCreated
	}
	if len(m.doc.Channels) == 0 {
		m.doc.Status = notify.StatusFailed
		m.doc.StatusDescription = "Failed reason: routing plan has no channels"
		m.doc.Timestamps.Failed = s.now
		s.queueMessage(m)
		return
	}
	m.current = 0
	s.start(m)
}

func (s *Server) start(m *message) {
	c := &m.doc.Channels[m.current]
	c.Status = notify.ChannelSending
	m.since = s.now
	s.queueChannel(m, c)
	if m.doc.Status != notify.StatusSending {
		m.doc.Status = notify.StatusSending
		s.queueMessage(m)
	}
}

// resolve ends the current channel attempt; s.mu is held.
func (s *Server) resolve(m *message, out notify.ChannelStatus, reason string) {
	c := &m.doc.Channels[m.current]
	if out == notify.ChannelDelivered {
		c.Status, c.SupplierStatus, c.Timestamps.Delivered = notify.ChannelDelivered, "delivered", s.now
		s.queueChannel(m, c)
		for i := m.current + 1; i < len(m.doc.Channels); i++ {
			m.doc.Channels[i].Status = notify.ChannelSkipped
			s.queueChannel(m, &m.doc.Channels[i])
		}
		m.doc.Status, m.doc.Timestamps.Delivered = notify.StatusDelivered, s.now
		s.queueMessage(m)
		return
	}
	if reason == "" {
		reason = "The provider could not deliver the message."
	}
	c.Status, c.SupplierStatus, c.Timestamps.Failed = notify.ChannelFailed, "permanent_failure", s.now
	c.StatusDescription = "Failed reason: " + reason
	s.queueChannel(m, c)
	if m.current+1 < len(m.doc.Channels) {
		m.current++
		s.start(m)
		return
	}
	m.doc.Status, m.doc.Timestamps.Failed = notify.StatusFailed, s.now
	m.doc.StatusDescription = "Failed reason: " + reason
	s.queueMessage(m)
}

func (s *Server) queueMessage(m *message) {
	if s.cb == nil || s.cb.messageURL == "" {
		return
	}
	var chans []notify.ChannelOutcome
	if m.doc.Status.Final() {
		for _, c := range m.doc.Channels {
			if c.Status == notify.ChannelDelivered || c.Status == notify.ChannelFailed {
				chans = append(chans, notify.ChannelOutcome{Type: c.Type, Status: c.Status})
			}
		}
	}
	item := notify.MessageStatusCallback(notify.MessageStatusEvent{
		MessageID: m.doc.ID, Reference: m.doc.Reference, Status: m.doc.Status,
		StatusDescription: m.doc.StatusDescription, Channels: chans, Timestamp: s.now,
		RoutingPlan: m.doc.RoutingPlan, IdempotencyKey: randomHex(32), Link: m.doc.Self,
	})
	s.enqueue(s.cb.messageURL, item)
}

func (s *Server) queueChannel(m *message, c *notify.Channel) {
	if s.cb == nil || s.cb.channelURL == "" {
		return
	}
	item := notify.ChannelStatusCallback(notify.ChannelStatusEvent{
		MessageID: m.doc.ID, Reference: m.doc.Reference, Channel: c.Type, CascadeType: c.CascadeType,
		CascadeOrder: c.CascadeOrder, Status: c.Status, StatusDescription: c.StatusDescription,
		SupplierStatus: c.SupplierStatus, RetryCount: c.RetryCount, Timestamp: s.now,
		IdempotencyKey: randomHex(32), Link: m.doc.Self,
	})
	s.enqueue(s.cb.channelURL, item)
}

func (s *Server) enqueue(uri string, item json.RawMessage) {
	body, _ := json.Marshal(notify.CallbackBody{Data: []json.RawMessage{item}})
	s.queue = append(s.queue, callback{body: body, uri: uri})
}

// FlushCallbacks delivers the queued callbacks in order, each once; those
// the receiver did not accept (not 2xx, or no answer) stay queued for the
// next flush, as NHS Notify retries for two hours. It returns how many
// failed.
func (s *Server) FlushCallbacks() int {
	s.mu.Lock()
	q := s.queue
	s.queue = nil
	cb := s.cb
	s.mu.Unlock()
	var failed []callback
	for _, c := range q {
		if !deliver(cb, c) {
			failed = append(failed, c)
		}
	}
	s.mu.Lock()
	s.stats.CallbacksSent += len(q) - len(failed)
	s.stats.CallbacksLost += len(failed)
	s.queue = append(failed, s.queue...)
	s.mu.Unlock()
	return len(failed)
}

// Redeliver sends a callback body (one of Pending, or one a receiver
// recorded) again, signed, as NHS Notify may: callbacks can arrive twice
// and out of order, and a receiver must skip repeats by their idempotency
// key. It reports whether the receiver accepted it.
func (s *Server) Redeliver(body []byte) bool {
	s.mu.Lock()
	cb := s.cb
	s.mu.Unlock()
	if cb == nil {
		return false
	}
	var uri string
	var b notify.CallbackBody
	if json.Unmarshal(body, &b) == nil && len(b.Data) > 0 {
		var t struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(b.Data[0], &t)
		uri = cb.channelURL
		if t.Type == "MessageStatus" {
			uri = cb.messageURL
		}
	}
	return deliver(cb, callback{body: body, uri: uri})
}

// Pending returns the bodies of the callbacks not yet delivered.
func (s *Server) Pending() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.queue))
	for i, c := range s.queue {
		out[i] = append([]byte(nil), c.body...)
	}
	return out
}

func deliver(cb *callbackConfig, c callback) bool {
	if cb == nil || c.uri == "" {
		return false
	}
	req, err := http.NewRequest(http.MethodPost, c.uri, bodyReader(c.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/vnd.api+json")
	req.Header.Set("x-api-key", cb.apiKey)
	req.Header.Set("x-hmac-sha256-signature", notify.Sign(cb.appID, cb.apiKey, c.body))
	resp, err := cb.client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}
