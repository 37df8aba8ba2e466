package hl7v2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scheduling (HL7 v2 chapter 10): the SIU messages a filler application,
// the trust's PAS, sends when its appointment book changes. Every SIU
// trigger but S25 (a query) has the message structure SIU_S12, which
// Message.SIU reads into groups.

// ErrStructure is wrapped by the *ParseError Message.SIU returns when a
// segment is missing or out of place for the message structure.
var ErrStructure = errors.New("segment out of place for the message structure")

// ErrNotSIU is wrapped when Message.SIU is asked to read a message that is
// not an SIU of structure SIU_S12.
var ErrNotSIU = errors.New("not an SIU message of structure SIU_S12")

// SIUTriggers are the trigger events of structure SIU_S12 (v2.5.1 chapter
// 10, section 10.4): S12 new booking, S13 rescheduling, S14 modification,
// S15 cancellation, S16 discontinuation, S17 deletion, S18–S22 addition,
// modification, cancellation, discontinuation and deletion of a service or
// resource on an appointment, S23 blocked and S24 opened (unblocked) time
// slots, S26 the patient did not show up.
var SIUTriggers = []string{"S12", "S13", "S14", "S15", "S16", "S17", "S18", "S19", "S20", "S21", "S22", "S23", "S24", "S26"}

// EI is an entity identifier (SCH-1, SCH-2): the id, its namespace, and a
// universal id with its type.
type EI struct{ ID, Namespace, UniversalID, UniversalIDType string }

// EI reads repetition rep of field n as an EI.
func (s Segment) EI(n, rep int) EI {
	return EI{ID: s.Get(n, rep, 1, 1), Namespace: s.Get(n, rep, 2, 1), UniversalID: s.Get(n, rep, 3, 1), UniversalIDType: s.Get(n, rep, 4, 1)}
}

// SCH is the schedule activity information segment.
type SCH struct{ Segment }

// PlacerAppointmentID is SCH-1.
func (s SCH) PlacerAppointmentID() EI { return s.EI(1, 1) }

// FillerAppointmentID is SCH-2.
func (s SCH) FillerAppointmentID() EI { return s.EI(2, 1) }

// OccurrenceNumber is SCH-3.
func (s SCH) OccurrenceNumber() string { return s.Field(3) }

// PlacerGroupNumber is SCH-4.
func (s SCH) PlacerGroupNumber() EI { return s.EI(4, 1) }

// ScheduleID is SCH-5.
func (s SCH) ScheduleID() CWE { return s.CWE(5, 1) }

// EventReason is SCH-6.
func (s SCH) EventReason() CWE { return s.CWE(6, 1) }

// AppointmentReason is SCH-7.
func (s SCH) AppointmentReason() CWE { return s.CWE(7, 1) }

// AppointmentType is SCH-8.
func (s SCH) AppointmentType() CWE { return s.CWE(8, 1) }

// Duration is SCH-9 with its units SCH-10 (withdrawn from v2.7 in favour
// of TQ1-6 and the resources' durations); ok is false when SCH-9 is empty.
func (s SCH) Duration() (time.Duration, bool, error) {
	return quantity(s.Field(9), s.Get(10, 1, 1, 1))
}

// TimingStart and TimingEnd are SCH-11.4 and SCH-11.5, the start and end
// of the appointment in the TQ data type that TQ1 replaced in v2.5.
func (s SCH) TimingStart() (time.Time, Precision, error) {
	return ParseDTM(s.Get(11, 1, 4, 1), London)
}

// TimingEnd is SCH-11.5 as a time with its precision.
func (s SCH) TimingEnd() (time.Time, Precision, error) { return ParseDTM(s.Get(11, 1, 5, 1), London) }

// PlacerContact is SCH-12 (the first repetition).
func (s SCH) PlacerContact() XCN { return s.XCN(12, 1) }

// FillerContact is SCH-16 (the first repetition).
func (s SCH) FillerContact() XCN { return s.XCN(16, 1) }

// FillerContactLocation is SCH-19.
func (s SCH) FillerContactLocation() PL { return s.PL(19, 1) }

// EnteredBy is SCH-20 (the first repetition).
func (s SCH) EnteredBy() XCN { return s.XCN(20, 1) }

// ParentPlacerID is SCH-23.
func (s SCH) ParentPlacerID() EI { return s.EI(23, 1) }

// ParentFillerID is SCH-24.
func (s SCH) ParentFillerID() EI { return s.EI(24, 1) }

// FillerStatus is SCH-25, HL7 table 0278 (Pending, Waitlist, Booked,
// Started, Complete, Cancelled, DC, Deleted, Blocked, Overbook, Noshow).
func (s SCH) FillerStatus() CWE { return s.CWE(25, 1) }

// PlacerOrder is SCH-26.
func (s SCH) PlacerOrder() EI { return s.EI(26, 1) }

// FillerOrder is SCH-27.
func (s SCH) FillerOrder() EI { return s.EI(27, 1) }

// TQ1 is the timing/quantity segment (v2.5+).
type TQ1 struct{ Segment }

// SetID is TQ1-1.
func (t TQ1) SetID() string { return t.Field(1) }

// ServiceDuration is TQ1-6 (CQ: quantity ^ units); ok is false when it is
// empty.
func (t TQ1) ServiceDuration() (time.Duration, bool, error) {
	return quantity(t.Get(6, 1, 1, 1), t.Get(6, 1, 2, 1))
}

// Start is TQ1-7 as a time with its precision.
func (t TQ1) Start() (time.Time, Precision, error) { return t.Time(7) }

// End is TQ1-8 as a time with its precision.
func (t TQ1) End() (time.Time, Precision, error) { return t.Time(8) }

// Priority is TQ1-9.
func (t TQ1) Priority() CWE { return t.CWE(9, 1) }

// TextInstruction is TQ1-11.
func (t TQ1) TextInstruction() string { return t.Field(11) }

// RGS is a resource group.
type RGS struct{ Segment }

// SetID is RGS-1.
func (r RGS) SetID() string { return r.Field(1) }

// ActionCode is RGS-2, table 0206: A add, D delete, U update, X no change.
func (r RGS) ActionCode() string { return r.Field(2) }

// GroupID is RGS-3.
func (r RGS) GroupID() CWE { return r.CWE(3, 1) }

// resourceTiming reads the fields every AIx segment has in one run from
// its start field: start, start offset, offset units, duration, duration
// units, allow substitution, filler status.
type resourceTiming struct {
	Segment
	start int
}

// Start is the resource's start date/time.
func (r resourceTiming) Start() (time.Time, Precision, error) { return r.Time(r.start) }

// StartOffset is the start offset with its units: the start relative to
// the appointment's; ok is false when none is sent.
func (r resourceTiming) StartOffset() (time.Duration, bool, error) {
	return quantity(r.Field(r.start+1), r.Get(r.start+2, 1, 1, 1))
}

// Duration is the resource's duration with its units.
func (r resourceTiming) Duration() (time.Duration, bool, error) {
	return quantity(r.Field(r.start+3), r.Get(r.start+4, 1, 1, 1))
}
func (r resourceTiming) AllowSubstitution() string { return r.Field(r.start + 5) }

// FillerStatus is the resource's status, table 0278.
func (r resourceTiming) FillerStatus() CWE { return r.CWE(r.start+6, 1) }

// SetID is field 1; ActionCode field 2 (table 0206: A, D, U, X).
func (r resourceTiming) SetID() string      { return r.Field(1) }
func (r resourceTiming) ActionCode() string { return r.Field(2) }

// AIS is appointment information for a service.
type AIS struct {
	resourceTiming
	Notes []NTE
}

// Service is AIS-3, the universal service identifier.
func (a AIS) Service() CWE { return a.CWE(3, 1) }

// AIG is appointment information for a general resource (equipment).
type AIG struct {
	resourceTiming
	Notes []NTE
}

// ResourceID is AIG-3.
func (a AIG) ResourceID() CWE { return a.CWE(3, 1) }

// ResourceType is AIG-4.
func (a AIG) ResourceType() CWE { return a.CWE(4, 1) }

// AIL is appointment information for a location.
type AIL struct {
	resourceTiming
	Notes []NTE
}

// Location is AIL-3.
func (a AIL) Location() PL { return a.PL(3, 1) }

// LocationType is AIL-4.
func (a AIL) LocationType() CWE { return a.CWE(4, 1) }

// LocationGroup is AIL-5.
func (a AIL) LocationGroup() CWE { return a.CWE(5, 1) }

// AIP is appointment information for personnel (the clinician).
type AIP struct {
	resourceTiming
	Notes []NTE
}

// Person is AIP-3 (the first repetition).
func (a AIP) Person() XCN { return a.XCN(3, 1) }

// ResourceType is AIP-4.
func (a AIP) ResourceType() CWE { return a.CWE(4, 1) }

// SIUPatient is one PATIENT group.
type SIUPatient struct {
	PID PID
	PD1 PD1 // Present() is false when absent
	PV1 PV1
	PV2 Segment
	OBX []OBX
	DG1 []DG1
}

// SIUResources is one RESOURCES group: its RGS and the services, general
// resources, locations and personnel it books. RGS.Present() is false for
// the group a sender that omits RGS leaves implicit.
type SIUResources struct {
	RGS       RGS
	Services  []AIS
	General   []AIG
	Locations []AIL
	Personnel []AIP
}

// SIU is a scheduling message read by its structure, SIU_S12.
type SIU struct {
	Trigger   string // MSH-9.2: S12 … S26
	SCH       SCH
	TQ1       []TQ1
	Notes     []NTE // the NTEs after SCH
	Patients  []SIUPatient
	Resources []SIUResources
}

// SIU reads m as an SIU_S12 message (MSH [SFT] SCH [{TQ1}] [{NTE}]
// [{PATIENT}] {RESOURCES}, chapter 10). Z segments are skipped wherever
// they are. A segment out of place is a *ParseError at its position
// wrapping ErrStructure; a message of another type or structure wraps
// ErrNotSIU. As senders commonly do, an AIx segment with no RGS before it
// opens a resource group of its own, and a message without any resource
// group is accepted (S23 and S24 often carry none).
func (m *Message) SIU() (*SIU, error) {
	h := m.MSH()
	if h.MessageCode() != "SIU" {
		return nil, &ParseError{Segment: 1, Field: 9, Err: fmt.Errorf("%w: message type %q", ErrNotSIU, h.MessageCode())}
	}
	trig := h.TriggerEvent()
	known := false
	for _, t := range SIUTriggers {
		known = known || t == trig
	}
	if !known {
		return nil, &ParseError{Segment: 1, Field: 9, Err: fmt.Errorf("%w: trigger %q", ErrNotSIU, trig)}
	}
	if st := h.MessageStructure(); st != "" && st != "SIU_S12" {
		return nil, &ParseError{Segment: 1, Field: 9, Err: fmt.Errorf("%w: structure %q", ErrNotSIU, st)}
	}
	out := &SIU{Trigger: trig}
	segs := m.Segments()
	bad := func(s Segment, why string) error {
		off := 0
		if !m.edited && s.Index < len(m.segs) {
			off = int(m.segs[s.Index].start)
		}
		return &ParseError{Segment: s.Index + 1, Offset: off, Err: fmt.Errorf("%w: %s", ErrStructure, why)}
	}
	const (
		stHeader = iota // after MSH, SFT
		stSCH           // after SCH, TQ1, NTE
		stPatient
		stResources
	)
	state := stHeader
	var notes *[]NTE // where an NTE goes
	for _, s := range segs[1:] {
		name := s.Name()
		if name == "" || name[0] == 'Z' {
			continue
		}
		switch {
		case name == "SFT" && state == stHeader:
		case name == "SCH" && state == stHeader:
			out.SCH, state, notes = SCH{s}, stSCH, &out.Notes
		case state == stHeader:
			return nil, bad(s, "expected SCH, found "+name)
		case name == "SCH":
			return nil, bad(s, "second SCH")
		case name == "TQ1" && state == stSCH && len(out.Notes) == 0:
			out.TQ1 = append(out.TQ1, TQ1{s})
		case name == "NTE":
			if notes == nil {
				return nil, bad(s, "NTE with nothing to annotate")
			}
			*notes = append(*notes, NTE{s})
		case name == "PID" && (state == stSCH || state == stPatient):
			out.Patients = append(out.Patients, SIUPatient{PID: PID{s}})
			state, notes = stPatient, nil
		case state == stPatient && isPatientSegment(name):
			p := &out.Patients[len(out.Patients)-1]
			if err := p.add(s, name); err != "" {
				return nil, bad(s, err)
			}
		case name == "RGS":
			out.Resources = append(out.Resources, SIUResources{RGS: RGS{s}})
			state, notes = stResources, nil
		case name == "AIS" || name == "AIG" || name == "AIL" || name == "AIP":
			if state != stResources {
				out.Resources = append(out.Resources, SIUResources{})
				state = stResources
			}
			g := &out.Resources[len(out.Resources)-1]
			switch name {
			case "AIS":
				g.Services = append(g.Services, AIS{resourceTiming: resourceTiming{s, 4}})
				notes = &g.Services[len(g.Services)-1].Notes
			case "AIG":
				g.General = append(g.General, AIG{resourceTiming: resourceTiming{s, 8}})
				notes = &g.General[len(g.General)-1].Notes
			case "AIL":
				g.Locations = append(g.Locations, AIL{resourceTiming: resourceTiming{s, 6}})
				notes = &g.Locations[len(g.Locations)-1].Notes
			default:
				g.Personnel = append(g.Personnel, AIP{resourceTiming: resourceTiming{s, 6}})
				notes = &g.Personnel[len(g.Personnel)-1].Notes
			}
		default:
			return nil, bad(s, name+" is not part of SIU_S12 here")
		}
	}
	if state == stHeader {
		return nil, &ParseError{Segment: len(segs) + 1, Err: fmt.Errorf("%w: no SCH", ErrStructure)}
	}
	return out, nil
}

func isPatientSegment(name string) bool {
	switch name {
	case "PD1", "PV1", "PV2", "OBX", "DG1":
		return true
	}
	return false
}

// add places one segment of the PATIENT group, in the order PID [PD1]
// [PV1] [PV2] [{OBX}] [{DG1}]; it returns why when it is out of place.
func (p *SIUPatient) add(s Segment, name string) string {
	rank := map[string]int{"PD1": 1, "PV1": 2, "PV2": 3, "OBX": 4, "DG1": 5}
	last := 0
	switch {
	case len(p.DG1) > 0:
		last = 5
	case len(p.OBX) > 0:
		last = 4
	case p.PV2.Present():
		last = 3
	case p.PV1.Present():
		last = 2
	case p.PD1.Present():
		last = 1
	}
	r := rank[name]
	if r < last || (r == last && r < 4) {
		return name + " out of order in the PATIENT group"
	}
	switch name {
	case "PD1":
		p.PD1 = PD1{s}
	case "PV1":
		p.PV1 = PV1{s}
	case "PV2":
		p.PV2 = s
	case "OBX":
		p.OBX = append(p.OBX, OBX{s})
	default:
		p.DG1 = append(p.DG1, DG1{s})
	}
	return ""
}

// ErrQuantity is wrapped when a duration's number or units cannot be read.
var ErrQuantity = errors.New("hl7v2: malformed duration")

// quantity reads a number with time units: s, sec, second(s); m, min,
// minute(s), and M as TQ-3 uses it; h, hr, hour(s); d, day(s); w, wk,
// week(s), in any case; empty units mean minutes, the unit SIU senders
// leave implied. ok is false when the number is empty.
func quantity(num, units string) (time.Duration, bool, error) {
	if num == "" || IsNull(num) {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f >= 0 && f <= 1e6) { // NaN fails both
		return 0, false, fmt.Errorf("%w: %q is not a number of units", ErrQuantity, num)
	}
	var unit time.Duration
	switch strings.ToLower(units) {
	case "s", "sec", "secs", "second", "seconds":
		unit = time.Second
	case "", "m", "min", "mins", "minute", "minutes":
		unit = time.Minute
	case "h", "hr", "hrs", "hour", "hours":
		unit = time.Hour
	case "d", "day", "days":
		unit = 24 * time.Hour
	case "w", "wk", "wks", "week", "weeks":
		unit = 7 * 24 * time.Hour
	default:
		return 0, false, fmt.Errorf("%w: unknown units %q", ErrQuantity, units)
	}
	// At most a million hours (the bound of the number in hours), so that
	// days and weeks cannot overflow time.Duration.
	if d := f * float64(unit); d <= float64(1e6*time.Hour) {
		return time.Duration(d), true, nil
	}
	return 0, false, fmt.Errorf("%w: %q %s is out of range", ErrQuantity, num, units)
}

// Timing is when an appointment is, and where the message said so.
type Timing struct {
	Start     time.Time
	End       time.Time
	Precision Precision // of Start
	// Source names the fields it came from: "TQ1-7", "SCH-11.4", "AIS-4"…
	Source string
}

// ErrNoTiming is wrapped when an SIU message says nowhere when its
// appointment is.
var ErrNoTiming = errors.New("hl7v2: no appointment start in TQ1, SCH-11 or the resources")

// Timing finds the appointment's start and end: TQ1-7 and TQ1-8 (or TQ1-6
// as duration), else SCH-11.4 and SCH-11.5 (the TQ form before v2.5), else
// the first resource with a start (AIS-4, AIG-8, AIL-6, AIP-6) and its
// duration; an end not given comes from SCH-9 and SCH-10. Times without an
// offset are Europe/London. An error names the field it could not read.
func (s *SIU) Timing() (Timing, error) {
	var t Timing
	var dur time.Duration
	var hasDur bool
	field := func(seg Segment, n int, err error) error {
		return &ParseError{Segment: seg.Index + 1, Field: n, Err: err}
	}
	switch {
	case len(s.TQ1) > 0 && s.TQ1[0].Field(7) != "":
		q := s.TQ1[0]
		var err error
		if t.Start, t.Precision, err = q.Start(); err != nil {
			return t, field(q.Segment, 7, err)
		}
		t.Source = "TQ1-7"
		if q.Field(8) != "" {
			if t.End, _, err = q.End(); err != nil {
				return t, field(q.Segment, 8, err)
			}
		}
		if dur, hasDur, err = q.ServiceDuration(); err != nil {
			return t, field(q.Segment, 6, err)
		}
	case s.SCH.Get(11, 1, 4, 1) != "":
		var err error
		if t.Start, t.Precision, err = s.SCH.TimingStart(); err != nil {
			return t, field(s.SCH.Segment, 11, err)
		}
		t.Source = "SCH-11.4"
		if s.SCH.Get(11, 1, 5, 1) != "" {
			if t.End, _, err = s.SCH.TimingEnd(); err != nil {
				return t, field(s.SCH.Segment, 11, err)
			}
		}
	default:
		found := false
		for _, g := range s.Resources {
			for _, r := range g.timings() {
				if r.Field(r.start) == "" {
					continue
				}
				var err error
				if t.Start, t.Precision, err = r.Start(); err != nil {
					return t, field(r.Segment, r.start, err)
				}
				t.Source = r.Name() + "-" + strconv.Itoa(r.start)
				if dur, hasDur, err = r.Duration(); err != nil {
					return t, field(r.Segment, r.start+3, err)
				}
				found = true
				break
			}
			if found {
				break
			}
		}
		if !found {
			return t, &ParseError{Segment: s.SCH.Index + 1, Err: ErrNoTiming}
		}
	}
	if t.End.IsZero() && !hasDur {
		var err error
		if dur, hasDur, err = s.SCH.Duration(); err != nil {
			return t, field(s.SCH.Segment, 9, err)
		}
	}
	if t.End.IsZero() && hasDur {
		t.End = t.Start.Add(dur)
	}
	if !t.End.IsZero() && t.End.Before(t.Start) {
		return t, &ParseError{Segment: s.SCH.Index + 1, Err: fmt.Errorf("%w: appointment ends before it starts", ErrDTM)}
	}
	return t, nil
}

// timings lists the group's resources in the order services, general,
// locations, personnel.
func (g SIUResources) timings() []resourceTiming {
	out := make([]resourceTiming, 0, len(g.Services)+len(g.General)+len(g.Locations)+len(g.Personnel))
	for _, r := range g.Services {
		out = append(out, r.resourceTiming)
	}
	for _, r := range g.General {
		out = append(out, r.resourceTiming)
	}
	for _, r := range g.Locations {
		out = append(out, r.resourceTiming)
	}
	for _, r := range g.Personnel {
		out = append(out, r.resourceTiming)
	}
	return out
}
