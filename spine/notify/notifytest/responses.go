package notifytest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/spine/notify"
)

// ResponsesPageSize is how many recipient responses a page holds.
const ResponsesPageSize = 10

// ErrNoNHSAppChannel is returned by Respond for a message whose routing
// plan has no NHS App channel: only NHS App messages take responses.
var ErrNoNHSAppChannel = errors.New("notifytest: responses come only through the NHS App channel")

// Respond records the recipient's keyword answer (code, such as "CANCEL")
// to an NHS App message, authored now on the fake's clock, and POSTs the
// recipient response callback when WithResponseCallbacks is set. It
// returns the response and whether the callback was accepted.
func (s *Server) Respond(messageID, code string) (notify.Response, bool, error) {
	s.mu.Lock()
	m, ok := s.messages[messageID]
	if !ok {
		s.mu.Unlock()
		return notify.Response{}, false, ErrUnknownMessage
	}
	var ch *notify.Channel
	for i := range m.doc.Channels {
		if m.doc.Channels[i].Type == notify.NHSApp {
			ch = &m.doc.Channels[i]
		}
	}
	if ch == nil || code == "" {
		s.mu.Unlock()
		return notify.Response{}, false, ErrNoNHSAppChannel
	}
	status := ch.Status
	if status != notify.ChannelDelivered && status != notify.ChannelFailed {
		status = notify.ChannelSending
	}
	r := notify.Response{ID: httpx.NewUUID(), MessageID: messageID, Code: code, Channel: notify.NHSApp,
		AuthoredAt: s.now, Timestamp: s.now.Add(5 * time.Second)}
	m.responses = append(m.responses, r)
	ev := notify.RecipientResponseEvent{MessageID: messageID, Reference: m.doc.Reference, CascadeType: ch.CascadeType,
		Channel: notify.NHSApp, ChannelStatus: status, Code: code, ResponseID: r.ID, AuthoredAt: r.AuthoredAt,
		Timestamp: r.Timestamp, IdempotencyKey: randomHex(32),
		Link: s.URL + "/v1/messages/" + messageID + "/recipient-response/" + r.ID}
	rcb := s.rcb
	s.mu.Unlock()
	if rcb == nil {
		return r, false, nil
	}
	body, _ := json.Marshal(map[string]any{"data": []json.RawMessage{notify.RecipientResponseCallback(ev)}})
	req, err := http.NewRequest(http.MethodPost, rcb.url, bytes.NewReader(body))
	if err != nil {
		return r, false, err
	}
	req.Header.Set("Content-Type", "application/vnd.api+json")
	resp, err := rcb.client.Do(req)
	if err != nil {
		return r, false, nil
	}
	_ = resp.Body.Close()
	return r, resp.StatusCode/100 == 2, nil
}

// cursors are opaque to clients: base64 of a random prefix and the offset.
func cursorFor(offset int) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%x:%d", b, offset)))
}

func offsetOf(cursor string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(raw, ':')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(raw[i+1:]))
	return n, err == nil && n >= 0
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request, id string) {
	if !ksuidPattern.MatchString(id) {
		writeErrors(w, apiError{status: http.StatusBadRequest, code: string(notify.ErrInvalidValue), title: "Invalid value",
			detail: "The message ID provided is not a valid KSUID.", parameter: "messageId"})
		return
	}
	offset := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, ok := offsetOf(c)
		if !ok {
			writeErrors(w, apiError{status: http.StatusBadRequest, code: string(notify.ErrInvalidValue), title: "Invalid value",
				detail: "The cursor provided is not valid.", parameter: "cursor"})
			return
		}
		offset = n
	}
	s.mu.Lock()
	m, ok := s.messages[id]
	var all []notify.Response
	if ok {
		all = append(all, m.responses...)
	}
	s.mu.Unlock()
	if !ok {
		writeErrors(w, apiError{status: http.StatusNotFound, code: string(notify.ErrNotFound), title: "Resource not found", detail: "The resource at the requested URI was not found."})
		return
	}
	offset = min(offset, len(all))
	end := min(len(all), offset+ResponsesPageSize)
	data := make([]map[string]any, 0, end-offset)
	for _, x := range all[offset:end] {
		data = append(data, map[string]any{"type": "Response", "id": x.ID, "attributes": map[string]any{
			"messageId": x.MessageID, "code": x.Code, "authoredAt": stamp(x.AuthoredAt), "timestamp": stamp(x.Timestamp), "channel": x.Channel}})
	}
	base := s.URL + "/v1/messages/" + id + "/responses"
	self := base
	if offset > 0 {
		self += "?cursor=" + cursorFor(offset)
	}
	links := map[string]any{"self": self, "next": nil, "prev": nil}
	if end < len(all) {
		links["next"] = base + "?cursor=" + cursorFor(end)
	}
	if offset > 0 {
		links["prev"] = base + "?cursor=" + cursorFor(max(0, offset-ResponsesPageSize))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": links, "meta": map[string]int{"totalCount": len(all)}})
}
