package ers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/fhir/stu3"
)

// e-RS speaks FHIR STU3 (package fhir/stu3) on its /STU3 endpoints and R4
// (package fhir) on /R4. What is sent is built from those models and what
// is read is decoded by them (lossless: members the models do not know are
// kept). The helpers below read the few members the client needs and
// handle e-RS's documented departures from FHIR's JSON.

// decodeSTU3 decodes an STU3 answer, normalised (see normalise), that
// must be a resource of type P.
func decodeSTU3[P stu3.Resource](b []byte, what string) (P, error) {
	var zero P
	b, err := normalise(b, participantType)
	if err != nil {
		return zero, err
	}
	r, err := stu3.Unmarshal(b)
	if err != nil {
		return zero, fmt.Errorf("ers: decoding the %s: %w", what, err)
	}
	p, ok := r.(P)
	if !ok {
		return zero, fmt.Errorf("ers: answer is a %q, not a %s", r.ResourceType(), what)
	}
	return p, nil
}

// decodeR4 decodes an R4 answer, normalised with the single-object
// members wrap (see normalise), that must be a resource of type P.
func decodeR4[P fhir.Resource](b []byte, what string, wrap *single) (P, error) {
	var zero P
	b, err := normalise(b, wrap)
	if err != nil {
		return zero, err
	}
	r, err := fhir.Unmarshal(b)
	if err != nil {
		return zero, fmt.Errorf("ers: decoding the %s: %w", what, err)
	}
	p, ok := r.(P)
	if !ok {
		return zero, fmt.Errorf("ers: answer is a %q, not a %s", r.ResourceType(), what)
	}
	return p, nil
}

// findExt returns the first (sub-)extension whose url is url or ends with
// "/"+url.
func findExt(exts []stu3.Extension, url string) *stu3.Extension {
	for i := range exts {
		u := exts[i].URL.Value
		if u == url || strings.HasSuffix(u, "/"+url) {
			return &exts[i]
		}
	}
	return nil
}

// extStr returns an extension's value as text: a string or code, a
// coding's or a concept's first code, an identifier's value or a
// reference's identifier value, a date or dateTime.
func extStr(e *stu3.Extension) string {
	if e == nil {
		return ""
	}
	switch v := e.Value.(type) {
	case *stu3.String:
		return v.Value
	case *stu3.Code:
		return v.Value
	case *stu3.Coding:
		return v.Code.Value
	case *stu3.CodeableConcept:
		return firstCode(v)
	case *stu3.Identifier:
		return v.Value.Value
	case *stu3.Reference:
		if v.Identifier != nil {
			return v.Identifier.Value.Value
		}
	case *stu3.DateTime:
		return v.Value
	case *stu3.Date:
		return v.Value
	}
	return ""
}

// extBool returns an extension's valueBoolean and whether it has one.
func extBool(e *stu3.Extension) (bool, bool) {
	if e == nil {
		return false, false
	}
	if b, ok := e.Value.(*stu3.Boolean); ok && b.Set {
		return b.Value, true
	}
	return false, false
}

// extRef returns an extension's valueReference, or nil.
func extRef(e *stu3.Extension) *stu3.Reference {
	if e == nil {
		return nil
	}
	r, _ := e.Value.(*stu3.Reference)
	return r
}

// firstCode returns the first coding's code.
func firstCode(c *stu3.CodeableConcept) string {
	if c == nil || len(c.Coding) == 0 {
		return ""
	}
	return c.Coding[0].Code.Value
}

// firstCodeR4 is firstCode of an R4 concept.
func firstCodeR4(c *fhir.CodeableConcept) string {
	if c == nil || len(c.Coding) == 0 {
		return ""
	}
	return c.Coding[0].Code.Value
}

// refIdent returns the value of a reference's identifier.
func refIdent(r *stu3.Reference) string {
	if r == nil || r.Identifier == nil {
		return ""
	}
	return r.Identifier.Value.Value
}

// refIdentR4 is refIdent of an R4 reference.
func refIdentR4(r *fhir.Reference) string {
	if r == nil || r.Identifier == nil {
		return ""
	}
	return r.Identifier.Value.Value
}

func coding(system, code string) *stu3.Coding {
	return &stu3.Coding{System: stu3.URI{Value: system}, Code: stu3.Code{Value: code}}
}

func concept(system, code string) *stu3.CodeableConcept {
	return &stu3.CodeableConcept{Coding: []stu3.Coding{*coding(system, code)}}
}

func ident(system, value string) *stu3.Identifier {
	return &stu3.Identifier{System: stu3.URI{Value: system}, Value: stu3.String{Value: value}}
}

func identRef(system, value string) *stu3.Reference {
	return &stu3.Reference{Identifier: ident(system, value)}
}

func literalRef(ref string) stu3.Reference { return stu3.Reference{Reference: stu3.String{Value: ref}} }

func meta(profiles ...string) *stu3.Meta {
	m := &stu3.Meta{}
	for _, p := range profiles {
		m.Profile = append(m.Profile, stu3.URI{Value: p})
	}
	return m
}

// newParameters starts a Parameters resource of an e-RS profile.
func newParameters(profile string) *stu3.Parameters {
	return &stu3.Parameters{Meta: meta(profile)}
}

// param is one parameter with a value (a *stu3.Coding, *stu3.Identifier,
// *stu3.String, …) or, when v is a stu3.Resource, a resource.
func param(name string, v any) stu3.ParametersParameter {
	p := stu3.ParametersParameter{Name: stu3.String{Value: name}}
	switch x := v.(type) {
	case stu3.Resource:
		p.Resource = x
	case stu3.Value:
		p.Value = x
	}
	return p
}

func strValue(s string) *stu3.String { return &stu3.String{Value: s} }

func uintValue(n int) *stu3.UnsignedInt { return &stu3.UnsignedInt{Value: int64(n), Set: true} }

func boolValue(b bool) *stu3.Boolean { return &stu3.Boolean{Value: b, Set: true} }

// paramNamed returns the first parameter named name, or nil.
func paramNamed(p *stu3.Parameters, name string) *stu3.ParametersParameter {
	for i := range p.Parameter {
		if p.Parameter[i].Name.Value == name {
			return &p.Parameter[i]
		}
	}
	return nil
}

// encodeSTU3 writes a resource as FHIR JSON.
func encodeSTU3(ep Endpoint, r stu3.Resource) ([]byte, error) {
	b, err := stu3.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("ers: %s: encoding: %w", ep.ID, err)
	}
	return b, nil
}

// e-RS departs from FHIR's JSON in two ways that its own answers show:
// some members that FHIR makes arrays arrive as one object (the
// specification's known issues: Appointment.participant.type, A016, also
// inside referrals; HealthcareService.type, A033; Practitioner.identifier,
// A040), and some primitive values arrive as empty strings, which FHIR
// forbids (e.g. A010's serviceName extension). FHIR's models are strict, so
// normalise rewrites an answer before it is decoded: such an object
// becomes a one-element array, and a member whose value is "" is dropped
// (read as absent). Everything else is kept byte for byte; the answer as
// e-RS sent it stays in the Raw fields. Before sending, unwrapSingle turns
// a one-element array back into the object e-RS expects.

// single names members that arrive as one object where FHIR has an array:
// key in an object that sits in the member parent ("" for the root).
type single struct{ parent, key string }

func (s *single) is(parent, key string) bool {
	return s != nil && s.parent == parent && s.key == key
}

// participantType is Appointment.participant.type, wherever the
// Appointment is (an answer, a contained resource, a parameter).
var participantType = &single{"participant", "type"}

// normalise rewrites an answer as described above. Most answers need
// nothing: a scan for an empty string value or an object at key finds
// them, and they are returned as they are.
func normalise(data []byte, wrap *single) ([]byte, error) {
	if !hasEmptyString(data) && (wrap == nil || !hasObjectAt(data, wrap.key)) {
		return data, nil
	}
	out, err := walk(data, "", true, func(parent, key string, v []byte) []byte {
		if !wrap.is(parent, key) || v[0] != '{' {
			return v
		}
		return append(append([]byte{'['}, v...), ']')
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("ers: decoding the answer: %w", err)
	}
	return out, nil
}

// hasEmptyString reports whether data may hold a member whose value is
// "" (a colon, blanks, then ""); false means it certainly does not.
func hasEmptyString(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(`""`))
		if j < 0 {
			return false
		}
		k := i + j - 1
		for k >= 0 && isBlank(data[k]) {
			k--
		}
		if k >= 0 && data[k] == ':' {
			return true
		}
		i += j + 2
	}
}

// hasObjectAt reports whether data may hold a member named key whose value
// is an object; false means it certainly does not (a name written with
// escapes is not seen, and the decoder then refuses the object).
func hasObjectAt(data []byte, key string) bool {
	name := []byte(`"` + key + `"`)
	for i := 0; ; {
		j := bytes.Index(data[i:], name)
		if j < 0 {
			return false
		}
		k := i + j + len(name)
		for k < len(data) && isBlank(data[k]) {
			k++
		}
		if k < len(data) && data[k] == ':' {
			k++
			for k < len(data) && isBlank(data[k]) {
				k++
			}
			if k < len(data) && data[k] == '{' {
				return true
			}
		}
		i += j + len(name)
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// unwrapSingle turns each one-element array of an object at a member that
// unwrap names into the object.
func unwrapSingle(data []byte, unwrap *single) ([]byte, error) {
	return walk(data, "", false, func(parent, key string, v []byte) []byte {
		if !unwrap.is(parent, key) || v[0] != '[' {
			return v
		}
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) != nil || len(elems) != 1 {
			return v
		}
		if e := bytes.TrimSpace(elems[0]); len(e) > 0 && e[0] == '{' {
			return e
		}
		return v
	}, 0)
}

// maxWalkDepth bounds the nesting walk follows; deeper input is left as
// it is for the decoder, whose own limit is lower, to refuse.
const maxWalkDepth = 128

// walk copies a JSON value, member order and bytes kept, except that each
// object member's value (already walked, trimmed) goes through fix, and,
// with dropEmpty, members whose value is "" are left out.
func walk(data []byte, parent string, dropEmpty bool, fix func(parent, key string, v []byte) []byte, depth int) ([]byte, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || depth > maxWalkDepth {
		return data, nil
	}
	switch t[0] {
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(t, &elems); err != nil {
			return nil, err
		}
		out := []byte{'['}
		for i, e := range elems {
			if i > 0 {
				out = append(out, ',')
			}
			r, err := walk(e, parent, dropEmpty, fix, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, r...)
		}
		return append(out, ']'), nil
	case '{':
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		out := []byte{'{'}
		for n := 0; dec.More(); {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, ok := tok.(string)
			if !ok {
				return nil, fmt.Errorf("object key is not a string")
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			if dropEmpty && string(v) == `""` {
				continue
			}
			val, err := walk(v, key, dropEmpty, fix, depth+1)
			if err != nil {
				return nil, err
			}
			if val = bytes.TrimSpace(val); len(val) > 0 {
				val = fix(parent, key, val)
			}
			if n > 0 {
				out = append(out, ',')
			}
			n++
			kb, _ := json.Marshal(key)
			out = append(append(append(out, kb...), ':'), val...)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		if dec.InputOffset() != int64(len(t)) {
			return nil, fmt.Errorf("data after the object at offset %d", dec.InputOffset())
		}
		return append(out, '}'), nil
	}
	return data, nil
}
