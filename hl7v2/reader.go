package hl7v2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reader reads a stream of messages: a batch file with FHS/BHS/BTS/FTS
// envelopes, or bare concatenated messages, one message at a time in
// constant memory and in time linear in the input, however it arrives.
// Use it like bufio.Scanner:
//
//	r := hl7v2.NewReader(f)
//	for r.Next() {
//		m := r.Message()
//		…
//	}
//	if err := r.Err(); err != nil { … }
//
// A message starts at a segment named MSH, FHS, BHS, BTS or FTS that
// begins a line. Within a message, the first terminator decides how lines
// end, as DESIGN's rule for one message has it: once a message has shown a
// \r, only \r (or \r\n) ends its segments and a bare \n is data, so a
// bare \n followed by "MSH" inside a field does not split it; a message
// whose lines end with a bare \n is split at "\nMSH".
type Reader struct {
	sc       *bufio.Scanner
	opts     Options
	msg      *Message
	header   []string // FHS and BHS segments seen, in order
	trailer  []string // BTS and FTS segments seen
	count    int      // messages read in all
	inBatch  int      // messages read since the last BHS
	batches  int      // BHS segments seen
	openBHS  bool     // a BHS without its BTS yet
	openFHS  bool     // an FHS without its FTS yet
	err      error
	maxBytes int

	// The split function's progress through the token it is building, so
	// that a message arriving in many small reads is scanned once.
	resume int  // offset in the token where scanning resumes
	mode   byte // 0 undecided, '\r' or '\n': what ends this message's segments

	// arena holds the copies of the messages handed out: each message's
	// bytes are appended once, after the previous one's, and never written
	// again, so many small messages share one allocation (a Builder's, which
	// is not zeroed first).
	arena strings.Builder
}

// arenaSize is the block that messages' copies are carved from.
const arenaSize = 64 << 10

// own copies tok into the arena and returns the copy.
func (rd *Reader) own(tok []byte) string {
	if len(tok) > rd.arena.Cap()-rd.arena.Len() {
		if len(tok) > arenaSize/4 {
			return string(tok) // a large message gets its own block
		}
		rd.arena = strings.Builder{}
		rd.arena.Grow(arenaSize)
	}
	start := rd.arena.Len()
	rd.arena.Write(tok)
	return rd.arena.String()[start:]
}

// ErrBatchTrailer reports a BTS or FTS whose count disagrees with what was
// read: BTS-1 with the messages since the last BHS, FTS-1 with the batches.
var ErrBatchTrailer = errors.New("hl7v2: batch trailer count does not match the messages read")

// ErrTruncated reports a batch file that ends before the trailer of a
// BHS or FHS it opened: the last message read may be cut short.
var ErrTruncated = errors.New("hl7v2: batch file is truncated")

// NewReader returns a Reader with the default limits. Each Message it
// returns owns its text and stays valid after the next call to Next.
func NewReader(r io.Reader) *Reader { return NewReaderOptions(r, Options{}) }

// NewReaderOptions returns a Reader that parses each message with opts.
// opts.Limits.MaxBytes also bounds the read buffer. With opts.Borrow, the
// Message returned by Message (and every string read from it) refers to
// the Reader's buffer and is valid only until the next call to Next.
func NewReaderOptions(r io.Reader, opts Options) *Reader {
	max := opts.Limits.MaxBytes
	if max <= 0 {
		max = DefaultLimits.MaxBytes
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(256<<10, max+1)), max+1)
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
// message (MSH up to the next boundary segment). When it needs more data
// it records how far it has looked, so each byte is examined once.
func (rd *Reader) split(data []byte, atEOF bool) (int, []byte, error) {
	// Skip blank lines between items.
	skip := 0
	for skip < len(data) && (data[skip] == '\r' || data[skip] == '\n') {
		skip++
	}
	data = data[skip:]
	if len(data) == 0 || (len(data) < 3 && !atEOF) {
		return skip, nil, nil
	}
	token := func(adv, n int) (int, []byte, error) {
		rd.resume, rd.mode = 0, 0
		return skip + adv, data[:n], nil
	}
	if string(data[:min(3, len(data))]) != "MSH" && isBoundary(data) {
		k := bytes.IndexAny(data, "\r\n")
		if k < 0 {
			if atEOF {
				return token(len(data), len(data))
			}
			return skip, nil, nil
		}
		next := k + 1
		for next < len(data) && (data[next] == '\r' || data[next] == '\n') {
			next++
		}
		return token(next, k)
	}
	pos := rd.resume
	for {
		k := indexTerminator(data[pos:], rd.mode)
		if k < 0 {
			if atEOF {
				return token(len(data), len(data))
			}
			rd.resume = len(data)
			return skip, nil, nil // need more
		}
		end := pos + k
		c := data[end]
		if rd.mode != '\r' {
			rd.mode = c // the first terminator, or a \r in a \n message
		}
		next := end + 1
		for next < len(data) && (data[next] == '\r' || data[next] == '\n') {
			next++
		}
		if next+3 > len(data) && !atEOF {
			rd.resume = end // look at this terminator again with more data
			return skip, nil, nil
		}
		if next >= len(data) {
			return token(len(data), len(data))
		}
		if isBoundary(data[next:]) {
			return token(next, next)
		}
		pos = next
	}
}

// indexTerminator finds the next byte that may end a segment: \r in a
// message that has shown one, otherwise \r or \n.
func indexTerminator(b []byte, mode byte) int {
	if mode == '\r' {
		return bytes.IndexByte(b, '\r')
	}
	return bytes.IndexAny(b, "\r\n")
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
			if tok[0] == 'B' {
				rd.batches++
				rd.inBatch = 0
				rd.openBHS = true
			} else {
				rd.openFHS = true
			}
			continue
		case "BTS", "FTS":
			rd.trailer = append(rd.trailer, string(tok))
			if tok[0] == 'B' {
				rd.openBHS = false
			} else {
				rd.openFHS = false
			}
			if err := rd.checkTrailer(string(tok)); err != nil {
				rd.err = err
				return false
			}
			continue
		}
		var m *Message
		var err error
		if rd.opts.Borrow || len(tok) == 0 {
			m, err = ParseWithOptions(tok, rd.opts)
		} else {
			m, err = parseText(rd.own(tok), rd.opts) // the copy is the Message's own
		}
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
		rd.inBatch++
		rd.msg = m
		return true
	}
	if err := rd.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			rd.err = &ParseError{Offset: rd.maxBytes, Err: ErrTooLarge}
		} else {
			rd.err = err
		}
		return false
	}
	switch {
	case rd.openBHS:
		rd.err = fmt.Errorf("%w: the input ended inside batch %d, before its BTS", ErrTruncated, rd.batches)
	case rd.openFHS:
		rd.err = fmt.Errorf("%w: the input ended before the FTS", ErrTruncated)
	}
	return false
}

// checkTrailer compares BTS-1 (batch message count) with the messages
// read since the last BHS, and FTS-1 (file batch count) with the batches
// read, when the file has batch headers. An empty or non-numeric count is
// not checked.
func (rd *Reader) checkTrailer(seg string) error {
	if len(seg) < 5 {
		return nil
	}
	f := seg[4:]
	if i := strings.IndexByte(f, seg[3]); i >= 0 {
		f = f[:i]
	}
	n, err := strconv.Atoi(strings.TrimSpace(f))
	if err != nil {
		return nil
	}
	switch {
	case seg[:3] == "BTS" && n != rd.inBatch:
		return fmt.Errorf("%w: BTS-1 says %d, batch %d has %d", ErrBatchTrailer, n, rd.batches, rd.inBatch)
	case seg[:3] == "FTS" && rd.batches > 0 && n != rd.batches:
		return fmt.Errorf("%w: FTS-1 says %d batches, read %d", ErrBatchTrailer, n, rd.batches)
	}
	return nil
}

// Message returns the message read by the last Next. Its text is a copy
// that nothing writes again, so it and its strings may be kept; messages
// of up to 16 KiB share 64 KiB blocks, so one message kept for long keeps
// its block alive (Clone it to hold only its own bytes). Under
// Options.Borrow it refers to the Reader's buffer instead and is valid only
// until the next call to Next.
func (rd *Reader) Message() *Message { return rd.msg }

// Count returns how many messages have been read.
func (rd *Reader) Count() int { return rd.count }

// Headers returns the FHS and BHS segments seen so far, as written.
func (rd *Reader) Headers() []string { return rd.header }

// Trailers returns the BTS and FTS segments seen so far, as written.
func (rd *Reader) Trailers() []string { return rd.trailer }

// Err returns the first error met, or nil at a clean end of input.
func (rd *Reader) Err() error { return rd.err }
