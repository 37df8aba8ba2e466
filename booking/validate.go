package booking

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London on machines without zoneinfo
)

// London is Europe/London, in which windows and excluded dates are read.
var London = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC // unreachable: time/tzdata is embedded
	}
	return loc
}()

// Sentinel errors wrapped by *InputError.
var (
	ErrEmptyID        = errors.New("empty id")
	ErrDuplicateID    = errors.New("duplicate id")
	ErrEmptyService   = errors.New("empty service")
	ErrBadTimes       = errors.New("end is not after start")
	ErrBadCapacity    = errors.New("negative capacity")
	ErrBadWindow      = errors.New("invalid weekly window")
	ErrUnknownSlot    = errors.New("unknown slot")
	ErrNoCapacity     = errors.New("slot has no capacity left")
	ErrNotBooked      = errors.New("request holds no booking on that slot")
	ErrHoldExpired    = errors.New("hold expired or unknown")
	ErrAlreadyBooked  = errors.New("request already booked on that slot")
	ErrBadRequestTime = errors.New("latest is before earliest")
)

// InputError reports one bad slot or request: which one (index in the
// input and id) and why.
type InputError struct {
	Kind  string // "slot" or "request"
	Index int
	ID    string
	Err   error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("booking: %s %d (id %q): %v", e.Kind, e.Index, e.ID, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrorList is every problem found in an input, in order.
type ErrorList []*InputError

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Err returns l as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Unwrap lets errors.Is find any listed cause.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func checkSlot(s *Slot) error {
	switch {
	case s.ID == "":
		return ErrEmptyID
	case s.Service == "":
		return ErrEmptyService
	case !s.End.After(s.Start):
		return ErrBadTimes
	case s.Capacity < 0:
		return ErrBadCapacity
	}
	return nil
}

// ValidateSlots checks every slot and returns an ErrorList of the bad ones
// (nil when all are good).
func ValidateSlots(slots []Slot) error {
	var list ErrorList
	seen := make(map[string]int, len(slots))
	for i := range slots {
		s := &slots[i]
		if err := checkSlot(s); err != nil {
			list = append(list, &InputError{Kind: "slot", Index: i, ID: s.ID, Err: err})
			continue
		}
		if _, dup := seen[s.ID]; dup {
			list = append(list, &InputError{Kind: "slot", Index: i, ID: s.ID, Err: ErrDuplicateID})
			continue
		}
		seen[s.ID] = i
	}
	return list.Err()
}

// ValidateRequest checks one request.
func ValidateRequest(r *Request) error {
	var err error
	switch {
	case r.ID == "":
		err = ErrEmptyID
	case r.Service == "":
		err = ErrEmptyService
	case !r.Latest.IsZero() && r.Latest.Before(r.Earliest):
		err = ErrBadRequestTime
	}
	if err == nil {
		for _, w := range r.Windows {
			if w.From < 0 || w.To > 24*60 || w.To <= w.From || w.Weekday < time.Sunday || w.Weekday > time.Saturday {
				err = fmt.Errorf("%w: %v", ErrBadWindow, w)
				break
			}
		}
	}
	if err != nil {
		return &InputError{Kind: "request", ID: r.ID, Err: err}
	}
	return nil
}

// ValidateRequests checks requests, including duplicate ids.
func ValidateRequests(reqs []Request) error {
	var list ErrorList
	seen := map[string]bool{}
	for i := range reqs {
		if err := ValidateRequest(&reqs[i]); err != nil {
			ie := err.(*InputError)
			ie.Index = i
			list = append(list, ie)
			continue
		}
		if seen[reqs[i].ID] {
			list = append(list, &InputError{Kind: "request", Index: i, ID: reqs[i].ID, Err: ErrDuplicateID})
			continue
		}
		seen[reqs[i].ID] = true
	}
	return list.Err()
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWindow reads a weekly window written "Tue 13:00-17:00" (day names
// of three or more letters, any case; 24-hour times; "24:00" allowed as an
// end). Named periods stand for fixed times: "Tue morning" (08:00-12:00),
// "afternoon" (12:00-17:00) and "evening" (17:00-20:00).
func ParseWindow(s string) (Window, error) {
	bad := func(why string) (Window, error) {
		return Window{}, fmt.Errorf("%w %q: %s", ErrBadWindow, s, why)
	}
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return bad("want a day and a time range")
	}
	day := strings.ToLower(fields[0])
	if len(day) < 3 {
		return bad("day name too short")
	}
	wd, ok := weekdays[day[:3]]
	if !ok || !strings.HasPrefix(strings.ToLower(wd.String()), day) {
		return bad("unknown day")
	}
	switch strings.ToLower(fields[1]) {
	case "morning":
		return Window{Weekday: wd, From: 8 * 60, To: 12 * 60}, nil
	case "afternoon":
		return Window{Weekday: wd, From: 12 * 60, To: 17 * 60}, nil
	case "evening":
		return Window{Weekday: wd, From: 17 * 60, To: 20 * 60}, nil
	}
	from, to, ok := strings.Cut(fields[1], "-")
	if !ok {
		return bad("want HH:MM-HH:MM")
	}
	f, err := parseClock(from)
	if err != nil {
		return bad(err.Error())
	}
	t, err := parseClock(to)
	if err != nil {
		return bad(err.Error())
	}
	if t <= f {
		return bad("end is not after start")
	}
	return Window{Weekday: wd, From: f, To: t}, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q out of range", s)
	}
	return hh*60 + mm, nil
}
