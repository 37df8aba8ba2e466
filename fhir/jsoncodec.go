package fhir

import (
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"
)

type wrapped struct {
	sentinel error
	msg      string
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.sentinel }

func errorf(sentinel error, format string, args ...any) error {
	return &wrapped{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

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
	typ, err := d.peekResourceType()
	if err != nil {
		return nil, finish(err, "")
	}
	r := newResource(typ)
	if r == nil {
		return nil, finish(d.fail(errorf(ErrUnknownResourceType, "unknown resourceType %q", typ)), "")
	}
	if err := r.decodeJSON(d); err != nil {
		return nil, finish(err, typ)
	}
	if err := d.end(); err != nil {
		return nil, finish(err, typ)
	}
	return r, nil
}

func finish(err error, root string) error {
	var de *DecodeError
	if errors.As(err, &de) {
		de.finish(root)
	}
	return err
}

// UnmarshalInto decodes FHIR JSON into a resource of a known type.
func UnmarshalInto(data []byte, r Resource) error {
	d := newDecoder(data)
	if err := r.decodeJSON(d); err != nil {
		return finish(err, r.ResourceType())
	}
	return finish(d.end(), r.ResourceType())
}

// Marshal writes a resource as FHIR JSON: resourceType first, elements in
// the specification's order, no empty objects or arrays.
func Marshal(r Resource) ([]byte, error) {
	if r == nil {
		return nil, errors.New("fhir: marshal of a nil resource")
	}
	e := encoders.Get().(*encoder)
	e.buf, e.comma, e.top, e.stack = e.buf[:0], false, 0, e.stack[:0]
	r.encodeJSON(e)
	out := make([]byte, len(e.buf))
	copy(out, e.buf)
	if cap(e.buf) <= 1<<20 { // keep small buffers only
		encoders.Put(e)
	}
	return out, nil
}

var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 8192)} }}

// AppendJSON appends a resource's JSON to buf.
func AppendJSON(buf []byte, r Resource) []byte {
	e := &encoder{buf: buf, top: len(buf)}
	r.encodeJSON(e)
	return e.buf
}

func decodeResource(d *decoder) (Resource, error) {
	typ, err := d.peekResourceType()
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
	if err := d.beginArray(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := d.nextElem(i == 0)
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
	if err := d.beginArray(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := d.nextElem(i == 0)
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
	e.openArray()
	for i := range s {
		P(&s[i]).encodeJSON(e)
	}
	e.closeArray()
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
	at := d.peekPos()
	prior := len(*dst)
	if err := d.beginArray(); err != nil {
		return err
	}
	n := 0
	for i := 0; ; i++ {
		more, err := d.nextElem(i == 0)
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
			return d.failAt(at, ErrArrayLength)
		}
		if !d.null() {
			if err := read(P(&(*dst)[i])); err != nil {
				return atIndex(err, i)
			}
		}
		n++
	}
	if prior != 0 && n != prior {
		return d.failAt(at, ErrArrayLength)
	}
	return nil
}

// once marks key i of an object as read, or reports it as a duplicate.
func (d *decoder) once(seen []uint64, i int, key []byte, at int) error {
	if markSeen(seen, i) {
		return d.duplicate(key, at)
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
		return d.fail(errorf(ErrChoice, "a second type for a choice element"))
	}
	p := P(new(T))
	*dst = p
	return p.decodeJSON(d)
}

func decodeChoicePrim[T any, P primPtr[T]](d *decoder, dst *Value) error {
	p, ok := (*dst).(P)
	if !ok {
		if *dst != nil {
			return d.fail(errorf(ErrChoice, "a second type for a choice element"))
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
			return d.fail(errorf(ErrChoice, "a second type for a choice element"))
		}
		p = P(new(T))
		*dst = any(p).(Value)
	}
	return decodeElem(d, p.elem())
}

func (el *Element) decodeJSON(d *decoder) error {
	if err := d.beginObject(); err != nil {
		return err
	}
	var seen [1]uint64
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		start := d.pos
		switch string(key) {
		case "id":
			if markSeen(seen[:], 0) {
				return d.duplicate(key, start)
			}
			el.ID, err = d.nonEmptyStr()
		case "extension":
			if markSeen(seen[:], 1) {
				return d.duplicate(key, start)
			}
			err = decodeSlice(d, &el.Extension)
		default:
			err = d.unknown(key, &el.Unknown)
		}
		if err != nil {
			return atKey(err, key)
		}
	}
}

func (el *Element) encodeJSON(e *encoder) {
	e.open()
	if el.ID != "" {
		e.key(`"id":`)
		e.str(el.ID)
	}
	if len(el.Extension) > 0 {
		e.key(`"extension":`)
		encodeSlice(e, el.Extension)
	}
	e.unknown(el.Unknown)
	e.close()
}

// encoder appends FHIR JSON to buf. Every object and array remembers where
// its key began, so one that ends up empty is taken out again: FHIR JSON
// has no empty objects or arrays.
type encoder struct {
	buf   []byte
	comma bool // a member or element was written at this level
	top   int
	mark  int // where the pending key or element began
	markC bool
	stack []frame
	marks []xmlMark // where each XML element's JSON begins (XML to JSON only)
}

type frame struct {
	pos   int
	comma bool
}

// key writes a member name, k being the quoted name and colon.
func (e *encoder) key(k string) {
	e.mark, e.markC = len(e.buf), e.comma
	if e.comma {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, k...)
	e.comma = false
}

func (e *encoder) choiceKey(name, suffix string) {
	e.mark, e.markC = len(e.buf), e.comma
	if e.comma {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, suffix...)
	e.buf = append(e.buf, '"', ':')
	e.comma = false
}

// beforeValue starts an array element (a no-op after a key).
func (e *encoder) beforeValue() {
	if e.comma {
		e.mark, e.markC = len(e.buf), true
		e.buf = append(e.buf, ',')
		e.comma = false
	} else if len(e.buf) == e.top || e.buf[len(e.buf)-1] == '[' {
		e.mark, e.markC = len(e.buf), false
	}
}

func (e *encoder) open() {
	e.beforeValue()
	e.stack = append(e.stack, frame{e.mark, e.markC})
	e.buf = append(e.buf, '{')
	e.comma = false
}

func (e *encoder) close() {
	f := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	if e.buf[len(e.buf)-1] == '{' && len(e.stack) > 0 {
		e.buf = e.buf[:f.pos]
		e.comma = f.comma
		return
	}
	e.buf = append(e.buf, '}')
	e.comma = true
}

func (e *encoder) openArray() {
	e.beforeValue()
	e.stack = append(e.stack, frame{e.mark, e.markC})
	e.buf = append(e.buf, '[')
	e.comma = false
}

func (e *encoder) closeArray() {
	e.close2(']', '[')
}

func (e *encoder) close2(closer, opener byte) {
	f := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	if e.buf[len(e.buf)-1] == opener {
		e.buf = e.buf[:f.pos]
		e.comma = f.comma
		return
	}
	e.buf = append(e.buf, closer)
	e.comma = true
}

func (e *encoder) null() {
	e.beforeValue()
	e.buf = append(e.buf, "null"...)
	e.comma = true
}

func (e *encoder) boolean(b bool) {
	if b {
		e.buf = append(e.buf, "true"...)
	} else {
		e.buf = append(e.buf, "false"...)
	}
	e.comma = true
}

const hexDigits = "0123456789abcdef"

// needsEscape reports whether s has a byte JSON must escape (a control
// character, '"' or '\\'), eight bytes at a time.
func needsEscape(s string) bool {
	const ones, highs, lows = 0x0101010101010101, 0x8080808080808080, 0x2020202020202020
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ (ones * '"')
		b := x ^ (ones * '\\')
		if ((x-lows)&^x|(q-ones)&^q|(b-ones)&^b)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

func (e *encoder) str(s string) {
	e.beforeValue()
	e.buf = append(e.buf, '"')
	if !needsEscape(s) {
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '"')
		e.comma = true
		return
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			e.buf = append(e.buf, '\\', c)
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		default:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
	e.comma = true
}

func (e *encoder) unknown(fs []RawField) {
	for _, f := range fs {
		e.mark, e.markC = len(e.buf), e.comma
		if e.comma {
			e.buf = append(e.buf, ',')
		}
		e.comma = false
		e.str(f.Name)
		e.buf = append(e.buf, ':')
		e.buf = append(e.buf, f.Value...)
		e.comma = true
	}
}

func encodePrim[P primitive](e *encoder, key, elemKey string, p P) {
	if p.hasValue() {
		e.key(key)
		p.encodeValue(e)
		e.comma = true
	}
	if el := *p.elem(); el != nil && !el.empty() {
		e.key(elemKey)
		el.encodeJSON(e)
	}
}

func encodeChoicePrim[P primitive](e *encoder, name, suffix string, p P) {
	if p.hasValue() {
		e.choiceKey(name, suffix)
		p.encodeValue(e)
		e.comma = true
	}
	if el := *p.elem(); el != nil && !el.empty() {
		e.choiceKey("_"+name, suffix)
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
		e.key(key)
		e.openArray()
		for i := range s {
			p := P(&s[i])
			if p.hasValue() {
				e.beforeValue()
				p.encodeValue(e)
				e.comma = true
			} else {
				e.null()
			}
		}
		e.closeArray()
	}
	if anyElem {
		e.key(elemKey)
		e.openArray()
		for i := range s {
			if el := *P(&s[i]).elem(); el != nil && !el.empty() {
				el.encodeJSON(e)
			} else {
				e.null()
			}
		}
		e.closeArray()
	}
}

func encodeResource(e *encoder, r Resource) { r.encodeJSON(e) }

func encodeResources(e *encoder, rs []Resource) {
	e.openArray()
	for _, r := range rs {
		if r != nil {
			r.encodeJSON(e)
		}
	}
	e.closeArray()
}
