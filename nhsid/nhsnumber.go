package nhsid

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// NHSNumberSystem is the identifier system URI for NHS numbers in FHIR
// (UK Core).
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// NHSNumber is a ten-digit NHS number held in its canonical form: ten ASCII
// digits with no spaces. Use [ParseNHSNumber] to accept the spaced or
// hyphenated forms people type. The zero value is not valid.
//
// Printed with fmt or logged with slog it shows only its last four digits;
// [NHSNumber.Digits] and [NHSNumber.Formatted] give the whole number.
type NHSNumber string

// Errors returned by [ParseNHSNumber], wrapped in a *NHSNumberError.
var (
	ErrNHSNumberLength     = errors.New("nhs number must have 10 digits")
	ErrNHSNumberCharacter  = errors.New("nhs number contains a character that is not a digit")
	ErrNHSNumberCheckDigit = errors.New("nhs number check digit does not match (modulus 11)")
	// ErrNHSNumberPlaceholder reports ten identical digits: every such
	// number passes modulus 11, which is why legacy systems use 0000000000
	// or 9999999999 for "unknown"; none is a patient.
	ErrNHSNumberPlaceholder = errors.New("nhs number is ten identical digits, a placeholder")
)

// NHSNumberError reports why a string is not an NHS number. It never holds
// the input itself, so that it is safe to log.
type NHSNumberError struct {
	// Offset is the byte offset in the input at which the problem was found,
	// or -1 when the problem is the whole value (length, check digit).
	Offset int
	Err    error
}

func (e *NHSNumberError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("nhsid: %v at offset %d", e.Err, e.Offset)
	}
	return "nhsid: " + e.Err.Error()
}

func (e *NHSNumberError) Unwrap() error { return e.Err }

// ParseNHSNumber accepts an NHS number written as ten digits, or in 3-3-4
// groups separated by single spaces ("943 476 5919") or hyphens
// ("943-476-5919"), with surrounding white space ignored, and returns it in
// canonical form. It checks the modulus 11 check digit and rejects the
// ten-identical-digit placeholders ([ErrNHSNumberPlaceholder]).
func ParseNHSNumber(s string) (NHSNumber, error) {
	lead := len(s) - len(strings.TrimLeft(s, " \t\r\n\v\f"))
	s = strings.TrimSpace(s)
	var digits [10]byte
	n := 0
	var sep byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == 10 {
				return "", &NHSNumberError{Offset: -1, Err: ErrNHSNumberLength}
			}
			digits[n] = c
			n++
		case c == ' ' || c == '-':
			// Separators only between the 3-3-4 groups, one kind throughout.
			if (n != 3 && n != 6) || (sep != 0 && sep != c) || (i > 0 && (s[i-1] == ' ' || s[i-1] == '-')) {
				return "", &NHSNumberError{Offset: lead + i, Err: ErrNHSNumberCharacter}
			}
			sep = c
		default:
			return "", &NHSNumberError{Offset: lead + i, Err: ErrNHSNumberCharacter}
		}
	}
	if n != 10 {
		return "", &NHSNumberError{Offset: -1, Err: ErrNHSNumberLength}
	}
	v := NHSNumber(digits[:])
	if v.isRepdigit() {
		return "", &NHSNumberError{Offset: -1, Err: ErrNHSNumberPlaceholder}
	}
	if !v.Valid() {
		return "", &NHSNumberError{Offset: -1, Err: ErrNHSNumberCheckDigit}
	}
	return v, nil
}

// checkDigit returns the modulus 11 check digit for the first nine digits
// of d, or 10 when no check digit exists for them (such numbers are never
// issued).
func checkDigit(d []byte) int {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check
}

// Valid reports whether n is exactly ten digits whose last digit is the
// modulus 11 check digit of the first nine.
func (n NHSNumber) Valid() bool {
	if len(n) != 10 {
		return false
	}
	for i := 0; i < 10; i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	check := checkDigit([]byte(n[:9]))
	return check != 10 && int(n[9]-'0') == check
}

func (n NHSNumber) isRepdigit() bool {
	for i := 1; i < len(n); i++ {
		if n[i] != n[0] {
			return false
		}
	}
	return len(n) > 0
}

// Plausible reports whether n is Valid and not ten identical digits, the
// placeholder values that pass the checksum but are never issued.
func (n NHSNumber) Plausible() bool { return n.Valid() && !n.isRepdigit() }

// Digits returns the whole number as ten digits ("9990000018"), the form
// FHIR identifiers, URLs and HL7 v2 fields carry.
func (n NHSNumber) Digits() string { return string(n) }

// Formatted returns the whole number in the 3-3-4 form people read
// ("999 000 0018"). A value that is not ten characters is returned
// unchanged.
func (n NHSNumber) Formatted() string {
	if len(n) != 10 {
		return string(n)
	}
	return string(n[:3]) + " " + string(n[3:6]) + " " + string(n[6:])
}

// Masked returns the number with all but the last four digits hidden
// ("*** *** 0018"). A value that is not ten characters masks completely.
func (n NHSNumber) Masked() string {
	if len(n) != 10 {
		return "*** *** ****"
	}
	return "*** *** " + string(n[6:])
}

// String returns [NHSNumber.Masked], so that a number printed by accident
// shows only its last four digits.
func (n NHSNumber) String() string { return n.Masked() }

// GoString returns the masked number as Go syntax, for %#v.
func (n NHSNumber) GoString() string {
	return "nhsid.NHSNumber(" + strconv.Quote(n.Masked()) + ")"
}

// Format implements [fmt.Formatter] so that every verb prints the masked
// form: %q quotes it, %#v gives [NHSNumber.GoString], and the rest
// (including %d and %x, which would otherwise print the digits) print it
// as %s would, honouring width and flags.
func (n NHSNumber) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(n.GoString()))
	case verb == 'q':
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, 'q'), n.Masked())
	default:
		format := fmt.FormatString(f, 's')
		// %#s is not a thing; keep the width and '-' flags only.
		format = strings.ReplaceAll(format, "#", "")
		_, _ = fmt.Fprintf(f, format, n.Masked())
	}
}

// LogValue implements [slog.LogValuer]: a logged NHSNumber shows only its
// last four digits.
func (n NHSNumber) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// IsTestRange reports whether n lies in 999 000 0000 – 999 999 9999, the
// range never issued to patients and used for testing.
func (n NHSNumber) IsTestRange() bool {
	return len(n) == 10 && strings.HasPrefix(string(n), "999")
}

// NewTestNHSNumber returns a random valid NHS number from the test range
// 999 000 0000 – 999 999 9999, using crypto/rand.
func NewTestNHSNumber() NHSNumber {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail on supported platforms.
		if n, ok := TestNHSNumber(binary.LittleEndian.Uint64(b[:]) % 1_000_000); ok {
			return n
		}
	}
}

// TestNHSNumber returns the NHS number made of 999, the six digits of seq
// (0 ≤ seq < 1,000,000) and the check digit, and false when those nine
// digits have no check digit (about one in eleven). Fakes and tests make
// deterministic numbers by iterating seq and skipping the false ones.
func TestNHSNumber(seq uint64) (NHSNumber, bool) {
	if seq >= 1_000_000 {
		return "", false
	}
	d := []byte("999" + fmt.Sprintf("%06d", seq) + "0")
	check := checkDigit(d)
	if check == 10 {
		return "", false
	}
	d[9] = byte('0' + check)
	return NHSNumber(d), true
}
