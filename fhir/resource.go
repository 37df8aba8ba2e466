package fhir

//go:generate go run ./internal/gen -def internal/gen/r4.def -out .

import (
	"errors"
	"strconv"
	"strings"
)

// Resource is a FHIR resource: one of the generated resource types
// (*Patient, *Bundle, …) or a *RawResource for a type nhskit does not model.
type Resource interface {
	// ResourceType is the FHIR resource type name, e.g. "Patient".
	ResourceType() string
	resourceID() string
	resourceMeta() *Meta
	decodeJSON(d *decoder) error
	encodeJSON(e *encoder)
	validate(c *checker)
}

// ResourceID returns a resource's logical id ("" when it has none).
func ResourceID(r Resource) string { return r.resourceID() }

// Value is the value of a choice element (value[x], deceased[x], …): a
// pointer to a primitive (*String, *DateTime, …) or to a complex datatype
// (*Quantity, *CodeableConcept, …).
type Value interface {
	// TypeName is the FHIR type name: "string", "dateTime", "Quantity".
	TypeName() string
	isValue()
}

// Element is the id and extensions of a primitive value: what FHIR JSON
// writes in the property named with a leading underscore (_birthDate).
type Element struct {
	ID        string
	Extension []Extension
	Unknown   []RawField
}

func (el *Element) empty() bool {
	return el.ID == "" && len(el.Extension) == 0 && len(el.Unknown) == 0
}

// RawField is a JSON member that the model does not know, kept verbatim.
type RawField struct {
	Name  string
	Value []byte // the member's JSON value, as read
}

// RawResource is a resource of a type nhskit does not model, kept as its
// JSON so that it is written back unchanged. Validation reports it.
type RawResource struct {
	Type string
	JSON []byte
}

// ResourceType implements Resource.
func (r *RawResource) ResourceType() string { return r.Type }

// resourceMeta is nil: a raw resource's meta is not decoded.
func (r *RawResource) resourceMeta() *Meta { return nil }

func (r *RawResource) resourceID() string {
	d := newDecoder(r.JSON)
	if err := d.beginObject(); err != nil {
		return ""
	}
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil || !more {
			return ""
		}
		if string(key) == "id" {
			s, _ := d.nonEmptyStr()
			return s
		}
		if _, _, err := d.skipValue(); err != nil {
			return ""
		}
	}
}
func (r *RawResource) decodeJSON(d *decoder) error {
	start, end, err := d.skipValue()
	if err != nil {
		return err
	}
	r.JSON = []byte(d.str[start:end])
	return nil
}
func (r *RawResource) encodeJSON(e *encoder) {
	e.beforeValue()
	e.buf = append(e.buf, r.JSON...)
	e.comma = true
}
func (r *RawResource) validate(c *checker) {
	c.issue(SeverityError, IssueNotSupported, "resource type "+strconv.Quote(r.Type)+" is not one nhskit models; it was kept unchanged")
}

// Sentinel errors wrapped by *DecodeError.
var (
	ErrSyntax              = errors.New("invalid JSON")
	ErrType                = errors.New("wrong JSON type")
	ErrDuplicateKey        = errors.New("duplicate key")
	ErrEmptyValue          = errors.New("empty value")
	ErrTooDeep             = errors.New("nesting too deep")
	ErrUnknownResourceType = errors.New("unknown resourceType")
	ErrNoResourceType      = errors.New("missing resourceType")
	ErrChoice              = errors.New("conflicting choice types")
	ErrArrayLength         = errors.New("value and extension arrays differ in length")
)

// DecodeError reports where a FHIR JSON document is wrong: the element's
// path (Patient.name[0].given[1]) and the byte offset in the input.
type DecodeError struct {
	Path   string
	Offset int64
	Err    error
	segs   []string // path segments, innermost first, while unwinding
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("fhir: ")
	if p := e.path(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	b.WriteString(" at offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }

func (e *DecodeError) path() string {
	if e.Path != "" || len(e.segs) == 0 {
		return e.Path
	}
	var b strings.Builder
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
	}
	return b.String()
}

func (e *DecodeError) finish(root string) {
	if e.Path == "" {
		e.Path = root + e.path()
		e.segs = nil
	}
}

func atKey(err error, key []byte) error {
	if de, ok := err.(*DecodeError); ok {
		de.segs = append(de.segs, "."+string(key))
	}
	return err
}

func atIndex(err error, i int) error {
	if de, ok := err.(*DecodeError); ok {
		de.segs = append(de.segs, "["+strconv.Itoa(i)+"]")
	}
	return err
}
