package nhsid

import (
	"errors"
	"fmt"
	"strings"
)

// Identifier system URIs for ODS codes in FHIR (UK Core).
const (
	ODSOrganizationCodeSystem = "https://fhir.nhs.uk/Id/ods-organization-code"
	ODSSiteCodeSystem         = "https://fhir.nhs.uk/Id/ods-site-code"
)

// ODSCode is an Organisation Data Service code: 1 to 9 upper-case letters
// and digits identifying an NHS organisation or site ("RRK" for a trust,
// "RRK01" for one of its sites, "A81001" for a GP practice).
type ODSCode string

// ErrODSCode is wrapped by every *ODSCodeError.
var ErrODSCode = errors.New("invalid ods code")

// ODSCodeError reports why a string is not an ODS code.
type ODSCodeError struct {
	// Offset is the byte offset of the offending character in the trimmed
	// input, or -1 when the length is wrong.
	Offset int
	// Len is the trimmed input's length.
	Len int
}

func (e *ODSCodeError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("nhsid: %v: character at offset %d is not a letter or digit", ErrODSCode, e.Offset)
	}
	return fmt.Sprintf("nhsid: %v: length %d, want 1 to 9", ErrODSCode, e.Len)
}

func (e *ODSCodeError) Unwrap() error { return ErrODSCode }

// ODSKind is a broad classification of an ODS code by its shape. Shapes
// overlap between code frames, so the kind is a hint: only the ODS itself
// knows what a code denotes.
type ODSKind int

// Kinds of ODS code, by shape.
const (
	ODSUnknown    ODSKind = iota
	ODSGPPractice         // a letter and five digits, e.g. A81001
	ODSTrust              // three characters starting with R or T, e.g. RRK
	ODSTrustSite          // a trust code and two more characters, e.g. RRK01
	ODSBranch             // a practice code and three digits, e.g. K81003001
	ODSPharmacy           // F and four characters, e.g. FVR79
)

// ParseODSCode trims white space from s, upper-cases it and checks that it
// is 1 to 9 letters and digits.
func ParseODSCode(s string) (ODSCode, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) == 0 || len(s) > 9 {
		return "", &ODSCodeError{Offset: -1, Len: len(s)}
	}
	for i := 0; i < len(s); i++ {
		if !isUpperAlnum(s[i]) {
			return "", &ODSCodeError{Offset: i, Len: len(s)}
		}
	}
	return ODSCode(s), nil
}

// Valid reports whether c is 1 to 9 upper-case letters and digits.
func (c ODSCode) Valid() bool {
	if len(c) == 0 || len(c) > 9 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isUpperAlnum(c[i]) {
			return false
		}
	}
	return true
}

// String returns the code as it is.
func (c ODSCode) String() string { return string(c) }

// Kind guesses what sort of organisation c identifies from its shape.
func (c ODSCode) Kind() ODSKind {
	if !c.Valid() {
		return ODSUnknown
	}
	switch {
	case len(c) == 6 && isLetter(c[0]) && allDigits(string(c[1:])):
		return ODSGPPractice
	case len(c) == 9 && isLetter(c[0]) && allDigits(string(c[1:])):
		return ODSBranch
	case len(c) == 5 && c[0] == 'F':
		return ODSPharmacy
	case len(c) == 3 && (c[0] == 'R' || c[0] == 'T'):
		return ODSTrust
	case len(c) == 5 && (c[0] == 'R' || c[0] == 'T'):
		return ODSTrustSite
	}
	return ODSUnknown
}

func isUpperAlnum(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') }
func isLetter(b byte) bool     { return b >= 'A' && b <= 'Z' }
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
