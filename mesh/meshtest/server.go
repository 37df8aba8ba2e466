package meshtest

import (
	"bytes"
	"compress/gzip"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/mesh"
)

// DefaultSharedKey is the shared key the MESH sandbox uses.
const DefaultSharedKey = "TestKey"

// DefaultInboxExpiry is how long a message waits to be collected before
// MESH gives up on it and sends its sender a non-delivery report.
const DefaultInboxExpiry = 5 * 24 * time.Hour

// Server is a fake MESH that answers as NHS England's mesh-sandbox does:
// the same status codes, headers and v1/v2 bodies. It is stricter than the
// sandbox in two ways the real service is too: it refuses authorisation
// timestamps outside ClockSkew and reused nonces.
type Server struct {
	URL       string
	SharedKey string
	// ClockSkew is how far an auth timestamp may be from the server's
	// clock (default 2 hours).
	ClockSkew time.Duration
	// PageSize is the default inbox page size (500, as MESH).
	PageSize int
	// MaxChunkSize refuses larger requests with 413 (default 100 MB).
	MaxChunkSize int64
	// InboxExpiry is how long an accepted message stays collectable
	// (default DefaultInboxExpiry); after it the message is undeliverable
	// and its sender gets a report (code 14).
	InboxExpiry time.Duration
	// Now is the server's clock.
	Now func() time.Time
	// DataDir, when set before use, makes the server keep chunk contents
	// in files there instead of memory, for tests of very large messages.
	DataDir string

	srv *httptest.Server

	// Faults gives the server nhskit's common fault vocabulary (FailNext,
	// Inject, SetFaultRate, SetLatency, Injected), applied to inbox and
	// outbox requests; AddFault adds MESH-specific faults matched by
	// method and path.
	fake.Faults

	mu        sync.Mutex
	mailboxes map[string]*mailbox
	messages  map[string]*message
	nonces    map[string]bool
	faults    []*Fault
	stats     Stats
	endpoints map[string][]string // "ods/workflow" -> mailboxes
}

type mailbox struct {
	id, name, password, ods string
	workflows               map[string]bool // empty: any
	inbox                   []string        // accepted, unacknowledged, in arrival order
}

type message struct {
	id, typ, from, to, workflow, subject, localID, partnerID, fileName, checksum, contentType, encoding string
	compressed, encrypted                                                                               bool
	chunks                                                                                              []*chunk
	total                                                                                               int
	status                                                                                              string // uploading, accepted, acknowledged, error
	created, updated                                                                                    time.Time
	// report fields
	statusCode, statusEvent, statusDescription, linked string
}

// chunk is one stored chunk, as sent (compressed if its Content-Encoding
// was gzip), in memory or in a file under DataDir.
type chunk struct {
	data []byte
	path string
	size int64
}

func (c *chunk) open() (io.ReadCloser, error) {
	if c.path == "" {
		return io.NopCloser(bytes.NewReader(c.data)), nil
	}
	return os.Open(c.path)
}

// Stats counts what the server did.
type Stats struct {
	Requests, AuthFailures, FaultsInjected, MessagesAccepted, Acknowledged, Reports int
}

// NewServer starts a fake MESH on loopback over plain HTTP.
func NewServer() *Server { s := NewUnstartedServer(); s.Start(); return s }

// NewTLSServer starts a fake MESH on loopback over HTTPS; Client returns
// an *http.Client that trusts it.
func NewTLSServer() *Server { s := NewUnstartedServer(); s.StartTLS(); return s }

// NewUnstartedServer returns a fake MESH that listens only once Start or
// StartTLS is called, so fields can be set first.
func NewUnstartedServer() *Server {
	s := &Server{
		SharedKey:    DefaultSharedKey,
		ClockSkew:    2 * time.Hour,
		PageSize:     500,
		MaxChunkSize: 100_000_000,
		InboxExpiry:  DefaultInboxExpiry,
		Now:          time.Now,
		mailboxes:    map[string]*mailbox{},
		messages:     map[string]*message{},
		nonces:       map[string]bool{},
		endpoints:    map[string][]string{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	return s
}

// Start serves plain HTTP on loopback.
func (s *Server) Start() { s.srv.Start(); s.URL = s.srv.URL }

// StartTLS serves HTTPS on loopback.
func (s *Server) StartTLS() { s.srv.StartTLS(); s.URL = s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns a client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AddMailbox creates a mailbox that may receive any workflow.
func (s *Server) AddMailbox(id, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := &mailbox{id: strings.ToUpper(id), name: "mailbox " + strings.ToUpper(id), password: password, ods: "X26", workflows: map[string]bool{}}
	s.mailboxes[mb.id] = mb
}

// AddSandboxMailboxes creates mesh-sandbox's mailboxes (X26ABC1, X26ABC2,
// X26ABC3, password "password") and its endpoint lookups, so one test can
// run against either.
func (s *Server) AddSandboxMailboxes() {
	for i, name := range []string{"TESTMB1", "TESTMB2", "TESTMB3"} {
		id := fmt.Sprintf("X26ABC%d", i+1)
		s.AddMailbox(id, "password")
		s.mu.Lock()
		s.mailboxes[id].name = name
		if i == 2 {
			s.mailboxes[id].ods = "X27"
		}
		s.mu.Unlock()
	}
	s.AddEndpoint("X26", "TEST_WORKFLOW", "X26ABC2")
	s.AddEndpoint("X26", "TEST_WORKFLOW_ACK", "X26ABC1")
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
	st := s.stats
	st.FaultsInjected += s.Injected()
	return st
}

// Delivered returns, for a mailbox, how many accepted (complete) data
// messages it has received in total, by local id: a test proves "exactly
// once" with it.
func (s *Server) Delivered(mailboxID string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, m := range s.messages {
		if m.to == strings.ToUpper(mailboxID) && m.typ == mesh.MessageTypeData && m.status != "uploading" {
			out[m.localID]++
		}
	}
	return out
}

// Unacknowledged counts a mailbox's accepted messages not yet acknowledged.
func (s *Server) Unacknowledged(mailboxID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	return len(s.mailboxes[strings.ToUpper(mailboxID)].inbox)
}

// Expire makes messages accepted before t undeliverable at once, as if
// their InboxExpiry had passed: they leave the inbox, downloads answer
// 410, and each sender gets a non-delivery report. It returns how many.
func (s *Server) Expire(before time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.sortedMessages() {
		if m.typ == mesh.MessageTypeData && m.status == "accepted" && m.created.Before(before) {
			s.undeliverable(m)
			n++
		}
	}
	return n
}

// expireLocked applies InboxExpiry on the server's clock.
func (s *Server) expireLocked() {
	if s.InboxExpiry <= 0 {
		return
	}
	cutoff := s.Now().Add(-s.InboxExpiry)
	for _, m := range s.sortedMessages() {
		if m.typ == mesh.MessageTypeData && m.status == "accepted" && m.created.Before(cutoff) {
			s.undeliverable(m)
		}
	}
}

func (s *Server) sortedMessages() []*message {
	ms := make([]*message, 0, len(s.messages))
	for _, m := range s.messages {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].created.Before(ms[j].created) })
	return ms
}

// undeliverable ends a message's life uncollected and reports it to its
// sender, as MESH does (error code 14).
func (s *Server) undeliverable(m *message) {
	m.status, m.updated = "error", s.Now()
	m.statusCode, m.statusEvent = "14", "SEND"
	days := int(s.InboxExpiry / (24 * time.Hour))
	m.statusDescription = fmt.Sprintf("Message not collected by recipient after %d days", days)
	s.removeFromInbox(m)
	sender := s.mailboxes[m.from]
	if sender == nil {
		return
	}
	now := s.Now()
	r := &message{
		id: newMessageID(now), typ: mesh.MessageTypeReport, to: sender.id, workflow: m.workflow,
		subject: m.subject, localID: m.localID, status: "accepted", created: now, updated: now, total: 0,
		statusCode: m.statusCode, statusEvent: m.statusEvent, statusDescription: m.statusDescription, linked: m.id,
	}
	s.messages[r.id] = r
	sender.inbox = append(sender.inbox, r.id)
	s.stats.Reports++
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

// MeshFaults are the kinds of failure a MESH client meets, for
// SetFaultRate: 500, 502, 503, 429 with Retry-After, a connection dropped
// before the request is processed, and one dropped after it was (a lost
// response).
var MeshFaults = []fake.Fault{
	{Status: http.StatusInternalServerError}, {Status: http.StatusBadGateway}, {Status: http.StatusServiceUnavailable, RetryAfter: "0"},
	{Status: http.StatusTooManyRequests, RetryAfter: "0"}, {Drop: true}, {DropAfter: true},
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

// errorCodes is mesh-sandbox's table from an error's name to its event,
// code and description (common/constants.py, ErrorCodeMap).
var errorCodes = map[string][3]string{
	"TO_DTS missing":                         {"SEND", "08", "TO_DTS missing"},
	"Unregistered recipient":                 {"SEND", "12", "Unregistered to address"},
	"MissingDataFile":                        {"COLLECT", "02", "Data file is missing or inaccessible."},
	"Workflow ID not registered for mailbox": {"SEND", "17", "Workflow ID not registered for mailbox"},
	"No mailbox matched":                     {"SEND", "EPL-151", "No mailbox matched"},
	"Message already accepted":               {"SEND", "Message already accepted", "Message no longer available for download"},
	"Message does not exist":                 {"RECEIVE", "20", "Message does not exist"},
	"InvalidHeaderChunks":                    {"SEND", "InvalidHeaderChunks", "Invalid chunk values sent in mex-Chunk-Range header"},
	"UnsupportedContentEncoding":             {"SEND", "UnsupportedContentEncoding", "Unsupported content encoding"},
	"Invalid checksum":                       {"SEND", "Invalid checksum", "Invalid checksum"},
	"MalformedControlFile":                   {"TRANSFER", "06", "MalformedControlFile"},
}

// apiVersion is the version the Accept header asks for (1 when it names
// none); ok is false for a vnd.mesh type MESH does not know.
func apiVersion(r *http.Request) (int, bool) {
	acc := r.Header.Get("Accept")
	for _, a := range strings.Split(acc, ";") {
		a = strings.TrimSpace(a)
		if !strings.Contains(a, "vnd.mesh") {
			continue
		}
		m := acceptRE.FindStringSubmatch(a)
		if m == nil {
			return 0, false
		}
		v, _ := strconv.Atoi(m[1])
		return v, true
	}
	return 1, true
}

var acceptRE = regexp.MustCompile(`^application/vnd\.mesh\.v(\d+)\+json$`)

// fail writes MESH's error body: with no name, the generic internal-error
// body; otherwise the v1 or v2 shape the Accept header asks for.
func fail(w http.ResponseWriter, r *http.Request, status int, name, messageID string) {
	internal := newInternalID()
	if name == "" {
		writeJSON(w, status, "application/json", map[string]string{"internal_id": internal, "message": "An internal error occurred.\n\nPlease contact support."})
		return
	}
	ev, ok := errorCodes[name]
	if !ok {
		ev = [3]string{"", "", name}
	}
	if v, _ := apiVersion(r); v < 2 {
		body := map[string]string{"errorEvent": ev[0], "errorCode": ev[1], "errorDescription": ev[2]}
		if messageID != "" {
			body["messageID"] = messageID
		}
		writeJSON(w, status, "application/json", body)
		return
	}
	body := map[string]any{"internal_id": internal, "detail": []map[string]string{{"event": ev[0], "code": ev[1], "msg": ev[2]}}}
	if messageID != "" {
		body["message_id"] = messageID
	}
	writeJSON(w, status, mesh.MediaTypeV2, body)
}

// invalid writes the web framework's request-validation answer (400);
// ctx, when not nil, is the violated limit.
func invalid(w http.ResponseWriter, where, name, msg, typ string, ctx map[string]any) {
	d := map[string]any{"loc": []string{where, strings.ToLower(name)}, "msg": msg, "type": typ}
	if ctx != nil {
		d["ctx"] = ctx
	}
	writeJSON(w, http.StatusBadRequest, "application/json", map[string]any{"detail": []map[string]any{d}})
}

// missing is invalid for an absent required field.
func missing(w http.ResponseWriter, where, name string) {
	invalid(w, where, name, "field required", "value_error.missing", nil)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newInternalID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.expireLocked()
	s.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/health" || r.URL.Path == "/messageexchange/_ping" || r.URL.Path == "/_ping":
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"env": "meshtest", "build_label": "latest", "status": "running", "outcome": "Yes"})
		return
	case len(parts) < 2 || parts[0] != "messageexchange":
		writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"detail": "Not Found"})
		return
	}
	if parts[1] == "admin" && len(parts) == 3 && parts[2] == "report" && r.Method == http.MethodPost {
		s.adminReport(w, r)
		return
	}
	if _, ok := apiVersion(r); !ok {
		fail(w, r, http.StatusBadRequest, "Accept header api format incorrect", "")
		return
	}
	switch parts[1] {
	case "endpointlookup", "workflowsearch":
		// Lookups need no authentication.
		s.lookup(w, r, parts)
		return
	}
	mb := s.authorise(w, r, strings.ToUpper(parts[1]))
	if mb == nil {
		return
	}
	rest := parts[2:]
	if len(rest) > 0 && (rest[0] == "outbox" || rest[0] == "inbox") {
		x, done := s.Serve(w, r, func(w http.ResponseWriter, status int) { fail(w, r, status, "", "") })
		if done {
			return
		}
		if x.DropAfter {
			s.route(&discardWriter{h: http.Header{}}, r, mb, rest)
			fake.Drop(w)
			return
		}
		if f := s.pickFault(r); f != nil {
			switch f.Kind {
			case FaultStatus:
				if f.RetryAfter != "" {
					w.Header().Set("Retry-After", f.RetryAfter)
				}
				fail(w, r, f.Status, "", "")
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
	v, _ := apiVersion(r)
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	switch {
	case len(rest) == 0 && (get || post):
		// The handshake: POST in v2, GET kept for older clients.
		for _, h := range []string{"mex-ClientVersion", "mex-OSName", "mex-OSVersion"} {
			if r.Header.Get(h) == "" {
				missing(w, "header", h)
				return
			}
		}
		if v < 2 {
			writeJSON(w, http.StatusOK, "application/json", map[string]string{"mailboxId": mb.id})
			return
		}
		w.WriteHeader(http.StatusOK)
	case len(rest) == 1 && rest[0] == "count" && get:
		s.mu.Lock()
		n := len(mb.inbox)
		s.mu.Unlock()
		if v < 2 {
			writeJSON(w, http.StatusOK, "application/json", map[string]any{"count": n, "internalID": newInternalID(), "allResultsIncluded": true})
			return
		}
		writeJSON(w, http.StatusOK, "application/json", map[string]int{"count": n})
	case len(rest) == 1 && rest[0] == "outbox" && post:
		s.send(w, r, mb)
	case len(rest) == 2 && rest[0] == "outbox" && rest[1] == "tracking" && get:
		s.track(w, r, mb)
	case len(rest) == 3 && rest[0] == "outbox" && rest[1] == "tracking" && get:
		s.trackLocal(w, r, mb, rest[2])
	case len(rest) == 3 && rest[0] == "outbox" && post:
		s.sendChunk(w, r, mb, strings.ToUpper(rest[1]), rest[2])
	case len(rest) == 1 && rest[0] == "inbox" && get:
		s.inbox(w, r, mb)
	case len(rest) == 2 && rest[0] == "inbox" && r.Method == http.MethodHead:
		s.head(w, r, mb, strings.ToUpper(rest[1]))
	case (len(rest) == 2 || len(rest) == 3) && rest[0] == "inbox" && get:
		n := "1"
		if len(rest) == 3 {
			n = rest[2]
		}
		s.download(w, r, mb, strings.ToUpper(rest[1]), n)
	case len(rest) == 4 && rest[0] == "inbox" && rest[2] == "status" && rest[3] == "acknowledged" && r.Method == http.MethodPut:
		s.ack(w, r, mb, strings.ToUpper(rest[1]))
	default:
		writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"detail": "Not Found"})
	}
}

// authorise checks the NHSMESH header for the mailbox in the path.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request, want string) *mailbox {
	refuse := func(name string) *mailbox {
		s.mu.Lock()
		s.stats.AuthFailures++
		s.mu.Unlock()
		fail(w, r, http.StatusForbidden, name, "")
		return nil
	}
	tok, err := mesh.ParseAuthHeader(strings.TrimSpace(r.Header.Get("Authorization")))
	if err != nil {
		return refuse("Error reading from Authorization header")
	}
	if strings.ToUpper(tok.Mailbox) != want {
		return refuse("Mailbox id does not match token")
	}
	if _, err := strconv.Atoi(tok.NonceCount); err != nil {
		return refuse("Error reading from Authorization header")
	}
	s.mu.Lock()
	mb := s.mailboxes[want]
	s.mu.Unlock()
	if mb == nil {
		return refuse("No mailbox matched")
	}
	if !tok.Verify(mb.password, s.SharedKey) {
		return refuse("Invalid Authentication Token")
	}
	if d := s.Now().Sub(tok.Time); d > s.ClockSkew || d < -s.ClockSkew {
		return refuse("Invalid Authentication Token")
	}
	s.mu.Lock()
	key := mb.id + ":" + tok.Nonce + ":" + tok.NonceCount
	dup := s.nonces[key]
	s.nonces[key] = true
	s.mu.Unlock()
	if dup {
		return refuse("Error Duplicated Authentication Token")
	}
	return mb
}

func newMessageID(now time.Time) string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	return now.UTC().Format("20060102150405") + fmt.Sprintf("%06d", now.Nanosecond()/1000) + "_" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// parseRange reads mex-Chunk-Range for chunk want, as mesh-sandbox does:
// absent means 1:1 (for chunk 1 only).
func parseRange(h string, want int) (total int, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 1, want == 1
	}
	a, b, found := strings.Cut(h, ":")
	if !found {
		return 0, false
	}
	n, err1 := strconv.Atoi(strings.TrimSpace(a))
	total, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || n < 1 || n > total || n != want {
		return 0, false
	}
	return total, true
}

func (s *Server) readChunk(w http.ResponseWriter, r *http.Request) (*chunk, bool) {
	limited := io.LimitReader(r.Body, s.MaxChunkSize+1)
	tooLarge := func() (*chunk, bool) {
		writeJSON(w, http.StatusRequestEntityTooLarge, "application/json", map[string]string{"detail": "request larger than 100MB"})
		return nil, false
	}
	if s.DataDir != "" {
		f, err := os.CreateTemp(s.DataDir, "chunk-*")
		if err != nil {
			fail(w, r, http.StatusInternalServerError, "", "")
			return nil, false
		}
		n, err := io.Copy(f, limited)
		f.Close()
		if err != nil || n > s.MaxChunkSize {
			os.Remove(f.Name())
			if err == nil {
				return tooLarge()
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
		return tooLarge()
	}
	return &chunk{data: body, size: int64(len(body))}, true
}

// headerLimits are mesh-sandbox's maximum lengths of the send headers.
var headerLimits = []struct {
	name string
	max  int
}{
	{"mex-To", 100}, {"mex-WorkflowID", 300}, {"mex-Chunk-Range", 20}, {"mex-Subject", 500}, {"mex-LocalID", 300},
	{"mex-PartnerID", 500}, {"mex-FileName", 300}, {"mex-Content-Encrypted", 20}, {"mex-Content-Compressed", 20},
	{"mex-Content-Checksum", 100}, {"mex-Content-Type", 100},
}

var (
	controlRE  = regexp.MustCompile(`[\x00-\x1f]`)
	urlRE      = regexp.MustCompile(`(?i)^https?://`)
	checksumRE = regexp.MustCompile(`^[A-Za-z0-9\s:/-]*$`)
)

func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "y", "yes", "t", "true", "on", "1":
		return true
	}
	return false
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, from *mailbox) {
	h := r.Header
	for _, req := range []string{"mex-To", "mex-WorkflowID"} {
		if _, ok := h[http.CanonicalHeaderKey(req)]; !ok {
			missing(w, "header", req)
			return
		}
	}
	var bad []string
	for _, l := range headerLimits {
		v := h.Get(l.name)
		if len(v) > l.max {
			invalid(w, "header", l.name, fmt.Sprintf("ensure this value has at most %d characters", l.max), "value_error.any_str.max_length", map[string]any{"limit_value": l.max})
			return
		}
		if controlRE.MatchString(v) {
			bad = append(bad, l.name)
		}
	}
	for _, n := range []string{"mex-To", "mex-WorkflowID", "mex-Content-Checksum"} {
		if urlRE.MatchString(h.Get(n)) {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		fail(w, r, http.StatusBadRequest, "MalformedControlFile", "")
		return
	}
	if !checksumRE.MatchString(strings.TrimSpace(h.Get("mex-Content-Checksum"))) {
		fail(w, r, http.StatusBadRequest, "Invalid checksum", "")
		return
	}
	to := strings.ToUpper(h.Get("mex-To"))
	workflow := h.Get("mex-WorkflowID")
	if to == "" {
		fail(w, r, http.StatusBadRequest, "TO_DTS missing", "")
		return
	}
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
	if enc != "" && enc != "gzip" {
		fail(w, r, http.StatusUnprocessableEntity, "UnsupportedContentEncoding", "")
		return
	}
	total, ok := parseRange(h.Get("mex-Chunk-Range"), 1)
	if !ok {
		fail(w, r, http.StatusExpectationFailed, "InvalidHeaderChunks", "")
		return
	}
	s.mu.Lock()
	rcpt := s.mailboxes[to]
	s.mu.Unlock()
	if rcpt == nil {
		fail(w, r, http.StatusExpectationFailed, "Unregistered recipient", "")
		return
	}
	if len(rcpt.workflows) > 0 && !rcpt.workflows[workflow] {
		fail(w, r, http.StatusExpectationFailed, "Workflow ID not registered for mailbox", "")
		return
	}
	body, ok := s.readChunk(w, r)
	if !ok {
		return
	}
	if body.size == 0 {
		fail(w, r, http.StatusExpectationFailed, "MissingDataFile", "")
		return
	}
	now := s.Now()
	ct := h.Get("mex-Content-Type")
	if ct == "" {
		ct = h.Get("Content-Type")
	}
	id := newMessageID(now)
	fileName := h.Get("mex-FileName")
	if fileName == "" {
		fileName = id + ".dat"
	}
	m := &message{
		id: id, typ: mesh.MessageTypeData, from: from.id, to: to, workflow: workflow,
		subject: h.Get("mex-Subject"), localID: h.Get("mex-LocalID"), partnerID: h.Get("mex-PartnerID"), fileName: fileName,
		checksum: h.Get("mex-Content-Checksum"), contentType: ct, encoding: enc,
		compressed: yes(h.Get("mex-Content-Compressed")), encrypted: yes(h.Get("mex-Content-Encrypted")),
		chunks: make([]*chunk, total), total: total, status: "uploading", created: now, updated: now,
	}
	m.chunks[0] = body
	s.mu.Lock()
	s.messages[m.id] = m
	s.maybeAccept(m)
	s.mu.Unlock()
	if v, _ := apiVersion(r); v < 2 {
		writeJSON(w, http.StatusAccepted, "application/json", map[string]string{"messageID": m.id})
		return
	}
	writeJSON(w, http.StatusAccepted, "application/json", map[string]string{"message_id": m.id})
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
	m.status, m.updated = "accepted", s.Now()
	s.stats.MessagesAccepted++
	rcpt := s.mailboxes[m.to]
	rcpt.inbox = append(rcpt.inbox, m.id)
}

func (s *Server) sendChunk(w http.ResponseWriter, r *http.Request, from *mailbox, id, chunkNo string) {
	n, err := strconv.Atoi(chunkNo)
	if err != nil {
		invalid(w, "path", "chunk_number", "value is not a valid integer", "type_error.integer", nil)
		return
	}
	if _, ok := parseRange(r.Header.Get("mex-Chunk-Range"), n); !ok || strings.TrimSpace(r.Header.Get("mex-Chunk-Range")) == "" {
		fail(w, r, http.StatusExpectationFailed, "InvalidHeaderChunks", id)
		return
	}
	s.mu.Lock()
	m := s.messages[id]
	s.mu.Unlock()
	switch {
	case m == nil:
		fail(w, r, http.StatusNotFound, "Not Found", "")
		return
	case m.from != from.id:
		fail(w, r, http.StatusForbidden, "Forbidden", "")
		return
	case m.status != "uploading":
		fail(w, r, http.StatusLocked, "", id)
		return
	case n > m.total || m.typ != mesh.MessageTypeData:
		fail(w, r, http.StatusNotAcceptable, "", id)
		return
	case strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))) != m.encoding:
		fail(w, r, http.StatusExpectationFailed, "cannot change content encoding", "")
		return
	}
	body, ok := s.readChunk(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	if m.status != "uploading" {
		s.mu.Unlock()
		fail(w, r, http.StatusLocked, "", id)
		return
	}
	m.chunks[n-1] = body
	s.maybeAccept(m)
	s.mu.Unlock()
	if v, _ := apiVersion(r); v < 2 {
		writeJSON(w, http.StatusAccepted, "application/json", map[string]any{"messageID": id, "blockID": n})
		return
	}
	writeJSON(w, http.StatusAccepted, "application/json", nil)
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("20060102150405")
}

func (s *Server) size(m *message) int64 {
	var n int64
	for _, c := range m.chunks {
		if c != nil {
			n += c.size
		}
	}
	return n
}

func (s *Server) track(w http.ResponseWriter, r *http.Request, mb *mailbox) {
	id := strings.ToUpper(r.URL.Query().Get("messageID"))
	if id == "" {
		missing(w, "query", "messageID")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil || m.from != mb.id || m.typ != mesh.MessageTypeData {
		fail(w, r, http.StatusNotFound, "Not Found", "") // not 403, as Spine
		return
	}
	rcpt := s.mailboxes[m.to]
	body := map[string]any{
		"message_id": m.id, "local_id": m.localID, "workflow_id": m.workflow, "filename": m.fileName,
		"expiry_time":      m.created.Add(s.InboxExpiry).UTC().Format("2006-01-02T15:04:05.000000"),
		"upload_timestamp": m.created.UTC().Format("2006-01-02T15:04:05.000000"),
		"recipient":        m.to, "recipient_name": rcpt.name, "recipient_ods_code": rcpt.ods, "recipient_org_code": rcpt.ods,
		"recipient_org_name": "", "status": m.status, "status_success": m.status != "error",
	}
	if m.statusCode != "" {
		body["status_code"], body["status_event"] = m.statusCode, m.statusEvent
	}
	if m.localID == "" {
		delete(body, "local_id")
	}
	writeJSON(w, http.StatusOK, mesh.MediaTypeV2, body)
}

func (s *Server) trackLocal(w http.ResponseWriter, r *http.Request, mb *mailbox, local string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*message
	for _, m := range s.messages {
		if m.from == mb.id && m.localID == local && m.typ == mesh.MessageTypeData {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		fail(w, r, http.StatusNotFound, "Not Found", "")
		return
	case 1:
	default:
		fail(w, r, http.StatusMultipleChoices, "Multiple Choices", "")
		return
	}
	m := found[0]
	success := "SUCCESS"
	if m.status == "error" {
		success = "ERROR"
	}
	flag := func(b bool) string {
		if b {
			return "Y"
		}
		return ""
	}
	fileName := m.fileName
	if fileName == "" {
		fileName = m.id + ".dat"
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"addressType": "ALL", "checksum": m.checksum, "chunkCount": m.total, "compressFlag": flag(m.compressed),
		"contentEncoding": m.encoding, "downloadTimestamp": "", "dtsId": m.id, "encryptedFlag": flag(m.encrypted),
		"expiryTime": ts(m.created.Add(s.InboxExpiry)), "fileName": fileName, "fileSize": s.size(m),
		"isCompressed": flag(m.compressed), "localId": m.localID, "messageId": m.id, "messageType": "Data",
		"partnerId": m.partnerID, "recipient": m.to, "recipientName": s.mailboxes[m.to].name,
		"meshRecipientOdsCode": s.mailboxes[m.to].ods, "recipientOrgCode": s.mailboxes[m.to].ods, "recipientOrgName": "",
		"senderOdsCode": s.mailboxes[m.from].ods, "senderOrgCode": s.mailboxes[m.from].ods, "senderOrgName": "",
		"sender": m.from, "senderName": s.mailboxes[m.from].name, "status": strings.ToUpper(m.status[:1]) + m.status[1:],
		"statusSuccess": success, "subject": m.subject, "uploadTimestamp": ts(m.created), "workflowId": m.workflow,
		"version": "1.0", "recipientSmtp": "", "senderSmtp": "",
	})
}

// workflowFilter is mesh-sandbox's inbox workflow_filter: exact, "X*"
// begins with, "*X*" contains, "!" negates.
func workflowFilter(f string) func(string) bool {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(string) bool { return true }
	}
	not := strings.HasPrefix(f, "!")
	f = strings.TrimPrefix(f, "!")
	var match func(string) bool
	switch {
	case strings.HasPrefix(f, "*") && len(f) >= 2:
		inner := f[1 : len(f)-1]
		match = func(w string) bool { return strings.Contains(w, inner) }
	case strings.HasSuffix(f, "*"):
		prefix := f[:len(f)-1]
		match = func(w string) bool { return strings.HasPrefix(w, prefix) }
	default:
		match = func(w string) bool { return w == f }
	}
	return func(w string) bool { return match(w) != not }
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request, mb *mailbox) {
	q := r.URL.Query()
	size := s.PageSize
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			invalid(w, "query", "max_results", "value is not a valid integer", "type_error.integer", nil)
			return
		}
		if n < 10 {
			invalid(w, "query", "max_results", "ensure this value is greater than or equal to 10", "value_error.number.not_ge", map[string]any{"limit_value": 10})
			return
		}
		if n > 5000 {
			invalid(w, "query", "max_results", "ensure this value is less than or equal to 5000", "value_error.number.not_le", map[string]any{"limit_value": 5000})
			return
		}
		size = n
	}
	v, _ := apiVersion(r)
	match := workflowFilter(q.Get("workflow_filter"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range mb.inbox {
		if match(s.messages[id].workflow) {
			ids = append(ids, id)
		}
	}
	if c := q.Get("continue_from"); c != "" {
		last := c
		if v >= 2 {
			b, err := base64.URLEncoding.DecodeString(c)
			if err != nil {
				fail(w, r, http.StatusInternalServerError, "", "")
				return
			}
			last = string(b)
		}
		for i, id := range ids {
			if id == last {
				ids = ids[i+1:]
				break
			}
		}
	}
	next := ""
	if len(ids) > size {
		ids = ids[:size]
		next = ids[len(ids)-1]
	}
	if ids == nil {
		ids = []string{}
	}
	if v < 2 {
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"messages": ids})
		return
	}
	link := func(cont string) string {
		lq := [][2]string{}
		if mr := q.Get("max_results"); mr != "" && size != 500 {
			lq = append(lq, [2]string{"max_results", mr})
		}
		if f := q.Get("workflow_filter"); f != "" {
			lq = append(lq, [2]string{"workflow_filter", f})
		}
		if cont != "" {
			lq = append(lq, [2]string{"continue_from", base64.URLEncoding.EncodeToString([]byte(cont))})
		}
		u := "/messageexchange/" + mb.id + "/inbox"
		for i, kv := range lq {
			sep := "&"
			if i == 0 {
				sep = "?"
			}
			u += sep + kv[0] + "=" + strings.ReplaceAll(kv[1], "=", "%3D")
		}
		return u
	}
	links := map[string]string{"self": link("")}
	if next != "" {
		links["next"] = link(next)
	}
	writeJSON(w, http.StatusOK, mesh.MediaTypeV2, map[string]any{"messages": ids, "links": links, "approx_inbox_count": len(mb.inbox)})
}

// headers are the mex- headers mesh-sandbox sends with a message or chunk.
func (s *Server) headers(h http.Header, m *message, n int) {
	set := func(k, v string) {
		if v != "" {
			h[k] = []string{v}
		}
	}
	set("mex-From", m.from)
	set("mex-To", m.to)
	set("mex-WorkflowID", m.workflow)
	set("mex-Chunk-Range", fmt.Sprintf("%d:%d", n, m.total))
	set("mex-Total-Chunks", strconv.Itoa(m.total))
	set("mex-AddressType", "ALL")
	set("mex-LocalID", m.localID)
	set("mex-PartnerID", m.partnerID)
	fileName := m.fileName
	if fileName == "" {
		fileName = m.id + ".dat"
	}
	set("mex-FileName", fileName)
	set("mex-Subject", m.subject)
	set("mex-Version", "1.0")
	set("mex-MessageType", m.typ)
	set("mex-MessageID", m.id)
	if m.typ == mesh.MessageTypeData {
		set("Content-Encoding", m.encoding)
	}
	stamp := m.updated.UTC().Format("20060102150405")
	switch {
	case m.typ == mesh.MessageTypeData && m.statusCode == "":
		set("mex-StatusCode", "00")
		set("mex-StatusEvent", "TRANSFER")
		set("mex-StatusDescription", "Transferred to recipient mailbox")
		set("mex-StatusSuccess", "SUCCESS")
	default:
		set("mex-LinkedMsgID", m.linked)
		set("mex-StatusCode", m.statusCode)
		set("mex-StatusEvent", m.statusEvent)
		set("mex-StatusDescription", m.statusDescription)
		set("mex-StatusSuccess", "ERROR")
	}
	set("mex-StatusTimestamp", stamp)
	if m.compressed {
		set("mex-Content-Compressed", "Y")
	}
	if m.encrypted {
		set("mex-Content-Encrypted", "Y")
	}
	set("mex-Content-Checksum", m.checksum)
	set("mex-Content-Type", m.contentType)
	set("Last-Modified", m.updated.UTC().Format(http.TimeFormat))
}

func (s *Server) head(w http.ResponseWriter, r *http.Request, mb *mailbox, id string) {
	s.mu.Lock()
	m := s.messages[id]
	s.mu.Unlock()
	if m == nil || (m.to != mb.id && m.from != mb.id) {
		fail(w, r, http.StatusNotFound, "Message does not exist", "")
		return
	}
	if m.to == mb.id && m.status != "accepted" && m.status != "acknowledged" {
		fail(w, r, http.StatusGone, "Message already accepted", "")
		return
	}
	s.headers(w.Header(), m, 1)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, mb *mailbox, id, chunkNo string) {
	n, err := strconv.Atoi(chunkNo)
	if err != nil {
		invalid(w, "path", "chunk_number", "value is not a valid integer", "type_error.integer", nil)
		return
	}
	s.mu.Lock()
	m := s.messages[id]
	s.mu.Unlock()
	switch {
	case m == nil:
		fail(w, r, http.StatusNotFound, "Message does not exist", "")
		return
	case m.to != mb.id:
		fail(w, r, http.StatusForbidden, "Forbidden", "")
		return
	case m.status != "accepted" && m.status != "acknowledged":
		fail(w, r, http.StatusGone, "Message already accepted", "")
		return
	}
	h := w.Header()
	s.headers(h, m, n)
	if m.typ != mesh.MessageTypeData {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	if n < 1 || n > m.total {
		for k := range h {
			delete(h, k)
		}
		fail(w, r, http.StatusNotFound, "Message does not exist", "")
		return
	}
	ck := m.chunks[n-1]
	src, err := ck.open()
	if err != nil {
		fail(w, r, http.StatusInternalServerError, "", "")
		return
	}
	defer src.Close()
	// As mesh-sandbox: a gzip chunk is decompressed for a client that
	// does not accept gzip, and a v2 client accepting gzip gets plain
	// chunks compressed. Content is streamed, so a transcoded chunk goes
	// without Content-Length.
	v, _ := apiVersion(r)
	acceptGzip := strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
	var body io.Reader = src
	var zw *gzip.Writer
	length := ck.size
	switch {
	case m.encoding == "gzip" && !acceptGzip:
		h.Del("Content-Encoding")
		zr, err := gzip.NewReader(src)
		if err != nil {
			for k := range h {
				delete(h, k)
			}
			fail(w, r, http.StatusInternalServerError, "", "")
			return
		}
		body, length = zr, -1
	case v >= 2 && m.encoding == "" && acceptGzip:
		h.Set("Content-Encoding", "gzip")
		length = -1
	}
	if h.Get("Content-Encoding") == "gzip" {
		h.Set("mex-Content-Compressed", "Y")
	}
	ct := "application/octet-stream"
	if v >= 2 && m.total < 2 && m.contentType != "" {
		ct = m.contentType
	}
	h.Set("Content-Type", ct)
	if length >= 0 {
		h.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	status := http.StatusOK
	if n < m.total {
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if h.Get("Content-Encoding") == "gzip" && m.encoding == "" {
		zw = gzip.NewWriter(w)
		_, _ = io.Copy(zw, body)
		_ = zw.Close()
		return
	}
	_, _ = io.Copy(w, body)
}

func (s *Server) removeFromInbox(m *message) {
	rcpt := s.mailboxes[m.to]
	if rcpt == nil {
		return
	}
	for i, id := range rcpt.inbox {
		if id == m.id {
			rcpt.inbox = append(rcpt.inbox[:i], rcpt.inbox[i+1:]...)
			return
		}
	}
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request, mb *mailbox, id string) {
	s.mu.Lock()
	m := s.messages[id]
	if m != nil && m.to == mb.id && m.status == "accepted" {
		m.status, m.updated = "acknowledged", s.Now()
		s.removeFromInbox(m)
		s.stats.Acknowledged++
	}
	s.mu.Unlock()
	switch {
	case m == nil:
		fail(w, r, http.StatusNotFound, "Message does not exist", "")
	case m.to != mb.id:
		fail(w, r, http.StatusForbidden, "Forbidden", "")
	default:
		if v, _ := apiVersion(r); v < 2 {
			writeJSON(w, http.StatusOK, "application/json", map[string]string{"messageId": m.id})
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, parts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	switch {
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, "application/json", map[string]string{"detail": "Method Not Allowed"})
		return
	case parts[1] == "endpointlookup" && len(parts) == 4:
		ids = s.endpoints[strings.ToUpper(parts[2])+"/"+parts[3]]
	case parts[1] == "workflowsearch" && len(parts) == 3:
		seen := map[string]bool{}
		for k, mbs := range s.endpoints {
			if strings.HasSuffix(k, "/"+parts[2]) {
				for _, id := range mbs {
					if !seen[id] {
						seen[id] = true
						ids = append(ids, id)
					}
				}
			}
		}
		sort.Strings(ids)
	default:
		writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"detail": "Not Found"})
		return
	}
	v, _ := apiVersion(r)
	results := []map[string]string{}
	for _, id := range ids {
		name := id
		if mb := s.mailboxes[id]; mb != nil {
			name = mb.name
		}
		if v < 2 && parts[1] == "endpointlookup" {
			results = append(results, map[string]string{"address": id, "description": name, "endpoint_type": "MESH"})
		} else {
			results = append(results, map[string]string{"mailbox_id": id, "mailbox_name": name})
		}
	}
	if v < 2 && parts[1] == "endpointlookup" {
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"query_id": newInternalID(), "results": results})
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"results": results})
}

// adminReport is mesh-sandbox's testing-only POST
// /messageexchange/admin/report: it puts a report message in a mailbox.
// As there, the report carries status headers only when its status is
// "error".
func (s *Server) adminReport(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MailboxID       string `json:"mailbox_id"`
		Code            string `json:"code"`
		Description     string `json:"description"`
		WorkflowID      string `json:"workflow_id"`
		Subject         string `json:"subject"`
		LocalID         string `json:"local_id"`
		Status          string `json:"status"`
		FileName        string `json:"file_name"`
		LinkedMessageID string `json:"linked_message_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.MailboxID == "" {
		missing(w, "body", "mailbox_id")
		return
	}
	if req.Status == "" {
		req.Status = "undeliverable"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.mailboxes[strings.ToUpper(req.MailboxID)]
	if mb == nil {
		fail(w, r, http.StatusNotFound, "mailbox does not exist", "")
		return
	}
	now := s.Now()
	m := &message{
		id: newMessageID(now), typ: mesh.MessageTypeReport, to: mb.id, workflow: req.WorkflowID, subject: req.Subject,
		localID: req.LocalID, fileName: req.FileName, status: "accepted", created: now, updated: now,
	}
	if req.Status == "error" {
		m.statusCode, m.statusEvent, m.statusDescription, m.linked = req.Code, "TRANSFER", req.Description, req.LinkedMessageID
	}
	s.messages[m.id] = m
	mb.inbox = append(mb.inbox, m.id)
	s.stats.Reports++
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"message_id": m.id})
}
