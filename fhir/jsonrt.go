package fhir

import "github.com/nhskit/nhskit/fhir/internal/fhirjson"

// The JSON runtime is shared with package fhir/stu3 through
// fhir/internal/fhirjson; these names keep this package's API and code as
// they were.

type (
	decoder = fhirjson.Decoder
	encoder = fhirjson.Encoder
	xmlMark = fhirjson.Mark

	// DecodeError reports where a FHIR JSON document is wrong: the
	// element's path (Patient.name[0].given[1]) and the byte offset in the
	// input.
	DecodeError = fhirjson.DecodeError

	// RawField is a JSON member that the model does not know, kept
	// verbatim.
	RawField = fhirjson.RawField

	// XHTMLError says where a narrative div is wrong, by line and column
	// (1-based, columns in bytes) inside the div's own text.
	XHTMLError = fhirjson.XHTMLError
)

// Sentinel errors wrapped by *DecodeError.
var (
	ErrSyntax              = fhirjson.ErrSyntax
	ErrType                = fhirjson.ErrType
	ErrDuplicateKey        = fhirjson.ErrDuplicateKey
	ErrEmptyValue          = fhirjson.ErrEmptyValue
	ErrTooDeep             = fhirjson.ErrTooDeep
	ErrUnknownResourceType = fhirjson.ErrUnknownResourceType
	ErrNoResourceType      = fhirjson.ErrNoResourceType
	ErrChoice              = fhirjson.ErrChoice
	ErrArrayLength         = fhirjson.ErrArrayLength
	// ErrElementName is wrapped by a *DecodeError for a member name that
	// cannot name an element (empty, or characters outside letters,
	// digits, _, - and .).
	ErrElementName = fhirjson.ErrElementName
)

// ErrXHTML is wrapped by *XHTMLError: a narrative div that is not the
// restricted XHTML FHIR allows.
var ErrXHTML = fhirjson.ErrXHTML

const (
	// MaxDepth is how deeply JSON objects and arrays may nest.
	MaxDepth = fhirjson.MaxDepth
	// MaxXHTMLDepth bounds how deeply the elements of a narrative div nest.
	MaxXHTMLDepth = fhirjson.MaxXHTMLDepth

	utf8BOM = fhirjson.UTF8BOM
	xhtmlNS = fhirjson.XHTMLNamespace
)

func newDecoder(data []byte) *decoder               { return fhirjson.NewDecoder(data) }
func errorf(s error, format string, a ...any) error { return fhirjson.Errorf(s, format, a...) }
func atKey(err error, key []byte) error             { return fhirjson.AtKey(err, key) }
func atIndex(err error, i int) error                { return fhirjson.AtIndex(err, i) }
func finish(err error, root string) error           { return fhirjson.Finish(err, root) }
func markSeen(seen []uint64, i int) bool            { return fhirjson.MarkSeen(seen, i) }
func clip(s string) string                          { return fhirjson.Clip(s) }
func tokenName(c byte) string                       { return fhirjson.TokenName(c) }
func needsEscape(s string) bool                     { return fhirjson.NeedsEscape(s) }

// checkNarrativeXHTML checks a narrative div: one well-formed div element
// in the XHTML namespace, allowed elements and attributes only, no script
// URLs, nesting bounded, characters XML can carry.
func checkNarrativeXHTML(s string) error { return fhirjson.CheckXHTML(s) }
