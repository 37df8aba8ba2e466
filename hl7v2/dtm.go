package hl7v2

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // Europe/London is needed on machines without zoneinfo
)

// Precision is how much of a DTM value was given.
type Precision uint8

// Precisions, from coarsest to finest.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionFraction
)

// ErrDTM is wrapped by ParseDTM's errors.
var ErrDTM = errors.New("hl7v2: malformed date/time")

// London is Europe/London, the zone NHS senders' times without an offset
// are in.
var London = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC // unreachable: time/tzdata is embedded
	}
	return loc
}()

// ParseDTM parses an HL7 DTM/TS value, YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ],
// returning the time and how precise it was. A value without an offset is
// read in loc (London when nil).
func ParseDTM(s string, loc *time.Location) (time.Time, Precision, error) {
	if loc == nil {
		loc = London
	}
	bad := func(why string) (time.Time, Precision, error) {
		return time.Time{}, 0, fmt.Errorf("%w: %s", ErrDTM, why)
	}
	body, zone := s, ""
	for i := 4; i < len(s); i++ {
		if s[i] == '+' || s[i] == '-' {
			body, zone = s[:i], s[i:]
			break
		}
	}
	frac := ""
	if i := indexByte(body, '.'); i >= 0 {
		body, frac = body[:i], body[i+1:]
		if len(body) != 14 || frac == "" || len(frac) > 9 || !allDigits(frac) {
			return bad("fractional seconds need a full seconds value before them")
		}
	}
	if !allDigits(body) {
		return bad("expected digits")
	}
	var p Precision
	switch len(body) {
	case 4:
		p = PrecisionYear
	case 6:
		p = PrecisionMonth
	case 8:
		p = PrecisionDay
	case 10:
		p = PrecisionHour
	case 12:
		p = PrecisionMinute
	case 14:
		p = PrecisionSecond
	default:
		return bad("length is not 4, 6, 8, 10, 12 or 14 digits")
	}
	num := func(i, n int) int { v, _ := strconv.Atoi(body[i : i+n]); return v }
	year, month, day, hour, min, sec := num(0, 4), 1, 1, 0, 0, 0
	if p >= PrecisionMonth {
		month = num(4, 2)
	}
	if p >= PrecisionDay {
		day = num(6, 2)
	}
	if p >= PrecisionHour {
		hour = num(8, 2)
	}
	if p >= PrecisionMinute {
		min = num(10, 2)
	}
	if p >= PrecisionSecond {
		sec = num(12, 2)
	}
	nsec := 0
	if frac != "" {
		p = PrecisionFraction
		f := frac + "000000000"[:9-len(frac)]
		nsec, _ = strconv.Atoi(f)
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59 {
		return bad("field out of range")
	}
	if zone != "" {
		if len(zone) != 5 || !allDigits(zone[1:]) {
			return bad("offset is not +HHMM or -HHMM")
		}
		oh, _ := strconv.Atoi(zone[1:3])
		om, _ := strconv.Atoi(zone[3:5])
		if oh > 14 || om > 59 {
			return bad("offset out of range")
		}
		off := oh*3600 + om*60
		if zone[0] == '-' {
			off = -off
		}
		loc = time.FixedZone(zone, off)
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc)
	if t.Day() != day {
		return bad("no such day in that month")
	}
	return t, p, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// FormatDTM writes t as an HL7 DTM to the second with its offset.
func FormatDTM(t time.Time) string { return t.Format("20060102150405-0700") }
