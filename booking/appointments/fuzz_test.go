package appointments

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// FuzzSearchQuery feeds arbitrary query strings to the search parser: it
// answers a search or a problem listing fields, never panics.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{
		"service=cardiology&weekday=tue&partOfDay=afternoon&lat=53.8&lon=-1.5&maxTravelMinutes=45",
		"service=x&window=Tue+13:00-17:00&window=wed+morning&modality=video,telephone",
		"service=x&from=2030-01-01&to=2030-01-02&cursor=AAAAAAAAAAAAAAAAAAAAAA&limit=5",
		"weekday=\u212a&partOfDay=\u0130", "service=%00&from=9999-99-99",
	} {
		f.Add(s)
	}
	h := &Handler{cfg: Config{MaxPage: 50, Horizon: 90 * 24 * time.Hour, Now: func() time.Time { return monday }}}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		s, p := h.parseSearch(q, 50)
		if (s == nil) == (p == nil) {
			t.Fatalf("want a search or a problem, got %v and %v", s, p)
		}
		if p != nil && len(p.Errors) == 0 {
			t.Fatal("a problem without the fields at fault")
		}
	})
}

// FuzzBookBody posts arbitrary bodies to the JSON and FHIR create
// endpoints: each answers 201 or a 4xx problem, never a panic or a 5xx.
func FuzzBookBody(f *testing.F) {
	f.Add([]byte(`{"slotId":"a","patient":"p1"}`))
	f.Add([]byte(`{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/a"}],"participant":[{"actor":{"reference":"Patient/p"},"status":"accepted"}]}`))
	f.Add([]byte(`{"slotId":7}`))
	f.Add([]byte(`[`))
	l := booking.NewMemoryLedger(nil)
	start := time.Date(2030, 3, 5, 9, 0, 0, 0, booking.London)
	_, _ = l.AddSlots(f.Context(), booking.Slot{ID: "a", Service: "c", Start: start, End: start.Add(time.Hour), Capacity: 1 << 30})
	e := booking.NewEngine(nil)
	_ = e.Sync(f.Context(), l)
	h, err := New(Config{Ledger: l, Engine: e})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/api/appointments/book", "/fhir/Appointment"} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
			if w.Code != http.StatusCreated && (w.Code < 400 || w.Code >= 500) {
				t.Fatalf("%s answered %d: %s", path, w.Code, w.Body.Bytes())
			}
		}
	})
}
