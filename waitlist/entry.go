package waitlist

import (
	"fmt"
	"log/slog"
	"slices"
	"time"
	_ "time/tzdata" // Europe/London everywhere

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
)

// Priority is a clinical priority. P1a–P4 are the surgical
// prioritisation levels, which count from the decision to treat (the
// entry's Listed time); Urgent and Routine are the older two-level
// grading many PAS systems still send.
type Priority uint8

// Priorities, most urgent first.
const (
	P1a     Priority = iota + 1 // emergency: within 24 hours of listing
	P1b                         // urgent: within 72 hours of listing
	P2                          // within 4 weeks of listing
	P3                          // within 3 months of listing
	P4                          // may wait more than 3 months
	Urgent                      // clinically urgent, older grading: UrgentTarget from the clock start
	Routine                     // routine, older grading: the RTT standard only
)

func (p Priority) String() string {
	switch p {
	case P1a:
		return "P1a"
	case P1b:
		return "P1b"
	case P2, P3, P4:
		return fmt.Sprintf("P%d", p-1)
	case Urgent:
		return "urgent"
	case Routine:
		return "routine"
	}
	return fmt.Sprintf("Priority(%d)", uint8(p))
}

func (p Priority) valid() bool { return p >= P1a && p <= Routine }

// ClinicallyUrgent reports whether the priority is one no routine patient
// may overtake once it is overdue: P1a, P1b, P2 and Urgent.
func (p Priority) ClinicallyUrgent() bool { return p == P1a || p == P1b || p == P2 || p == Urgent }

// clinical weighs a priority in [0, 1].
func (p Priority) clinical() float64 {
	switch p {
	case P1a:
		return 1
	case P1b:
		return 0.95
	case P2, Urgent:
		return 0.75
	case P3:
		return 0.5
	}
	return 0.25
}

// Standards, as durations or calendar days.
const (
	RTTWeeks       = 18 // consultant-led referral to treatment
	RTTDays        = RTTWeeks * 7
	FDSDays        = 28 // cancer: Faster Diagnosis Standard, referral to diagnosis or ruling out
	Cancer31Days   = 31 // cancer: decision to treat to treatment
	Cancer62Days   = 62 // cancer: referral (or consultant upgrade) to first treatment
	UrgentTarget   = 28 // days from the clock start for the older "urgent" grading: a convention, not a national rule
	P1aWithin      = 24 * time.Hour
	P1bWithin      = 72 * time.Hour
	P2WithinDays   = 28
	P3WithinMonths = 3
)

// Status is where an entry is on its way through the list.
type Status string

// Statuses.
const (
	Waiting Status = "waiting"
	Offered Status = "offered"
	Booked  Status = "booked"
	Removed Status = "removed"
)

// Pause is a period a patient asked to delay. It is recorded for waiting
// list management and never changes the RTT clock: the patient-initiated
// pause was removed from the rules on 1 October 2015.
type Pause struct{ From, To time.Time }

// Contact says how, and whether, a patient may be contacted.
type Contact struct {
	Consent bool // the patient agreed to be contacted about offers
	SMS     string
	Email   string
	AppPush bool // NHS App notifications
}

// ClockKind is an event on a referral-to-treatment clock.
type ClockKind string

// RTT clock events (rules suite: clock starts, clock stops, and the
// nullification of a clock when the first appointment is not attended).
const (
	// ClockStart: a referral to a consultant-led service is received.
	ClockStart ClockKind = "start"
	// ClockRestart: a new clock starts on the same referral, for example
	// when active monitoring ends and a decision to treat is made, or for
	// the second procedure of a bilateral pair.
	ClockRestart ClockKind = "restart"
	// Clock stops.
	ClockStopTreatment        ClockKind = "stop-first-definitive-treatment"
	ClockStopActiveMonitoring ClockKind = "stop-active-monitoring"
	ClockStopNotTreating      ClockKind = "stop-decision-not-to-treat"
	ClockStopPatientDeclined  ClockKind = "stop-patient-declined-treatment"
	// ClockNullifiedDNA: the patient did not attend their first
	// appointment, which had been clearly communicated: the clock is
	// nullified (removed, not reported as stopped). A later referral
	// starts a new one.
	ClockNullifiedDNA ClockKind = "nullified-first-appointment-dna"
)

// ClockEvent is one event on the entry's RTT clock.
type ClockEvent struct {
	At   time.Time
	Kind ClockKind
}

// RTTClock is the state of an RTT clock after its events.
type RTTClock struct {
	Running   bool
	Start     time.Time // the current (or last) clock's start
	Stopped   time.Time
	Stop      ClockKind // why it stopped, when it did
	Nullified bool
}

// ClockError is an RTT clock event that does not follow from the ones
// before it.
type ClockError struct {
	Index int // into Entry.Clock
	Kind  ClockKind
	Why   string
}

func (e *ClockError) Error() string {
	return fmt.Sprintf("waitlist: clock event %d (%s): %s", e.Index, e.Kind, e.Why)
}

// CancerRoute is how a patient came onto a cancer pathway.
type CancerRoute uint8

// Cancer routes. The FDS applies to urgent suspected cancer, screening
// and breast symptomatic referrals; the 62-day standard to urgent
// suspected cancer, screening and consultant upgrades.
const (
	NotCancer CancerRoute = iota
	UrgentSuspectedCancer
	CancerScreening
	BreastSymptomatic
	ConsultantUpgrade
)

// CancerPathway carries the dates the cancer waiting times standards
// count from and to.
type CancerPathway struct {
	Route CancerRoute
	// Start is the clock start: the referral received (urgent suspected
	// cancer, screening, breast symptomatic), or the consultant upgrade.
	Start time.Time
	// Diagnosed is when cancer was diagnosed or ruled out (FDS met);
	// RuledOut ends the pathway.
	Diagnosed time.Time
	RuledOut  bool
	// DecisionToTreat starts the 31-day clock; Treated (first or
	// subsequent treatment) meets the 31- and 62-day standards.
	DecisionToTreat time.Time
	Treated         time.Time
}

// Entry is one patient on one waiting list.
type Entry struct {
	ID        string
	NHSNumber nhsid.NHSNumber
	Service   string
	Priority  Priority
	Referred  time.Time
	// ClockStart is the RTT clock start when Clock is empty (default
	// Referred).
	ClockStart time.Time
	// Clock is the RTT clock's events in time order; empty means one clock
	// running from ClockStart.
	Clock []ClockEvent
	// Listed is the decision to treat (added to the admitted list): the
	// surgical priorities count from it. Without it a P-level carries its
	// clinical weight but no surgical due date.
	Listed time.Time
	// Pauses are patient-requested delays, kept for list management; they
	// do not move any clock.
	Pauses []Pause
	Cancer CancerPathway
	// Declines are the offers the patient turned down.
	Declines []Decline

	// Request carries the patient's booking preferences: windows,
	// modalities, origin and travel limit, accessibility needs. Its ID,
	// Service and Priority are set from the entry.
	Request booking.Request
	Contact Contact

	Status        Status
	RemovedReason string
	BookedSlot    string
	// Version increases with every change; stores compare it before
	// writing so that two writers never both win.
	Version int64
}

// Decline is an offer the patient turned down. Reasonable says whether
// the offer gave the notice a reasonable offer needs (Config.ReasonableNotice):
// the short-notice offers of cancelled slots a waiting list makes are
// usually not, and declining them counts for nothing. No decline moves
// the RTT clock.
type Decline struct {
	At         time.Time
	OfferID    string
	Reasonable bool
}

// ReasonableDeclines counts the reasonable offers the patient declined:
// a trust's access policy may ask for a clinical review after two.
func (e *Entry) ReasonableDeclines() int {
	n := 0
	for _, d := range e.Declines {
		if d.Reasonable {
			n++
		}
	}
	return n
}

// londonDate returns t's calendar date in Europe/London, at midnight.
func londonDate(t time.Time) time.Time {
	y, m, d := t.In(London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, London)
}

// addDays adds calendar days to a London date (a day across a clock
// change is 23 or 25 hours).
func addDays(date time.Time, days int) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d+days, 0, 0, 0, 0, London)
}

// addMonths adds calendar months to a London date, keeping to the last
// day of a shorter month (30 November + 3 months is 28 February, not
// 2 March).
func addMonths(date time.Time, months int) time.Time {
	y, m, d := date.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, London)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, London)
}

// RTT folds the entry's clock events into the clock's state. Events that
// do not follow (a stop with no clock running) are skipped here and
// reported by [Entry.ValidateClock].
func (e *Entry) RTT() RTTClock {
	if len(e.Clock) == 0 {
		start := e.ClockStart
		if start.IsZero() {
			start = e.Referred
		}
		return RTTClock{Running: !start.IsZero(), Start: start}
	}
	var c RTTClock
	for _, ev := range e.Clock {
		switch ev.Kind {
		case ClockStart, ClockRestart:
			if !c.Running {
				c = RTTClock{Running: true, Start: ev.At}
			}
		case ClockStopTreatment, ClockStopActiveMonitoring, ClockStopNotTreating, ClockStopPatientDeclined:
			if c.Running {
				c.Running, c.Stopped, c.Stop = false, ev.At, ev.Kind
			}
		case ClockNullifiedDNA:
			if c.Running {
				c = RTTClock{Nullified: true, Start: c.Start, Stopped: ev.At, Stop: ev.Kind}
			}
		}
	}
	return c
}

// ValidateClock checks that the clock events are in time order and each
// follows from the ones before: a start or restart only when no clock
// runs, a stop or nullification only while one does.
func (e *Entry) ValidateClock() error {
	running := false
	for i, ev := range e.Clock {
		if ev.At.IsZero() {
			return &ClockError{i, ev.Kind, "no time"}
		}
		if i > 0 && ev.At.Before(e.Clock[i-1].At) {
			return &ClockError{i, ev.Kind, "before the event it follows"}
		}
		switch ev.Kind {
		case ClockStart, ClockRestart:
			if running {
				return &ClockError{i, ev.Kind, "a clock is already running"}
			}
			running = true
		case ClockStopTreatment, ClockStopActiveMonitoring, ClockStopNotTreating, ClockStopPatientDeclined, ClockNullifiedDNA:
			if !running {
				return &ClockError{i, ev.Kind, "no clock is running"}
			}
			running = false
		default:
			return &ClockError{i, ev.Kind, "unknown kind"}
		}
	}
	return nil
}

// RTTBreachDate is the calendar date in Europe/London on which a running
// RTT clock reaches 18 weeks (126 days after the clock-start date), and
// whether a clock is running.
func (e *Entry) RTTBreachDate() (time.Time, bool) {
	c := e.RTT()
	if !c.Running {
		return time.Time{}, false
	}
	return addDays(londonDate(c.Start), RTTDays), true
}

// RTTBreach is RTTBreachDate, zero when no clock runs. now is unused:
// patient-initiated pauses no longer move the date.
func (e *Entry) RTTBreach(time.Time) time.Time {
	d, _ := e.RTTBreachDate()
	return d
}

// Deadline is one standard an entry is held to and when it is due.
type Deadline struct {
	Standard string
	// Due is the last day (a London date at midnight) or, for P1a and
	// P1b, the instant the standard is met by.
	Due time.Time
	// By is the instant after which the standard is missed: the end of
	// the due date, or Due itself for P1a and P1b.
	By time.Time
	// Urgent marks a clinical target (surgical priority, urgent grading
	// or cancer), as opposed to the RTT standard.
	Urgent bool
}

// Deadlines lists the standards still running for the entry, earliest
// first.
func (e *Entry) Deadlines() []Deadline {
	var out []Deadline
	date := func(std string, d time.Time, urgent bool) {
		out = append(out, Deadline{Standard: std, Due: d, By: addDays(d, 1), Urgent: urgent})
	}
	if d, ok := e.RTTBreachDate(); ok {
		date("RTT 18 weeks", d, false)
	}
	if !e.Listed.IsZero() {
		switch e.Priority {
		case P1a:
			out = append(out, Deadline{Standard: "P1a 24 hours", Due: e.Listed.Add(P1aWithin), By: e.Listed.Add(P1aWithin), Urgent: true})
		case P1b:
			out = append(out, Deadline{Standard: "P1b 72 hours", Due: e.Listed.Add(P1bWithin), By: e.Listed.Add(P1bWithin), Urgent: true})
		case P2:
			date("P2 4 weeks", addDays(londonDate(e.Listed), P2WithinDays), true)
		case P3:
			date("P3 3 months", addMonths(londonDate(e.Listed), P3WithinMonths), false)
		}
	}
	if e.Priority == Urgent {
		if c := e.RTT(); c.Running {
			date("urgent 4 weeks", addDays(londonDate(c.Start), UrgentTarget), true)
		}
	}
	cp := e.Cancer
	if cp.Route != NotCancer && !cp.Start.IsZero() && !cp.RuledOut {
		start := londonDate(cp.Start)
		if cp.Diagnosed.IsZero() && cp.Route != ConsultantUpgrade {
			date("cancer 28-day faster diagnosis", addDays(start, FDSDays), true)
		}
		if cp.Treated.IsZero() {
			if cp.Route != BreastSymptomatic {
				date("cancer 62-day", addDays(start, Cancer62Days), true)
			}
			if !cp.DecisionToTreat.IsZero() {
				date("cancer 31-day", addDays(londonDate(cp.DecisionToTreat), Cancer31Days), true)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Deadline) int { return a.By.Compare(b.By) })
	return out
}

// Breach is the earliest instant after which the entry misses a
// standard (zero when none runs). now is unused; it is kept so that
// callers written for pause-adjusted dates still compile.
func (e *Entry) Breach(time.Time) time.Time {
	if ds := e.Deadlines(); len(ds) > 0 {
		return ds[0].By
	}
	return time.Time{}
}

// Waited is the time waited at now since the running RTT clock started
// (or since referral when none runs).
func (e *Entry) Waited(now time.Time) time.Duration {
	return now.Sub(e.waitStart())
}

// waitStart is what waiting is counted from for ranking: the running RTT
// clock's start, else the listing, else the referral.
func (e *Entry) waitStart() time.Time {
	if c := e.RTT(); c.Running {
		return c.Start
	}
	if !e.Listed.IsZero() {
		return e.Listed
	}
	return e.Referred
}

// request is the booking request the entry makes.
func (e *Entry) request(from time.Time) booking.Request {
	r := e.Request
	r.ID, r.Service = e.ID, e.Service
	r.Referred = e.waitStart()
	if r.Earliest.IsZero() || r.Earliest.Before(from) {
		r.Earliest = from
	}
	r.Priority = int(10 * e.clinical())
	return r
}

// clinical is the priority's weight, raised to urgent for a cancer
// pathway still running.
func (e *Entry) clinical() float64 {
	c := e.Priority.clinical()
	if e.Cancer.Route != NotCancer && !e.Cancer.RuledOut && e.Cancer.Treated.IsZero() {
		c = max(c, 0.75)
	}
	return c
}

// Weights scale the priority score's parts.
type Weights struct {
	Clinical float64 // clinical priority, in [0, 1] before weighting
	Breach   float64 // share of the time to the earliest deadline already used (0 at the start, 1 at the deadline, up to 2 after)
	Aging    float64 // years waited, unbounded, so that nobody starves within a band
}

// DefaultWeights rank clinical priority first, then closeness to breach,
// with aging enough that a routine patient who has waited a year outranks
// anyone newly listed who is not overdue.
var DefaultWeights = Weights{Clinical: 4, Breach: 2, Aging: 2}

// Score is a priority score with its parts. Band comes first: an entry
// in band 1 (overdue on a clinical target) outranks every entry in band
// 0, whatever their Totals; within a band the higher Total ranks first.
type Score struct {
	Band                           int
	Total, Clinical, Breach, Aging float64
}

// outranks orders scores: band, then total.
func (s Score) outranks(o Score) bool {
	if s.Band != o.Band {
		return s.Band > o.Band
	}
	return s.Total > o.Total
}

// scoreIn is what a score needs of an entry; it does not depend on the
// time, so the memory store keeps it per entry and ranks without reading
// entries.
type scoreIn struct {
	start    int64 // waitStart, Unix nanoseconds
	breachBy int64 // earliest deadline's By, 0 when none
	urgentBy int64 // earliest clinical deadline's By, 0 when none
	clinical float64
}

func (e *Entry) scoreIn() scoreIn {
	in := scoreIn{start: e.waitStart().UnixNano(), clinical: e.clinical()}
	for _, d := range e.Deadlines() {
		if in.breachBy == 0 {
			in.breachBy = d.By.UnixNano()
		}
		if d.Urgent && in.urgentBy == 0 {
			in.urgentBy = d.By.UnixNano()
		}
	}
	return in
}

const yearNs = float64(365 * 24 * time.Hour)

func scoreFrom(in scoreIn, now int64, w Weights) Score {
	var s Score
	waited := now - in.start
	s.Clinical = w.Clinical * in.clinical
	if span := in.breachBy - in.start; in.breachBy != 0 && span > 0 {
		s.Breach = w.Breach * max(0, min(2, float64(waited)/float64(span)))
	}
	s.Aging = w.Aging * max(0, float64(waited)/yearNs)
	s.Total = s.Clinical + s.Breach + s.Aging
	if in.urgentBy != 0 && now >= in.urgentBy {
		s.Band = 1
	}
	return s
}

// ScoreAt computes e's priority score at now.
func ScoreAt(e *Entry, now time.Time, w Weights) Score {
	return scoreFrom(e.scoreIn(), now.UnixNano(), w)
}

// before orders entries by score, highest first; ties go to the longer
// wait, then the smaller id, so the order is deterministic.
func before(a, b *Entry, sa, sb Score) bool {
	if sa.Band != sb.Band || sa.Total != sb.Total {
		return sa.outranks(sb)
	}
	if as, bs := a.waitStart(), b.waitStart(); !as.Equal(bs) {
		return as.Before(bs)
	}
	return a.ID < b.ID
}

// London is Europe/London.
var London = booking.London

// Reminders returns when to remind a patient of an appointment at appt:
// each offset (for example 7 days and 1 day) before it at the same local
// clock time in Europe/London, so a reminder a week before a 09:00
// appointment after the clock change still goes at 09:00. Reminders
// already past at now are left out.
func Reminders(appt, now time.Time, daysBefore ...int) []time.Time {
	local := appt.In(London)
	var out []time.Time
	for _, d := range daysBefore {
		t := local.AddDate(0, 0, -d)
		if t.After(now) {
			out = append(out, t)
		}
	}
	return out
}

// LogValue keeps patient details out of logs: the NHS number masked, no
// contact details, no booking preferences (they can locate a patient).
func (e Entry) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", e.ID),
		slog.String("nhs_number", e.NHSNumber.Masked()),
		slog.String("service", e.Service),
		slog.String("priority", e.Priority.String()),
		slog.String("status", string(e.Status)),
		slog.Int64("version", e.Version),
	)
}
