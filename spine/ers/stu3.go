package ers

import (
	"encoding/json"
	"strings"
)

// The minimal STU3 (CareConnect / eRS profile) structures this client
// sends and reads. Only the members e-RS uses are modelled; whole answers
// are kept as Raw on the types built from them.

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// code returns the first coding's code.
func (c *CodeableConcept) code() string {
	if c == nil || len(c.Coding) == 0 {
		return ""
	}
	return c.Coding[0].Code
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Reference is a FHIR Reference: a literal reference or a logical one by
// identifier.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Meta is a resource's meta.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

// Extension is a FHIR extension with the value types e-RS uses.
type Extension struct {
	URL                  string           `json:"url"`
	Extension            []Extension      `json:"extension,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueString          *string          `json:"valueString,omitempty"`
	ValueUnsignedInt     *int             `json:"valueUnsignedInt,omitempty"`
	ValueDate            string           `json:"valueDate,omitempty"`
	ValueDateTime        string           `json:"valueDateTime,omitempty"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueIdentifier      *Identifier      `json:"valueIdentifier,omitempty"`
}

// find returns the first (sub-)extension whose url is url or ends with
// "/"+url.
func findExt(exts []Extension, url string) *Extension {
	for i := range exts {
		u := exts[i].URL
		if u == url || strings.HasSuffix(u, "/"+url) {
			return &exts[i]
		}
	}
	return nil
}

// str returns an extension's value as text: a string, a code, a
// concept's first code or a reference's identifier value.
func (e *Extension) str() string {
	switch {
	case e == nil:
		return ""
	case e.ValueString != nil:
		return *e.ValueString
	case e.ValueCoding != nil:
		return e.ValueCoding.Code
	case e.ValueCodeableConcept != nil:
		return e.ValueCodeableConcept.code()
	case e.ValueIdentifier != nil:
		return e.ValueIdentifier.Value
	case e.ValueReference != nil && e.ValueReference.Identifier != nil:
		return e.ValueReference.Identifier.Value
	case e.ValueDateTime != "":
		return e.ValueDateTime
	case e.ValueDate != "":
		return e.ValueDate
	}
	return ""
}

// Parameter is one parameter of a FHIR Parameters resource.
type Parameter struct {
	Name                 string           `json:"name"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueIdentifier      *Identifier      `json:"valueIdentifier,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueUnsignedInt     *int             `json:"valueUnsignedInt,omitempty"`
	ValueString          *string          `json:"valueString,omitempty"`
	ValueInstant         string           `json:"valueInstant,omitempty"`
	ValueDateTime        string           `json:"valueDateTime,omitempty"`
	Resource             json.RawMessage  `json:"resource,omitempty"`
}

// Parameters is a FHIR Parameters resource.
type Parameters struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id,omitempty"`
	Meta         *Meta       `json:"meta,omitempty"`
	Parameter    []Parameter `json:"parameter"`
}

func newParameters(profile string) *Parameters {
	return &Parameters{ResourceType: "Parameters", Meta: &Meta{Profile: []string{profile}}, Parameter: []Parameter{}}
}

// Participant is an Appointment participant. Type is read as one object or
// an array: e-RS maps Appointment.participant.type as a single object
// (a documented known issue of A016), where FHIR has an array.
type Participant struct {
	Type   OneOrMany[CodeableConcept] `json:"type,omitzero"`
	Actor  *Reference                 `json:"actor,omitempty"`
	Status string                     `json:"status,omitempty"`
}

// OneOrMany decodes a JSON value that should be an array but that e-RS
// sometimes sends as one object, and encodes as it was read (an object
// when it held one decoded from an object).
type OneOrMany[T any] struct {
	Items  []T
	single bool
}

// Single holds one value encoded as a JSON object, the shape e-RS
// expects where it departs from FHIR's array.
func Single[T any](v T) OneOrMany[T] { return OneOrMany[T]{Items: []T{v}, single: true} }

// IsZero reports an empty value, for omitzero.
func (o OneOrMany[T]) IsZero() bool { return len(o.Items) == 0 }

// UnmarshalJSON implements json.Unmarshaler.
func (o *OneOrMany[T]) UnmarshalJSON(b []byte) error {
	t := strings.TrimLeft(string(b), " \t\r\n")
	if strings.HasPrefix(t, "[") {
		o.single = false
		return json.Unmarshal(b, &o.Items)
	}
	if t == "null" {
		o.Items = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Items, o.single = []T{v}, true
	return nil
}

// MarshalJSON implements json.Marshaler.
func (o OneOrMany[T]) MarshalJSON() ([]byte, error) {
	if o.single && len(o.Items) == 1 {
		return json.Marshal(o.Items[0])
	}
	if o.Items == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(o.Items)
}

// Appointment is an eRS-Appointment-1 (STU3).
type Appointment struct {
	ResourceType     string            `json:"resourceType"`
	ID               string            `json:"id,omitempty"`
	Meta             *Meta             `json:"meta,omitempty"`
	Language         string            `json:"language,omitempty"`
	Status           string            `json:"status"`
	Reason           []CodeableConcept `json:"reason,omitempty"`
	Description      string            `json:"description,omitempty"`
	Start            string            `json:"start,omitempty"`
	End              string            `json:"end,omitempty"`
	Created          string            `json:"created,omitempty"`
	Slot             []Reference       `json:"slot,omitempty"`
	Comment          string            `json:"comment,omitempty"`
	IncomingReferral []Reference       `json:"incomingReferral,omitempty"`
	Participant      []Participant     `json:"participant,omitempty"`
}

// Bundle is a STU3 or R4 Bundle, entries kept raw.
type Bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type,omitempty"`
	Total        *int   `json:"total,omitempty"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link,omitempty"`
	Entry []struct {
		FullURL  string          `json:"fullUrl,omitempty"`
		Resource json.RawMessage `json:"resource"`
	} `json:"entry,omitempty"`
}

// List is a STU3 List (shortlists, service search results, worklists).
type List struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Extension    []Extension       `json:"extension,omitempty"`
	Contained    []json.RawMessage `json:"contained,omitempty"`
	Status       string            `json:"status,omitempty"`
	Mode         string            `json:"mode,omitempty"`
	Entry        []ListEntry       `json:"entry,omitempty"`
}

// ListEntry is one entry of a List.
type ListEntry struct {
	Extension []Extension `json:"extension,omitempty"`
	Item      ListItem    `json:"item"`
}

// ListItem is a List entry's item: a Reference that may carry extensions.
type ListItem struct {
	Extension  []Extension `json:"extension,omitempty"`
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}
