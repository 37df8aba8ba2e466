package fhir

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// NHSNumberSystem is the identifier system URI for NHS numbers in UK Core.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// ODSOrganizationCodeSystem is the identifier system URI for ODS
// organisation codes in UK Core.
const ODSOrganizationCodeSystem = "https://fhir.nhs.uk/Id/ods-organization-code"

// ODSSiteCodeSystem is the identifier system URI for ODS site codes.
const ODSSiteCodeSystem = "https://fhir.nhs.uk/Id/ods-site-code"

// NHSNumber is a ten-digit NHS number held in its canonical form: ten ASCII
// digits with no spaces. Use [ParseNHSNumber] to accept the spaced or
// hyphenated forms people type. The zero value is not valid.
//
// NHSNumber implements [slog.LogValuer] and [fmt.Formatter]-free masking via
// [NHSNumber.Masked]: log the value itself and only the last four digits
// appear.
type NHSNumber string

// Errors returned by [ParseNHSNumber], wrapped in a *NHSNumberError.
var (
	ErrNHSNumberLength     = errors.New("nhs number must have 10 digits")
	ErrNHSNumberCharacter  = errors.New("nhs number contains a character that is not a digit")
	ErrNHSNumberCheckDigit = errors.New("nhs number check digit does not match (modulus 11)")
	// ErrNHSNumberPlaceholder reports ten identical digits. Every such
	// number passes modulus 11 (the weights sum to 54, and 54 ≡ -1 mod 11,
	// so the check digit equals the repeated digit), which is why legacy
	// systems use 0000000000 or 9999999999 as "unknown"; none is a patient.
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
		return fmt.Sprintf("fhir: %v at offset %d", e.Err, e.Offset)
	}
	return "fhir: " + e.Err.Error()
}

func (e *NHSNumberError) Unwrap() error { return e.Err }

// ParseNHSNumber accepts an NHS number written as ten digits, in 3-3-4 groups
// separated by single spaces ("943 476 5919") or hyphens ("943-476-5919"),
// with surrounding white space ignored, and returns it in canonical form. It
// checks the modulus 11 check digit and rejects the ten-identical-digit
// placeholders (see [ErrNHSNumberPlaceholder]).
func ParseNHSNumber(s string) (NHSNumber, error) {
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
			// Separators are allowed only between the 3-3-4 groups, and
			// one kind throughout.
			if (n != 3 && n != 6) || (sep != 0 && sep != c) || (i > 0 && (s[i-1] == ' ' || s[i-1] == '-')) {
				return "", &NHSNumberError{Offset: i, Err: ErrNHSNumberCharacter}
			}
			sep = c
		default:
			return "", &NHSNumberError{Offset: i, Err: ErrNHSNumberCharacter}
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

// nhsCheckDigit returns the modulus 11 check digit for the first nine
// digits of d, or 10 when no check digit exists for them (such numbers are
// never issued).
func nhsCheckDigit(d []byte) int {
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
	check := nhsCheckDigit([]byte(n[:9]))
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

// String returns the number in the 3-3-4 form people read ("943 476 5919").
// A value that is not ten characters is returned unchanged. String shows
// the whole number: use [NHSNumber.Masked] wherever it might be logged.
func (n NHSNumber) String() string {
	if len(n) != 10 {
		return string(n)
	}
	return string(n[:3]) + " " + string(n[3:6]) + " " + string(n[6:])
}

// Masked returns the number with all but the last four digits hidden
// ("*** *** 5919"), the form logs and errors use. A value that is not ten
// characters masks completely.
func (n NHSNumber) Masked() string {
	if len(n) != 10 {
		return "*** *** ****"
	}
	return "*** *** " + string(n[6:])
}

// LogValue implements [slog.LogValuer] so that logging an NHSNumber never
// reveals more than its last four digits.
func (n NHSNumber) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// IsTestRange reports whether n lies in 999 000 0000 – 999 999 9999, the
// range that is never issued to real patients and is used for testing.
func (n NHSNumber) IsTestRange() bool {
	return len(n) == 10 && strings.HasPrefix(string(n), "999")
}

// NewTestNHSNumber returns a random valid NHS number from the never-issued
// test range 999 000 0000 – 999 999 9999, using crypto/rand.
func NewTestNHSNumber() NHSNumber {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
		if n, ok := TestNHSNumber(binary.LittleEndian.Uint64(b[:]) % 1_000_000); ok {
			return n
		}
	}
}

// TestNHSNumber returns the NHS number 999 followed by the six digits of
// seq (0 ≤ seq < 1,000,000) and the check digit, and false when those nine
// digits have no check digit (about one sequence in eleven). It lets fakes
// and tests make deterministic numbers: iterate seq and skip the false ones.
func TestNHSNumber(seq uint64) (NHSNumber, bool) {
	if seq >= 1_000_000 {
		return "", false
	}
	d := []byte(fmt.Sprintf("999%06d0", seq))
	check := nhsCheckDigit(d)
	if check == 10 {
		return "", false
	}
	d[9] = byte('0' + check)
	return NHSNumber(d), true
}
