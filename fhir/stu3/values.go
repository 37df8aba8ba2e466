package stu3

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Conversions between the generated primitives and Go values, and small
// readers of references, bundles and parameters, for code that builds or
// reads STU3 resources by hand (spine/gpconnect and its fake).

// ErrInstant is returned by Instant.Time for a value that is not an STU3
// instant: a full date and time to the second, fractions optional, with Z
// or an offset (https://hl7.org/fhir/STU3/datatypes.html#instant).
var ErrInstant = errors.New("stu3: not an instant (YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm)")

// InstantOf makes an Instant from t, in t's zone, with milliseconds when
// t has a fraction of a second.
func InstantOf(t time.Time) Instant {
	if t.Nanosecond() != 0 {
		return Instant{Value: t.Format("2006-01-02T15:04:05.000Z07:00")}
	}
	return Instant{Value: t.Format(time.RFC3339)}
}

// Time parses the instant.
func (p *Instant) Time() (time.Time, error) {
	v := p.Value
	// time.RFC3339Nano also accepts a lower-case t and z and an hour of
	// 24, which FHIR does not.
	if len(v) < len("2006-01-02T15:04:05Z") || v[10] != 'T' || strings.ContainsRune(v, 'z') {
		return time.Time{}, ErrInstant
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, ErrInstant
	}
	return t, nil
}

// DateTimeOf makes a DateTime from t, to the second, in t's zone.
func DateTimeOf(t time.Time) DateTime { return DateTime{Value: t.Format(time.RFC3339)} }

// DateOf makes a Date from t's calendar day.
func DateOf(t time.Time) Date { return Date{Value: t.Format(time.DateOnly)} }

// DecimalOfFloat makes a Decimal from f, in the shortest form that reads
// back as f.
func DecimalOfFloat(f float64) Decimal { return Decimal{Raw: strconv.FormatFloat(f, 'f', -1, 64)} }

// Float64 converts the decimal to the nearest float64; an absent decimal
// is an error.
func (d *Decimal) Float64() (float64, error) {
	if d.Raw == "" {
		return 0, errors.New("stu3: empty decimal")
	}
	return strconv.ParseFloat(d.Raw, 64)
}

// Strings makes a []String of ss (nil for none).
func Strings(ss ...string) []String {
	if len(ss) == 0 {
		return nil
	}
	out := make([]String, len(ss))
	for i, s := range ss {
		out[i].Value = s
	}
	return out
}

// NewReference makes the relative reference "resourceType/id".
func NewReference(resourceType, id string) *Reference {
	return &Reference{Reference: String{Value: resourceType + "/" + id}}
}

// Target reads the resource type and logical id a literal reference points
// at: "Slot/123", an absolute URL ending in "/Slot/123", either followed
// by "/_history/version". A contained ("#1") or logical reference, or a
// nil r, gives "", "".
func (r *Reference) Target() (resourceType, id string) {
	if r == nil {
		return "", ""
	}
	ref := r.Reference.Value
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	ref = strings.TrimSuffix(ref, "/")
	slash := strings.LastIndexByte(ref, '/')
	if slash <= 0 || slash == len(ref)-1 {
		return "", ""
	}
	id = ref[slash+1:]
	resourceType = ref[:slash]
	if j := strings.LastIndexByte(resourceType, '/'); j >= 0 {
		resourceType = resourceType[j+1:]
	}
	if resourceType == "" {
		return "", ""
	}
	return resourceType, id
}

// TargetID returns the logical id r points at when it points at a
// resourceType, else "".
func (r *Reference) TargetID(resourceType string) string {
	if t, id := r.Target(); t == resourceType {
		return id
	}
	return ""
}

// Resources returns the entries of b whose resource is a T, in order.
//
//	slots := stu3.Resources[*stu3.Slot](bundle)
func Resources[T Resource](b *Bundle) []T {
	if b == nil {
		return nil
	}
	var out []T
	for _, e := range b.Entry {
		if r, ok := e.Resource.(T); ok {
			out = append(out, r)
		}
	}
	return out
}

// Get returns the first top-level parameter called name, or nil.
func (p *Parameters) Get(name string) *ParametersParameter {
	for i := range p.Parameter {
		if p.Parameter[i].Name.Value == name {
			return &p.Parameter[i]
		}
	}
	return nil
}

// PartNamed returns the first part called name, or nil.
func (p *ParametersParameter) PartNamed(name string) *ParametersParameter {
	for i := range p.Part {
		if p.Part[i].Name.Value == name {
			return &p.Part[i]
		}
	}
	return nil
}

// Data decodes the Binary's base64 content.
func (b *Binary) Data() ([]byte, error) { return base64.StdEncoding.DecodeString(b.Content.Value) }

// SetData sets the Binary's content to data, base64-encoded.
func (b *Binary) SetData(data []byte) { b.Content.Value = base64.StdEncoding.EncodeToString(data) }
