package hl7v2

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrSet is wrapped by Set's errors.
var ErrSet = errors.New("hl7v2: cannot set")

// NewMessage returns a message holding only "MSH" and the delimiters, to
// build on with Set.
func NewMessage(d Delimiters) (*Message, error) {
	if !d.valid() {
		return nil, &ParseError{Segment: 1, Field: 2, Err: ErrBadDelimiters}
	}
	enc := string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent})
	if d.Truncation != 0 {
		enc += string(d.Truncation)
	}
	return Parse([]byte("MSH" + string(d.Field) + enc + "\r"))
}

// Set writes value, escaped, at path, adding the segment (when path names
// the next occurrence, e.g. OBX[3] of a message with two OBX), fields,
// repetitions and components it needs. MSH-1 and MSH-2 cannot be set. The
// message is re-rendered, so Set costs time in proportion to the message's
// size; it is meant for building and editing, not for hot paths.
func (m *Message) Set(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	if p.Field == 0 {
		return fmt.Errorf("%w %s: a field number is required", ErrSet, path)
	}
	header := p.Segment == "MSH" || p.Segment == "FHS" || p.Segment == "BHS"
	if header && p.Field <= 2 {
		return fmt.Errorf("%w %s: the delimiters are fixed when the message is made", ErrSet, path)
	}
	occ := max(p.Occurrence, 1)
	d := m.delims
	segTexts := make([]string, len(m.segs))
	idx, seen := -1, 0
	for i, s := range m.segs {
		segTexts[i] = m.text[s.start:s.end]
		if string(s.name[:]) == p.Segment {
			seen++
			if seen == occ {
				idx = i
			}
		}
	}
	if idx < 0 {
		if occ != seen+1 {
			return fmt.Errorf("%w %s: only occurrence %d can be added", ErrSet, path, seen+1)
		}
		segTexts = append(segTexts, p.Segment)
		idx = len(segTexts) - 1
	}
	fi := p.Field
	var fields []string
	if header {
		// Keep "MSH|^~\&" as one piece so field numbers line up.
		rest := segTexts[idx][4:]
		enc, after, _ := strings.Cut(rest, string(d.Field))
		fields = append([]string{segTexts[idx][:3] + string(d.Field) + enc}, splitKeep(after, d.Field, strings.Contains(rest, string(d.Field)))...)
		fi -= 2 // fields[0] holds MSH-1 and MSH-2
	} else {
		fields = strings.Split(segTexts[idx], string(d.Field))
	}
	for len(fields) <= fi {
		fields = append(fields, "")
	}
	value, err = m.encode(value)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrSet, path, err)
	}
	esc := Escape(value, d)
	fields[fi] = setPiece(fields[fi], esc, d, p)
	segTexts[idx] = strings.Join(fields, string(d.Field))

	var b strings.Builder
	for _, s := range segTexts {
		b.WriteString(s)
		b.WriteByte('\r')
	}
	n, err := ParseWithOptions([]byte(b.String()), Options{Charset: m.Charset()})
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrSet, path, err)
	}
	*m = *n
	if len(m.segs) <= inlineSegments {
		m.segs = m.inline[:len(n.segs)]
	}
	return nil
}

func splitKeep(s string, sep byte, present bool) []string {
	if !present {
		return nil
	}
	return strings.Split(s, string(sep))
}

// setPiece replaces, within one field's raw text, the repetition,
// component or sub-component that p names.
func setPiece(field, value string, d Delimiters, p Path) string {
	if p.Repetition == 0 && p.Component == 0 {
		return value
	}
	reps := strings.Split(field, string(d.Repetition))
	ri := max(p.Repetition, 1) - 1
	for len(reps) <= ri {
		reps = append(reps, "")
	}
	if p.Component == 0 {
		reps[ri] = value
		return strings.Join(reps, string(d.Repetition))
	}
	comps := strings.Split(reps[ri], string(d.Component))
	ci := p.Component - 1
	for len(comps) <= ci {
		comps = append(comps, "")
	}
	if p.Sub == 0 {
		comps[ci] = value
	} else {
		subs := strings.Split(comps[ci], string(d.Subcomponent))
		si := p.Sub - 1
		for len(subs) <= si {
			subs = append(subs, "")
		}
		subs[si] = value
		comps[ci] = strings.Join(subs, string(d.Subcomponent))
	}
	reps[ri] = strings.Join(comps, string(d.Component))
	return strings.Join(reps, string(d.Repetition))
}

// AckCode is an acknowledgement code (MSA-1).
type AckCode string

// Acknowledgement codes: original mode (AA, AE, AR) and enhanced mode
// accept acknowledgements (CA, CE, CR).
const (
	AckAccept       AckCode = "AA"
	AckError        AckCode = "AE"
	AckReject       AckCode = "AR"
	AckCommitAccept AckCode = "CA"
	AckCommitError  AckCode = "CE"
	AckCommitReject AckCode = "CR"
)

// AckIssue describes one problem to report in an ERR segment.
type AckIssue struct {
	Segment  string // e.g. "PID"
	Sequence int    // which occurrence, 1-based
	Field    int
	Code     string // HL7 table 0357, e.g. "101" required field missing, "207" application error
	Text     string
	Severity string // E error, W warning, I information; default E
}

// AckOptions adjust an acknowledgement.
type AckOptions struct {
	Text      string    // MSA-3
	ControlID string    // MSH-10 of the ACK; default derived from the original's
	Time      time.Time // MSH-7; default time.Now()
	Errors    []AckIssue
}

// Ack builds the acknowledgement of m: MSH with the sending and receiving
// application and facility swapped, MSH-9 ACK^<trigger>^ACK, the
// original's processing id and version; MSA with code and the original
// control id; and one ERR per error (ERR-2/3/4 from v2.5, ERR-1 before).
func (m *Message) Ack(code AckCode, opts AckOptions) (*Message, error) {
	switch code {
	case AckAccept, AckError, AckReject, AckCommitAccept, AckCommitError, AckCommitReject:
	default:
		return nil, fmt.Errorf("hl7v2: unknown acknowledgement code %q", code)
	}
	h := m.MSH()
	d := m.delims
	now := opts.Time
	if now.IsZero() {
		now = time.Now()
	}
	ctl := opts.ControlID
	if ctl == "" {
		ctl = "ACK" + h.ControlID()
		if len(ctl) > 20 {
			ctl = ctl[:20] // MSH-10 is at most 20 characters up to v2.5
		}
	}
	e := func(s string) string { return Escape(s, d) }
	F, C := string(d.Field), string(d.Component)
	enc := string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent})
	if d.Truncation != 0 {
		enc += string(d.Truncation)
	}
	var b strings.Builder
	b.WriteString("MSH" + F + enc)
	for _, v := range []string{
		h.RawField(5), h.RawField(6), h.RawField(3), h.RawField(4), // swapped, kept as written
		FormatDTM(now), "",
		"ACK" + C + e(h.TriggerEvent()) + C + "ACK",
		e(ctl), h.RawField(11), h.RawField(12),
	} {
		b.WriteString(F + v)
	}
	b.WriteString("\rMSA" + F + string(code) + F + h.RawField(10))
	if opts.Text != "" {
		b.WriteString(F + e(opts.Text))
	}
	b.WriteByte('\r')
	modern := versionAtLeast(h.Version(), 2, 5)
	for _, er := range opts.Errors {
		sev := er.Severity
		if sev == "" {
			sev = "E"
		}
		loc := e(er.Segment) + C + fmt.Sprint(max(er.Sequence, 1)) + C + fmt.Sprint(er.Field)
		if modern {
			b.WriteString("ERR" + F + F + loc + F + e(er.Code) + C + e(er.Text) + C + "HL70357" + F + sev + "\r")
		} else {
			b.WriteString("ERR" + F + loc + C + e(er.Code) + string(d.Subcomponent) + e(er.Text) + "\r")
		}
	}
	return ParseWithOptions([]byte(b.String()), Options{Borrow: true}) // the bytes are ours
}

func versionAtLeast(v string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(v, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}
