package waitlist

import (
	"fmt"
	"log/slog"
	"time"
	_ "time/tzdata" // Europe/London everywhere

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
)

// Priority is a clinical priority. P1–P4 follow the surgical
// prioritisation guidance; Urgent and Routine are the older two-level
// grading that many PAS systems still send.
type Priority uint8

// Priorities, most urgent first.
const (
	P1 Priority = iota + 1 // within 72 hours (P1a emergency within 24 hours)
	P2                     // within 1 month
	P3                     // within 3 months
	P4                     // more than 3 months is acceptable
	Urgent
	Routine
)

func (p Priority) String() string {
	switch p {
	case P1, P2, P3, P4:
		return fmt.Sprintf("P%d", p)
	case Urgent:
		return "urgent"
	case Routine:
		return "routine"
	}
	return fmt.Sprintf("Priority(%d)", uint8(p))
}

// Target is how soon a patient of this priority should be treated: the
// guidance's upper bound for P1–P3, the 18-week RTT standard for P4 and
// Routine, and four weeks for Urgent.
func (p Priority) Target() time.Duration {
	switch p {
	case P1:
		return 72 * time.Hour
	case P2, Urgent:
		return 28 * 24 * time.Hour
	case P3:
		return 91 * 24 * time.Hour
	}
	return RTTStandard
}

// clinical weighs a priority in [0, 1].
func (p Priority) clinical() float64 {
	switch p {
	case P1:
		return 1
	case P2, Urgent:
		return 0.75
	case P3:
		return 0.5
	}
	return 0.25
}

// Standards.
const (
	RTTStandard    = 18 * 7 * 24 * time.Hour // referral to treatment
	CancerStandard = 62 * 24 * time.Hour     // urgent referral to first treatment
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

// Pause is a period the RTT clock stood still (a patient-initiated
// pause); To is zero while the pause lasts.
type Pause struct{ From, To time.Time }

// Contact says how, and whether, a patient may be contacted.
type Contact struct {
	Consent bool // the patient agreed to be contacted about offers
	SMS     string
	Email   string
	AppPush bool // NHS App notifications
}

// Entry is one patient on one waiting list.
type Entry struct {
	ID         string
	NHSNumber  nhsid.NHSNumber
	Service    string
	Priority   Priority
	Referred   time.Time
	ClockStart time.Time // RTT clock start (default Referred)
	Pauses     []Pause
	Cancer     bool // on a cancer pathway: the 62-day standard applies

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

// paused returns how long the clock stood still before now.
func (e *Entry) paused(now time.Time) time.Duration {
	var d time.Duration
	for _, p := range e.Pauses {
		to := p.To
		if to.IsZero() || to.After(now) {
			to = now
		}
		if to.After(p.From) {
			d += to.Sub(p.From)
		}
	}
	return d
}

func (e *Entry) clockStart() time.Time {
	if e.ClockStart.IsZero() {
		return e.Referred
	}
	return e.ClockStart
}

// RTTBreach is when the 18-week clock runs out, pauses added back.
func (e *Entry) RTTBreach(now time.Time) time.Time {
	return e.clockStart().Add(RTTStandard + e.paused(now))
}

// Breach is the earliest standard the entry is held to: the cancer
// 62-day date for cancer pathways, the clinical priority's target, and the
// RTT date.
func (e *Entry) Breach(now time.Time) time.Time {
	return e.breach(e.clockStart(), e.paused(now))
}

func (e *Entry) breach(start time.Time, paused time.Duration) time.Time {
	b := start.Add(RTTStandard + paused)
	if t := start.Add(e.Priority.Target() + paused); t.Before(b) {
		b = t
	}
	if e.Cancer {
		if t := e.Referred.Add(CancerStandard); t.Before(b) {
			b = t
		}
	}
	return b
}

// Waited is the clock time waited at now, pauses excluded.
func (e *Entry) Waited(now time.Time) time.Duration {
	return now.Sub(e.clockStart()) - e.paused(now)
}

// request is the booking request the entry makes.
func (e *Entry) request(from time.Time) booking.Request {
	r := e.Request
	r.ID, r.Service = e.ID, e.Service
	r.Referred = e.clockStart()
	if r.Earliest.IsZero() || r.Earliest.Before(from) {
		r.Earliest = from
	}
	r.Priority = int(10 * e.Priority.clinical())
	return r
}

// Weights scale the priority score's parts.
type Weights struct {
	Clinical float64 // clinical priority, in [0, 1] before weighting
	Breach   float64 // share of the time to breach already used (0 at referral, 1 at breach, up to 2 after)
	Aging    float64 // years waited, unbounded, so that nobody starves
}

// DefaultWeights rank clinical priority first, then closeness to breach,
// with aging enough that a routine patient who has waited a year outranks
// a new P3.
var DefaultWeights = Weights{Clinical: 4, Breach: 2, Aging: 2}

// Score is a priority score with its parts.
type Score struct {
	Total, Clinical, Breach, Aging float64
}

// ScoreAt computes e's priority score at now.
func ScoreAt(e *Entry, now time.Time, w Weights) Score {
	var s Score
	start := e.clockStart()
	var paused time.Duration
	if len(e.Pauses) > 0 {
		paused = e.paused(now)
	}
	waited := now.Sub(start) - paused
	s.Clinical = w.Clinical * e.Priority.clinical()
	if span := e.breach(start, paused).Sub(start) - paused; span > 0 {
		s.Breach = w.Breach * max(0, min(2, float64(waited)/float64(span)))
	}
	s.Aging = w.Aging * max(0, waited.Hours()/(365*24))
	s.Total = s.Clinical + s.Breach + s.Aging
	return s
}

// scoreRow is ScoreAt for an entry without pauses, from its ranking row.
func scoreRow(r *rankRow, now int64, w Weights) Score {
	var s Score
	waited := now - r.start
	breach := r.start + int64(min(RTTStandard, r.prio.Target()))
	if r.cancer {
		breach = min(breach, r.referred+int64(CancerStandard))
	}
	s.Clinical = w.Clinical * r.prio.clinical()
	if span := breach - r.start; span > 0 {
		s.Breach = w.Breach * max(0, min(2, float64(waited)/float64(span)))
	}
	s.Aging = w.Aging * max(0, float64(waited)/float64(365*24*time.Hour))
	s.Total = s.Clinical + s.Breach + s.Aging
	return s
}

// before orders entries by score, highest first; ties go to the longer
// wait, then the smaller id, so the order is deterministic.
func before(a, b *Entry, sa, sb Score) bool {
	if sa.Total != sb.Total {
		return sa.Total > sb.Total
	}
	if !a.clockStart().Equal(b.clockStart()) {
		return a.clockStart().Before(b.clockStart())
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
