package gpconnecttest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzRequestBodies sends arbitrary bodies (and If-Match values) to the
// handlers that decode them: none may panic or answer 5xx, since a bad
// body is the consumer's fault (4xx).
func FuzzRequestBodies(f *testing.F) {
	f.Add(0, `{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}},{"name":"includeConsultations","part":[{"name":"consultationSearchPeriod","valuePeriod":{"start":"2020-01-01","end":"2019-01-01"}}]}]}`, "")
	f.Add(0, `{"resourceType":"Parameters","parameter":[{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies"}]}]}`, "")
	f.Add(1, `{"resourceType":"Parameters","parameter":[{"name":"registerPatient","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"use":"official","family":"SMITH","given":["Alex"]}],"birthDate":"1980-01-01"}}]}`, "")
	f.Add(2, `{"resourceType":"Appointment","id":"2","status":"cancelled","start":"2030-01-01T09:00:00Z","end":"2030-01-01T09:15:00Z"}`, `W/"1"`)
	f.Add(3, `{"resourceType":"Appointment","status":"booked","contained":[{"resourceType":"Organization","id":"1"}],"extension":[{"url":"x","valueReference":{"reference":"#1"}}]}`, "")
	f.Add(2, `{"resourceType":"Appointment"`, `W/"`)
	f.Fuzz(func(t *testing.T, which int, body, ifMatch string) {
		s := NewUnstartedServer(WithDiary(1, time.Hour), WithClock(func() time.Time { return time.Date(2029, 12, 30, 12, 0, 0, 0, time.UTC) }))
		s.URL = "http://fake" + s.prefix
		var method, path string
		var h func(http.ResponseWriter, *http.Request, string)
		switch uint(which) % 4 {
		case 0:
			method, path, h = http.MethodPost, "/Patient/$gpc.getstructuredrecord", s.structuredRecord
		case 1:
			method, path, h = http.MethodPost, "/Patient/$gpc.registerpatient", s.registerPatient
		case 2:
			method, path, h = http.MethodPut, "/Appointment/2", s.cancel
		default:
			method, path, h = http.MethodPost, "/Appointment", s.book
		}
		r := httptest.NewRequest(method, "http://fake"+s.prefix+path, strings.NewReader(body))
		if ifMatch != "" {
			r.Header.Set("If-Match", ifMatch)
		}
		w := httptest.NewRecorder()
		h(w, r, path)
		if w.Code >= 500 {
			t.Fatalf("%s %s answered %d to a consumer's bad body", method, path, w.Code)
		}
	})
}
