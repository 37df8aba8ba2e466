package appointments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/waitlist/webhook"
)

// monday is 2030-03-04, a Monday, in Europe/London (GMT).
var monday = time.Date(2030, 3, 4, 0, 0, 0, 0, booking.London)

func at(day, hour int) time.Time {
	return monday.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour)
}

var manchester = booking.LatLon{Lat: 53.4808, Lon: -2.2426}
var leeds = booking.LatLon{Lat: 53.7960, Lon: -1.5479}

// fixture is slots over two weeks: cardiology mornings and afternoons in
// Manchester (capacity 1) and Leeds, and video dermatology.
func fixture() []booking.Slot {
	var out []booking.Slot
	for d := range 14 {
		for _, h := range []int{9, 11, 14, 16} {
			out = append(out, booking.Slot{ID: fmt.Sprintf("man-%02d-%02d", d, h), Service: "cardiology", Start: at(d, h), End: at(d, h).Add(30 * time.Minute),
				Location: "Manchester Royal Infirmary", Site: "RW3MR", Position: &manchester, Modality: booking.FaceToFace, Source: "trust-a"})
		}
		out = append(out, booking.Slot{ID: fmt.Sprintf("lds-%02d", d), Service: "cardiology", Start: at(d, 10), End: at(d, 10).Add(30 * time.Minute),
			Location: "Leeds General Infirmary", Position: &leeds, Modality: booking.FaceToFace, Source: "trust-b", Capacity: 2})
		out = append(out, booking.Slot{ID: fmt.Sprintf("vid-%02d", d), Service: "dermatology", Start: at(d, 13), End: at(d, 13).Add(20 * time.Minute),
			Modality: booking.Video, Source: "trust-c"})
	}
	return out
}

type env struct {
	t      *testing.T
	ledger *booking.MemoryLedger
	engine *booking.Engine
	srv    *httptest.Server
	check  *openAPIChecker
	audit  []AuditRecord
	mu     sync.Mutex
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	l := booking.NewMemoryLedger(nil)
	_, err := l.AddSlots(context.Background(), fixture()...)
	require.NoError(t, err)
	return newEnvOn(t, l, mod)
}

// newEnvOn starts one service instance (its own engine) over a ledger.
func newEnvOn(t *testing.T, l *booking.MemoryLedger, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, ledger: l, engine: booking.NewEngine(nil)}
	require.NoError(t, e.engine.Sync(context.Background(), l))
	cfg := Config{Ledger: l, Engine: e.engine, Now: func() time.Time { return monday },
		Audit: func(_ context.Context, rec AuditRecord) { e.mu.Lock(); e.audit = append(e.audit, rec); e.mu.Unlock() }}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	require.NoError(t, err)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.check = newChecker(t, OpenAPI())
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "%s", r.body)
}

func (r response) problem(t *testing.T) Problem {
	t.Helper()
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	var p Problem
	r.json(t, &p)
	assert.Equal(t, r.status, p.Status)
	assert.True(t, strings.HasPrefix(p.Type, ProblemBase), p.Type)
	return p
}

// do sends a request and, for the JSON API, checks the response against
// the OpenAPI document (template names the documented path).
func (e *env) do(method, path, template string, body any, hdr ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	if template != "" {
		e.check.check(e.t, method, template, resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

const availT = "/api/appointments/available"

func fields(p Problem) []string {
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	return out
}

func TestSearchFlexibleAndPaged(t *testing.T) {
	e := newEnv(t, nil)
	// "Any Tuesday afternoon" in the first week, near Manchester.
	r := e.do("GET", "/api/appointments/available?service=cardiology&from=2030-03-04&to=2030-03-10&weekday=tue&partOfDay=afternoon&lat=53.48&lon=-2.24&maxTravelMinutes=30", availT, nil)
	require.Equal(t, 200, r.status)
	var res SearchResult
	r.json(t, &res)
	require.Len(t, res.Results, 2)
	for _, a := range res.Results {
		ls := a.Slot.Start.In(booking.London)
		assert.Equal(t, time.Tuesday, ls.Weekday())
		assert.GreaterOrEqual(t, ls.Hour(), 12)
		assert.Contains(t, a.Slot.ID, "man-01-")
		require.NotNil(t, a.TravelMinutes)
		assert.InDelta(t, a.Score.Total, a.Score.Wait+a.Score.Travel+a.Score.Preference+a.Score.Priority, 1e-9)
	}
	assert.GreaterOrEqual(t, res.Results[0].Score.Total, res.Results[1].Score.Total, "ranked best first")

	// Video only, for dermatology; cardiology has none.
	r = e.do("GET", "/api/appointments/available?service=cardiology&modality=video", availT, nil)
	r.json(t, &res)
	assert.Empty(t, res.Results)
	r = e.do("GET", "/api/appointments/available?service=dermatology&modality=video,telephone&limit=3", availT, nil)
	r.json(t, &res)
	assert.Len(t, res.Results, 3)

	// Pages: walk every page; no slot twice, all found.
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		q := "/api/appointments/available?service=cardiology&location=leeds&limit=4"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r = e.do("GET", q, availT, nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		var page SearchResult
		r.json(t, &page)
		for _, a := range page.Results {
			assert.False(t, seen[a.Slot.ID], "slot %s on two pages", a.Slot.ID)
			seen[a.Slot.ID] = true
		}
		pages++
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	assert.Len(t, seen, 14)
	assert.Equal(t, 4, pages)
	// A cursor belongs to its search.
	r = e.do("GET", "/api/appointments/available?service=dermatology&cursor="+cursor, availT, nil)
	assert.Equal(t, []string{"cursor"}, fields(r.problem(t)))
}

func TestSearchValidation(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/api/appointments/available?weekday=funday&partOfDay=night&modality=carrier-pigeon&lat=91&lon=0&maxTravelMinutes=-5&priority=11&limit=0&from=soon", availT, nil)
	require.Equal(t, 422, r.status)
	p := r.problem(t)
	assert.Equal(t, ProblemValidation, p.Type)
	assert.ElementsMatch(t, []string{"service", "from", "weekday", "partOfDay", "modality", "lat", "maxTravelMinutes", "priority", "limit"}, fields(p))
	r = e.do("GET", "/api/appointments/available?service=cardiology&from=2030-03-10&to=2030-03-01", availT, nil)
	assert.Equal(t, []string{"to"}, fields(r.problem(t)))
}

const bookT = "/api/appointments/book"

func TestBookIdempotentAndErrors(t *testing.T) {
	e := newEnv(t, nil)
	body := map[string]string{"slotId": "man-00-09", "patient": "pat-1", "reason": "chest pain referral"}
	r := e.do("POST", "/api/appointments/book", bookT, body, "Idempotency-Key", "k-1")
	require.Equal(t, 201, r.status, "%s", r.body)
	var a Appointment
	r.json(t, &a)
	assert.Equal(t, "booked", a.Status)
	assert.Equal(t, "man-00-09", a.Slot.ID)
	assert.Equal(t, "/api/appointments/"+a.ID, r.header.Get("Location"))
	tag := r.header.Get("ETag")
	assert.NotEmpty(t, tag)
	assert.Empty(t, r.header.Get("Idempotent-Replayed"))

	// The retry answers the same appointment and books nothing more.
	r = e.do("POST", "/api/appointments/book", bookT, body, "Idempotency-Key", "k-1")
	require.Equal(t, 201, r.status)
	var again Appointment
	r.json(t, &again)
	assert.Equal(t, a.ID, again.ID)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	assert.Equal(t, 0, e.engine.Available("man-00-09"))

	// The key with another body.
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-11", "patient": "pat-1"}, "Idempotency-Key", "k-1")
	assert.Equal(t, ProblemKeyReused, r.problem(t).Type)
	// The slot is full for anyone else.
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-09", "patient": "pat-2"})
	assert.Equal(t, 409, r.status)
	assert.Equal(t, ProblemSlotUnavailable, r.problem(t).Type)
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "nowhere", "patient": "pat-2"})
	assert.Equal(t, 404, r.status)
	r.problem(t)

	// Field-level validation.
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"reason": strings.Repeat("x", 501)})
	assert.ElementsMatch(t, []string{"/slotId", "/patient", "/reason"}, fields(r.problem(t)))
	r = e.do("POST", "/api/appointments/book", bookT, `{"slotId": "man-00-11", "patient": "p", "nhsNumber": "9990000018"}`)
	assert.Equal(t, []string{"/nhsNumber"}, fields(r.problem(t)))
	r = e.do("POST", "/api/appointments/book", bookT, `{"slotId": 7}`)
	assert.Equal(t, []string{"/slotId"}, fields(r.problem(t)))
	r = e.do("POST", "/api/appointments/book", bookT, `{"slotId": "x",`)
	assert.Equal(t, []string{"/"}, fields(r.problem(t)))
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-11", "patient": "has spaces"})
	assert.Equal(t, []string{"/patient"}, fields(r.problem(t)))
}

func TestReadRescheduleCancel(t *testing.T) {
	released := make(chan booking.Event, 10)
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = Consume(ctx, e.ledger, "waitlist", 10*time.Millisecond, func(_ context.Context, ev booking.Event) error {
			if ev.Kind == booking.SlotReleased {
				released <- ev
			}
			return nil
		})
	}()

	r := e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-09", "patient": "pat-1"})
	require.Equal(t, 201, r.status)
	var a Appointment
	r.json(t, &a)
	tag1 := r.header.Get("ETag")

	for _, p := range []string{"/appointments/", "/api/appointments/"} {
		tmpl := map[string]string{"/appointments/": "/appointments/{id}", "/api/appointments/": "/api/appointments/{id}"}[p]
		r = e.do("GET", p+a.ID, tmpl, nil)
		assert.Equal(t, 200, r.status)
		assert.Equal(t, tag1, r.header.Get("ETag"))
		r = e.do("GET", p+a.ID, tmpl, nil, "If-None-Match", tag1)
		assert.Equal(t, 304, r.status)
		r = e.do("GET", p+"bk-none", tmpl, nil)
		assert.Equal(t, 404, r.status)
	}

	resT := "/api/appointments/{id}/reschedule"
	r = e.do("PUT", "/api/appointments/"+a.ID+"/reschedule", resT, map[string]string{"slotId": "man-00-11"}, "If-Match", tag1)
	require.Equal(t, 200, r.status, "%s", r.body)
	var moved Appointment
	r.json(t, &moved)
	assert.Equal(t, int64(2), moved.Version)
	assert.Equal(t, "man-00-11", moved.Slot.ID)
	tag2 := r.header.Get("ETag")
	assert.NotEqual(t, tag1, tag2)
	assert.Equal(t, 1, e.engine.Available("man-00-09"), "the old place is free again in this instance's view")

	// A stale ETag: someone changed it since.
	r = e.do("PUT", "/api/appointments/"+a.ID+"/reschedule", resT, map[string]string{"slotId": "man-00-14"}, "If-Match", tag1)
	assert.Equal(t, 412, r.status)
	assert.Equal(t, ProblemPrecondition, r.problem(t).Type)
	r = e.do("PUT", "/api/appointments/"+a.ID+"/reschedule", resT, map[string]string{}, "If-Match", tag2)
	assert.Equal(t, []string{"/slotId"}, fields(r.problem(t)))
	r = e.do("PUT", "/api/appointments/"+a.ID+"/reschedule", resT, map[string]string{"slotId": "man-00-11"})
	assert.Equal(t, 409, r.status)

	delT := "/api/appointments/{id}"
	r = e.do("DELETE", "/api/appointments/"+a.ID+"?reason=patient+request", delT, nil, "If-Match", tag1)
	assert.Equal(t, 412, r.status)
	r = e.do("DELETE", "/api/appointments/"+a.ID+"?reason=patient+request", delT, nil, "If-Match", tag2)
	require.Equal(t, 200, r.status)
	var gone Appointment
	r.json(t, &gone)
	assert.Equal(t, "cancelled", gone.Status)
	r = e.do("DELETE", "/api/appointments/"+a.ID, delT, nil)
	assert.Equal(t, 409, r.status)
	r = e.do("DELETE", "/api/appointments/bk-none", delT, nil)
	assert.Equal(t, 404, r.status)

	// Two releases (the reschedule's old slot and the cancellation), each
	// offered once.
	got := map[string]int{}
	for range 2 {
		select {
		case ev := <-released:
			got[ev.SlotID]++
		case <-time.After(5 * time.Second):
			t.Fatal("release not delivered to the waiting-list hook")
		}
	}
	assert.Equal(t, map[string]int{"man-00-09": 1, "man-00-11": 1}, got)
	select {
	case ev := <-released:
		t.Fatalf("release %d delivered twice", ev.Seq)
	case <-time.After(50 * time.Millisecond):
	}

	// The audit trail: who, what, when, why; and the ledger's log replays
	// to the same appointment.
	e.mu.Lock()
	defer e.mu.Unlock()
	require.Len(t, e.audit, 3)
	assert.Equal(t, []Action{ActionBook, ActionReschedule, ActionCancel}, []Action{e.audit[0].Action, e.audit[1].Action, e.audit[2].Action})
	assert.Equal(t, "anonymous", e.audit[2].Actor)
	assert.Equal(t, "patient request", e.audit[2].Reason)
	evs, err := e.ledger.Events(context.Background(), 0, 0)
	require.NoError(t, err)
	replayed := Replay(evs)[a.ID]
	stored, err := e.ledger.Booking(context.Background(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, stored.SlotID, replayed.SlotID)
	assert.Equal(t, stored.Status, replayed.Status)
	assert.Equal(t, stored.Version, replayed.Version)
}

func TestMiddlewareSeams(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	e := newEnv(t, func(c *Config) {
		c.Authenticate = func(r *http.Request) (Principal, error) {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || tok == "" {
				return Principal{}, errors.New("no token")
			}
			return Principal{ID: "user-" + tok, Roles: []string{tok}}, nil
		}
		c.Authorize = func(_ context.Context, p Principal, a Action, _ string) error {
			if a != ActionSearch && p.Roles[0] != "clerk" {
				return errors.New("clerks only")
			}
			return nil
		}
		c.Limit = func(_ *http.Request, p Principal) (bool, time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return calls <= 4, 1500 * time.Millisecond
		}
	})
	r := e.do("GET", "/api/appointments/available?service=cardiology", availT, nil)
	assert.Equal(t, 401, r.status)
	assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
	r.problem(t)
	r = e.do("GET", "/api/appointments/available?service=cardiology", availT, nil, "Authorization", "Bearer viewer")
	assert.Equal(t, 200, r.status)
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-09", "patient": "p1"}, "Authorization", "Bearer viewer")
	assert.Equal(t, 403, r.status)
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-09", "patient": "p1"}, "Authorization", "Bearer clerk")
	assert.Equal(t, 201, r.status)
	e.mu.Lock()
	assert.Equal(t, "user-clerk", e.audit[0].Actor)
	e.mu.Unlock()
	e.do("GET", "/api/appointments/available?service=cardiology", availT, nil, "Authorization", "Bearer viewer")
	r = e.do("GET", "/api/appointments/available?service=cardiology", availT, nil, "Authorization", "Bearer viewer")
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "2", r.header.Get("Retry-After"))
	assert.Equal(t, ProblemRateLimited, r.problem(t).Type)
}

// TestTwoInstancesOneLedger is the double-booking the ledger exists to
// prevent: two instances, each with its own engine, both see the last
// place free; exactly one booking wins.
func TestTwoInstancesOneLedger(t *testing.T) {
	l := booking.NewMemoryLedger(nil)
	_, err := l.AddSlots(context.Background(), fixture()...)
	require.NoError(t, err)
	a, b := newEnvOn(t, l, nil), newEnvOn(t, l, nil)

	// A booking made on one instance and retried on the other (behind a
	// load balancer) answers the first response on both, even after a move.
	body := map[string]string{"slotId": "man-13-09", "patient": "pat-x"}
	r := a.do("POST", "/api/appointments/book", bookT, body, "Idempotency-Key", "lb-1")
	require.Equal(t, 201, r.status)
	var first Appointment
	r.json(t, &first)
	tag := r.header.Get("ETag")
	r = b.do("PUT", "/api/appointments/"+first.ID+"/reschedule", "/api/appointments/{id}/reschedule", map[string]string{"slotId": "man-13-11"}, "If-Match", tag)
	require.Equal(t, 200, r.status, "an ETag from one instance is good on another")
	r = b.do("POST", "/api/appointments/book", bookT, body, "Idempotency-Key", "lb-1")
	require.Equal(t, 201, r.status)
	var replay Appointment
	r.json(t, &replay)
	assert.Equal(t, first, replay)
	assert.Equal(t, tag, r.header.Get("ETag"))

	for round := range 20 {
		slot := fmt.Sprintf("man-%02d-14", round%14)
		if round >= 14 {
			slot = fmt.Sprintf("man-%02d-16", round%14)
		}
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, inst := range []*env{a, b} {
			wg.Go(func() {
				statuses[i] = inst.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": slot, "patient": fmt.Sprintf("p%d-%d", round, i)}).status
			})
		}
		wg.Wait()
		assert.ElementsMatch(t, []int{201, 409}, statuses, "round %d", round)
	}
}

func TestNotFoundIsAProblem(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/api/nothing", "", nil)
	assert.Equal(t, 404, r.status)
	r.problem(t)
	r = e.do("PATCH", "/api/appointments/bk-1", "", nil)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "GET, DELETE", r.header.Get("Allow"))
	assert.Equal(t, ProblemMethod, r.problem(t).Type)
	r = e.do("PUT", "/api/appointments/book", "", nil)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "GET, POST, DELETE", r.header.Get("Allow"), "book is POST, and also reads as an appointment id")
	r = e.do("DELETE", "/fhir/Slot", "", nil)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "application/fhir+json", r.header.Get("Content-Type"))
	r = e.do("GET", "/api/openapi.json", "", nil)
	assert.Equal(t, 200, r.status)
	assert.JSONEq(t, string(OpenAPI()), string(r.body))
}

// TestEveryDocumentedResponseSeen runs the other handler tests' requests
// again in one place and checks that each operation's main answers were
// met live, so the document cannot drift from the handler unnoticed.
func TestEveryDocumentedResponseSeen(t *testing.T) {
	e := newEnv(t, nil)
	e.do("GET", "/api/appointments/available?service=cardiology", availT, nil)
	e.do("GET", "/api/appointments/available", availT, nil)
	r := e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-09", "patient": "p1"})
	var a Appointment
	r.json(t, &a)
	e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "man-00-09", "patient": "p2"})
	e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "x", "patient": "p2"})
	e.do("POST", "/api/appointments/book", bookT, map[string]string{})
	e.do("PUT", "/api/appointments/"+a.ID+"/reschedule", "/api/appointments/{id}/reschedule", map[string]string{"slotId": "man-00-11"}, "If-Match", `"`+a.ID+`.9"`)
	e.do("PUT", "/api/appointments/"+a.ID+"/reschedule", "/api/appointments/{id}/reschedule", map[string]string{"slotId": "man-00-11"})
	e.do("GET", "/appointments/"+a.ID, "/appointments/{id}", nil)
	e.do("DELETE", "/api/appointments/"+a.ID, "/api/appointments/{id}", nil)
	for _, want := range []string{
		"GET /api/appointments/available 200", "GET /api/appointments/available 422",
		"POST /api/appointments/book 201", "POST /api/appointments/book 409", "POST /api/appointments/book 404", "POST /api/appointments/book 422",
		"PUT /api/appointments/{id}/reschedule 412", "PUT /api/appointments/{id}/reschedule 200",
		"GET /appointments/{id} 200", "DELETE /api/appointments/{id} 200",
	} {
		assert.True(t, e.check.checked[want], "no live response checked for %s", want)
	}
}

const fhirSlotQuery = "/fhir/Slot?status=free&start=ge2030-03-04&end=le2030-03-05&_include=Slot:schedule&service-type=cardiology"

func TestFHIRSlotSearch(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", fhirSlotQuery, "", nil)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, "application/fhir+json", r.header.Get("Content-Type"))
	res, err := fhir.Unmarshal(r.body)
	require.NoError(t, err)
	b := res.(*fhir.Bundle)
	assert.Equal(t, "searchset", b.Type.Value)
	assert.Nil(t, fhir.Validate(b), "the bundle validates as R4")
	var slots, schedules int
	for _, en := range b.Entry {
		switch x := en.Resource.(type) {
		case *fhir.Slot:
			slots++
			assert.Equal(t, "match", en.Search.Mode.Value)
			assert.Equal(t, "free", x.Status.Value)
			assert.NotNil(t, b.Resolve(x.Schedule.Reference.Value), "the slot's schedule is included")
		case *fhir.Schedule:
			schedules++
			assert.Equal(t, "include", en.Search.Mode.Value)
		}
	}
	assert.Equal(t, 10, slots) // four in Manchester and one in Leeds on each day; le includes the whole day
	assert.Equal(t, 2, schedules)
	assert.Equal(t, int64(10), b.Total.Value)

	r = e.do("GET", "/fhir/Slot?start=2030-03-04&_include=Slot:practitioner", "", nil)
	assert.Equal(t, 422, r.status)
	res, err = fhir.Unmarshal(r.body)
	require.NoError(t, err)
	oo := res.(*fhir.OperationOutcome)
	var exprs []string
	for _, is := range oo.Issue {
		exprs = append(exprs, is.Expression[0].Value)
	}
	assert.ElementsMatch(t, []string{"status", "start", "end", "_include"}, exprs)
}

func fhirAppt(slot, patient, status string) string {
	return fmt.Sprintf(`{"resourceType":"Appointment","status":%q,"slot":[{"reference":"Slot/%s"}],
		"start":"2030-03-04T09:00:00Z","end":"2030-03-04T09:30:00Z","created":"2030-03-01T10:00:00Z",
		"participant":[{"actor":{"reference":"Patient/%s"},"status":"accepted"}]}`, status, slot, patient)
}

func TestFHIRAppointmentLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/fhir/Appointment", "", fhirAppt("man-00-09", "pat-9", "booked"), "Idempotency-Key", "f-1")
	require.Equal(t, 201, r.status, "%s", r.body)
	res, err := fhir.Unmarshal(r.body)
	require.NoError(t, err)
	a := res.(*fhir.Appointment)
	assert.Nil(t, fhir.Validate(a))
	assert.Equal(t, "booked", a.Status.Value)
	assert.Equal(t, `W/"1"`, r.header.Get("ETag"))
	assert.Equal(t, "/fhir/Appointment/"+a.ID.Value+"/_history/1", r.header.Get("Location"))
	r = e.do("POST", "/fhir/Appointment", "", fhirAppt("man-00-09", "pat-9", "booked"), "Idempotency-Key", "f-1")
	assert.Equal(t, 201, r.status)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	r = e.do("POST", "/fhir/Appointment", "", fhirAppt("man-00-09", "pat-8", "booked"))
	assert.Equal(t, 409, r.status, "the slot is taken: GP Connect's DUPLICATE_REJECTED status")
	r = e.do("POST", "/fhir/Appointment", "", `{"resourceType":"Patient"}`)
	assert.Equal(t, 422, r.status)
	r = e.do("POST", "/fhir/Appointment", "", `{"resourceType":"Appointment","status":"booked","participant":[]}`)
	assert.Equal(t, 422, r.status)

	id := a.ID.Value
	r = e.do("GET", "/fhir/Appointment/"+id, "", nil)
	assert.Equal(t, 200, r.status)
	// Amend to another slot is a reschedule.
	moved := strings.Replace(fhirAppt("man-00-11", "pat-9", "booked"), `{"resourceType":"Appointment",`, `{"resourceType":"Appointment","id":"`+id+`",`, 1)
	r = e.do("PUT", "/fhir/Appointment/"+id, "", moved, "If-Match", `W/"1"`)
	require.Equal(t, 200, r.status, "%s", r.body)
	assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
	cancelled := strings.Replace(moved, `"status":"booked"`, `"status":"cancelled","cancelationReason":{"text":"patient request"}`, 1)
	r = e.do("PUT", "/fhir/Appointment/"+id, "", cancelled, "If-Match", `W/"1"`)
	assert.Equal(t, 412, r.status)
	r = e.do("PUT", "/fhir/Appointment/"+id, "", cancelled, "If-Match", `W/"2"`)
	require.Equal(t, 200, r.status, "%s", r.body)
	res, _ = fhir.Unmarshal(r.body)
	assert.Equal(t, "cancelled", res.(*fhir.Appointment).Status.Value)
	assert.Equal(t, 1, e.engine.Available("man-00-11"))
	r = e.do("GET", "/fhir/Appointment/nope", "", nil)
	assert.Equal(t, 404, r.status)
	res, err = fhir.Unmarshal(r.body)
	require.NoError(t, err)
	assert.Equal(t, "not-found", res.(*fhir.OperationOutcome).Issue[0].Code.Value)
}

func TestWebhooksSignedRetriedDeadLettered(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	var mu sync.Mutex
	var got []Notification
	fails := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var n Notification
		_ = json.Unmarshal(body, &n)
		if n.Type == "appointment.booked" {
			http.Error(w, "not interested", http.StatusGone) // permanent: dead-lettered at once
			return
		}
		if fails > 0 {
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		got = append(got, n)
	}))
	defer srv.Close()
	var waits []time.Duration
	wh, err := NewWebhooks(srv.URL, secret, WithHTTPClient(srv.Client()), WithAttempts(3, time.Second),
		WithWebhookClock(time.Now, func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }))
	require.NoError(t, err)
	_, err = NewWebhooks(srv.URL, nil)
	assert.Error(t, err, "an empty secret is refused")
	_, err = NewWebhooks("ftp://x", secret)
	assert.Error(t, err)

	l := booking.NewMemoryLedger(nil)
	ctx := context.Background()
	_, err = l.AddSlots(ctx, fixture()[:2]...)
	require.NoError(t, err)
	b, _, err := l.Book(ctx, booking.BookInput{SlotID: "man-00-09", RequestID: "pat-1"})
	require.NoError(t, err)
	_, _, err = l.Cancel(ctx, booking.CancelInput{BookingID: b.ID})
	require.NoError(t, err)
	n, err := l.Consume(ctx, "webhooks", 0, wh.Deliver)
	require.NoError(t, err)
	assert.Equal(t, 5, n, "two adds, booked, cancelled, released")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2)
	assert.Equal(t, "appointment.cancelled", got[0].Type)
	assert.Equal(t, "slot.released", got[1].Type)
	assert.Empty(t, got[0].Patient, "no patient reference unless opted in")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, waits, "backoff doubles")
	dead := wh.DeadLetters()
	require.Len(t, dead, 1)
	assert.Equal(t, "appointment.booked", dead[0].Notification.Type)
	assert.Equal(t, 1, dead[0].Attempts)
}
