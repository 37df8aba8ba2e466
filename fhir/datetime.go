package fhir

import (
	"errors"
	"strconv"
	"time"
)

// Precision is how much of a date or time a FHIR value gives.
type Precision int

// Precisions, coarsest first.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionSecond
	PrecisionMillisecond // a fractional second, of any length
)

func (p Precision) String() string {
	switch p {
	case PrecisionYear:
		return "year"
	case PrecisionMonth:
		return "month"
	case PrecisionDay:
		return "day"
	case PrecisionSecond:
		return "second"
	case PrecisionMillisecond:
		return "fraction of a second"
	}
	return "unknown"
}

// PartialTime is a FHIR date, dateTime or instant read as a time.Time with
// its precision: 2026-11 is November 2026 at PrecisionMonth, not the 1st.
type PartialTime struct {
	Time      time.Time
	Precision Precision
}

// ErrDateFormat is returned for a date or time that does not follow FHIR's
// formats.
var ErrDateFormat = errors.New("fhir: bad date or time format")

const (
	precDay  = 1
	precFull = 2
)

// Time returns the date with its precision; values without a time zone are
// read in UTC (FHIR dates have none).
func (d *Date) Time() (PartialTime, error) { return parsePartial(d.Value, precDay) }

// Time returns the dateTime with its precision. A dateTime with no time
// part is read in UTC.
func (d *DateTime) Time() (PartialTime, error) { return parsePartial(d.Value, precFull) }

// Time returns the instant.
func (d *Instant) Time() (PartialTime, error) {
	t, err := parsePartial(d.Value, precFull)
	if err == nil && t.Precision < PrecisionSecond {
		return PartialTime{}, ErrDateFormat
	}
	return t, err
}

// DateOf makes a Date from a time at day precision.
func DateOf(t time.Time) Date { return Date{Value: t.Format("2006-01-02")} }

// DateTimeOf makes a DateTime from a time, to the second, in its zone.
func DateTimeOf(t time.Time) DateTime { return DateTime{Value: t.Format(time.RFC3339)} }

// InstantOf makes an Instant from a time, to the millisecond when it has
// fractional seconds.
func InstantOf(t time.Time) Instant {
	if t.Nanosecond() != 0 {
		return Instant{Value: t.Format("2006-01-02T15:04:05.000Z07:00")}
	}
	return Instant{Value: t.Format(time.RFC3339)}
}

func digits(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// partial is a date, dateTime or instant's fields as scanPartial reads
// them: enough to check the text without making a time.Time.
type partial struct {
	year, month, day, hh, mm, ss, nsec int
	prec                               Precision
	utc                                bool // Z, or no time part
	off                                int  // the zone's offset in seconds, when not utc
}

func parsePartial(s string, max int) (PartialTime, error) {
	p, ok := scanPartial(s, max)
	if !ok {
		return PartialTime{}, ErrDateFormat
	}
	loc := time.UTC
	if !p.utc {
		loc = time.FixedZone("", p.off)
	}
	month, day := p.month, p.day
	if month == 0 {
		month = 1
	}
	if day == 0 {
		day = 1
	}
	return PartialTime{time.Date(p.year, time.Month(month), day, p.hh, p.mm, p.ss, p.nsec, loc), p.prec}, nil
}

// scanPartial reads s as FHIR's date (max precDay) or dateTime (max
// precFull) formats; month and day are 0 when s does not give them.
func scanPartial(s string, max int) (partial, bool) {
	var p partial
	year, ok := digits(s, 4)
	if !ok || year == 0 && s[:4] != "0000" {
		return p, false
	}
	p.year, p.prec, p.utc = year, PrecisionYear, true
	if len(s) == 4 {
		return p, true
	}
	if s[4] != '-' {
		return p, false
	}
	month, ok := digits(s[5:], 2)
	if !ok || month < 1 || month > 12 {
		return p, false
	}
	p.month, p.prec = month, PrecisionMonth
	if len(s) == 7 {
		return p, true
	}
	if len(s) < 10 || s[7] != '-' {
		return p, false
	}
	day, ok := digits(s[8:], 2)
	if !ok || day < 1 || day > daysIn(year, month) {
		return p, false
	}
	p.day, p.prec = day, PrecisionDay
	if len(s) == 10 {
		return p, true
	}
	if max < precFull || s[10] != 'T' {
		return p, false
	}
	rest := s[11:]
	if !validTimePrefix(rest) {
		return p, false
	}
	p.hh, _ = digits(rest, 2)
	p.mm, _ = digits(rest[3:], 2)
	p.ss, _ = digits(rest[6:], 2)
	rest = rest[8:]
	p.prec = PrecisionSecond
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return p, false
		}
		frac := rest[1:i]
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, _ := strconv.Atoi(frac)
		for k := len(frac); k < 9; k++ {
			n *= 10
		}
		p.nsec = n
		p.prec = PrecisionMillisecond
		rest = rest[i:]
	}
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:], 2)
		om, ok2 := digits(rest[4:], 2)
		if !ok1 || !ok2 || oh > 14 || om > 59 {
			return p, false
		}
		p.off = oh*3600 + om*60
		if rest[0] == '-' {
			p.off = -p.off
		}
		p.utc = false
	default:
		// FHIR requires a time zone whenever a time is given.
		return p, false
	}
	return p, true
}

func daysIn(year, month int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (month+month/8)&1 // 31 in Jan, Mar, May, Jul, Aug, Oct, Dec
}

// validTimePrefix checks hh:mm:ss at the start of s (24:00:00 is not
// allowed; a leap second 60 is).
func validTimePrefix(s string) bool {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return false
	}
	hh, ok1 := digits(s, 2)
	mm, ok2 := digits(s[3:], 2)
	ss, ok3 := digits(s[6:], 2)
	return ok1 && ok2 && ok3 && hh < 24 && mm < 60 && ss <= 60
}

func validTime(s string) bool {
	if !validTimePrefix(s) {
		return false
	}
	rest := s[8:]
	if rest == "" {
		return true
	}
	if rest[0] != '.' || len(rest) == 1 {
		return false
	}
	for i := 1; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}
