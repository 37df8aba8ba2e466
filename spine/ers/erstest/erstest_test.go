package erstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/internal/fake"
)

func seeded(t testing.TB, opts ...Option) *Server {
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	s.AddService(Service{ID: "11000", Name: "Leeds Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RR8"})
	start := time.Date(2026, 12, 8, 14, 0, 0, 0, time.UTC)
	s.AddSlots("11000", Slot{ID: "1", Start: start, End: start.Add(30 * time.Minute)})
	s.AddReferral(Referral{UBRN: "900000000001", Version: 2, Patient: "9990000018", Services: []string{"11000"}, Referrer: "A81001"})
	return s
}

type answer struct {
	status int
	header http.Header
	oo     struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Code    string `json:"code"`
			Details struct {
				Coding []struct{ System, Code string } `json:"coding"`
			} `json:"details"`
		} `json:"issue"`
	}
	body []byte
}

func do(t testing.TB, s *Server, method, path, role string, body []byte, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL, "/FHIR")+path, bytes.NewReader(body))
	require.NoError(t, err)
	if role != "" {
		req.Header.Set("NHSD-eRS-Business-Function", role)
		req.Header.Set("NHSD-End-User-Organisation-ODS", "A81001")
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := *s.Client()
	hc.Timeout = 10 * time.Second
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(a.body, &a.oo)
	return a
}

func (a answer) code() string {
	if len(a.oo.Issue) == 0 || len(a.oo.Issue[0].Details.Coding) == 0 {
		return ""
	}
	return a.oo.Issue[0].Details.Coding[0].Code
}

func (a answer) system() string {
	if len(a.oo.Issue) == 0 || len(a.oo.Issue[0].Details.Coding) == 0 {
		return ""
	}
	return a.oo.Issue[0].Details.Coding[0].System
}

func TestErrorBodies(t *testing.T) {
	s := seeded(t, WithUserToken("u"), WithAppToken("a"))
	tests := []struct {
		name, method, path, role, token string
		status                          int
		code, system                    string
	}{
		{"no token", "GET", "/FHIR/STU3/ReferralRequest/900000000001", rc, "", 401, "NO_ACCESS", stu3ErrorSystem},
		{"no token R4", "GET", "/FHIR/R4/HealthcareService/11000", rc, "", 401, "ACCESS_DENIED", "https://fhir.nhs.uk/CodeSystem/NHSD-API-ErrorOrWarningCode"},
		{"wrong role", "GET", "/FHIR/STU3/Slot", spc, "u", 403, "FORBIDDEN", stu3ErrorSystem},
		{"wrong role R4", "GET", "/FHIR/R4/HealthcareService/11000", spc, "u", 403, "REC_FORBIDDEN", r4ErrorSystem},
		{"app token on user-only", "GET", "/FHIR/STU3/Slot", rc, "a", 403, "FORBIDDEN", stu3ErrorSystem},
		{"app token on app endpoint", "GET", "/FHIR/STU3/ReferralRequest/900000000001", "", "a", 200, "", ""},
		{"no role header", "GET", "/FHIR/STU3/ReferralRequest/900000000001", "", "u", 400, "INVALID_VALUE", stu3ErrorSystem},
		{"unknown referral", "GET", "/FHIR/STU3/ReferralRequest/900000000999", rc, "u", 404, "REFERENCE_NOT_FOUND", stu3ErrorSystem},
		{"unknown service R4", "GET", "/FHIR/R4/HealthcareService/99", rc, "u", 404, "REC_NOT_FOUND", r4ErrorSystem},
		{"unknown route", "GET", "/FHIR/STU3/Nothing", rc, "u", 404, "REFERENCE_NOT_FOUND", stu3ErrorSystem},
		{"page past the last", "GET", "/FHIR/STU3/Slot?schedule.actor:HealthcareService=11000&appointmentType=ROUTINE&status=free&_count=5&page=2", rc, "u", 400, "INVALID_VALUE", stu3ErrorSystem},
		{"21 ids", "GET", "/FHIR/R4/HealthcareService?_id=" + strings.Repeat("1,", 20) + "1", rc, "u", 400, "REC_BAD_REQUEST", r4ErrorSystem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.token != "" {
				hdr = []string{"Authorization", "Bearer " + tt.token}
			}
			a := do(t, s, tt.method, tt.path, tt.role, nil, hdr...)
			require.Equal(t, tt.status, a.status, string(a.body))
			if tt.code != "" {
				assert.Equal(t, "OperationOutcome", a.oo.ResourceType)
				assert.Equal(t, tt.code, a.code())
				assert.Equal(t, tt.system, a.system())
				assert.Equal(t, "application/fhir+json", a.header.Get("Content-Type"))
			}
		})
	}
}

func TestOnBehalfOf(t *testing.T) {
	s := seeded(t)
	a := do(t, s, "POST", "/FHIR/STU3/ReferralRequest/$ers.fetchworklist", spca, []byte(`{"resourceType":"Parameters","parameter":[]}`))
	assert.Equal(t, 403, a.status, "SPCA without an on-behalf-of user")
	a = do(t, s, "GET", "/FHIR/STU3/ReferralRequest/900000000001", rc, nil, "NHSD-eRS-On-Behalf-Of-User-ID", "1")
	assert.Equal(t, 403, a.status, "on-behalf-of with another role")
	a = do(t, s, "GET", "/FHIR/STU3/ReferralRequest/900000000001", spca, nil, "NHSD-eRS-On-Behalf-Of-User-ID", "021600556514")
	assert.Equal(t, 200, a.status)
	assert.Equal(t, `W/"2"`, a.header.Get("ETag"))
}

func TestFaultsAndEcho(t *testing.T) {
	s := seeded(t)
	s.Inject(fake.Fault{Status: 503, RetryAfter: "2"})
	a := do(t, s, "GET", "/FHIR/R4/HealthcareService/11000", rc, nil, "X-Correlation-ID", "c-1", "X-Request-ID", "r-1")
	assert.Equal(t, 503, a.status)
	assert.Equal(t, "2", a.header.Get("Retry-After"))
	assert.Equal(t, "REC_UNAVAILABLE", a.code())
	assert.Equal(t, "c-1", a.header.Get("X-Correlation-ID"))
	assert.Equal(t, "r-1", a.header.Get("X-Request-ID"))
	assert.Equal(t, 1, s.Injected())
	a = do(t, s, "GET", "/FHIR/R4/HealthcareService/11000", rc, nil)
	assert.Equal(t, 200, a.status)
	var svc struct {
		Type json.RawMessage `json:"type"`
	}
	require.NoError(t, json.Unmarshal(a.body, &svc))
	assert.True(t, strings.HasPrefix(string(svc.Type), "{"), "HealthcareService.type is one object, as e-RS sends it")
}

func TestSingleUseLink(t *testing.T) {
	s := seeded(t)
	s.AddAttachment("0b0f0c0d-7ed1-4587-8fce-889c8685eb54", []byte("letter"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", s.URL+"/R4/Binary/0b0f0c0d-7ed1-4587-8fce-889c8685eb54", nil)
	req.Header.Set("NHSD-eRS-Business-Function", rc)
	req.Header.Set("NHSD-End-User-Organisation-ODS", "A81001")
	resp, err := noFollow.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode)
	loc := resp.Header.Get("Location")
	for i, want := range []int{200, 404} {
		r, err := http.Get(loc)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, want, r.StatusCode, "use %d", i+1)
	}
}

// FuzzServer sends arbitrary bodies to every endpoint that reads one: the
// fake answers 4xx or 2xx, never 5xx, and never panics.
func FuzzServer(f *testing.F) {
	s := seeded(f)
	paths := []string{
		"/FHIR/STU3/HealthcareService/$ers.searchHealthcareServicesForPatient",
		"/FHIR/STU3/ReferralRequest/$ers.createReferral",
		"/FHIR/STU3/ReferralRequest/$ers.fetchworklist",
		"/FHIR/STU3/ReferralRequest/900000000001/$ers.cancelReferral",
		"/FHIR/STU3/ReferralRequest/900000000001/$ers.maintainReferralLetter",
		"/FHIR/STU3/Appointment",
		"/FHIR/STU3/ReferralRequest/900000000001/$ers.changeShortlist",
		"/FHIR/STU3/ReferralRequest/900000000001/$ers.rejectReferral",
		"/FHIR/STU3/ReferralRequest/900000000001/$ers.cancelAppointmentActionLater",
		"/FHIR/STU3/ReferralRequest/900000000001/$ers.recordReviewOutcome",
		"/FHIR/STU3/ReferralRequest/$ers.createFromCommunicationRequestActionLater",
		"/FHIR/STU3/ReferralRequest/$ers.createReferralAndSendForTriage",
		"/FHIR/STU3/CommunicationRequest/$ers.createAdviceAndGuidance",
		"/FHIR/STU3/CommunicationRequest/$ers.fetchworklist",
		"/FHIR/STU3/CommunicationRequest/900000000002/$ers.sendCommunicationToRequester",
	}
	f.Add(uint8(0), []byte(`{"resourceType":"Parameters","parameter":[{"name":"patient","valueIdentifier":{"value":"9990000018"}},{"name":"searchCriteria","resource":{"resourceType":"Parameters","parameter":[]}}]}`))
	f.Add(uint8(1), []byte(`{"resourceType":"Parameters","parameter":[{"name":"patient","valueIdentifier":{"value":"9990000018"}},{"name":"shortlist","resource":{"contained":[{"resourceType":"Parameters","parameter":[{"name":"priority","valueCoding":{"code":"ROUTINE"}}]}],"entry":[{"item":{"identifier":{"value":"11000"}}}]}}]}`))
	f.Add(uint8(2), []byte(`{"resourceType":"Parameters","parameter":[{"name":"listType","valueCodeableConcept":{"coding":[{"code":"AWAITING_BOOKING"}]}}]}`))
	f.Add(uint8(5), []byte(`{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/1"}],"start":"2026-12-08T14:00:00Z","end":"2026-12-08T14:30:00Z","incomingReferral":[{"reference":"ReferralRequest/900000000001/_history/2"}],"participant":[{"actor":{"identifier":{"system":"http://fhir.nhs.net/Id/ers-service","value":"11000"}}},{"actor":{"identifier":{"system":"http://fhir.nhs.net/Id/nhs-number","value":"9990000018"}}}]}`))
	f.Add(uint8(5), []byte(`{"resourceType":"Appointment","status":"proposed","reason":[{"coding":[]}],"incomingReferral":[{"reference":"ReferralRequest/900000000001/_history/x"}]}`))
	f.Add(uint8(10), []byte(`{"resourceType":"Parameters","parameter":[{"name":"createFrom","valueReference":{"reference":"CommunicationRequest/900000000002/_history/1"}},{"name":"newReferralPriority","valueCoding":{"code":"ROUTINE"}}]}`))
	f.Add(uint8(12), []byte(`{"resourceType":"Parameters","parameter":[{"name":"patient","valueIdentifier":{"value":"9990000018"}},{"name":"request","valueString":"q"},{"name":"shortlist","resource":{"entry":[{"item":{"identifier":{"value":"11000"}}}]}}]}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		a := do(t, s, "POST", path, rc, body, "If-Match", `W/"2"`)
		if a.status >= 500 {
			t.Fatalf("%s answered %d: %s", path, a.status, a.body)
		}
	})
}

func TestTLS(t *testing.T) {
	s := NewServer(WithTLS())
	defer s.Close()
	s.AddService(Service{ID: "1", Name: "TLS Clinic"})
	require.True(t, strings.HasPrefix(s.URL, "https://"))
	req, _ := http.NewRequest("GET", s.URL+"/R4/HealthcareService/1", nil)
	req.Header.Set("NHSD-eRS-Business-Function", rc)
	req.Header.Set("NHSD-End-User-Organisation-ODS", "A81001")
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	_, err = http.Get(s.URL + "/R4/HealthcareService/1")
	assert.Error(t, err, "an untrusting client fails the handshake")
}
