package siufeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/mllp"
	"github.com/nhskit/nhskit/waitlist"
)

// Config configures a Feed.
type Config struct {
	// Ledger is where the trust's slots and bookings are kept (required).
	Ledger booking.Ledger
	// Engine, when set, is synced from the ledger after every message, so
	// Match and Assign see the trust's bookings as they happen.
	Engine *booking.Engine
	// Waitlist, when set, is offered every place a message releases before
	// the message is acknowledged, and withdraws its offers of a place the
	// PAS books itself.
	Waitlist *waitlist.List
	// Service names the booking service of a message's slot or
	// appointment, the name waiting-list entries ask for (default: the
	// first AIS-3 code, else SCH-7's).
	Service func(*hl7v2.SIU) string
	// Capacity is the capacity of an opened slot (default 1).
	Capacity int
	// Logger receives one line per refused message, with the control id
	// and the reason but no patient data (default silent).
	Logger *slog.Logger
	// Actor names the feed in the ledger's audit trail (default "siufeed").
	Actor string
	// Remember is how many recent control ids (MSH-10) are kept to answer a
	// resent message without applying it twice (default 100,000).
	Remember int
}

// Action is what a message did.
type Action string

// Actions.
const (
	SlotOpened  Action = "slot-opened"  // S24: a slot was added
	SlotBlocked Action = "slot-blocked" // S23: a slot was removed
	Booked      Action = "booked"       // S12: an appointment took a place
	Moved       Action = "moved"        // S13, or S14/S18/S19 with a new time: the booking moved
	Cancelled   Action = "cancelled"    // S15, S16, S17: the place was released
	Unchanged   Action = "unchanged"    // nothing for the ledger: a no-show, a change of resources, a time already known
	Duplicate   Action = "duplicate"    // a control id seen before: the first outcome, not applied again
)

// Outcome is what one message did.
type Outcome struct {
	ControlID string
	Trigger   string
	Action    Action
	SlotID    string
	BookingID string
	// Events are the ledger events the message caused.
	Events []booking.Event
	// Offers are the waiting-list offers made of the places it released.
	Offers []*waitlist.Offer
	// Note says why a message changed nothing.
	Note string
}

// Sentinel errors, wrapped by *Error.
var (
	ErrUnsupported = errors.New("message type or trigger not supported")
	ErrContent     = errors.New("message content cannot be applied")
	ErrLedger      = errors.New("booking ledger failed")
)

// Error says why a message was refused: Code is the acknowledgement it
// earns (AE for content, AR for a message this feed does not take or a
// failure it may succeed at later) and Path the field at fault.
type Error struct {
	Code hl7v2.AckCode
	// HL7Code is HL7 table 0357: 100 segment sequence error, 101 required
	// field missing, 102 data type error, 200 unsupported message type,
	// 201 unsupported event code, 207 application internal error.
	HL7Code string
	Segment string // "SCH", "TQ1"
	Field   int
	Err     error
}

func (e *Error) Error() string {
	at := e.Segment
	if e.Field > 0 {
		at += "-" + strconv.Itoa(e.Field)
	}
	if at == "" {
		return "siufeed: " + e.Err.Error()
	}
	return "siufeed: " + at + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// seenMsg is what a message did, to answer its resend alike.
type seenMsg struct {
	o   Outcome
	err error
}

type appt struct {
	bookingID string
	slotID    string
}

// Feed applies a trust PAS's SIU messages to a booking ledger. It is safe
// for concurrent use; messages are applied one at a time, in the order
// they arrive, as MLLP delivers them.
type Feed struct {
	cfg Config

	mu    sync.Mutex
	slots map[string][]string // resource and start -> slot ids
	byID  map[string]booking.Slot
	appts map[string]appt // request id (filler appointment id) -> booking
	seen  map[string]seenMsg
	order []string // control ids in arrival order, for forgetting
}

// New returns a Feed, rebuilding what it knows (the slots it opened, the
// bookings it made) from the ledger's log, so that a restarted feed
// cancels and moves the bookings its predecessor made.
func New(ctx context.Context, cfg Config) (*Feed, error) {
	if cfg.Ledger == nil {
		return nil, errors.New("siufeed: a ledger is required")
	}
	if cfg.Capacity <= 0 {
		cfg.Capacity = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Actor == "" {
		cfg.Actor = "siufeed"
	}
	if cfg.Remember <= 0 {
		cfg.Remember = 100_000
	}
	if cfg.Service == nil {
		cfg.Service = DefaultService
	}
	f := &Feed{cfg: cfg, slots: map[string][]string{}, byID: map[string]booking.Slot{}, appts: map[string]appt{}, seen: map[string]seenMsg{}}
	if err := f.rebuild(ctx); err != nil {
		return nil, fmt.Errorf("siufeed: reading the ledger: %w", err)
	}
	return f, nil
}

// DefaultService is the first service's code (AIS-3.1), else the
// appointment reason (SCH-7.1).
func DefaultService(s *hl7v2.SIU) string {
	for _, g := range s.Resources {
		for _, a := range g.Services {
			if c := a.Service().Code; c != "" && !hl7v2.IsNull(c) {
				return c
			}
		}
	}
	return s.SCH.AppointmentReason().Code
}

const (
	prefix       = "siu:"
	tagImplicit  = "siu-implicit" // a slot made for an appointment outside the opened slots
	requestIDPre = prefix + "appt:"
)

// rebuild reads the ledger's log: the slots this feed added and the
// bookings it made (request ids beginning "siu:appt:").
func (f *Feed) rebuild(ctx context.Context) error {
	var after uint64
	for {
		evs, err := f.cfg.Ledger.Events(ctx, after, 1000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		for _, ev := range evs {
			after = ev.Seq
			switch {
			case ev.Kind == booking.SlotAdded && strings.HasPrefix(ev.SlotID, prefix):
				f.index(ev.Slot)
			case ev.Kind == booking.SlotRemoved && strings.HasPrefix(ev.SlotID, prefix):
				f.unindex(ev.SlotID)
			case ev.Kind == booking.Booked && strings.HasPrefix(ev.RequestID, requestIDPre):
				f.appts[ev.RequestID] = appt{bookingID: ev.BookingID, slotID: ev.SlotID}
			case ev.Kind == booking.Cancelled && strings.HasPrefix(ev.RequestID, requestIDPre):
				if a, ok := f.appts[ev.RequestID]; ok && a.bookingID == ev.BookingID {
					delete(f.appts, ev.RequestID)
				}
			}
		}
	}
}

// slotKey is where and when a slot is: its location or clinician, and
// its start.
func slotKey(resource string, start time.Time) string {
	return resource + "@" + strconv.FormatInt(start.Unix(), 10)
}

// resourceOf names where a slot is: its sender, and its location or
// else its clinician.
func resourceOf(sl booking.Slot) string {
	if sl.Location != "" {
		return sl.Source + "|L:" + sl.Location
	}
	return sl.Source + "|P:" + sl.Practitioner
}

func (f *Feed) index(sl booking.Slot) {
	f.byID[sl.ID] = sl
	k := slotKey(resourceOf(sl), sl.Start)
	f.slots[k] = append(f.slots[k], sl.ID)
}

func (f *Feed) unindex(id string) {
	sl, ok := f.byID[id]
	if !ok {
		return
	}
	delete(f.byID, id)
	k := slotKey(resourceOf(sl), sl.Start)
	ids := f.slots[k]
	for i, s := range ids {
		if s == id {
			ids = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(f.slots, k)
	} else {
		f.slots[k] = ids
	}
}

// Handler returns an MLLP handler that applies each message and answers
// AA when it is applied (or was before), AE when its content cannot be
// applied (with an ERR naming the field), and AR when it is not an SIU
// this feed takes or the ledger failed (the sender may resend: the feed
// applies a message once). In enhanced mode (MSH-15 valued) a ledger
// failure is returned to the server as an error, so the commit
// acknowledgement is CE rather than CA: the message was not stored.
func (f *Feed) Handler() mllp.Handler {
	return func(ctx context.Context, msg *hl7v2.Message) (*hl7v2.Message, error) {
		_, err := f.Apply(ctx, msg)
		if errors.Is(err, ErrLedger) && msg.MSH().AcceptAckType() != "" {
			return nil, err
		}
		return Ack(msg, err)
	}
}

// Ack builds the acknowledgement of msg for Apply's error.
func Ack(msg *hl7v2.Message, err error) (*hl7v2.Message, error) {
	if err == nil {
		return msg.Ack(hl7v2.AckAccept, hl7v2.AckOptions{})
	}
	e := &Error{Code: hl7v2.AckReject, HL7Code: "207", Err: err}
	errors.As(err, &e)
	issue := hl7v2.AckIssue{Segment: e.Segment, Field: e.Field, Code: e.HL7Code, Text: e.Err.Error()}
	if issue.Segment == "" {
		issue.Segment = "MSH"
	}
	return msg.Ack(e.Code, hl7v2.AckOptions{Text: e.Error(), Errors: []hl7v2.AckIssue{issue}})
}

// Apply applies one message. A message whose control id (MSH-10) was
// applied before from the same sender (MSH-3 and MSH-4) returns the first outcome as a Duplicate and changes
// nothing; so does a message the ledger has already seen the effect of
// (a booking with its idempotency key, a cancelled booking), so a feed
// restarted between applying and acknowledging does not apply twice.
func (f *Feed) Apply(ctx context.Context, msg *hl7v2.Message) (Outcome, error) {
	h := msg.MSH()
	ctl := strings.Clone(h.ControlID()) // kept past the message (see slotOf)
	// A control id is unique only within its sender (MSH-10 is assigned
	// by the sending system), so the key also names the sending
	// application and facility: two PAS modules sharing a feed may number
	// alike.
	key := h.SendingApplication() + "\x00" + h.SendingFacility() + "\x00" + ctl
	f.mu.Lock()
	defer f.mu.Unlock()
	if sm, ok := f.seen[key]; ok && ctl != "" {
		o := sm.o
		o.Action, o.Events, o.Offers = Duplicate, nil, nil
		return o, sm.err
	}
	s, err := msg.SIU()
	if err != nil {
		var pe *hl7v2.ParseError
		errors.As(err, &pe)
		switch {
		case errors.Is(err, hl7v2.ErrNotSIU) && h.MessageCode() != "SIU":
			return Outcome{}, &Error{Code: hl7v2.AckReject, HL7Code: "200", Segment: "MSH", Field: 9, Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
		case errors.Is(err, hl7v2.ErrNotSIU):
			return Outcome{}, &Error{Code: hl7v2.AckReject, HL7Code: "201", Segment: "MSH", Field: 9, Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
		default:
			return Outcome{}, &Error{Code: hl7v2.AckError, HL7Code: "100", Segment: segName(msg, pe), Err: fmt.Errorf("%w: %w", ErrContent, err)}
		}
	}
	o, err := f.apply(ctx, msg, s)
	o.ControlID, o.Trigger = ctl, strings.Clone(s.Trigger)
	if err != nil {
		f.cfg.Logger.Warn("siufeed: message refused", "control_id", ctl, "trigger", s.Trigger, "error", err.Error())
	}
	if f.cfg.Engine != nil && len(o.Events) > 0 {
		if serr := f.cfg.Engine.Sync(ctx, f.cfg.Ledger); serr != nil {
			f.cfg.Logger.Warn("siufeed: engine sync failed; it catches up on the next message", "error", serr.Error())
		}
	}
	// A message that changed the ledger, or was refused for its content,
	// is answered alike when resent; one the ledger failed on is tried
	// again (what it did apply, it finds done).
	if ctl != "" && !errors.Is(err, ErrLedger) && (err == nil || len(o.Events) > 0 || errors.Is(err, ErrContent)) {
		f.seen[key] = seenMsg{o: o, err: err}
		f.order = append(f.order, key)
		if len(f.order) > f.cfg.Remember {
			delete(f.seen, f.order[0])
			f.order = f.order[1:]
		}
	}
	return o, err
}

func segName(msg *hl7v2.Message, pe *hl7v2.ParseError) string {
	if pe == nil || pe.Segment < 1 || pe.Segment > msg.Len() {
		return ""
	}
	return msg.Segments()[pe.Segment-1].Name()
}

// when reads the appointment's timing as a content error.
func when(s *hl7v2.SIU) (hl7v2.Timing, error) {
	tm, err := s.Timing()
	if err != nil {
		seg, field := "TQ1", 7
		var pe *hl7v2.ParseError
		if errors.As(err, &pe) && pe.Field > 0 {
			field = pe.Field
			if pe.Segment == s.SCH.Index+1 {
				seg = "SCH"
			}
		}
		code := "102"
		if errors.Is(err, hl7v2.ErrNoTiming) {
			code = "101"
		}
		return tm, &Error{Code: hl7v2.AckError, HL7Code: code, Segment: seg, Field: field, Err: fmt.Errorf("%w: %w", ErrContent, err)}
	}
	if tm.End.IsZero() {
		return tm, &Error{Code: hl7v2.AckError, HL7Code: "101", Segment: "TQ1", Field: 8, Err: fmt.Errorf("%w: no end or duration", ErrContent)}
	}
	return tm, nil
}

// resource is where the appointment is: the first AIL's location, else
// the first AIP's clinician id, else the filler contact (SCH-16).
func resource(s *hl7v2.SIU) (loc, site, practitioner string) {
	for _, g := range s.Resources {
		if g.RGS.Present() && g.RGS.ActionCode() == "D" {
			continue
		}
		for _, a := range g.Locations {
			if pl := a.Location(); loc == "" && a.ActionCode() != "D" && (pl.PointOfCare != "" || pl.Room != "") {
				loc = strings.Join([]string{pl.PointOfCare, pl.Room, pl.Facility}, "/")
				site = pl.Facility
			}
		}
		for _, a := range g.Personnel {
			if id := a.Person().ID; practitioner == "" && a.ActionCode() != "D" && id != "" {
				practitioner = id
			}
		}
	}
	if loc == "" && practitioner == "" {
		practitioner = s.SCH.FillerContact().ID
	}
	return loc, site, practitioner
}

func ledgerErr(err error) error {
	return &Error{Code: hl7v2.AckReject, HL7Code: "207", Err: fmt.Errorf("%w: %w", ErrLedger, err)}
}

func (f *Feed) apply(ctx context.Context, msg *hl7v2.Message, s *hl7v2.SIU) (Outcome, error) {
	source := msg.MSH().SendingFacility()
	fid := s.SCH.FillerAppointmentID().ID
	if fid == "" || hl7v2.IsNull(fid) {
		return Outcome{}, &Error{Code: hl7v2.AckError, HL7Code: "101", Segment: "SCH", Field: 2, Err: fmt.Errorf("%w: no filler appointment id", ErrContent)}
	}
	reason := "SIU^" + s.Trigger + " " + msg.MSH().ControlID()
	switch s.Trigger {
	case "S24":
		return f.open(ctx, s, source, fid, msg.MSH().ControlID())
	case "S23":
		return f.block(ctx, s, source, fid, reason)
	case "S12":
		return f.book(ctx, s, source, fid, reason)
	case "S13", "S14", "S18", "S19":
		return f.move(ctx, s, source, fid, reason)
	case "S15", "S16", "S17":
		return f.cancel(ctx, source, fid, reason)
	}
	// S20, S21, S22 take a service or resource off an appointment that
	// stays booked; S26 says a patient did not come to a time now past.
	return Outcome{Action: Unchanged, Note: "no change to the trust's slots"}, nil
}

func (f *Feed) slotOf(s *hl7v2.SIU, id string, tm hl7v2.Timing, source string) booking.Slot {
	loc, site, pr := resource(s)
	// Cloned: under mllp's Options.Borrow a message's strings live only
	// until the handler returns, and slots outlive it.
	c := strings.Clone
	return booking.Slot{ID: id, Service: c(f.cfg.Service(s)), Start: tm.Start, End: tm.End, Capacity: f.cfg.Capacity,
		Site: c(site), Location: c(loc), Practitioner: c(pr), Modality: booking.FaceToFace, AppointmentType: c(s.SCH.AppointmentType().Code), Source: c(source)}
}

// open adds the slot an S24 opens; its id is the filler's (SCH-2).
func (f *Feed) open(ctx context.Context, s *hl7v2.SIU, source, fid, ctl string) (Outcome, error) {
	tm, err := when(s)
	if err != nil {
		return Outcome{}, err
	}
	id := prefix + source + ":" + fid
	if gs := f.generations(id); len(gs) > 0 {
		return Outcome{Action: Unchanged, SlotID: gs[0], Note: "slot already open"}, nil
	}
	sl := f.slotOf(s, id, tm, source)
	evs, err := f.cfg.Ledger.AddSlots(ctx, sl)
	if errors.Is(err, booking.ErrDuplicateID) {
		// Opened, blocked, and opened again: a new generation of the id,
		// named by the message that opened it.
		sl.ID = id + "#" + ctl
		evs, err = f.cfg.Ledger.AddSlots(ctx, sl)
		if errors.Is(err, booking.ErrDuplicateID) {
			// This very message opened it before, then the slot was blocked.
			return Outcome{Action: Unchanged, SlotID: sl.ID, Note: "slot opened by this message before"}, nil
		}
	}
	var ie *booking.InputError
	if errors.As(err, &ie) && !errors.Is(err, booking.ErrDuplicateID) {
		return Outcome{}, &Error{Code: hl7v2.AckError, HL7Code: "102", Segment: "TQ1", Err: fmt.Errorf("%w: %w", ErrContent, err)}
	}
	if err != nil {
		return Outcome{}, ledgerErr(err)
	}
	f.index(sl)
	return Outcome{Action: SlotOpened, SlotID: sl.ID, Events: evs}, nil
}

// block removes the slot an S23 blocks: the one with its filler id, else
// the open slots at its place and time.
func (f *Feed) block(ctx context.Context, s *hl7v2.SIU, source, fid, reason string) (Outcome, error) {
	ids := f.generations(prefix + source + ":" + fid)
	if len(ids) == 0 {
		if tm, err := when(s); err == nil {
			sl := f.slotOf(s, "", tm, source)
			for _, id := range f.slots[slotKey(resourceOf(sl), tm.Start)] {
				if f.byID[id].Tags == nil { // not a slot made for one appointment
					ids = append(ids, id)
				}
			}
		}
	}
	if len(ids) == 0 {
		return Outcome{Action: Unchanged, Note: "no open slot to block"}, nil
	}
	out := Outcome{Action: SlotBlocked}
	for _, id := range ids {
		evs, err := f.cfg.Ledger.RemoveSlot(ctx, id, f.cfg.Actor, reason)
		if err != nil && !errors.Is(err, booking.ErrUnknownSlot) {
			return out, ledgerErr(err)
		}
		f.unindex(id)
		f.forgetBookings(evs)
		out.SlotID = id
		out.Events = append(out.Events, evs...)
		if f.cfg.Waitlist != nil {
			if _, err := f.cfg.Waitlist.WithdrawSlot(ctx, id, f.cfg.Actor, "the trust blocked the slot"); err != nil {
				f.cfg.Logger.Warn("siufeed: withdrawing offers of a blocked slot failed", "slot", id, "error", err.Error())
			}
		}
	}
	return out, nil
}

// generations are the live ledger slots for a filler slot id (the id,
// and the ids of the slot opened again after a block).
func (f *Feed) generations(id string) []string {
	var out []string
	for sid := range f.byID {
		if sid == id || strings.HasPrefix(sid, id+"#") {
			out = append(out, sid)
		}
	}
	slices.Sort(out)
	return out
}

func (f *Feed) forgetBookings(evs []booking.Event) {
	for _, ev := range evs {
		if ev.Kind == booking.Cancelled {
			if a, ok := f.appts[ev.RequestID]; ok && a.bookingID == ev.BookingID {
				delete(f.appts, ev.RequestID)
			}
		}
	}
}

// place finds a slot for an appointment at tm: an open slot at its place
// and time with room, else (an appointment outside the opened slots, or
// an overbooking) a slot of its own, marked implicit.
func (f *Feed) place(ctx context.Context, s *hl7v2.SIU, tm hl7v2.Timing, source, fid string, try func(slotID string) error) (string, []booking.Event, error) {
	sl := f.slotOf(s, "", tm, source)
	for _, id := range f.slots[slotKey(resourceOf(sl), tm.Start)] {
		if f.byID[id].Tags != nil { // implicit slots belong to one appointment
			continue
		}
		err := try(id)
		if errors.Is(err, booking.ErrNoCapacity) && f.cfg.Waitlist != nil {
			// A waiting-list offer holds the place: the trust's booking
			// stands, so the offer is withdrawn and its hold let go.
			if n, werr := f.cfg.Waitlist.WithdrawSlot(ctx, id, f.cfg.Actor, "the trust booked the slot"); werr == nil && n > 0 {
				err = try(id)
			}
		}
		if err == nil {
			return id, nil, nil
		}
		if !errors.Is(err, booking.ErrNoCapacity) {
			return "", nil, err
		}
	}
	sl.ID = prefix + source + ":appt:" + fid + ":" + strconv.FormatInt(tm.Start.Unix(), 10)
	sl.Capacity = 1
	sl.Tags = []string{tagImplicit}
	if _, ok := f.byID[sl.ID]; !ok {
		evs, err := f.cfg.Ledger.AddSlots(ctx, sl)
		if err != nil && !errors.Is(err, booking.ErrDuplicateID) {
			return "", nil, err
		}
		f.index(sl)
		return sl.ID, evs, try(sl.ID)
	}
	return sl.ID, nil, try(sl.ID)
}

func (f *Feed) book(ctx context.Context, s *hl7v2.SIU, source, fid, reason string) (Outcome, error) {
	req := requestIDPre + source + ":" + fid
	if a, ok := f.appts[req]; ok {
		return Outcome{Action: Unchanged, SlotID: a.slotID, BookingID: a.bookingID, Note: "appointment already booked"}, nil
	}
	tm, err := when(s)
	if err != nil {
		return Outcome{}, err
	}
	var out Outcome
	var bk booking.Booking
	slotID, added, err := f.place(ctx, s, tm, source, fid, func(id string) error {
		b, evs, err := f.cfg.Ledger.Book(ctx, booking.BookInput{SlotID: id, RequestID: req, Key: req, Actor: f.cfg.Actor, Reason: reason})
		if err == nil {
			bk = b
			out.Events = append(out.Events, evs...)
		}
		return err
	})
	out.Events = append(added, out.Events...)
	if err != nil {
		return out, ledgerErr(err)
	}
	f.appts[req] = appt{bookingID: bk.ID, slotID: slotID}
	out.Action, out.SlotID, out.BookingID = Booked, slotID, bk.ID
	return out, nil
}

// move moves a booking to the time an S13 (or an S14, S18, S19 with a new
// time) gives; the place left is released and offered.
func (f *Feed) move(ctx context.Context, s *hl7v2.SIU, source, fid, reason string) (Outcome, error) {
	req := requestIDPre + source + ":" + fid
	a, ok := f.appts[req]
	if !ok {
		if s.Trigger == "S13" {
			// A reschedule of an appointment made before the feed began:
			// book it where it now is.
			return f.book(ctx, s, source, fid, reason)
		}
		return Outcome{Action: Unchanged, Note: "appointment not known to the feed"}, nil
	}
	tm, err := when(s)
	if err != nil {
		return Outcome{}, err
	}
	cur := f.byID[a.slotID]
	sl := f.slotOf(s, "", tm, source)
	if cur.Start.Equal(tm.Start) && resourceOf(cur) == resourceOf(sl) {
		return Outcome{Action: Unchanged, SlotID: a.slotID, BookingID: a.bookingID, Note: "time and place unchanged"}, nil
	}
	var out Outcome
	slotID, added, err := f.place(ctx, s, tm, source, fid, func(id string) error {
		_, evs, err := f.cfg.Ledger.Reschedule(ctx, booking.RescheduleInput{BookingID: a.bookingID, ToSlot: id, Actor: f.cfg.Actor, Reason: reason})
		if errors.Is(err, booking.ErrSameSlot) {
			return nil
		}
		if err == nil {
			out.Events = append(out.Events, evs...)
		}
		return err
	})
	out.Events = append(added, out.Events...)
	if err != nil {
		return out, ledgerErr(err)
	}
	f.appts[req] = appt{bookingID: a.bookingID, slotID: slotID}
	out.Action, out.SlotID, out.BookingID = Moved, slotID, a.bookingID
	if err := f.dropImplicit(ctx, cur, reason, &out); err != nil {
		return out, err
	}
	f.offer(ctx, &out)
	return out, nil
}

// dropImplicit removes a slot made for one appointment once it is left:
// it was never the trust's availability, so it is not offered.
func (f *Feed) dropImplicit(ctx context.Context, sl booking.Slot, reason string, out *Outcome) error {
	if sl.Tags == nil || sl.ID == "" {
		return nil
	}
	evs, err := f.cfg.Ledger.RemoveSlot(ctx, sl.ID, f.cfg.Actor, reason)
	if err != nil && !errors.Is(err, booking.ErrUnknownSlot) {
		return ledgerErr(err)
	}
	f.unindex(sl.ID)
	out.Events = append(out.Events, evs...)
	// The release of the implicit slot is not a place to offer.
	kept := out.Events[:0]
	for _, ev := range out.Events {
		if !(ev.Kind == booking.SlotReleased && ev.SlotID == sl.ID) {
			kept = append(kept, ev)
		}
	}
	out.Events = kept
	return nil
}

func (f *Feed) cancel(ctx context.Context, source, fid, reason string) (Outcome, error) {
	req := requestIDPre + source + ":" + fid
	a, ok := f.appts[req]
	if !ok {
		return Outcome{Action: Unchanged, Note: "appointment not known to the feed"}, nil
	}
	sl := f.byID[a.slotID]
	out := Outcome{Action: Cancelled, SlotID: a.slotID, BookingID: a.bookingID}
	var err error
	if sl.Tags != nil {
		// Removing an implicit slot cancels its booking without a release.
		out.Events, err = f.cfg.Ledger.RemoveSlot(ctx, a.slotID, f.cfg.Actor, reason)
		f.unindex(a.slotID)
	} else {
		_, out.Events, err = f.cfg.Ledger.Cancel(ctx, booking.CancelInput{BookingID: a.bookingID, Actor: f.cfg.Actor, Reason: reason})
	}
	if errors.Is(err, booking.ErrNotActive) || errors.Is(err, booking.ErrUnknownSlot) {
		err = nil // cancelled already (a resend after a restart)
	}
	if err != nil {
		return Outcome{}, ledgerErr(err)
	}
	delete(f.appts, req)
	f.offer(ctx, &out)
	return out, nil
}

// offer hands every place the outcome released to the waiting list before
// the message is acknowledged. A failure is logged: the waiting list has
// recorded the place and offers it from RunPending.
func (f *Feed) offer(ctx context.Context, out *Outcome) {
	if f.cfg.Waitlist == nil {
		return
	}
	for _, ev := range out.Events {
		if ev.Kind != booking.SlotReleased {
			continue
		}
		offers, err := f.cfg.Waitlist.OnSlotReleased(ctx, ev)
		if err != nil && !errors.Is(err, waitlist.ErrNoEntries) {
			f.cfg.Logger.Warn("siufeed: offering a released place failed; the waiting list retries it", "slot", ev.SlotID, "error", err.Error())
		}
		out.Offers = append(out.Offers, offers...)
	}
}

var _ booking.SlotSource = (*Feed)(nil)

// Slots makes the feed a booking.SlotSource for an Aggregator: the slots
// the trust opened for the service (any service when q.Service is empty)
// starting in [q.From, q.To) (an open end when zero) with a place free,
// by the engine's view when the feed has one (holds count), else by the
// PAS's bookings; earliest first.
func (f *Feed) Slots(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	taken := map[string]int{}
	for _, a := range f.appts {
		taken[a.slotID]++
	}
	var out []booking.Slot
	for _, sl := range f.byID {
		switch {
		case sl.Tags != nil, q.Service != "" && sl.Service != q.Service,
			sl.Start.Before(q.From), !q.To.IsZero() && !sl.Start.Before(q.To):
			continue
		}
		free := max(sl.Capacity, 1) - taken[sl.ID]
		if f.cfg.Engine != nil {
			free = f.cfg.Engine.Available(sl.ID)
		}
		if free > 0 {
			out = append(out, sl)
		}
	}
	slices.SortFunc(out, func(a, b booking.Slot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Slot returns a slot the feed opened or made, by ledger id.
func (f *Feed) Slot(id string) (booking.Slot, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.byID[id]
	return s, ok
}

// Appointment returns the ledger booking id and slot of a PAS appointment
// by the sender (MSH-4) and filler appointment id (SCH-2.1).
func (f *Feed) Appointment(source, fillerID string) (bookingID, slotID string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.appts[requestIDPre+source+":"+fillerID]
	return a.bookingID, a.slotID, ok
}
