package fhir

import "github.com/nhskit/nhskit/nhsid"

// Identifier system URIs for NHS numbers and ODS codes in UK Core.
const (
	NHSNumberSystem           = nhsid.NHSNumberSystem
	ODSOrganizationCodeSystem = nhsid.ODSOrganizationCodeSystem
	ODSSiteCodeSystem         = nhsid.ODSSiteCodeSystem
)

// NHSNumber is [nhsid.NHSNumber]: ten digits with a modulus 11 check digit,
// printed masked.
type NHSNumber = nhsid.NHSNumber

// NHSNumberError is [nhsid.NHSNumberError].
type NHSNumberError = nhsid.NHSNumberError

// ODSCode is [nhsid.ODSCode].
type ODSCode = nhsid.ODSCode

// ODSKind is [nhsid.ODSKind].
type ODSKind = nhsid.ODSKind

// Kinds of ODS code, as in package nhsid.
const (
	ODSUnknown    = nhsid.ODSUnknown
	ODSGPPractice = nhsid.ODSGPPractice
	ODSTrust      = nhsid.ODSTrust
	ODSTrustSite  = nhsid.ODSTrustSite
	ODSBranch     = nhsid.ODSBranch
	ODSPharmacy   = nhsid.ODSPharmacy
)

// Errors of [ParseNHSNumber] and [ParseODSCode], as in package nhsid.
var (
	ErrNHSNumberLength      = nhsid.ErrNHSNumberLength
	ErrNHSNumberCharacter   = nhsid.ErrNHSNumberCharacter
	ErrNHSNumberCheckDigit  = nhsid.ErrNHSNumberCheckDigit
	ErrNHSNumberPlaceholder = nhsid.ErrNHSNumberPlaceholder
	ErrODSCode              = nhsid.ErrODSCode
)

// ParseNHSNumber calls [nhsid.ParseNHSNumber].
func ParseNHSNumber(s string) (NHSNumber, error) { return nhsid.ParseNHSNumber(s) }

// ParseODSCode calls [nhsid.ParseODSCode].
func ParseODSCode(s string) (ODSCode, error) { return nhsid.ParseODSCode(s) }

// TestNHSNumber calls [nhsid.TestNHSNumber].
func TestNHSNumber(seq uint64) (NHSNumber, bool) { return nhsid.TestNHSNumber(seq) }

// NewTestNHSNumber calls [nhsid.NewTestNHSNumber].
func NewTestNHSNumber() NHSNumber { return nhsid.NewTestNHSNumber() }
