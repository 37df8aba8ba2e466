package meshtest

import (
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhskit/nhskit/mesh"
)

// DefaultSharedKey is the shared key the MESH sandbox uses.
const DefaultSharedKey = "TestKey"

// Server is a fake MESH.
type Server struct {
	URL       string
	SharedKey string
	// ClockSkew is how far an auth timestamp may be from the server's
	// clock (default 2 hours).
	ClockSkew time.Duration
	// PageSize is the inbox page size (default 500).
	PageSize int
	// MaxChunkSize refuses larger chunks with 413 (default 100 MiB).
	MaxChunkSize int64
	// Now is the server's clock.
	Now func() time.Time
	// DataDir, when set before use, makes the server keep chunk contents
	// in files there instead of memory, for tests of very large messages.
	DataDir string

	srv *httptest.Server

	mu        sync.Mutex
	mailboxes map[string]*mailbox
	messages  map[string]*message
	nonces    map[string]bool
	faults    []*Fault
	rng       *rand.Rand
	faultRate float64
	stats     Stats
	endpoints map[string][]string // "ods/workflow" -> mailboxes
}

type mailbox struct {
	id, password string
	workflows    map[string]bool // empty: any
	inbox        []string
}

type message struct {
	id, from, to, workflow, subject, localID, fileName, checksum, contentType string
	compressed                                                                bool
	chunks                                                                    []*chunk
	total                                                                     int
	status                                                                    string // uploading, accepted, acknowledged, expired
	created                                                                   time.Time
}

// chunk is one stored chunk, in memory or in a file under DataDir.
type chunk struct {
	data []byte
	path string
	size int64
}

func (c *chunk) open() (io.ReadCloser, error) {
	if c.path == "" {
		return io.NopCloser(strings.NewReader(string(c.data))), nil
	}
	return os.Open(c.path)
}

// Stats counts what the server did.
type Stats struct {
	Requests, AuthFailures, FaultsInjected, MessagesAccepted, Acknowledged int
}

// NewServer starts a fake MESH on loopback over plain HTTP.
func NewServer() *Server { return newServer(false) }

// NewTLSServer starts a fake MESH on loopback over HTTPS; Client returns
// an *http.Client that trusts it.
func NewTLSServer() *Server { return newServer(true) }

func newServer(useTLS bool) *Server {
	s := &Server{
		SharedKey: DefaultSharedKey,
		ClockSkew: 2 * time.Hour,
		PageSize:  500,
		Now:       time.Now,
		mailboxes: map[string]*mailbox{},
		messages:  map[string]*message{},
		nonces:    map[string]bool{},
		endpoints: map[string][]string{},
		rng:       rand.New(rand.NewPCG(1, 1)),
	}
	s.MaxChunkSize = 100 << 20
	if useTLS {
		s.srv = httptest.NewTLSServer(http.HandlerFunc(s.handle))
	} else {
		s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	}
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns a client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AddMailbox creates a mailbox that may receive any workflow.
func (s *Server) AddMailbox(id, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := &mailbox{id: strings.ToUpper(id), password: password, workflows: map[string]bool{}}
	s.mailboxes[mb.id] = mb
}

// RestrictWorkflows limits the workflow ids a mailbox may receive; others
// are refused with 417 and error code 17, as MESH does.
func (s *Server) RestrictWorkflows(id string, workflows ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mb := s.mailboxes[strings.ToUpper(id)]; mb != nil {
		for _, w := range workflows {
			mb.workflows[w] = true
		}
	}
}

// AddEndpoint registers a mailbox for endpoint lookup by ODS code and
// workflow.
func (s *Server) AddEndpoint(ods, workflow, mailboxID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToUpper(ods) + "/" + workflow
	s.endpoints[k] = append(s.endpoints[k], strings.ToUpper(mailboxID))
}

// Stats returns counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Delivered returns, for a mailbox, how many accepted (complete) messages
// it has received in total, by local id: a test proves "exactly once" with
// it.
func (s *Server) Delivered(mailboxID string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, m := range s.messages {
		if m.to == strings.ToUpper(mailboxID) && m.status != "uploading" {
			out[m.localID]++
		}
	}
	return out
}

// Unacknowledged counts a mailbox's accepted messages not yet acknowledged.
func (s *Server) Unacknowledged(mailboxID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mailboxes[strings.ToUpper(mailboxID)].inbox)
}

// Expire marks messages accepted before t as expired: they leave the inbox
// and downloads answer 410.
func (s *Server) Expire(before time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.messages {
		if m.status == "accepted" && m.created.Before(before) {
			m.status = "expired"
			s.removeFromInbox(m)
			n++
		}
	}
	return n
}

// FaultKind is a kind of failure to inject.
type FaultKind int

// Fault kinds.
const (
	// FaultStatus answers with Status (and Retry-After, if set) without
	// processing the request.
	FaultStatus FaultKind = iota
	// FaultDropMidBody reads part of the request body, then closes the
	// connection: the request is not processed.
	FaultDropMidBody
	// FaultLoseResponse processes the request fully, then closes the
	// connection instead of answering: the client cannot tell it worked.
	FaultLoseResponse
)

// Fault is one scheduled failure, applied to the next Count requests whose
// method and path match (empty Method or PathContains match anything).
type Fault struct {
	Kind         FaultKind
	Method       string
	PathContains string
	Status       int
	RetryAfter   string
	Count        int
}

// AddFault schedules a fault.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Count <= 0 {
		f.Count = 1
	}
	s.faults = append(s.faults, &f)
}

// SetFaultRate makes each request (handshake and lookups excepted) fail
// with probability p, choosing at random among 500, 502, 503, 429 with
// Retry-After, a dropped connection mid-body and a lost response, from a
// deterministic seed.
func (s *Server) SetFaultRate(p float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultRate = p
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func (s *Server) pickFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && (f.PathContains == "" || strings.Contains(r.URL.Path, f.PathContains)) {
			f.Count--
			if f.Count <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			s.stats.FaultsInjected++
			return f
		}
	}
	if s.faultRate > 0 && s.rng.Float64() < s.faultRate {
		s.stats.FaultsInjected++
		switch s.rng.IntN(6) {
		case 0:
			return &Fault{Kind: FaultStatus, Status: 500}
		case 1:
			return &Fault{Kind: FaultStatus, Status: 502}
		case 2:
			return &Fault{Kind: FaultStatus, Status: 503}
		case 3:
			return &Fault{Kind: FaultStatus, Status: 429, RetryAfter: "0"}
		case 4:
			return &Fault{Kind: FaultDropMidBody}
		default:
			return &Fault{Kind: FaultLoseResponse}
		}
	}
	return nil
}

func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// discardWriter records a response that will never be sent.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// meshError writes MESH's JSON error body.
func meshError(w http.ResponseWriter, status int, event, code, description, messageID string) {
	body := map[string]string{"errorEvent": event, "errorCode": code, "errorDescription": description}
	if messageID != "" {
		body["messageID"] = messageID
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", mesh.MediaTypeV2)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "messageexchange" {
		meshError(w, http.StatusNotFound, "", "", "not found", "")
		return
	}
	if acc := r.Header.Get("Accept"); acc != "" && strings.Contains(acc, "vnd.mesh") && !strings.Contains(acc, "vnd.mesh.v2+json") && !strings.Contains(acc, "vnd.mesh.v1+json") {
		meshError(w, http.StatusBadRequest, "", "", "Accept header api format incorrect", "")
		return
	}
	var mb *mailbox
	switch parts[1] {
	case "endpointlookup", "workflowsearch":
		// Lookups are authorised like any request, but by any mailbox.
		if mb = s.authorise(w, r, ""); mb == nil {
			return
		}
		s.lookup(w, parts)
		return
	}
	if mb = s.authorise(w, r, strings.ToUpper(parts[1])); mb == nil {
		return
	}
	rest := parts[2:]
	if len(rest) > 0 && (rest[0] == "outbox" || rest[0] == "inbox") {
		if f := s.pickFault(r); f != nil {
			switch f.Kind {
			case FaultStatus:
				if f.RetryAfter != "" {
					w.Header().Set("Retry-After", f.RetryAfter)
				}
				meshError(w, f.Status, "", "", http.StatusText(f.Status), "")
				return
			case FaultDropMidBody:
				_, _ = io.CopyN(io.Discard, r.Body, 512)
				hangUp(w)
				return
			case FaultLoseResponse:
				s.route(&discardWriter{h: http.Header{}}, r, mb, rest)
				hangUp(w)
				return
			}
		}
	}
	s.route(w, r, mb, rest)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, mb *mailbox, rest []string) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"mailbox_id": mb.id})
	case len(rest) == 1 && rest[0] == "outbox" && r.Method == http.MethodPost:
		s.send(w, r, mb)
	case len(rest) == 3 && rest[0] == "outbox" && r.Method == http.MethodPost:
		s.sendChunk(w, r, mb, strings.ToUpper(rest[1]), rest[2])
	case len(rest) >= 2 && rest[0] == "outbox" && rest[1] == "tracking" && r.Method == http.MethodGet:
		id := ""
		if len(rest) == 3 {
			id = strings.ToUpper(rest[2])
		}
		s.track(w, r, mb, id)
	case len(rest) == 1 && rest[0] == "inbox" && r.Method == http.MethodGet:
		s.inbox(w, r, mb)
	case (len(rest) == 2 || len(rest) == 3) && rest[0] == "inbox" && r.Method == http.MethodGet:
		n := "1"
		if len(rest) == 3 {
			n = rest[2]
		}
		s.download(w, mb, strings.ToUpper(rest[1]), n)
	case len(rest) == 4 && rest[0] == "inbox" && rest[2] == "status" && rest[3] == "acknowledged" && r.Method == http.MethodPut:
		s.ack(w, mb, strings.ToUpper(rest[1]))
	default:
		meshError(w, http.StatusNotFound, "", "", "not found", "")
	}
}

// authorise checks the NHSMESH header; want is the mailbox in the path
// ("" for lookups).
func (s *Server) authorise(w http.ResponseWriter, r *http.Request, want string) *mailbox {
	fail := func(desc string) *mailbox {
		s.mu.Lock()
		s.stats.AuthFailures++
		s.mu.Unlock()
		meshError(w, http.StatusForbidden, "", "", desc, "")
		return nil
	}
	tok, err := mesh.ParseAuthHeader(r.Header.Get("Authorization"))
	if err != nil {
		return fail("Error reading from Authorization header")
	}
	s.mu.Lock()
	mb := s.mailboxes[strings.ToUpper(tok.Mailbox)]
	s.mu.Unlock()
	if mb == nil {
		return fail("Invalid Authentication Token")
	}
	if want != "" && mb.id != want {
		return fail("Mailbox id does not match token")
	}
	if !tok.Verify(mb.password, s.SharedKey) {
		return fail("Invalid Authentication Token")
	}
	if d := s.Now().Sub(tok.Time); d > s.ClockSkew || d < -s.ClockSkew {
		return fail("Invalid Authentication Token")
	}
	s.mu.Lock()
	key := mb.id + ":" + tok.Nonce + ":" + tok.NonceCount
	dup := s.nonces[key]
	s.nonces[key] = true
	s.mu.Unlock()
	if dup {
		return fail("Error Duplicated Authentication Token")
	}
	return mb
}

func newMessageID(now time.Time) string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	return now.UTC().Format("20060102150405") + fmt.Sprintf("%06d", now.Nanosecond()/1000) + "_" + strings.ToUpper(hex.EncodeToString(b[:]))
}

func parseRange(h string) (n, total int, ok bool) {
	if h == "" {
		return 1, 1, true
	}
	a, b, found := strings.Cut(h, ":")
	if !found {
		return 0, 0, false
	}
	n, err1 := strconv.Atoi(a)
	total, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || total < 1 || n > total {
		return 0, 0, false
	}
	return n, total, true
}

func (s *Server) readChunk(w http.ResponseWriter, r *http.Request) (*chunk, bool) {
	limited := io.LimitReader(r.Body, s.MaxChunkSize+1)
	if s.DataDir != "" {
		f, err := os.CreateTemp(s.DataDir, "chunk-*")
		if err != nil {
			meshError(w, http.StatusInternalServerError, "", "", "storage failure", "")
			return nil, false
		}
		n, err := io.Copy(f, limited)
		f.Close()
		if err != nil || n > s.MaxChunkSize {
			os.Remove(f.Name())
			if err == nil {
				meshError(w, http.StatusRequestEntityTooLarge, "SEND", "", "chunk exceeds the maximum size", "")
			}
			return nil, false
		}
		return &chunk{path: f.Name(), size: n}, true
	}
	body, err := io.ReadAll(limited)
	if err != nil {
		return nil, false // the connection broke: nothing stored
	}
	if int64(len(body)) > s.MaxChunkSize {
		meshError(w, http.StatusRequestEntityTooLarge, "SEND", "", "chunk exceeds the maximum size", "")
		return nil, false
	}
	return &chunk{data: body, size: int64(len(body))}, true
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, from *mailbox) {
	h := r.Header
	to := strings.ToUpper(h.Get("mex-To"))
	workflow := h.Get("mex-WorkflowID")
	if to == "" {
		meshError(w, http.StatusBadRequest, "SEND", "08", "TO_DTS missing", "")
		return
	}
	if workflow == "" {
		meshError(w, http.StatusBadRequest, "SEND", "", "mex-WorkflowID missing", "")
		return
	}
	n, total, ok := parseRange(h.Get("mex-Chunk-Range"))
	if !ok || n != 1 {
		meshError(w, http.StatusBadRequest, "SEND", "InvalidHeaderChunks", "Invalid chunk values sent in mex-Chunk-Range header", "")
		return
	}
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
	if enc != "" && enc != "gzip" {
		meshError(w, http.StatusBadRequest, "SEND", "UnsupportedContentEncoding", "Unsupported content encoding", "")
		return
	}
	body, ok := s.readChunk(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rcpt := s.mailboxes[to]
	if rcpt == nil {
		meshError(w, http.StatusExpectationFailed, "SEND", "12", "Unregistered to address", "")
		return
	}
	if len(rcpt.workflows) > 0 && !rcpt.workflows[workflow] {
		meshError(w, http.StatusExpectationFailed, "SEND", "17", "Workflow ID not registered for mailbox", "")
		return
	}
	now := s.Now()
	m := &message{
		id: newMessageID(now), from: from.id, to: to, workflow: workflow,
		subject: h.Get("mex-Subject"), localID: h.Get("mex-LocalID"), fileName: h.Get("mex-FileName"),
		checksum: h.Get("mex-Content-Checksum"), contentType: h.Get("Content-Type"),
		compressed: strings.EqualFold(h.Get("mex-Content-Compressed"), "Y") || enc == "gzip",
		chunks:     make([]*chunk, total), total: total, status: "uploading", created: now,
	}
	m.chunks[0] = body
	s.messages[m.id] = m
	s.maybeAccept(m)
	writeJSON(w, http.StatusAccepted, map[string]string{"message_id": m.id})
}

// maybeAccept makes a message deliverable once every chunk has arrived.
func (s *Server) maybeAccept(m *message) {
	if m.status != "uploading" {
		return
	}
	for _, c := range m.chunks {
		if c == nil {
			return
		}
	}
	m.status = "accepted"
	s.stats.MessagesAccepted++
	rcpt := s.mailboxes[m.to]
	rcpt.inbox = append(rcpt.inbox, m.id)
}

func (s *Server) sendChunk(w http.ResponseWriter, r *http.Request, from *mailbox, id, chunkNo string) {
	n, err := strconv.Atoi(chunkNo)
	rn, total, ok := parseRange(r.Header.Get("mex-Chunk-Range"))
	if err != nil || !ok || rn != n {
		meshError(w, http.StatusBadRequest, "SEND", "InvalidHeaderChunks", "Invalid chunk values sent in mex-Chunk-Range header", id)
		return
	}
	body, ok := s.readChunk(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil || m.from != from.id {
		meshError(w, http.StatusNotFound, "SEND", "20", "Message does not exist", id)
		return
	}
	if total != m.total || n < 2 || n > m.total {
		meshError(w, http.StatusBadRequest, "SEND", "InvalidHeaderChunks", "Invalid chunk values sent in mex-Chunk-Range header", id)
		return
	}
	if m.status != "uploading" {
		// A resent chunk of a complete message: already stored.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	m.chunks[n-1] = body
	s.maybeAccept(m)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) trackingView(m *message) map[string]any {
	status := map[string]string{"uploading": "uploading", "accepted": "accepted", "acknowledged": "acknowledged", "expired": "undeliverable"}[m.status]
	return map[string]any{
		"message_id": m.id, "local_id": m.localID, "sender": m.from, "recipient": m.to,
		"workflow_id": m.workflow, "status": status, "total_chunks": m.total,
		"upload_timestamp": m.created.UTC().Format(time.RFC3339),
	}
}

func (s *Server) track(w http.ResponseWriter, r *http.Request, mb *mailbox, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = strings.ToUpper(r.URL.Query().Get("messageID"))
	}
	if local := r.URL.Query().Get("localID"); id == "" && local != "" {
		var found []*message
		for _, m := range s.messages {
			if m.from == mb.id && m.localID == local {
				found = append(found, m)
			}
		}
		if len(found) == 0 {
			meshError(w, http.StatusNotFound, "TRACK", "20", "Message does not exist", "")
			return
		}
		sort.Slice(found, func(i, j int) bool { return found[i].created.Before(found[j].created) })
		writeJSON(w, http.StatusOK, s.trackingView(found[0]))
		return
	}
	m := s.messages[id]
	if m == nil || m.from != mb.id {
		meshError(w, http.StatusNotFound, "TRACK", "20", "Message does not exist", id)
		return
	}
	writeJSON(w, http.StatusOK, s.trackingView(m))
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request, mb *mailbox) {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := s.PageSize
	if v, err := strconv.Atoi(r.URL.Query().Get("max_results")); err == nil && v > 0 && v < size {
		size = v
	}
	start := 0
	if c := r.URL.Query().Get("continue_from"); c != "" {
		for i, id := range mb.inbox {
			if id == c {
				start = i + 1
				break
			}
		}
	}
	end := min(len(mb.inbox), start+size)
	ids := append([]string{}, mb.inbox[start:end]...)
	resp := map[string]any{"messages": ids, "approx_inbox_count": len(mb.inbox)}
	links := map[string]string{"self": r.URL.Path}
	if end < len(mb.inbox) && len(ids) > 0 {
		links["next"] = r.URL.Path + "?max_results=" + strconv.Itoa(size) + "&continue_from=" + ids[len(ids)-1]
	}
	resp["links"] = links
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) download(w http.ResponseWriter, mb *mailbox, id, chunkNo string) {
	n, err := strconv.Atoi(chunkNo)
	s.mu.Lock()
	m := s.messages[id]
	var body *chunk
	var status int
	if m != nil && m.to == mb.id && err == nil && n >= 1 && n <= m.total {
		body, status = m.chunks[n-1], 200
	}
	s.mu.Unlock()
	switch {
	case m == nil || m.to != mb.id || m.status == "uploading":
		meshError(w, http.StatusNotFound, "RECEIVE", "20", "Message does not exist", id)
		return
	case m.status == "acknowledged" || m.status == "expired":
		meshError(w, http.StatusGone, "RECEIVE", "", "Message no longer available for download", id)
		return
	case status == 0:
		meshError(w, http.StatusNotFound, "RECEIVE", "", "chunk does not exist", id)
		return
	}
	h := w.Header()
	h.Set("mex-MessageID", m.id)
	h.Set("mex-From", m.from)
	h.Set("mex-To", m.to)
	h.Set("mex-WorkflowID", m.workflow)
	h.Set("mex-MessageType", "DATA")
	if m.subject != "" {
		h.Set("mex-Subject", m.subject)
	}
	if m.localID != "" {
		h.Set("mex-LocalID", m.localID)
	}
	if m.fileName != "" {
		h.Set("mex-FileName", m.fileName)
	}
	if m.checksum != "" {
		h.Set("mex-Content-Checksum", m.checksum)
	}
	if m.compressed {
		h.Set("mex-Content-Compressed", "Y")
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("mex-Chunk-Range", strconv.Itoa(n)+":"+strconv.Itoa(m.total))
	h.Set("mex-Total-Chunks", strconv.Itoa(m.total))
	h.Set("Content-Type", "application/octet-stream")
	rc, err := body.open()
	if err != nil {
		meshError(w, http.StatusInternalServerError, "", "", "storage failure", id)
		return
	}
	defer rc.Close()
	h.Set("Content-Length", strconv.FormatInt(body.size, 10))
	if m.total > 1 && n < m.total {
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	_, _ = io.Copy(w, rc)
}

func (s *Server) removeFromInbox(m *message) {
	rcpt := s.mailboxes[m.to]
	for i, id := range rcpt.inbox {
		if id == m.id {
			rcpt.inbox = append(rcpt.inbox[:i], rcpt.inbox[i+1:]...)
			return
		}
	}
}

func (s *Server) ack(w http.ResponseWriter, mb *mailbox, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil || m.to != mb.id || m.status == "uploading" {
		meshError(w, http.StatusNotFound, "ACK", "20", "Message does not exist", id)
		return
	}
	if m.status == "expired" {
		meshError(w, http.StatusGone, "ACK", "", "Message no longer available", id)
		return
	}
	if m.status != "acknowledged" {
		m.status = "acknowledged"
		s.removeFromInbox(m)
		s.stats.Acknowledged++
	}
	writeJSON(w, http.StatusOK, map[string]string{"message_id": m.id})
}

func (s *Server) lookup(w http.ResponseWriter, parts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case parts[1] == "endpointlookup" && len(parts) == 4:
		var results []map[string]string
		for _, mb := range s.endpoints[strings.ToUpper(parts[2])+"/"+parts[3]] {
			results = append(results, map[string]string{"address": mb, "description": "mailbox " + mb, "endpoint_type": "MESH"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
	case parts[1] == "workflowsearch" && len(parts) == 3:
		var results []map[string]string
		for k, mbs := range s.endpoints {
			if strings.HasSuffix(k, "/"+parts[2]) {
				for _, mb := range mbs {
					results = append(results, map[string]string{"address": mb, "description": "mailbox " + mb, "endpoint_type": "MESH"})
				}
			}
		}
		sort.Slice(results, func(i, j int) bool { return results[i]["address"] < results[j]["address"] })
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
	default:
		meshError(w, http.StatusNotFound, "", "", "not found", "")
	}
}
