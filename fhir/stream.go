package fhir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxResourceBytes bounds one NDJSON line or one Bundle entry read by the
// streaming decoders.
const MaxResourceBytes = 64 << 20

// StreamError reports where a streaming decode failed: the NDJSON line or
// the Bundle entry, with the decode error of that resource.
type StreamError struct {
	Line  int   // NDJSON line, 1-based (0 for Bundle entries)
	Entry int   // Bundle entry, 0-based (-1 for NDJSON)
	Err   error // a *DecodeError, or the input's read error
}

func (e *StreamError) Error() string {
	if e.Entry >= 0 {
		return fmt.Sprintf("fhir: bundle entry %d: %v", e.Entry, e.Err)
	}
	return fmt.Sprintf("fhir: ndjson line %d: %v", e.Line, e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

// NDJSONDecoder reads a bulk-data file: one resource per line
// (application/fhir+ndjson). Blank lines are skipped.
type NDJSONDecoder struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

// NewNDJSONDecoder reads NDJSON from r.
func NewNDJSONDecoder(r io.Reader) *NDJSONDecoder {
	return &NDJSONDecoder{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next resource, or io.EOF after the last.
func (d *NDJSONDecoder) Next() (Resource, error) {
	for {
		d.buf = d.buf[:0]
		for {
			chunk, err := d.r.ReadSlice('\n')
			d.buf = append(d.buf, chunk...)
			if len(d.buf) > MaxResourceBytes {
				return nil, &StreamError{Line: d.line + 1, Entry: -1, Err: fmt.Errorf("line longer than %d bytes", MaxResourceBytes)}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(bytes.TrimSpace(d.buf)) == 0 {
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
// entry's bytes and the Bundle's other elements.
type BundleDecoder struct {
	r       *bufio.Reader
	state   int // 0 before the Bundle, 1 inside it, 2 inside entry, 3 done
	header  bytes.Buffer
	entry   int
	buf     []byte
	err     error
	members int
}

// NewBundleDecoder reads a Bundle from r.
func NewBundleDecoder(r io.Reader) *BundleDecoder {
	return &BundleDecoder{r: bufio.NewReaderSize(r, 64<<10)}
}

var errNotBundle = errors.New("the stream is not a Bundle object")

// Next returns the next entry, or io.EOF after the last one.
func (d *BundleDecoder) Next() (*BundleEntry, error) {
	if d.err != nil {
		return nil, d.err
	}
	e, err := d.next()
	if err != nil {
		if err != io.EOF {
			var se *StreamError
			if !errors.As(err, &se) {
				err = &StreamError{Entry: d.entry, Err: err}
			}
		}
		d.err = err
	}
	return e, err
}

// Bundle returns the Bundle's elements other than its entries (type,
// total, link, …) as read so far; after Next has returned io.EOF it is the
// whole Bundle without entries.
func (d *BundleDecoder) Bundle() (*Bundle, error) {
	var b Bundle
	js := append(append([]byte(nil), d.header.Bytes()...), '}')
	if d.members == 0 {
		js = []byte(`{"resourceType":"Bundle"}`)
	}
	if err := UnmarshalInto(js, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (d *BundleDecoder) skipWS() (byte, error) {
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, nil
		}
	}
}

// readString reads a JSON string whose opening quote was read, appending it
// (quotes included) to dst.
func (d *BundleDecoder) readString(dst []byte) ([]byte, error) {
	dst = append(dst, '"')
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			return dst, unexpected(err)
		}
		dst = append(dst, c)
		switch c {
		case '\\':
			c2, err := d.r.ReadByte()
			if err != nil {
				return dst, unexpected(err)
			}
			dst = append(dst, c2)
		case '"':
			return dst, nil
		}
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readValue reads one JSON value starting with first, appending its bytes.
// Syntax is checked later by the decoder; here only nesting and strings
// matter, and the size bound.
func (d *BundleDecoder) readValue(dst []byte, first byte) ([]byte, error) {
	if first == '"' {
		return d.readString(dst)
	}
	if first != '{' && first != '[' {
		dst = append(dst, first)
		for {
			c, err := d.r.ReadByte()
			if err != nil {
				return dst, unexpected(err)
			}
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				_ = d.r.UnreadByte()
				return dst, nil
			}
			dst = append(dst, c)
		}
	}
	depth := 0
	c := first
	for {
		switch c {
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return dst, ErrTooDeep
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
			if dst, err = d.readString(dst); err != nil {
				return dst, err
			}
		default:
			dst = append(dst, c)
		}
		if len(dst) > MaxResourceBytes {
			return dst, fmt.Errorf("an entry is larger than %d bytes", MaxResourceBytes)
		}
		var err error
		if c, err = d.r.ReadByte(); err != nil {
			return dst, unexpected(err)
		}
	}
}

func (d *BundleDecoder) next() (*BundleEntry, error) {
	for {
		switch d.state {
		case 0:
			c, err := d.skipWS()
			if err != nil || c != '{' {
				return nil, errNotBundle
			}
			d.header.WriteByte('{')
			d.state = 1
		case 1:
			c, err := d.skipWS()
			if err != nil {
				return nil, unexpected(err)
			}
			if c == '}' {
				d.state = 3
				return nil, io.EOF
			}
			if c == ',' {
				if c, err = d.skipWS(); err != nil {
					return nil, unexpected(err)
				}
			}
			if c != '"' {
				return nil, fmt.Errorf("%w: want a member name", ErrSyntax)
			}
			key, err := d.readString(nil)
			if err != nil {
				return nil, err
			}
			if c, err = d.skipWS(); err != nil || c != ':' {
				return nil, fmt.Errorf("%w: want : after a member name", ErrSyntax)
			}
			if c, err = d.skipWS(); err != nil {
				return nil, unexpected(err)
			}
			if string(key) == `"entry"` {
				if c != '[' {
					return nil, fmt.Errorf("%w: entry is not an array", ErrType)
				}
				d.state = 2
				continue
			}
			val, err := d.readValue(nil, c)
			if err != nil {
				return nil, err
			}
			if string(key) == `"resourceType"` && string(val) != `"Bundle"` {
				return nil, errNotBundle
			}
			if d.members > 0 {
				d.header.WriteByte(',')
			}
			d.members++
			d.header.Write(key)
			d.header.WriteByte(':')
			d.header.Write(val)
		case 2:
			c, err := d.skipWS()
			if err != nil {
				return nil, unexpected(err)
			}
			if c == ']' {
				d.state = 1
				continue
			}
			if c == ',' {
				if c, err = d.skipWS(); err != nil {
					return nil, unexpected(err)
				}
			}
			d.buf, err = d.readValue(d.buf[:0], c)
			if err != nil {
				return nil, err
			}
			var e BundleEntry
			dec := newDecoder(d.buf)
			if err := e.decodeJSON(dec); err != nil {
				return nil, &StreamError{Entry: d.entry, Err: finish(err, "Bundle.entry")}
			}
			d.entry++
			return &e, nil
		default:
			return nil, io.EOF
		}
	}
}
