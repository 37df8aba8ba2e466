package booking

import (
	"fmt"
	"slices"
	"time"
)

// Modality is how an appointment is delivered.
type Modality uint8

// Modalities. The zero value means "not stated" on a Slot.
const (
	ModalityUnknown Modality = iota
	FaceToFace
	Video
	Telephone
)

func (m Modality) String() string {
	switch m {
	case FaceToFace:
		return "face-to-face"
	case Video:
		return "video"
	case Telephone:
		return "telephone"
	}
	return "unknown"
}

// LatLon is a WGS84 position.
type LatLon struct{ Lat, Lon float64 }

// Slot is a bookable period of a service. Capacity 0 means 1.
type Slot struct {
	ID       string
	Service  string
	Start    time.Time
	End      time.Time
	Capacity int

	Site            string // e.g. an ODS site code
	Location        string // human-readable place
	Position        *LatLon
	Practitioner    string
	Modality        Modality
	AppointmentType string
	Source          string   // which trust, practice or system offers it
	Accessibility   []string // features: "step-free", "hearing-loop", …
	Tags            []string
}

func (s *Slot) capacity() int {
	if s.Capacity == 0 {
		return 1
	}
	return s.Capacity
}

// Duration is the slot's length.
func (s *Slot) Duration() time.Duration { return s.End.Sub(s.Start) }

// Request is a patient's need for an appointment.
type Request struct {
	ID       string
	Service  string
	Earliest time.Time
	Latest   time.Time
	// Priority is clinical priority: higher is more urgent (0–10 in the
	// default scoring).
	Priority int
	// Referred is when the patient started waiting (default Earliest); the
	// longer the wait, the higher the score.
	Referred time.Time

	// Windows are the weekly times the patient can attend ("any Tuesday
	// afternoon"), in Europe/London. Empty means any time.
	Windows         []Window
	WindowsRequired bool // windows are a hard constraint, not a preference

	// Modalities the patient accepts (empty: any). PreferredModality is
	// scored when set.
	Modalities        []Modality
	PreferredModality Modality

	PreferredSites         []string
	PreferredPractitioners []string

	// Origin and MaxTravel limit travel for face-to-face slots (MaxTravel 0:
	// no limit). Travel time comes from the engine's TravelTimer.
	Origin    *LatLon
	MaxTravel time.Duration

	// Duration is the minimum slot length needed (0: any).
	Duration time.Duration
	// Accessibility lists needs every slot must meet.
	Accessibility []string
	// ExcludedDates are dates (in Europe/London) the patient cannot attend.
	ExcludedDates []time.Time
}

// Window is a weekly period in Europe/London: Weekday from From to To,
// minutes since midnight (To > From).
type Window struct {
	Weekday time.Weekday
	From    int
	To      int
}

func (w Window) String() string {
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d", w.Weekday.String()[:3], w.From/60, w.From%60, w.To/60, w.To%60)
}

// Contains reports whether the slot [start, end) lies inside w, read in
// Europe/London (so 14:00 means 14:00 local on both sides of a clock
// change).
func (w Window) Contains(start, end time.Time) bool {
	ls, le := start.In(London), end.In(London)
	if ls.Weekday() != w.Weekday {
		return false
	}
	sm := ls.Hour()*60 + ls.Minute()
	em := le.Hour()*60 + le.Minute()
	if le.YearDay() != ls.YearDay() || le.Year() != ls.Year() {
		em = 24 * 60 // ends at or after midnight
		if le.Hour() != 0 || le.Minute() != 0 {
			return false
		}
	}
	return sm >= w.From && em <= w.To
}

// Breakdown explains a candidate's score: each part is already weighted,
// and they sum to the score.
type Breakdown struct {
	Wait       float64 // sooner appointments score higher
	Travel     float64 // shorter travel scores higher
	Preference float64 // windows, sites, practitioners, modality preferred
	Priority   float64 // clinical priority and time already waited
}

// Candidate is a slot that meets every hard constraint of a request, with
// its score.
type Candidate struct {
	SlotID    string
	Score     float64
	Breakdown Breakdown
	Travel    time.Duration // estimated, 0 when not face to face or unknown
	Start     time.Time
}

// Pair is one assignment of a request to a slot.
type Pair struct {
	RequestID string
	SlotID    string
	Score     float64
}

func containsAll(have, need []string) bool {
	for _, n := range need {
		if !slices.Contains(have, n) {
			return false
		}
	}
	return true
}
