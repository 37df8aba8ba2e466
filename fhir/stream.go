package fhir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Default limits of the streaming decoders. Each is enforced while the
// input is read, byte by byte, so that no more than the limit is ever held:
// an oversized entry, line or string fails with ErrTooLarge before it is
// buffered.
const (
	// MaxResourceBytes bounds one NDJSON line or one Bundle entry.
	MaxResourceBytes = 64 << 20
	// MaxBundleHeaderBytes bounds the Bundle's members other than entry
	// (id, meta, type, total, link, signature, …) taken together.
	MaxBundleHeaderBytes = 4 << 20
)

// ErrTooLarge is wrapped by a *StreamError when a line, an entry or the
// Bundle's other members exceed their limit.
var ErrTooLarge = errors.New("exceeds the size limit")

// StreamOption sets a limit of NewBundleDecoder or NewNDJSONDecoder.
type StreamOption func(*streamConfig)

type streamConfig struct {
	maxResource int
	maxHeader   int
}

// WithMaxResourceBytes bounds one Bundle entry or one NDJSON line (default
// MaxResourceBytes).
func WithMaxResourceBytes(n int) StreamOption {
	return func(c *streamConfig) { c.maxResource = n }
}

// WithMaxHeaderBytes bounds a Bundle's members other than entry, taken
// together (default MaxBundleHeaderBytes).
func WithMaxHeaderBytes(n int) StreamOption {
	return func(c *streamConfig) { c.maxHeader = n }
}

func newStreamConfig(opts []StreamOption) streamConfig {
	c := streamConfig{maxResource: MaxResourceBytes, maxHeader: MaxBundleHeaderBytes}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// StreamError reports where a streaming decode failed: the NDJSON line or
// the Bundle entry, with the decode error of that resource.
type StreamError struct {
	Line  int   // NDJSON line, 1-based (0 for Bundle entries)
	Entry int   // Bundle entry, 0-based (-1 for NDJSON, and for the Bundle's other members)
	Err   error // a *DecodeError, ErrTooLarge, or the input's read error
}

func (e *StreamError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("fhir: ndjson line %d: %v", e.Line, e.Err)
	case e.Entry >= 0:
		return fmt.Sprintf("fhir: bundle entry %d: %v", e.Entry, e.Err)
	}
	return fmt.Sprintf("fhir: bundle: %v", e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

// NDJSONDecoder reads a bulk-data file: one resource per line
// (application/fhir+ndjson). Blank lines are skipped. A line that does not
// decode gives a *StreamError naming it; Next can be called again to go on
// with the following line.
type NDJSONDecoder struct {
	r    *bufio.Reader
	cfg  streamConfig
	line int
	buf  []byte
}

// NewNDJSONDecoder reads NDJSON from r.
func NewNDJSONDecoder(r io.Reader, opts ...StreamOption) *NDJSONDecoder {
	return &NDJSONDecoder{r: bufio.NewReaderSize(r, 64<<10), cfg: newStreamConfig(opts)}
}

// Line is the number of the line Next read last.
func (d *NDJSONDecoder) Line() int { return d.line }

// Next returns the next resource, or io.EOF after the last.
func (d *NDJSONDecoder) Next() (Resource, error) {
	for {
		d.buf = d.buf[:0]
		tooLong := false
		for {
			chunk, err := d.r.ReadSlice('\n')
			if !tooLong {
				if len(d.buf)+len(chunk) > d.cfg.maxResource+1 {
					// Keep reading to the end of the line without keeping it,
					// so that the next call starts on the next line.
					tooLong = true
					d.buf = d.buf[:0]
				} else {
					d.buf = append(d.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if !tooLong && len(bytes.TrimSpace(d.buf)) == 0 {
					return nil, io.EOF
				}
				break
			}
			if err != nil {
				return nil, &StreamError{Line: d.line + 1, Entry: -1, Err: err}
			}
			break
		}
		d.line++
		if tooLong {
			return nil, &StreamError{Line: d.line, Entry: -1, Err: fmt.Errorf("line longer than %d bytes: %w", d.cfg.maxResource, ErrTooLarge)}
		}
		line := bytes.TrimSpace(d.buf)
		if len(line) == 0 {
			continue
		}
		r, err := Unmarshal(line)
		if err != nil {
			return nil, &StreamError{Line: d.line, Entry: -1, Err: err}
		}
		return r, nil
	}
}

// BundleDecoder reads a Bundle's entries one at a time, so that a large
// searchset or bulk Bundle is never held whole in memory: it keeps one
// entry's bytes and the Bundle's other members, each within its limit. It
// accepts exactly what Unmarshal accepts of a Bundle: the members and
// entries are checked with the same decoder, commas and duplicate keys
// included, and the other members are decoded as a Bundle before the
// final io.EOF.
type BundleDecoder struct {
	r      *bufio.Reader
	cfg    streamConfig
	off    int64 // bytes read
	state  int   // 0 before the Bundle, 1 between members, 2 inside entry, 3 done
	first  bool  // no member or element read yet at this level
	header []byte
	keys   map[string]bool
	entry  int
	buf    []byte
	err    error
	bundle *Bundle
}

// NewBundleDecoder reads a Bundle from r.
func NewBundleDecoder(r io.Reader, opts ...StreamOption) *BundleDecoder {
	return &BundleDecoder{r: bufio.NewReaderSize(r, 64<<10), cfg: newStreamConfig(opts), keys: map[string]bool{}}
}

var errNotBundle = errors.New("the stream is not a Bundle object")

// Next returns the next entry, or io.EOF after the last one. After an
// error every call returns it again.
func (d *BundleDecoder) Next() (*BundleEntry, error) {
	if d.err != nil {
		return nil, d.err
	}
	e, err := d.next()
	if err != nil {
		if err != io.EOF {
			var se *StreamError
			if !errors.As(err, &se) {
				entry := d.entry
				if d.state != 2 {
					entry = -1
				}
				err = &StreamError{Entry: entry, Err: err}
			}
		}
		d.err = err
	}
	return e, err
}

// Bundle returns the Bundle's members other than its entries (type, total,
// link, …) as read so far; after Next has returned io.EOF it is the whole
// Bundle without entries.
func (d *BundleDecoder) Bundle() (*Bundle, error) {
	if d.bundle != nil {
		return d.bundle, nil
	}
	return d.decodeHeader()
}

func (d *BundleDecoder) decodeHeader() (*Bundle, error) {
	var b Bundle
	js := append(append([]byte(nil), d.header...), '}')
	if len(d.header) == 0 {
		js = []byte(`{"resourceType":"Bundle"}`)
	}
	if err := UnmarshalInto(js, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (d *BundleDecoder) readByte() (byte, error) {
	c, err := d.r.ReadByte()
	if err == nil {
		d.off++
	}
	return c, err
}

func (d *BundleDecoder) skipWS() (byte, error) {
	for {
		c, err := d.readByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, nil
		}
	}
}

func (d *BundleDecoder) syntax(format string, args ...any) error {
	return &DecodeError{Path: "Bundle", Offset: d.off - 1, Err: errorf(ErrSyntax, format, args...)}
}

func (d *BundleDecoder) tooLarge(what string, limit int) error {
	return fmt.Errorf("%s is larger than %d bytes: %w", what, limit, ErrTooLarge)
}

// readString reads a JSON string whose opening quote was read, appending it
// (quotes included) to dst, within limit bytes of dst.
func (d *BundleDecoder) readString(dst []byte, limit int, what string) ([]byte, error) {
	dst = append(dst, '"')
	escape := false
	for {
		c, err := d.readByte()
		if err != nil {
			return dst, d.eof(err)
		}
		if len(dst) >= limit {
			return dst, d.tooLarge(what, limit)
		}
		dst = append(dst, c)
		switch {
		case escape:
			escape = false
		case c == '\\':
			escape = true
		case c == '"':
			return dst, nil
		}
	}
}

func (d *BundleDecoder) eof(err error) error {
	if err == io.EOF {
		return d.syntax("unexpected end of input")
	}
	return err
}

// readValue reads one JSON value starting with first, appending its bytes
// within limit. Only nesting and strings are followed here; the bytes are
// then checked by the decoder.
func (d *BundleDecoder) readValue(dst []byte, first byte, limit int, what string) ([]byte, error) {
	if first == '"' {
		return d.readString(dst, limit, what)
	}
	if first != '{' && first != '[' {
		dst = append(dst, first)
		for {
			c, err := d.r.ReadByte()
			if err != nil {
				return dst, d.eof(err)
			}
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				_ = d.r.UnreadByte()
				return dst, nil
			}
			d.off++
			if len(dst) >= limit {
				return dst, d.tooLarge(what, limit)
			}
			dst = append(dst, c)
		}
	}
	depth := 0
	c := first
	for {
		if len(dst) >= limit {
			return dst, d.tooLarge(what, limit)
		}
		switch c {
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return dst, &DecodeError{Path: "Bundle", Offset: d.off - 1, Err: ErrTooDeep}
			}
			dst = append(dst, c)
		case '}', ']':
			depth--
			dst = append(dst, c)
			if depth == 0 {
				return dst, nil
			}
		case '"':
			var err error
			if dst, err = d.readString(dst, limit, what); err != nil {
				return dst, err
			}
		default:
			dst = append(dst, c)
		}
		var err error
		if c, err = d.readByte(); err != nil {
			return dst, d.eof(err)
		}
	}
}

// checkValue checks one buffered value with the decoder Unmarshal uses.
func checkValue(b []byte, path string, base int64) error {
	dec := newDecoder(b)
	if _, _, err := dec.SkipValue(); err != nil {
		return rebase(err, path, base)
	}
	if err := dec.End(); err != nil {
		return rebase(err, path, base)
	}
	return nil
}

// rebase makes a decode error of a buffered part of the stream name the
// stream's offset and path.
func rebase(err error, path string, base int64) error {
	var de *DecodeError
	if errors.As(err, &de) {
		de.Offset += base
		finish(de, path)
	}
	return err
}

func (d *BundleDecoder) next() (*BundleEntry, error) {
	for {
		switch d.state {
		case 0:
			c, err := d.skipWS()
			if err == nil && c == 0xEF {
				// A UTF-8 byte order mark.
				b1, e1 := d.readByte()
				b2, e2 := d.readByte()
				if e1 != nil || e2 != nil || b1 != 0xBB || b2 != 0xBF {
					return nil, errNotBundle
				}
				c, err = d.skipWS()
			}
			if err != nil || c != '{' {
				return nil, errNotBundle
			}
			d.header = append(d.header[:0], '{')
			d.state, d.first = 1, true
		case 1:
			c, err := d.skipWS()
			if err != nil {
				return nil, d.eof(err)
			}
			if c == '}' {
				d.state = 3
				if c, err := d.skipWS(); err != io.EOF {
					if err != nil {
						return nil, err
					}
					_ = c
					return nil, d.syntax("unexpected data after the Bundle")
				}
				b, err := d.decodeHeader()
				if err != nil {
					return nil, err
				}
				d.bundle = b
				return nil, io.EOF
			}
			if !d.first {
				if c != ',' {
					return nil, d.syntax("want , or } after an object member")
				}
				if c, err = d.skipWS(); err != nil {
					return nil, d.eof(err)
				}
			}
			if c != '"' {
				return nil, d.syntax("want a member name")
			}
			keyAt := d.off - 1
			rawKey, err := d.readString(nil, 1024, "a member name")
			if err != nil {
				return nil, err
			}
			kd := newDecoder(rawKey)
			key, err := kd.StringValue()
			if err != nil {
				return nil, rebase(err, "Bundle", keyAt)
			}
			if d.keys[key] {
				return nil, &DecodeError{Path: "Bundle." + clip(key), Offset: keyAt, Err: errorf(ErrDuplicateKey, "duplicate key %q", clip(key))}
			}
			d.keys[key] = true
			if c, err = d.skipWS(); err != nil || c != ':' {
				return nil, d.syntax("want : after a member name")
			}
			if c, err = d.skipWS(); err != nil {
				return nil, d.eof(err)
			}
			d.first = false
			if key == "entry" {
				if c != '[' {
					return nil, &DecodeError{Path: "Bundle.entry", Offset: d.off - 1, Err: errorf(ErrType, "want an array, found %s", tokenName(c))}
				}
				d.state, d.first = 2, true
				continue
			}
			valAt := d.off - 1

			if !bytes.Equal(d.header, []byte{'{'}) {
				d.header = append(d.header, ',')
			}
			d.header = append(d.header, rawKey...)
			d.header = append(d.header, ':')
			vstart := len(d.header)
			d.header, err = d.readValue(d.header, c, d.cfg.maxHeader, "the Bundle without its entries")
			if err != nil {
				return nil, err
			}
			if err := checkValue(d.header[vstart:], "Bundle."+clip(key), valAt); err != nil {
				return nil, err
			}
			if key == "resourceType" && string(d.header[vstart:]) != `"Bundle"` {
				return nil, errNotBundle
			}
		case 2:
			c, err := d.skipWS()
			if err != nil {
				return nil, d.eof(err)
			}
			if c == ']' {
				d.state = 1
				continue
			}
			if !d.first {
				if c != ',' {
					return nil, d.syntax("want , or ] after an array element")
				}
				if c, err = d.skipWS(); err != nil {
					return nil, d.eof(err)
				}
			}
			d.first = false
			at := d.off - 1
			d.buf, err = d.readValue(d.buf[:0], c, d.cfg.maxResource, "an entry")
			if err != nil {
				return nil, err
			}
			var e BundleEntry
			dec := newDecoder(d.buf)
			err = e.decodeJSON(dec)
			if err == nil {
				err = dec.End()
			}
			if err != nil {
				return nil, &StreamError{Entry: d.entry, Err: rebase(err, fmt.Sprintf("Bundle.entry[%d]", d.entry), at)}
			}
			d.entry++
			return &e, nil
		default:
			return nil, io.EOF
		}
	}
}
