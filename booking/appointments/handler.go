package appointments

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// Action is what a request asks to do, for Authorize.
type Action string

// Actions.
const (
	ActionSearch     Action = "search"
	ActionBook       Action = "book"
	ActionRead       Action = "read"
	ActionReschedule Action = "reschedule"
	ActionCancel     Action = "cancel"
)

// Principal is who is calling, as Authenticate found them.
type Principal struct {
	ID    string   // recorded as the actor of every change they make
	Roles []string // for Authorize
}

// AuditRecord is one change, with who made it, what, when and why. The
// ledger's event log keeps the same facts (Event.Actor, Kind, At, Reason),
// so the trail can be replayed from it ([Replay]); Audit is for shipping
// the records elsewhere as they happen.
type AuditRecord struct {
	Seq         uint64    `json:"seq"` // the ledger event that recorded it
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Action      Action    `json:"action"`
	Appointment string    `json:"appointment"`
	Slot        string    `json:"slot"`
	Reason      string    `json:"reason,omitempty"`
	RequestID   string    `json:"requestId,omitempty"` // the HTTP request's X-Request-Id
}

// Config configures a Handler. Ledger and Engine are required.
type Config struct {
	// Ledger records bookings; it alone decides whether a place is free.
	Ledger booking.Ledger
	// Engine ranks slots for searches. Keep it following the Ledger
	// (booking.Follow); the handler also syncs it after its own changes.
	Engine *booking.Engine
	// Sources, when set, are asked for slots on each search; slots the
	// ledger lacks are added to it so they can be booked.
	Sources *Aggregator

	// Authenticate finds the caller (nil: everyone is "anonymous"). An
	// error answers 401.
	Authenticate func(r *http.Request) (Principal, error)
	// Authorize decides whether p may do a on the target (an appointment
	// or slot id, or the service searched); nil allows everything. An
	// error answers 403.
	Authorize func(ctx context.Context, p Principal, a Action, target string) error
	// Limit is asked before each request; false answers 429 with
	// Retry-After (nil: no limit). A *rate.Limiter per principal fits.
	Limit func(r *http.Request, p Principal) (ok bool, retryAfter time.Duration)
	// Audit receives every change after it is committed.
	Audit func(ctx context.Context, rec AuditRecord)

	// MaxPage caps a page of search results (default 50).
	MaxPage int
	// Horizon is how far ahead a search without an end looks (default
	// 90 days).
	Horizon time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Handler serves the appointment API. It is an http.Handler to mount in a
// service; it makes no outbound calls except through Sources.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New checks cfg and returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Ledger == nil || cfg.Engine == nil {
		return nil, errors.New("appointments: Config needs a Ledger and an Engine")
	}
	if cfg.MaxPage <= 0 {
		cfg.MaxPage = 50
	}
	if cfg.Horizon <= 0 {
		cfg.Horizon = 90 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.route("GET /api/appointments/available", ActionSearch, h.available)
	h.route("POST /api/appointments/book", ActionBook, h.book)
	h.route("PUT /api/appointments/{id}/reschedule", ActionReschedule, h.reschedule)
	h.route("DELETE /api/appointments/{id}", ActionCancel, h.cancel)
	h.route("GET /api/appointments/{id}", ActionRead, h.read)
	h.route("GET /appointments/{id}", ActionRead, h.read)
	h.mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	h.route("GET /fhir/Slot", ActionSearch, h.fhirSlots)
	h.route("POST /fhir/Appointment", ActionBook, h.fhirCreate)
	h.route("GET /fhir/Appointment/{id}", ActionRead, h.fhirRead)
	h.route("PUT /fhir/Appointment/{id}", ActionReschedule, h.fhirUpdate)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// A known path asked with another method is 405 with Allow.
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := h.mux.Handler(probe); pattern != "/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			h.fail(w, r, &Problem{Type: ProblemMethod, Title: "method not allowed", Status: http.StatusMethodNotAllowed, Detail: r.Method + " " + r.URL.Path})
			return
		}
		h.fail(w, r, &Problem{Type: ProblemNotFound, Title: "no such endpoint", Status: http.StatusNotFound})
	})
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

type principalKey struct{}

// PrincipalFrom returns the caller the handler authenticated.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// route wraps an endpoint in authentication, rate limiting and the
// authorisation seam; target is found by the endpoint itself, so
// Authorize is called from there through h.allow.
func (h *Handler) route(pattern string, a Action, fn func(w http.ResponseWriter, r *http.Request, p Principal) *Problem) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := Principal{ID: "anonymous"}
		if h.cfg.Authenticate != nil {
			var err error
			if p, err = h.cfg.Authenticate(r); err != nil {
				w.Header().Set("WWW-Authenticate", "Bearer")
				h.fail(w, r, &Problem{Type: ProblemUnauthenticated, Title: "authentication required", Status: http.StatusUnauthorized})
				return
			}
		}
		if h.cfg.Limit != nil {
			if ok, after := h.cfg.Limit(r, p); !ok {
				retryAfter(w, after)
				h.fail(w, r, &Problem{Type: ProblemRateLimited, Title: "too many requests", Status: http.StatusTooManyRequests})
				return
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if prob := fn(w, r, p); prob != nil {
			h.fail(w, r, prob)
		}
	})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Status >= 500 && p.cause != nil {
		// The cause names slots and bookings by id only; never a patient.
		h.cfg.Logger.ErrorContext(r.Context(), "appointments: ledger failed", "path", r.URL.Path, "err", p.cause)
	}
	if strings.HasPrefix(r.URL.Path, "/fhir/") {
		writeOutcome(w, p)
		return
	}
	writeProblem(w, r, p)
}

func (h *Handler) allow(ctx context.Context, p Principal, a Action, target string) *Problem {
	if h.cfg.Authorize == nil {
		return nil
	}
	if err := h.cfg.Authorize(ctx, p, a, target); err != nil {
		return &Problem{Type: ProblemForbidden, Title: "not allowed", Status: http.StatusForbidden, Detail: string(a) + " " + target}
	}
	return nil
}

// SlotView is a slot as the JSON API shows it.
type SlotView struct {
	ID           string    `json:"id"`
	Service      string    `json:"service"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Site         string    `json:"site,omitempty"`
	Location     string    `json:"location,omitempty"`
	Practitioner string    `json:"practitioner,omitempty"`
	Modality     string    `json:"modality"`
	Source       string    `json:"source,omitempty"`
}

func viewOf(s booking.Slot) SlotView {
	return SlotView{ID: s.ID, Service: s.Service, Start: s.Start.UTC(), End: s.End.UTC(), Site: s.Site, Location: s.Location,
		Practitioner: s.Practitioner, Modality: s.Modality.String(), Source: s.Source}
}

// Score explains a ranked slot's score (see booking.Breakdown).
type Score struct {
	Total      float64 `json:"total"`
	Wait       float64 `json:"wait"`
	Travel     float64 `json:"travel"`
	Preference float64 `json:"preference"`
	Priority   float64 `json:"priority"`
}

// Available is one ranked slot.
type Available struct {
	Slot          SlotView `json:"slot"`
	Free          int      `json:"free"`
	Score         Score    `json:"score"`
	TravelMinutes *float64 `json:"travelMinutes,omitempty"`
}

// SourceStatus says how one source answered a search: "fresh", "cached",
// "failed", "late" or "open" (its circuit breaker is open), and how old
// its slots are.
type SourceStatus struct {
	Name       string  `json:"name"`
	Status     string  `json:"status"`
	AgeSeconds float64 `json:"ageSeconds"`
	Slots      int     `json:"slots"`
}

// SearchResult is a page of ranked slots.
type SearchResult struct {
	Results    []Available    `json:"results"`
	NextCursor string         `json:"nextCursor,omitempty"`
	Partial    bool           `json:"partial"` // some source did not answer
	Sources    []SourceStatus `json:"sources,omitempty"`
}

var parts = map[string][2]int{"morning": {8 * 60, 12 * 60}, "afternoon": {12 * 60, 17 * 60}, "evening": {17 * 60, 20 * 60}}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

var modalities = map[string]booking.Modality{"face-to-face": booking.FaceToFace, "telephone": booking.Telephone, "video": booking.Video}

// search is a parsed availability query.
type search struct {
	req      booking.Request
	location string
	limit    int
	offset   int
	hash     uint64
}

func parseTime(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, booking.London)
	if err != nil {
		return time.Time{}, errors.New("want an RFC 3339 time or a YYYY-MM-DD date")
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// parseSearch reads the query, collecting every bad parameter.
func (h *Handler) parseSearch(q map[string][]string, pageMax int) (*search, *Problem) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var errs []FieldError
	bad := func(field, detail string) { errs = append(errs, FieldError{Field: field, Detail: detail}) }
	s := &search{limit: min(20, pageMax)}
	s.req.ID = "search"
	s.req.Service = get("service")
	if s.req.Service == "" {
		s.req.Service = get("specialty")
	}
	if s.req.Service == "" {
		bad("service", "required")
	}
	now := h.cfg.Now()
	s.req.Earliest = now
	if v := get("from"); v != "" {
		t, err := parseTime(v, false)
		if err != nil {
			bad("from", err.Error())
		}
		s.req.Earliest = t
	}
	s.req.Latest = s.req.Earliest.Add(h.cfg.Horizon)
	if v := get("to"); v != "" {
		t, err := parseTime(v, true)
		if err != nil {
			bad("to", err.Error())
		} else if !t.After(s.req.Earliest) {
			bad("to", "must be after from")
		}
		s.req.Latest = t
	}
	var days []time.Weekday
	if v := get("weekday"); v != "" {
		for _, d := range strings.Split(v, ",") {
			name := strings.ToLower(strings.TrimSpace(d))
			wd, ok := weekdayNames[name[:min(3, len(name))]]
			if !ok {
				bad("weekday", fmt.Sprintf("unknown day %q", d))
				continue
			}
			days = append(days, wd)
		}
	}
	from, to := 0, 24*60
	if v := get("partOfDay"); v != "" {
		p, ok := parts[strings.ToLower(v)]
		if !ok {
			bad("partOfDay", "want morning, afternoon or evening")
		}
		from, to = p[0], p[1]
	}
	if len(days) > 0 || get("partOfDay") != "" {
		if len(days) == 0 {
			days = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
		}
		for _, d := range days {
			s.req.Windows = append(s.req.Windows, booking.Window{Weekday: d, From: from, To: to})
		}
		s.req.WindowsRequired = true
	}
	for _, v := range q["window"] {
		w, err := booking.ParseWindow(v)
		if err != nil {
			bad("window", err.Error())
			continue
		}
		s.req.Windows = append(s.req.Windows, w)
		s.req.WindowsRequired = true
	}
	if v := get("modality"); v != "" {
		for _, m := range strings.Split(v, ",") {
			mm, ok := modalities[strings.ToLower(strings.TrimSpace(m))]
			if !ok {
				bad("modality", fmt.Sprintf("unknown modality %q: want face-to-face, telephone or video", m))
				continue
			}
			s.req.Modalities = append(s.req.Modalities, mm)
		}
	}
	lat, lon := get("lat"), get("lon")
	if lat != "" || lon != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(lon, 64)
		switch {
		case err1 != nil || la < -90 || la > 90:
			bad("lat", "want a latitude in degrees, with lon")
		case err2 != nil || lo < -180 || lo > 180:
			bad("lon", "want a longitude in degrees, with lat")
		default:
			s.req.Origin = &booking.LatLon{Lat: la, Lon: lo}
		}
	}
	if v := get("maxTravelMinutes"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n <= 0:
			bad("maxTravelMinutes", "want a positive whole number of minutes")
		case s.req.Origin == nil:
			bad("maxTravelMinutes", "needs lat and lon")
		default:
			s.req.MaxTravel = time.Duration(n) * time.Minute
		}
	}
	if v := get("priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			bad("priority", "want 0 to 10")
		}
		s.req.Priority = n
	}
	s.location = strings.ToLower(get("location"))
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > pageMax {
			bad("limit", fmt.Sprintf("want 1 to %d", pageMax))
		} else {
			s.limit = n
		}
	}
	s.hash = queryHash(q)
	if v := get("cursor"); v != "" {
		off, hash, ok := decodeCursor(v)
		if !ok || hash != s.hash {
			bad("cursor", "not a cursor from this search")
		}
		s.offset = off
	}
	if len(errs) > 0 {
		return nil, invalid(errs...)
	}
	return s, nil
}

// queryHash identifies a search without its cursor and limit, so a cursor
// is only good for the search that made it.
func queryHash(q map[string][]string) uint64 {
	sum := sha256.New()
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "cursor" && k != "limit" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(sum, "%s=%q;", k, q[k])
	}
	return binary.BigEndian.Uint64(sum.Sum(nil))
}

func encodeCursor(offset int, hash uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(offset))
	binary.BigEndian.PutUint64(b[8:], hash)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string) (int, uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return 0, 0, false
	}
	off := binary.BigEndian.Uint64(b[:8])
	if off > 1<<31 {
		return 0, 0, false
	}
	return int(off), binary.BigEndian.Uint64(b[8:]), true
}

// run does a search: sources first (their new slots go into the ledger),
// then the engine ranks.
func (h *Handler) run(ctx context.Context, s *search) ([]booking.Candidate, []SourceStatus, bool, error) {
	var statuses []SourceStatus
	partial := false
	if h.cfg.Sources != nil {
		res := h.cfg.Sources.Search(ctx, booking.Query{Service: s.req.Service, From: s.req.Earliest, To: s.req.Latest})
		statuses, partial = res.Statuses, res.Partial
		var fresh []booking.Slot
		for _, sl := range res.Slots {
			if _, ok := h.cfg.Engine.Slot(sl.ID); !ok {
				fresh = append(fresh, sl)
			}
		}
		for _, sl := range fresh {
			// One at a time: another instance may have added some already.
			if _, err := h.cfg.Ledger.AddSlots(ctx, sl); err != nil && !errors.Is(err, booking.ErrDuplicateID) {
				h.cfg.Logger.WarnContext(ctx, "appointments: source slot not added", "slot", sl.ID, "err", err)
			}
		}
		if len(fresh) > 0 {
			if err := h.cfg.Engine.Sync(ctx, h.cfg.Ledger); err != nil {
				return nil, nil, false, err
			}
		}
	}
	// Without a place filter the page's end bounds what the engine must
	// rank (one more tells whether a next page exists), which lets it stop
	// early; a place filter needs every candidate.
	limit := 0
	if s.location == "" && s.limit > 0 {
		limit = s.offset + s.limit + 1
	}
	cands, err := h.cfg.Engine.MatchContext(ctx, s.req, limit)
	if err != nil {
		var ie *booking.InputError
		if errors.As(err, &ie) {
			return nil, nil, false, invalid(FieldError{Field: "service", Detail: ie.Err.Error()})
		}
		// A travel estimate failed: the slots that needed it are left out.
		partial = true
		statuses = append(statuses, SourceStatus{Name: "travel-time", Status: "failed"})
	}
	if s.location != "" {
		kept := cands[:0]
		for _, c := range cands {
			sl, _ := h.cfg.Engine.Slot(c.SlotID)
			if strings.Contains(strings.ToLower(sl.Location), s.location) || strings.Contains(strings.ToLower(sl.Site), s.location) {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	return cands, statuses, partial, nil
}

func (h *Handler) available(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	s, prob := h.parseSearch(r.URL.Query(), h.cfg.MaxPage)
	if prob != nil {
		return prob
	}
	if prob := h.allow(r.Context(), p, ActionSearch, s.req.Service); prob != nil {
		return prob
	}
	cands, statuses, partial, err := h.run(r.Context(), s)
	if err != nil {
		return problemOf(err)
	}
	out := SearchResult{Results: []Available{}, Partial: partial, Sources: statuses}
	end := min(s.offset+s.limit, len(cands))
	for _, c := range cands[min(s.offset, len(cands)):end] {
		sl, _ := h.cfg.Engine.Slot(c.SlotID)
		a := Available{Slot: viewOf(sl), Free: h.cfg.Engine.Available(c.SlotID), Score: Score{
			Total: c.Score, Wait: c.Breakdown.Wait, Travel: c.Breakdown.Travel, Preference: c.Breakdown.Preference, Priority: c.Breakdown.Priority}}
		if s.req.Origin != nil && sl.Position != nil && (sl.Modality == booking.FaceToFace || sl.Modality == booking.ModalityUnknown) {
			m := c.Travel.Minutes()
			a.TravelMinutes = &m
		}
		out.Results = append(out.Results, a)
	}
	if end < len(cands) {
		out.NextCursor = encodeCursor(end, s.hash)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Appointment is a booking as the JSON API shows it.
type Appointment struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Patient string    `json:"patient"`
	Slot    SlotView  `json:"slot"`
	Version int64     `json:"version"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

func (h *Handler) appointment(b booking.Booking) Appointment {
	sl, ok := h.cfg.Engine.Slot(b.SlotID)
	v := SlotView{ID: b.SlotID, Modality: booking.ModalityUnknown.String()}
	if ok {
		v = viewOf(sl)
	}
	return Appointment{ID: b.ID, Status: string(b.Status), Patient: b.RequestID, Slot: v, Version: b.Version,
		Created: b.Created.UTC(), Updated: b.Updated.UTC()}
}

func etag(b booking.Booking) string { return `"` + b.ID + "." + strconv.FormatInt(b.Version, 10) + `"` }

// ifMatch reads If-Match: 0 when absent or "*", the version it names, or
// a problem when it names another appointment or is malformed.
func ifMatch(r *http.Request, id string) (int64, *Problem) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	v = strings.Trim(v, `"`)
	if !strings.Contains(v, ".") { // the FHIR form: W/"<version>"
		v = id + "." + v
	}
	gotID, ver, ok := strings.Cut(v, ".")
	n, err := strconv.ParseInt(ver, 10, 64)
	if !ok || err != nil || n < 1 {
		return 0, invalid(FieldError{Field: "If-Match", Detail: "want an ETag this API sent"})
	}
	if gotID != id {
		return 0, &Problem{Type: ProblemPrecondition, Title: "appointment changed since it was read", Status: http.StatusPreconditionFailed, Detail: "ETag names another appointment"}
	}
	return n, nil
}

var patientRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// bookBody is the JSON body of a booking.
type bookBody struct {
	SlotID  string `json:"slotId"`
	Patient string `json:"patient"`
	Reason  string `json:"reason"`
}

// decodeBody reads a JSON body strictly: unknown fields and trailing data
// are errors, reported at their place.
func decodeBody(r *http.Request, v any) *Problem {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return invalid(FieldError{Field: "/", Detail: fmt.Sprintf("malformed JSON at byte %d", se.Offset)})
		case errors.As(err, &te):
			return invalid(FieldError{Field: "/" + strings.ReplaceAll(te.Field, ".", "/"), Detail: "want " + te.Type.String()})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(FieldError{Field: "/" + f, Detail: "unknown field"})
		}
		return invalid(FieldError{Field: "/", Detail: "want a JSON object"})
	}
	if dec.More() {
		return invalid(FieldError{Field: "/", Detail: "trailing data after the JSON object"})
	}
	return nil
}

func checkReason(reason string) []FieldError {
	if len(reason) > 500 {
		return []FieldError{{Field: "/reason", Detail: "at most 500 characters"}}
	}
	return nil
}

func (h *Handler) book(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	var body bookBody
	if prob := decodeBody(r, &body); prob != nil {
		return prob
	}
	var errs []FieldError
	if body.SlotID == "" {
		errs = append(errs, FieldError{Field: "/slotId", Detail: "required"})
	}
	if !patientRef.MatchString(body.Patient) {
		errs = append(errs, FieldError{Field: "/patient", Detail: "required: an opaque patient reference of letters, digits, '.', '_' or '-', at most 64"})
	}
	errs = append(errs, checkReason(body.Reason)...)
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		errs = append(errs, FieldError{Field: "Idempotency-Key", Detail: "at most 255 characters"})
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	if prob := h.allow(r.Context(), p, ActionBook, body.SlotID); prob != nil {
		return prob
	}
	b, replayed, prob := h.doBook(r, p, body.SlotID, body.Patient, body.Reason, key)
	if prob != nil {
		return prob
	}
	w.Header().Set("Location", "/api/appointments/"+b.ID)
	w.Header().Set("ETag", etag(b))
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, h.appointment(b))
	return nil
}

// doBook books through the ledger. The idempotency key is scoped to the
// principal, so one caller's key never replays another's booking.
func (h *Handler) doBook(r *http.Request, p Principal, slot, patient, reason, key string) (booking.Booking, bool, *Problem) {
	in := booking.BookInput{SlotID: slot, RequestID: patient, Actor: p.ID, Reason: reason}
	if key != "" {
		// Length-prefixed, so no principal's key can pose as another's.
		in.Key = strconv.Itoa(len(p.ID)) + ":" + p.ID + ":" + key
	}
	b, evs, err := h.cfg.Ledger.Book(r.Context(), in)
	if err != nil {
		return b, false, problemOf(err)
	}
	h.after(r, evs, ActionBook)
	if len(evs) == 0 {
		// A replay answers what the first request was answered: the
		// ledger matched the key to this slot and patient, so the booking
		// as first made is version 1 on this slot, whatever befell it since.
		b.SlotID, b.Status, b.Version, b.Updated = slot, booking.StatusBooked, 1, b.Created
	}
	return b, len(evs) == 0, nil
}

// after brings the engine up to date with the handler's own change (other
// instances' changes arrive through booking.Follow) and audits it.
func (h *Handler) after(r *http.Request, evs []booking.Event, a Action) {
	if err := h.cfg.Engine.Apply(evs...); err != nil {
		_ = h.cfg.Engine.Sync(r.Context(), h.cfg.Ledger) // the view missed others' events: catch up
	}
	if h.cfg.Audit == nil {
		return
	}
	for _, ev := range evs {
		if ev.BookingID == "" || (ev.Kind != booking.Booked && ev.Kind != booking.Cancelled) {
			continue
		}
		if a == ActionReschedule && ev.Kind == booking.Cancelled {
			continue // the move is one record, on its Booked event
		}
		h.cfg.Audit(r.Context(), AuditRecord{Seq: ev.Seq, At: ev.At, Actor: ev.Actor, Action: a, Appointment: ev.BookingID,
			Slot: ev.SlotID, Reason: ev.Reason, RequestID: r.Header.Get("X-Request-Id")})
	}
}

type rescheduleBody struct {
	SlotID string `json:"slotId"`
	Reason string `json:"reason"`
}

func (h *Handler) reschedule(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	id := r.PathValue("id")
	var body rescheduleBody
	if prob := decodeBody(r, &body); prob != nil {
		return prob
	}
	var errs []FieldError
	if body.SlotID == "" {
		errs = append(errs, FieldError{Field: "/slotId", Detail: "required"})
	}
	errs = append(errs, checkReason(body.Reason)...)
	if len(errs) > 0 {
		return invalid(errs...)
	}
	ver, prob := ifMatch(r, id)
	if prob != nil {
		return prob
	}
	if prob := h.allow(r.Context(), p, ActionReschedule, id); prob != nil {
		return prob
	}
	b, evs, err := h.cfg.Ledger.Reschedule(r.Context(), booking.RescheduleInput{BookingID: id, ToSlot: body.SlotID, IfVersion: ver, Actor: p.ID, Reason: body.Reason})
	if err != nil {
		return problemOf(err)
	}
	h.after(r, evs, ActionReschedule)
	w.Header().Set("ETag", etag(b))
	writeJSON(w, http.StatusOK, h.appointment(b))
	return nil
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	id := r.PathValue("id")
	reason := r.URL.Query().Get("reason")
	if errs := checkReason(reason); errs != nil {
		errs[0].Field = "reason"
		return invalid(errs...)
	}
	ver, prob := ifMatch(r, id)
	if prob != nil {
		return prob
	}
	if prob := h.allow(r.Context(), p, ActionCancel, id); prob != nil {
		return prob
	}
	b, evs, err := h.cfg.Ledger.Cancel(r.Context(), booking.CancelInput{BookingID: id, IfVersion: ver, Actor: p.ID, Reason: reason})
	if err != nil {
		return problemOf(err)
	}
	h.after(r, evs, ActionCancel)
	w.Header().Set("ETag", etag(b))
	writeJSON(w, http.StatusOK, h.appointment(b))
	return nil
}

func (h *Handler) read(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	id := r.PathValue("id")
	if prob := h.allow(r.Context(), p, ActionRead, id); prob != nil {
		return prob
	}
	b, err := h.cfg.Ledger.Booking(r.Context(), id)
	if err != nil {
		return problemOf(err)
	}
	tag := etag(b)
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeJSON(w, http.StatusOK, h.appointment(b))
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
