package fhir

import (
	"errors"
	"github.com/nhskit/nhskit/fhir/internal/fhirjson"
	"sync"
)

// Unmarshal decodes one FHIR JSON resource, dispatching on its
// resourceType. Strings in the result share one copy of data, which the
// caller may reuse afterwards.
func Unmarshal(data []byte) (Resource, error) {
	d := newDecoder(data)
	r, err := decodeTop(d)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func decodeTop(d *decoder) (Resource, error) {
	typ, err := d.PeekResourceType()
	if err != nil {
		return nil, finish(err, "")
	}
	r := newResource(typ)
	if r == nil {
		return nil, finish(d.Fail(errorf(ErrUnknownResourceType, "unknown resourceType %q", typ)), "")
	}
	if err := r.decodeJSON(d); err != nil {
		return nil, finish(err, typ)
	}
	if err := d.End(); err != nil {
		return nil, finish(err, typ)
	}
	return r, nil
}

// UnmarshalInto decodes FHIR JSON into a resource of a known type.
func UnmarshalInto(data []byte, r Resource) error {
	d := newDecoder(data)
	if err := r.decodeJSON(d); err != nil {
		return finish(err, r.ResourceType())
	}
	return finish(d.End(), r.ResourceType())
}

// Marshal writes a resource as FHIR JSON: resourceType first, elements in
// the specification's order, no empty objects or arrays.
func Marshal(r Resource) ([]byte, error) {
	if r == nil {
		return nil, errors.New("fhir: marshal of a nil resource")
	}
	e := encoders.Get().(*encoder)
	e.Reset(e.Buf[:0])
	r.encodeJSON(e)
	out := make([]byte, len(e.Buf))
	copy(out, e.Buf)
	if cap(e.Buf) <= 1<<20 { // keep small buffers only
		encoders.Put(e)
	}
	return out, nil
}

var encoders = sync.Pool{New: func() any { return fhirjson.NewEncoder(make([]byte, 0, 8192)) }}

// AppendJSON appends a resource's JSON to buf.
func AppendJSON(buf []byte, r Resource) []byte {
	e := fhirjson.NewEncoder(buf)
	r.encodeJSON(e)
	return e.Buf
}

func decodeResource(d *decoder) (Resource, error) {
	typ, err := d.PeekResourceType()
	if err != nil {
		return nil, err
	}
	r := newResource(typ)
	if r == nil {
		r = &RawResource{Type: typ}
	}
	if err := r.decodeJSON(d); err != nil {
		return nil, err
	}
	return r, nil
}

func decodeResources(d *decoder, dst *[]Resource) error {
	if err := d.BeginArray(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := d.NextElem(i == 0)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		r, err := decodeResource(d)
		if err != nil {
			return atIndex(err, i)
		}
		*dst = append(*dst, r)
	}
}

type jsonObject[T any] interface {
	*T
	decodeJSON(d *decoder) error
	encodeJSON(e *encoder)
}

func decodeSlice[T any, P jsonObject[T]](d *decoder, dst *[]T) error {
	if err := d.BeginArray(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := d.NextElem(i == 0)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		var zero T
		*dst = append(*dst, zero)
		if err := P(&(*dst)[len(*dst)-1]).decodeJSON(d); err != nil {
			return atIndex(err, i)
		}
	}
}

func encodeSlice[T any, P jsonObject[T]](e *encoder, s []T) {
	e.OpenArray()
	for i := range s {
		P(&s[i]).encodeJSON(e)
	}
	e.CloseArray()
}

type primitive interface {
	hasValue() bool
	present() bool
	encodeValue(e *encoder)
	decodeValue(d *decoder) error
	elem() **Element
	check() string
	TypeName() string
}

type primPtr[T any] interface {
	*T
	primitive
}

func decodeElem(d *decoder, dst **Element) error {
	el := new(Element)
	if err := el.decodeJSON(d); err != nil {
		return err
	}
	*dst = el
	return nil
}

// decodePrimSlice reads the values array of a repeating primitive; the
// _name array, read before or after, must have the same length.
func decodePrimSlice[T any, P primPtr[T]](d *decoder, dst *[]T) error {
	return decodeAligned(d, dst, func(p P) error { return p.decodeValue(d) })
}

// decodeElemSlice reads the _name array of a repeating primitive.
func decodeElemSlice[T any, P primPtr[T]](d *decoder, dst *[]T) error {
	return decodeAligned(d, dst, func(p P) error { return decodeElem(d, p.elem()) })
}

// decodeAligned reads one of a repeating primitive's two parallel arrays
// (values or _name), null entries included, into dst, which the other
// array may already have sized.
func decodeAligned[T any, P primPtr[T]](d *decoder, dst *[]T, read func(P) error) error {
	at := d.PeekPos()
	prior := len(*dst)
	if err := d.BeginArray(); err != nil {
		return err
	}
	n := 0
	for i := 0; ; i++ {
		more, err := d.NextElem(i == 0)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if prior == 0 {
			var zero T
			*dst = append(*dst, zero)
		} else if i >= prior {
			return d.FailAt(at, ErrArrayLength)
		}
		if !d.Null() {
			if err := read(P(&(*dst)[i])); err != nil {
				return atIndex(err, i)
			}
		}
		n++
	}
	if prior != 0 && n != prior {
		return d.FailAt(at, ErrArrayLength)
	}
	return nil
}

// decodeOne reads a single complex element into a new value.
func decodeOne[T any, P jsonObject[T]](d *decoder, dst **T) error {
	p := P(new(T))
	*dst = (*T)(p)
	return p.decodeJSON(d)
}

// decodeChoiceType reads a complex choice variant; a second variant of the
// same element (valueQuantity beside valueString) is ErrChoice.
func decodeChoiceType[T any, P interface {
	jsonObject[T]
	Value
}](d *decoder, dst *Value) error {
	if *dst != nil {
		return d.Fail(errorf(ErrChoice, "a second type for a choice element"))
	}
	p := P(new(T))
	*dst = p
	return p.decodeJSON(d)
}

func decodeChoicePrim[T any, P primPtr[T]](d *decoder, dst *Value) error {
	p, ok := (*dst).(P)
	if !ok {
		if *dst != nil {
			return d.Fail(errorf(ErrChoice, "a second type for a choice element"))
		}
		p = P(new(T))
		*dst = any(p).(Value)
	}
	return p.decodeValue(d)
}

func decodeChoiceElem[T any, P primPtr[T]](d *decoder, dst *Value) error {
	p, ok := (*dst).(P)
	if !ok {
		if *dst != nil {
			return d.Fail(errorf(ErrChoice, "a second type for a choice element"))
		}
		p = P(new(T))
		*dst = any(p).(Value)
	}
	return decodeElem(d, p.elem())
}

func (el *Element) decodeJSON(d *decoder) error {
	if err := d.BeginObject(); err != nil {
		return err
	}
	var seen [1]uint64
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		start := d.Pos()
		switch string(key) {
		case "id":
			if markSeen(seen[:], 0) {
				return d.Duplicate(key, start)
			}
			el.ID, err = d.NonEmptyStr()
		case "extension":
			if markSeen(seen[:], 1) {
				return d.Duplicate(key, start)
			}
			err = decodeSlice(d, &el.Extension)
		default:
			err = d.Unknown(key, &el.Unknown)
		}
		if err != nil {
			return atKey(err, key)
		}
	}
}

func (el *Element) encodeJSON(e *encoder) {
	e.Open()
	if el.ID != "" {
		e.Key(`"id":`)
		e.Str(el.ID)
	}
	if len(el.Extension) > 0 {
		e.Key(`"extension":`)
		encodeSlice(e, el.Extension)
	}
	e.Unknown(el.Unknown)
	e.Close()
}

func encodePrim[P primitive](e *encoder, key, elemKey string, p P) {
	if p.hasValue() {
		e.Key(key)
		p.encodeValue(e)
		e.Comma = true
	}
	if el := *p.elem(); el != nil && !el.empty() {
		e.Key(elemKey)
		el.encodeJSON(e)
	}
}

func encodeChoicePrim[P primitive](e *encoder, name, suffix string, p P) {
	if p.hasValue() {
		e.ChoiceKey(name, suffix)
		p.encodeValue(e)
		e.Comma = true
	}
	if el := *p.elem(); el != nil && !el.empty() {
		e.ChoiceKey("_"+name, suffix)
		el.encodeJSON(e)
	}
}

func encodePrimSlice[T any, P primPtr[T]](e *encoder, key, elemKey string, s []T) {
	anyValue, anyElem := false, false
	for i := range s {
		p := P(&s[i])
		anyValue = anyValue || p.hasValue()
		if el := *p.elem(); el != nil && !el.empty() {
			anyElem = true
		}
	}
	if anyValue {
		e.Key(key)
		e.OpenArray()
		for i := range s {
			p := P(&s[i])
			if p.hasValue() {
				e.BeforeValue()
				p.encodeValue(e)
				e.Comma = true
			} else {
				e.Null()
			}
		}
		e.CloseArray()
	}
	if anyElem {
		e.Key(elemKey)
		e.OpenArray()
		for i := range s {
			if el := *P(&s[i]).elem(); el != nil && !el.empty() {
				el.encodeJSON(e)
			} else {
				e.Null()
			}
		}
		e.CloseArray()
	}
}

func encodeResource(e *encoder, r Resource) { r.encodeJSON(e) }

func encodeResources(e *encoder, rs []Resource) {
	e.OpenArray()
	for _, r := range rs {
		if r != nil {
			r.encodeJSON(e)
		}
	}
	e.CloseArray()
}
