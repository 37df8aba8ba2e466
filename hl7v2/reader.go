package hl7v2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Reader reads a stream of messages: a batch file with FHS/BHS/BTS/FTS
// envelopes, or bare concatenated messages, one message at a time in
// constant memory. Use it like bufio.Scanner:
//
//	r := hl7v2.NewReader(f)
//	for r.Next() {
//		m := r.Message()
//		…
//	}
//	if err := r.Err(); err != nil { … }
type Reader struct {
	sc       *bufio.Scanner
	opts     Options
	msg      *Message
	header   []string // FHS and BHS segments seen, in order
	trailer  []string // BTS and FTS segments seen
	count    int
	err      error
	maxBytes int
}

// ErrBatchTrailer reports a BTS or FTS whose message count disagrees with
// the messages read.
var ErrBatchTrailer = errors.New("hl7v2: batch trailer count does not match the messages read")

// NewReader returns a Reader with the default limits.
func NewReader(r io.Reader) *Reader { return NewReaderOptions(r, Options{}) }

// NewReaderOptions returns a Reader that parses each message with opts.
// opts.Limits.MaxBytes also bounds the read buffer.
func NewReaderOptions(r io.Reader, opts Options) *Reader {
	max := opts.Limits.MaxBytes
	if max <= 0 {
		max = DefaultLimits.MaxBytes
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256<<10), max+1)
	rd := &Reader{sc: sc, opts: opts, maxBytes: max}
	sc.Split(rd.split)
	return rd
}

func isBoundary(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	switch string(b[:3]) {
	case "MSH", "FHS", "BHS", "BTS", "FTS":
		return true
	}
	return false
}

// split yields either one envelope segment (FHS, BHS, BTS, FTS) or one
// message (MSH up to the next boundary segment).
func (rd *Reader) split(data []byte, atEOF bool) (int, []byte, error) {
	// Skip blank lines between items.
	skip := 0
	for skip < len(data) && (data[skip] == '\r' || data[skip] == '\n') {
		skip++
	}
	data = data[skip:]
	if len(data) == 0 {
		if atEOF {
			return skip, nil, nil
		}
		return skip, nil, nil
	}
	if len(data) < 3 && !atEOF {
		return skip, nil, nil
	}
	envelope := len(data) >= 3 && string(data[:3]) != "MSH" && isBoundary(data)
	pos := 0
	for {
		k := bytes.IndexAny(data[pos:], "\r\n")
		if k < 0 {
			if atEOF {
				return skip + len(data), data, nil
			}
			return skip, nil, nil // need more
		}
		end := pos + k
		next := end + 1
		for next < len(data) && (data[next] == '\r' || data[next] == '\n') {
			next++
		}
		if envelope {
			return skip + next, data[:end], nil
		}
		if next+3 > len(data) {
			if atEOF {
				if next >= len(data) {
					return skip + len(data), data, nil
				}
				// fewer than three bytes remain after a terminator
				pos = next
				continue
			}
			return skip, nil, nil
		}
		if isBoundary(data[next:]) {
			return skip + next, data[:next], nil
		}
		pos = next
	}
}

// Next reads the next message, passing over envelope segments; it returns
// false at the end of input or on an error (see Err).
func (rd *Reader) Next() bool {
	if rd.err != nil {
		return false
	}
	for rd.sc.Scan() {
		tok := rd.sc.Bytes()
		switch string(tok[:min(3, len(tok))]) {
		case "FHS", "BHS":
			rd.header = append(rd.header, string(tok))
			continue
		case "BTS", "FTS":
			rd.trailer = append(rd.trailer, string(tok))
			if err := rd.checkTrailer(string(tok)); err != nil {
				rd.err = err
				return false
			}
			continue
		}
		m, err := ParseWithOptions(tok, rd.opts)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				rd.err = fmt.Errorf("hl7v2: message %d: %w", rd.count+1, err)
			} else {
				rd.err = err
			}
			return false
		}
		rd.count++
		rd.msg = m
		return true
	}
	if err := rd.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			rd.err = &ParseError{Offset: rd.maxBytes, Err: ErrTooLarge}
		} else {
			rd.err = err
		}
	}
	return false
}

// checkTrailer compares a BTS-1 message count with the messages read since
// the last BHS. FTS-1 counts batches and is not checked.
func (rd *Reader) checkTrailer(seg string) error {
	if seg[:3] != "BTS" || len(seg) < 5 {
		return nil
	}
	f := seg[4:]
	if i := bytes.IndexByte([]byte(f), seg[3]); i >= 0 {
		f = f[:i]
	}
	if f == "" {
		return nil
	}
	var n int
	if _, err := fmt.Sscanf(f, "%d", &n); err != nil {
		return nil
	}
	if n != rd.count {
		return fmt.Errorf("%w: BTS-1 says %d, read %d", ErrBatchTrailer, n, rd.count)
	}
	return nil
}

// Message returns the message read by the last Next. It refers to the
// Reader's buffer and is valid only until the next call to Next; Clone it
// to keep it.
func (rd *Reader) Message() *Message { return rd.msg }

// Count returns how many messages have been read.
func (rd *Reader) Count() int { return rd.count }

// Headers returns the FHS and BHS segments seen so far, as written.
func (rd *Reader) Headers() []string { return rd.header }

// Trailers returns the BTS and FTS segments seen so far, as written.
func (rd *Reader) Trailers() []string { return rd.trailer }

// Err returns the first error met, or nil at a clean end of input.
func (rd *Reader) Err() error { return rd.err }
