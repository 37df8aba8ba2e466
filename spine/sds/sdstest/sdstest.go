package sdstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nhskit/nhskit/spine/sds"
)

// Server is a fake SDS.
type Server struct {
	// URL is the FHIR base, like sds.SandboxURL.
	URL string
	// APIKey, when set before requests, must match the apikey header.
	APIKey string

	srv      *httptest.Server
	mu       sync.Mutex
	systems  []sds.Endpoint
	requests atomic.Int64
}

// NewServer starts a fake SDS on loopback.
func NewServer() *Server {
	s := &Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("/spine-directory/FHIR/R4/Device", s.handle("Device"))
	mux.HandleFunc("/spine-directory/FHIR/R4/Endpoint", s.handle("Endpoint"))
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/spine-directory/FHIR/R4"
	return s
}

// Close shuts the server down.
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
		if r.Method != http.MethodGet {
			outcome(w, http.StatusMethodNotAllowed, "not-supported", "only GET is supported")
			return
		}
		if s.APIKey != "" && r.Header.Get("apikey") != s.APIKey {
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
