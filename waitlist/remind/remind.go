package remind

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/notify"
)

// London is Europe/London: reminder times are reckoned on its wall clock.
var London = booking.London

// Appointment is a booked appointment to remind a patient of.
type Appointment struct {
	// ID is the booking's id (a booking.Ledger booking id when reminders
	// release slots through LedgerReleaser).
	ID        string
	NHSNumber nhsid.NHSNumber
	Start     time.Time
	// Service and Location are offered to Rules.Personalise.
	Service, Location string
	Preferences       Preferences
}

// Preferences are a patient's channel preferences.
type Preferences struct {
	// Channels are the channels the patient accepts; empty means any.
	Channels []notify.ChannelType
	// OptOut means no reminders at all.
	OptOut bool
}

// Plan is an NHS Notify routing plan and the channels it uses.
type Plan struct {
	RoutingPlanID string
	Channels      []notify.ChannelType
}

// Offset is how long before an appointment a reminder goes: Days calendar
// days earlier at the same London wall-clock time (so a reminder a week
// before a 09:00 appointment goes at 09:00 across a clock change), then
// Hours hours earlier.
type Offset struct {
	Days  int
	Hours int
}

// Clock is a London wall-clock time of day.
type Clock struct{ Hour, Minute int }

func (c Clock) minutes() int { return c.Hour*60 + c.Minute }

// QuietHours is the part of the day when no reminder goes, From to To on
// the London wall clock; From after To spans midnight (21:00 to 08:00).
type QuietHours struct{ From, To Clock }

func (q QuietHours) quiet(t time.Time) bool {
	if q.From == q.To {
		return false
	}
	l := t.In(London)
	m := l.Hour()*60 + l.Minute()
	if q.From.minutes() < q.To.minutes() {
		return m >= q.From.minutes() && m < q.To.minutes()
	}
	return m >= q.From.minutes() || m < q.To.minutes()
}

// at returns the instant of wall-clock c on t's London date.
func at(t time.Time, c Clock) time.Time {
	l := t.In(London)
	return time.Date(l.Year(), l.Month(), l.Day(), c.Hour, c.Minute, 0, 0, London)
}

// Rules say when and how reminders go.
type Rules struct {
	// Offsets are when reminders go before each appointment (default 7
	// days and 1 day).
	Offsets []Offset
	// Quiet is when none goes (zero: never quiet). A reminder due in quiet
	// hours moves to their end when that is still MinNotice before the
	// appointment, and to their start otherwise.
	Quiet QuietHours
	// MinNotice is the least time before an appointment a reminder may go
	// (default 2 hours): later ones are skipped, not sent.
	MinNotice time.Duration
	// Plans are the routing plans to choose from, best first: a patient
	// gets the first whose channels they all accept. Required.
	Plans []Plan
	// Personalise gives the personalisation of a reminder (default: the
	// appointment's date, time, service and location).
	Personalise func(a Appointment, o Offset) map[string]string
	// ReferencePrefix starts every reminder's messageReference (for
	// example the service's name), so references stay unique across the
	// services of one NHS Notify client.
	ReferencePrefix string
}

// DefaultOffsets are a week and a day before.
var DefaultOffsets = []Offset{{Days: 7}, {Days: 1}}

func (r *Rules) defaults() {
	if len(r.Offsets) == 0 {
		r.Offsets = DefaultOffsets
	}
	if r.MinNotice <= 0 {
		r.MinNotice = 2 * time.Hour
	}
	if r.Personalise == nil {
		r.Personalise = DefaultPersonalisation
	}
}

// DefaultPersonalisation gives appointment_date ("Monday 2 March 2026"),
// appointment_time ("09:00", London time), service and location.
func DefaultPersonalisation(a Appointment, _ Offset) map[string]string {
	l := a.Start.In(London)
	return map[string]string{
		"appointment_date": l.Format("Monday 2 January 2006"),
		"appointment_time": l.Format("15:04"),
		"service":          a.Service,
		"location":         a.Location,
	}
}

// Status is where a reminder stands.
type Status string

// Reminder statuses.
const (
	Scheduled Status = "scheduled"
	Sent      Status = "sent"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
	Skipped   Status = "skipped" // too close to the appointment when due
)

// Final reports whether the status is final.
func (s Status) Final() bool { return s != Scheduled }

// Reminder is one reminder of one appointment.
type Reminder struct {
	// ID is unique per appointment, start time and offset, and is sent as
	// the NHS Notify messageReference: a retry, or a send by another
	// instance after this one died, is never a second message.
	ID            string
	AppointmentID string
	Start         time.Time // the appointment's
	Due           time.Time
	NHSNumber     nhsid.NHSNumber
	RoutingPlanID string
	// Personalisation is sent with the message.
	Personalisation map[string]string
	Status          Status
	// Attempts counts claims; MessageID is NHS Notify's id once sent;
	// LastError the last failure (no patient data).
	Attempts  int
	MessageID string
	LastError string
	// Owner and LeaseUntil are the claim in force, if any.
	Owner      string
	LeaseUntil time.Time
	Updated    time.Time
}

// Errors of planning.
var (
	ErrNoPlan      = errors.New("remind: no routing plan matches the patient's channel preferences")
	ErrAppointment = errors.New("remind: invalid appointment")
)

// Plan returns the reminders for an appointment under rules as of now:
// one per offset whose time (moved out of quiet hours) is after now and
// at least MinNotice before the appointment. An opted-out patient gets
// none.
func (r Rules) Plan(a Appointment, now time.Time) ([]Reminder, error) {
	r.defaults()
	if a.ID == "" || a.Start.IsZero() {
		return nil, fmt.Errorf("%w: an id and a start are required", ErrAppointment)
	}
	if !a.NHSNumber.Valid() {
		return nil, fmt.Errorf("%w: NHS number %s fails the modulus 11 check", ErrAppointment, a.NHSNumber.Masked())
	}
	if a.Preferences.OptOut {
		return nil, nil
	}
	plan, ok := r.choose(a.Preferences)
	if !ok {
		return nil, ErrNoPlan
	}
	latest := a.Start.Add(-r.MinNotice)
	var out []Reminder
	for i, o := range r.Offsets {
		due := a.Start.In(London).AddDate(0, 0, -o.Days).Add(-time.Duration(o.Hours) * time.Hour)
		due = r.outOfQuiet(due, latest)
		if !due.After(now) || due.After(latest) {
			continue
		}
		out = append(out, Reminder{
			ID:            r.ReferencePrefix + a.ID + "." + strconv.FormatInt(a.Start.Unix(), 10) + "." + strconv.Itoa(i),
			AppointmentID: a.ID, Start: a.Start, Due: due, NHSNumber: a.NHSNumber,
			RoutingPlanID: plan.RoutingPlanID, Personalisation: r.Personalise(a, o), Status: Scheduled,
		})
	}
	return out, nil
}

func (r Rules) choose(p Preferences) (Plan, bool) {
	for _, pl := range r.Plans {
		ok := len(pl.Channels) > 0 || len(p.Channels) == 0
		for _, c := range pl.Channels {
			if len(p.Channels) > 0 && !slices.Contains(p.Channels, c) {
				ok = false
				break
			}
		}
		if ok && pl.RoutingPlanID != "" {
			return pl, true
		}
	}
	return Plan{}, false
}

// outOfQuiet moves t out of quiet hours: to their end when that is not
// after latest, else to their start (earlier).
func (r Rules) outOfQuiet(t, latest time.Time) time.Time {
	q := r.Quiet
	if !q.quiet(t) {
		return t
	}
	l := t.In(London)
	end := at(l, q.To)
	if !end.After(l) {
		end = at(l.AddDate(0, 0, 1), q.To)
	}
	if !end.After(latest) {
		return end
	}
	start := at(l, q.From)
	if start.After(l) {
		start = at(l.AddDate(0, 0, -1), q.From)
	}
	return start.Add(-time.Minute)
}
