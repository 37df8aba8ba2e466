package fhir

//go:generate go run ./internal/gen -def internal/gen/r4.def -out .

import (
	"strconv"
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
	if err := d.BeginObject(); err != nil {
		return ""
	}
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil || !more {
			return ""
		}
		if string(key) == "id" {
			s, _ := d.NonEmptyStr()
			return s
		}
		if _, _, err := d.SkipValue(); err != nil {
			return ""
		}
	}
}
func (r *RawResource) decodeJSON(d *decoder) error {
	start, end, err := d.SkipValue()
	if err != nil {
		return err
	}
	r.JSON = []byte(d.Slice(start, end))
	return nil
}
func (r *RawResource) encodeJSON(e *encoder) {
	e.BeforeValue()
	e.Buf = append(e.Buf, r.JSON...)
	e.Comma = true
}
func (r *RawResource) validate(c *checker) {
	c.issue(SeverityError, IssueNotSupported, "resource type "+strconv.Quote(r.Type)+" is not one nhskit models; it was kept unchanged")
}
