package booking

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// TravelTimer estimates travel time between two places; plug in a routing
// service by implementing it. A failed estimate (the service down, ctx
// ended) leaves the slots it was needed for out of a travel-limited search
// and is reported by [Engine.MatchContext].
type TravelTimer interface {
	TravelTime(ctx context.Context, from, to LatLon) (time.Duration, error)
}

// BatchTravelTimer is a TravelTimer that also estimates many journeys from
// one origin in one call, as a maps API's distance matrix does; the engine
// uses the batch form when the timer has it, once per request, for every
// place it knows (Haversine has no batch form: one estimate costs less than
// building the batch).
type BatchTravelTimer interface {
	TravelTimer
	// TravelTimes returns one estimate per destination, in order.
	TravelTimes(ctx context.Context, from LatLon, to []LatLon) ([]time.Duration, error)
}

// Haversine estimates travel from great-circle distance, a detour factor
// for roads and an average speed. The zero value uses 1.3 and 30 km/h,
// a fair urban driving figure.
type Haversine struct {
	SpeedKmh float64
	Detour   float64
}

// TravelTime implements TravelTimer; it never fails.
func (h Haversine) TravelTime(_ context.Context, a, b LatLon) (time.Duration, error) {
	return h.estimate(a, b), nil
}

func (h Haversine) estimate(a, b LatLon) time.Duration {
	speed, detour := h.SpeedKmh, h.Detour
	if speed <= 0 {
		speed = 30
	}
	if detour <= 0 {
		detour = 1.3
	}
	km := DistanceKm(a, b) * detour
	return time.Duration(km / speed * float64(time.Hour))
}

// DistanceKm is the great-circle distance between a and b (mean Earth
// radius 6,371 km).
func DistanceKm(a, b LatLon) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	s := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(s)))
}

// Weights scale the four parts of a score; each part is in [0, 1] before
// weighting. The default favours clinical priority (2) over wait, travel
// and preference fit (1 each).
type Weights struct {
	Wait, Travel, Preference, Priority float64
}

// DefaultWeights are the weights NewEngine uses.
var DefaultWeights = Weights{Wait: 1, Travel: 1, Preference: 1, Priority: 2}

// RTTHorizon is the wait at which the waited-time part of the priority
// score saturates: the 18-week referral-to-treatment standard.
const RTTHorizon = 18 * 7 * 24 * time.Hour

// Option configures an Engine.
type Option func(*config)

type config struct {
	weights    Weights
	travel     TravelTimer
	now        func() time.Time
	candidates int
}

// WithWeights sets the scoring weights.
func WithWeights(w Weights) Option { return func(c *config) { c.weights = w } }

// WithTravelTimer sets how travel time is estimated (default Haversine{}).
func WithTravelTimer(t TravelTimer) Option { return func(c *config) { c.travel = t } }

// WithClock sets the clock holds expire by (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithAssignCandidates limits how many of its best candidates each request
// brings to Assign (default 0: all of them, so the assignment is optimal
// over every feasible pair). A limit trades optimality for speed on very
// large problems.
func WithAssignCandidates(k int) Option { return func(c *config) { c.candidates = k } }

type slotState struct {
	Slot
	booked  []string // request ids
	holds   map[string]time.Time
	removed bool
}

// localTimes is a slot's start and end in Europe/London, computed once so
// that window and date checks do no time-zone arithmetic per query.
type localTimes struct {
	date     int32 // yyyymmdd
	startMin int16 // minutes since local midnight
	endMin   int16 // minutes since the same midnight (may exceed 1440)
	weekday  time.Weekday
}

func dateKey(y int, m time.Month, d int) int32 { return int32(y*10000 + int(m)*100 + d) }

func localOf(start, end time.Time) localTimes {
	ls := start.In(London)
	y, m, d := ls.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, London)
	endMin := end.Sub(midnight) / time.Minute
	if endMin > 32000 {
		endMin = 32000 // far beyond any window
	}
	return localTimes{
		weekday:  ls.Weekday(),
		startMin: int16(ls.Hour()*60 + ls.Minute()),
		endMin:   int16(endMin),
		date:     dateKey(y, m, d),
	}
}

func (l *localTimes) in(w Window) bool {
	return l.weekday == w.Weekday && int(l.startMin) >= w.From && int(l.endMin) <= w.To
}

// entry is a slot's place in its service's index: the fields every query
// reads, packed so that a scan walks memory in order and touches the full
// slot only for the few slots that pass the cheap checks.
type entry struct {
	start, end int64 // Unix nanoseconds
	slot       int32 // index in Engine.slots
	pos        int32 // index in Engine.positions, -1 when the slot has none
	local      localTimes
	modality   Modality
	full       bool // booked to capacity
	held       bool // has holds, so capacity depends on the time
	rich       bool // has accessibility features, a site or a practitioner
}

// Engine matches requests to slots. It is safe for concurrent use: Match
// and Assign read under a shared lock; changes take it exclusively, so a
// slot is never booked beyond its capacity.
type Engine struct {
	cfg config

	mu        sync.RWMutex
	slots     []*slotState
	byID      map[string]int
	byService map[string][]entry // sorted by start
	positions []LatLon
	posIndex  map[LatLon]int32
	invalid   ErrorList
	holdSeq   uint64
	holdSlot  map[string]int
	seq       uint64 // last ledger event applied
}

// NewEngine indexes slots by service and start time. Invalid slots (end
// not after start, negative capacity, empty or duplicate id) are left out
// and reported by Err, never silently.
func NewEngine(slots []Slot, opts ...Option) *Engine {
	e := &Engine{
		cfg:       config{weights: DefaultWeights, travel: Haversine{}, now: time.Now},
		byID:      make(map[string]int, len(slots)),
		byService: map[string][]entry{},
		posIndex:  map[LatLon]int32{},
		holdSlot:  map[string]int{},
	}
	for _, o := range opts {
		o(&e.cfg)
	}
	e.slots = make([]*slotState, 0, len(slots))
	states := make([]slotState, len(slots)) // one allocation for all
	for i := range slots {
		s := &slots[i]
		if err := checkSlot(s); err != nil {
			e.invalid = append(e.invalid, &InputError{Kind: "slot", Index: i, ID: s.ID, Err: err})
			continue
		}
		if _, dup := e.byID[s.ID]; dup {
			e.invalid = append(e.invalid, &InputError{Kind: "slot", Index: i, ID: s.ID, Err: ErrDuplicateID})
			continue
		}
		st := &states[i]
		st.Slot = *s
		e.byID[s.ID] = len(e.slots)
		e.byService[s.Service] = append(e.byService[s.Service], e.newEntry(st, int32(len(e.slots))))
		e.slots = append(e.slots, st)
	}
	for svc, idx := range e.byService {
		slices.SortFunc(idx, func(a, b entry) int { return cmp.Compare(a.start, b.start) })
		e.byService[svc] = idx
	}
	return e
}

func (e *Engine) newEntry(st *slotState, i int32) entry {
	en := entry{
		start:    st.Start.UnixNano(),
		end:      st.End.UnixNano(),
		slot:     i,
		pos:      -1,
		local:    localOf(st.Start, st.End),
		modality: st.Modality,
		rich:     len(st.Accessibility) > 0 || st.Site != "" || st.Practitioner != "",
	}
	if st.Position != nil {
		p, ok := e.posIndex[*st.Position]
		if !ok {
			p = int32(len(e.positions))
			e.positions = append(e.positions, *st.Position)
			e.posIndex[*st.Position] = p
		}
		en.pos = p
	}
	return en
}

// entryIndex finds a slot's position in its service's index, or -1.
func (e *Engine) entryIndex(st *slotState) int {
	idx := e.byService[st.Service]
	i := int32(e.byID[st.ID])
	start := st.Start.UnixNano()
	at := sort.Search(len(idx), func(k int) bool { return idx[k].start >= start })
	for ; at < len(idx) && idx[at].start == start; at++ {
		if idx[at].slot == i {
			return at
		}
	}
	return -1
}

// refresh recomputes a slot's capacity flags after a change.
func (e *Engine) refresh(st *slotState) {
	if k := e.entryIndex(st); k >= 0 {
		en := &e.byService[st.Service][k]
		en.full = len(st.booked) >= st.capacity()
		en.held = len(st.holds) > 0
	}
}

// NewEngineChecked is NewEngine that fails on any invalid slot.
func NewEngineChecked(slots []Slot, opts ...Option) (*Engine, error) {
	if err := ValidateSlots(slots); err != nil {
		return nil, err
	}
	return NewEngine(slots, opts...), nil
}

// Err reports the slots NewEngine left out, as an ErrorList, or nil.
func (e *Engine) Err() error { return e.invalid.Err() }

// Len returns the number of slots in the engine.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := 0
	for _, s := range e.slots {
		if !s.removed {
			n++
		}
	}
	return n
}

// free returns the capacity left on s at now.
func (s *slotState) free(now time.Time) int {
	n := s.capacity() - len(s.booked)
	for _, exp := range s.holds {
		if now.Before(exp) {
			n--
		}
	}
	return n
}

// Available returns the capacity left on a slot, or -1 if it is unknown.
func (e *Engine) Available(slotID string) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.byID[slotID]
	if !ok || e.slots[i].removed {
		return -1
	}
	return e.slots[i].free(e.cfg.now())
}

// Slot returns a copy of a slot.
func (e *Engine) Slot(id string) (Slot, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.byID[id]
	if !ok || e.slots[i].removed {
		return Slot{}, false
	}
	return e.slots[i].Slot, true
}

// scorer holds what is constant for one request.
type scorer struct {
	req         *Request
	earliest    int64           // req.Earliest in Unix nanoseconds
	invHorizon  float64         // 1 / horizon in nanoseconds
	fixed       float64         // travel, preference and priority maxima: the bound's constant part
	travelCache []time.Duration // by position index; -1 not yet computed
	positions   []LatLon
	w           Weights
	travel      TravelTimer
	ctx         context.Context // for the TravelTimer
	travelErr   error           // the first estimate that failed
	horizon     float64
	priority    float64
	excluded    map[int32]bool
}

func (e *Engine) newScorer(r *Request) *scorer {
	sc := &scorer{req: r, w: e.cfg.weights, travel: e.cfg.travel, positions: e.positions, ctx: context.Background()}
	latest := r.Latest
	if latest.IsZero() {
		latest = r.Earliest.Add(90 * 24 * time.Hour)
	}
	sc.horizon = math.Max(float64(latest.Sub(r.Earliest)), float64(time.Hour))
	sc.earliest = r.Earliest.UnixNano()
	sc.invHorizon = 1 / sc.horizon
	referred := r.Referred
	if referred.IsZero() {
		referred = r.Earliest
	}
	waited := clamp01(float64(r.Earliest.Sub(referred)) / float64(RTTHorizon))
	sc.priority = 0.7*clamp01(float64(r.Priority)/10) + 0.3*waited
	sc.fixed = sc.w.Travel + sc.w.Preference + sc.w.Priority*sc.priority
	if len(r.ExcludedDates) > 0 {
		sc.excluded = map[int32]bool{}
		for _, d := range r.ExcludedDates {
			y, m, dd := d.In(London).Date()
			sc.excluded[dateKey(y, m, dd)] = true
		}
	}
	return sc
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// feasible applies the hard constraints other than service, time range and
// capacity (which the caller checks), returning the travel time. It reads
// the full slot only when the request needs a field the entry lacks.
func (sc *scorer) feasible(en *entry, st *slotState) (time.Duration, bool) {
	r := sc.req
	if r.Duration > 0 && time.Duration(en.end-en.start) < r.Duration {
		return 0, false
	}
	if len(r.Modalities) > 0 && !slices.Contains(r.Modalities, en.modality) {
		return 0, false
	}
	if len(r.Accessibility) > 0 && (!en.rich || !containsAll(st.Accessibility, r.Accessibility)) {
		return 0, false
	}
	if r.WindowsRequired && len(r.Windows) > 0 && !inAnyWindow(r.Windows, &en.local) {
		return 0, false
	}
	if sc.excluded != nil && sc.excluded[en.local.date] {
		return 0, false
	}
	var travel time.Duration
	inPerson := en.modality == FaceToFace || en.modality == ModalityUnknown
	if inPerson && r.Origin != nil {
		if en.pos < 0 {
			if r.MaxTravel > 0 {
				return 0, false // the travel limit cannot be verified
			}
		} else {
			travel = sc.travelTo(en.pos)
			if travel < 0 { // unknown: the estimate failed
				if r.MaxTravel > 0 {
					return 0, false
				}
				travel = 0
			}
			if r.MaxTravel > 0 && travel > r.MaxTravel {
				return 0, false
			}
		}
	}
	return travel, true
}

// notYet marks a travel time not yet estimated; -1 is a failed estimate.
const notYet = time.Duration(-2)

// travelTo computes each distinct site's travel time once per request (all
// of them in one call when the timer has a batch form), or -1 when the
// estimate failed.
func (sc *scorer) travelTo(p int32) time.Duration {
	if sc.travelCache == nil {
		sc.travelCache = make([]time.Duration, len(sc.positions))
		for i := range sc.travelCache {
			sc.travelCache[i] = notYet
		}
		if b, ok := sc.travel.(BatchTravelTimer); ok && sc.travelErr == nil {
			ds, err := b.TravelTimes(sc.ctx, *sc.req.Origin, sc.positions)
			if err == nil && len(ds) != len(sc.positions) {
				err = fmt.Errorf("booking: travel timer gave %d estimates for %d places", len(ds), len(sc.positions))
			}
			if err != nil {
				sc.travelErr = err
				for i := range sc.travelCache {
					sc.travelCache[i] = -1
				}
			} else {
				copy(sc.travelCache, ds)
			}
		}
	}
	if d := sc.travelCache[p]; d != notYet {
		return d
	}
	d, err := sc.travel.TravelTime(sc.ctx, *sc.req.Origin, sc.positions[p])
	if err != nil || d < 0 {
		if err == nil {
			err = fmt.Errorf("booking: travel timer gave a negative estimate %v", d)
		}
		if sc.travelErr == nil {
			sc.travelErr = err
		}
		d = -1
	}
	sc.travelCache[p] = d
	return d
}

func inAnyWindow(ws []Window, l *localTimes) bool {
	for _, w := range ws {
		if l.in(w) {
			return true
		}
	}
	return false
}

func (sc *scorer) score(en *entry, st *slotState, travel time.Duration) Breakdown {
	r := sc.req
	var b Breakdown
	b.Wait = sc.w.Wait * (1 - clamp01(float64(en.start-sc.earliest)*sc.invHorizon))
	limit := r.MaxTravel
	if limit <= 0 {
		limit = time.Hour
	}
	b.Travel = sc.w.Travel * (1 - clamp01(float64(travel)/float64(limit)))
	prefs, met := 0, 0
	if len(r.Windows) > 0 && !r.WindowsRequired {
		prefs++
		if inAnyWindow(r.Windows, &en.local) {
			met++
		}
	}
	if len(r.PreferredSites) > 0 {
		prefs++
		if en.rich && slices.Contains(r.PreferredSites, st.Site) {
			met++
		}
	}
	if len(r.PreferredPractitioners) > 0 {
		prefs++
		if en.rich && slices.Contains(r.PreferredPractitioners, st.Practitioner) {
			met++
		}
	}
	if r.PreferredModality != ModalityUnknown {
		prefs++
		if en.modality == r.PreferredModality {
			met++
		}
	}
	fit := 1.0
	if prefs > 0 {
		fit = float64(met) / float64(prefs)
	}
	b.Preference = sc.w.Preference * fit
	b.Priority = sc.w.Priority * sc.priority
	return b
}

func (b Breakdown) total() float64 { return b.Wait + b.Travel + b.Preference + b.Priority }

// bound is the highest score any slot starting at or after start can
// reach: the wait part only falls as start moves later, and the other
// parts are at most their weights.
func (sc *scorer) bound(start int64) float64 {
	return sc.w.Wait*(1-clamp01(float64(start-sc.earliest)*sc.invHorizon)) + sc.fixed
}

// candHeap is a min-heap by score (ties: later start, then larger id, out
// first) keeping the best `limit` candidates.
type candHeap []Candidate

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	return worse(h[i], h[j])
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(Candidate)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// worse orders candidates: lower score, then later start, then larger id.
func worse(a, b Candidate) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	if !a.Start.Equal(b.Start) {
		return a.Start.After(b.Start)
	}
	return a.SlotID > b.SlotID
}

// Match returns up to limit slots that meet every hard constraint of req,
// best first (highest score; ties broken by earlier start, then slot id).
// An invalid request (see ValidateRequest) has no candidates. limit ≤ 0
// returns all candidates.
func (e *Engine) Match(req Request, limit int) []Candidate {
	c, _ := e.MatchContext(context.Background(), req, limit)
	return c
}

// MatchContext is Match with a context for the TravelTimer. It returns the
// request's *InputError when req is invalid, and the TravelTimer's first
// error along with the candidates found without the estimates that failed.
func (e *Engine) MatchContext(ctx context.Context, req Request, limit int) ([]Candidate, error) {
	if err := ValidateRequest(&req); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.matchCtx(ctx, &req, limit, e.cfg.now(), true)
}

// walk visits, in start order, each slot meeting req's hard constraints;
// stop, when set, is asked before each slot whether the walk can end. The
// full slot is read only when a check needs it, so most slots cost one
// sequential read of their entry.
func (e *Engine) walk(req *Request, now time.Time, visit func(en *entry, b Breakdown, travel time.Duration) bool, stop func(sc *scorer, start int64) bool) {
	_ = e.walkCtx(context.Background(), req, now, visit, stop)
}

// walkCtx is walk with a context for the TravelTimer; it returns the
// timer's first error.
func (e *Engine) walkCtx(ctx context.Context, req *Request, now time.Time, visit func(en *entry, b Breakdown, travel time.Duration) bool, stop func(sc *scorer, start int64) bool) (err error) {
	idx := e.byService[req.Service]
	from := req.Earliest.UnixNano()
	to := int64(math.MaxInt64)
	if !req.Latest.IsZero() {
		to = req.Latest.UnixNano()
	}
	lo := sort.Search(len(idx), func(i int) bool { return idx[i].start >= from })
	sc := e.newScorer(req)
	sc.ctx = ctx
	defer func() {
		if err == nil {
			err = sc.travelErr
		}
	}()
	needSlot := len(req.Accessibility) > 0 || len(req.PreferredSites) > 0 || len(req.PreferredPractitioners) > 0
	for k := lo; k < len(idx); k++ {
		en := &idx[k]
		if en.start > to {
			break
		}
		if stop != nil && stop(sc, en.start) {
			break
		}
		if en.end > to || en.full {
			continue
		}
		var st *slotState
		if en.held || (needSlot && en.rich) {
			st = e.slots[en.slot]
			if en.held && st.free(now) <= 0 {
				continue
			}
		}
		travel, ok := sc.feasible(en, st)
		if !ok {
			continue
		}
		if !visit(en, sc.score(en, st, travel), travel) {
			return nil
		}
	}
	return nil
}

// match collects candidates; with sorted false and no limit they come in
// start order.
func (e *Engine) match(req *Request, limit int, now time.Time, sorted bool) []Candidate {
	c, _ := e.matchCtx(context.Background(), req, limit, now, sorted)
	return c
}

func (e *Engine) matchCtx(ctx context.Context, req *Request, limit int, now time.Time, sorted bool) ([]Candidate, error) {
	var h candHeap
	var stop func(sc *scorer, start int64) bool
	if limit > 0 {
		// Slots come in start order, so once the limit is full and no later
		// slot can beat the worst kept one, the rest need not be looked at.
		stop = func(sc *scorer, start int64) bool {
			return len(h) == limit && h[0].Score >= sc.bound(start)
		}
	}
	err := e.walkCtx(ctx, req, now, func(en *entry, b Breakdown, travel time.Duration) bool {
		score := b.total()
		if limit > 0 && len(h) == limit {
			// Later slots lose ties on start, so only a higher score can
			// enter; equal starts fall back to the id comparison.
			if score < h[0].Score || (score == h[0].Score && en.start > h[0].Start.UnixNano()) {
				return true
			}
		}
		st := e.slots[en.slot]
		c := Candidate{SlotID: st.ID, Score: score, Breakdown: b, Travel: travel, Start: st.Start}
		switch {
		case limit <= 0:
			h = append(h, c)
		case len(h) < limit:
			heap.Push(&h, c)
		case worse(h[0], c):
			h[0] = c
			heap.Fix(&h, 0)
		}
		return true
	}, stop)
	if !sorted && limit <= 0 {
		return h, err
	}
	slices.SortFunc(h, func(a, b Candidate) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	return h, err
}
