package sdstest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/spine/sds"
)

// Server is a fake SDS.
type Server struct {
	// URL is the FHIR base, like sds.SandboxURL, set by Start.
	URL string

	// Faults injects failures: FailNext, Inject, SetFaultRate, SetLatency.
	fake.Faults

	apiKey   string
	srv      *httptest.Server
	mu       sync.Mutex
	systems  []sds.Endpoint
	requests atomic.Int64
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey makes the fake require key in the apikey header, as SDS does
// (401 otherwise). Without it any key, or none, is accepted.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// NewServer starts a fake SDS on loopback over plain HTTP.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake SDS that is not yet listening: add
// systems and faults, then call Start or StartTLS.
func NewUnstartedServer(opts ...Option) *Server {
	s := &Server{}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/spine-directory/FHIR/R4/Device", s.handle("Device"))
	mux.HandleFunc("/spine-directory/FHIR/R4/Endpoint", s.handle("Endpoint"))
	s.srv = httptest.NewUnstartedServer(mux)
	return s
}

// Start starts the fake on loopback over plain HTTP and sets URL.
func (s *Server) Start() {
	s.srv.Start()
	s.URL = s.srv.URL + "/spine-directory/FHIR/R4"
}

// StartTLS starts the fake over HTTPS; Client trusts its certificate.
func (s *Server) StartTLS() {
	s.srv.StartTLS()
	s.URL = s.srv.URL + "/spine-directory/FHIR/R4"
}

// Client returns an *http.Client that trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Add registers a system.
func (s *Server) Add(ep sds.Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.systems = append(s.systems, ep)
}

// Requests counts the searches answered.
func (s *Server) Requests() int { return int(s.requests.Load()) }

func outcome(w http.ResponseWriter, status int, code, diagnostics string) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"resourceType": "OperationOutcome",
		"issue": []any{map[string]any{
			"severity": "error", "code": code, "diagnostics": diagnostics,
		}},
	})
}

func (s *Server) handle(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if _, done := s.Faults.Serve(w, r, func(w http.ResponseWriter, status int) {
			code := map[int]string{429: "throttled", 503: "transient"}[status]
			if code == "" {
				code = "exception"
			}
			outcome(w, status, code, http.StatusText(status))
		}); done {
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			outcome(w, http.StatusMethodNotAllowed, "not-supported", "only GET is supported")
			return
		}
		if s.apiKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("apikey")), []byte(s.apiKey)) != 1 {
			outcome(w, http.StatusUnauthorized, "forbidden", "invalid or missing apikey")
			return
		}
		q := r.URL.Query()
		org, ok := strings.CutPrefix(q.Get("organization"), sds.SystemODSCode+"|")
		if !ok || org == "" {
			outcome(w, http.StatusBadRequest, "required", "organization must be "+sds.SystemODSCode+"|{ods code}")
			return
		}
		var interaction, party string
		for _, id := range q["identifier"] {
			switch {
			case strings.HasPrefix(id, sds.SystemInteractionID+"|"):
				interaction = strings.TrimPrefix(id, sds.SystemInteractionID+"|")
			case strings.HasPrefix(id, sds.SystemPartyKey+"|"):
				party = strings.TrimPrefix(id, sds.SystemPartyKey+"|")
			default:
				outcome(w, http.StatusBadRequest, "invalid", "unknown identifier system")
				return
			}
		}
		if interaction == "" {
			outcome(w, http.StatusBadRequest, "required", "identifier "+sds.SystemInteractionID+"|{interaction id} is required")
			return
		}
		s.mu.Lock()
		var entries []any
		for _, sys := range s.systems {
			if string(sys.ODSCode) != org || sys.Interaction != interaction || (party != "" && sys.PartyKey != party) {
				continue
			}
			ids := []any{map[string]string{"system": sds.SystemInteractionID, "value": sys.Interaction}}
			if sys.PartyKey != "" {
				ids = append(ids, map[string]string{"system": sds.SystemPartyKey, "value": sys.PartyKey})
			}
			res := map[string]any{"resourceType": kind, "id": sys.ASID}
			if kind == "Device" {
				ids = append(ids, map[string]string{"system": sds.SystemASID, "value": sys.ASID})
				res["owner"] = map[string]any{"identifier": map[string]string{"system": sds.SystemODSCode, "value": string(sys.ODSCode)}}
			} else {
				res["status"] = "active"
				res["address"] = sys.Address
				res["connectionType"] = map[string]string{"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "code": "hl7-fhir-rest"}
			}
			res["identifier"] = ids
			entries = append(entries, map[string]any{"fullUrl": s.URL + "/" + kind + "/" + sys.ASID, "resource": res})
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/fhir+json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries,
		})
	}
}
