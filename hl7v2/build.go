package hl7v2

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
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

// Set writes value at path, adding the segment (when path names the next
// occurrence, e.g. OBX[3] of a message with two OBX), fields, repetitions
// and components it needs. Like Get, a path that stops above the leaf
// names the first repetition's first component's first sub-component, as
// HAPI's terser sets it: Set("PID-5", "SMITH") on SMITH^JOHN~ALIAS^JJ
// changes the family name and keeps the rest (SetRaw writes a whole
// field). Delimiters in value are escaped; formatting escapes that Get
// keeps as written (\.br\, \H\, \N\, \.sp\ …) are written back as
// they are, so Set(p, Get(p)) changes nothing. A new segment goes where
// the message structure puts it (see InsertSegment). MSH-1 and MSH-2 cannot
// be set, nor a wildcard path ([*], (*)), which names many places.
//
// Set costs time in proportion to the segment it changes, so building a
// message with n calls costs O(n) segments' worth, not O(n²).
func (m *Message) Set(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	if err := notWildcard(p, path); err != nil {
		return err
	}
	enc, err := m.encode(value)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrSet, path, err)
	}
	p.Repetition, p.Component, p.Sub = max(p.Repetition, 1), max(p.Component, 1), max(p.Sub, 1)
	return m.set(p, path, escapeValue(enc, m.delims))
}

// SetRaw writes raw, already encoded in the message's delimiters, at the
// level path names: a whole field (all repetitions) for "PID-5", one
// repetition for "PID-5(2)", a component for "PID-5.1", a sub-component
// for "PID-5.1.2". raw may use the delimiters below that level only:
// SetRaw("MSH-9", "ADT^A01^ADT_A01") sets three components.
func (m *Message) SetRaw(path, raw string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	if err := notWildcard(p, path); err != nil {
		return err
	}
	d := m.delims
	forbidden := []byte{'\r', '\n', d.Field}
	switch {
	case p.Sub > 0:
		forbidden = append(forbidden, d.Repetition, d.Component, d.Subcomponent)
	case p.Component > 0:
		forbidden = append(forbidden, d.Repetition, d.Component)
	case p.Repetition > 0:
		forbidden = append(forbidden, d.Repetition)
	}
	for i := 0; i < len(raw); i++ {
		for _, f := range forbidden {
			if raw[i] == f {
				return fmt.Errorf("%w %s: the value holds a delimiter (%q at offset %d) of this level or above", ErrSet, path, f, i)
			}
		}
	}
	if m.charset == charsetUTF8 && !utf8.ValidString(raw) {
		return fmt.Errorf("%w %s: value is not valid UTF-8", ErrSet, path)
	}
	return m.set(p, path, raw)
}

// notWildcard refuses a path with [*] or (*): Set once took the wildcard
// for the first occurrence or repetition, and Get then read nothing back.
func notWildcard(p Path, path string) error {
	if p.Occurrence == Any || p.Repetition == Any {
		return fmt.Errorf("%w %s: a wildcard path names many places; a value is set at one", ErrSet, path)
	}
	return nil
}

// set writes esc, already escaped, at the piece p names.
func (m *Message) set(p Path, path, esc string) error {
	if p.Field == 0 {
		return fmt.Errorf("%w %s: a field number is required", ErrSet, path)
	}
	header := isHeaderName(p.Segment)
	if header && p.Field <= 2 {
		return fmt.Errorf("%w %s: the delimiters are fixed when the message is made", ErrSet, path)
	}
	occ := max(p.Occurrence, 1)
	idx, seen := m.find(p.Segment, occ)
	seg := p.Segment
	if idx < 0 {
		if occ != seen+1 {
			return fmt.Errorf("%w %s: only occurrence %d can be added", ErrSet, path, seen+1)
		}
		if !addable(p.Segment) {
			return fmt.Errorf("%w %s: a message has one %s, at its start; batch envelopes are not part of a message", ErrSet, path, p.Segment)
		}
	} else {
		seg = m.text[m.segs[idx].start:m.segs[idx].end]
	}
	d := m.delims
	var fields []string
	fi := p.Field
	if header {
		// Keep "MSH|^~\&" as one piece so field numbers line up.
		rest := seg[4:]
		enc, after, found := strings.Cut(rest, string(d.Field))
		fields = []string{seg[:4] + enc}
		if found {
			fields = append(fields, strings.Split(after, string(d.Field))...)
		}
		fi -= 2 // fields[0] holds MSH-1 and MSH-2
	} else {
		fields = strings.Split(seg, string(d.Field))
	}
	for len(fields) <= fi {
		fields = append(fields, "")
	}
	fields[fi] = setPiece(fields[fi], esc, d, p)
	text := strings.Join(fields, string(d.Field))
	if idx < 0 {
		m.insert(m.structurePosition(p.Segment), text)
		return nil
	}
	m.replace(idx, text)
	return nil
}

func isHeaderName(n string) bool { return n == "MSH" || n == "FHS" || n == "BHS" }

// addable says whether Set or InsertSegment may add a segment of this
// name: not a second MSH, nor a batch envelope segment.
func addable(name string) bool {
	switch name {
	case "MSH", "FHS", "BHS", "BTS", "FTS":
		return false
	}
	return true
}

// find returns the index of the occ-th segment called name, or -1 and how
// many there are.
func (m *Message) find(name string, occ int) (int, int) {
	if m.byName == nil {
		m.byName = make(map[[3]byte][]int32)
		for i, s := range m.segs {
			m.byName[s.name] = append(m.byName[s.name], int32(i))
		}
	}
	list := m.byName[[3]byte{name[0], name[1], name[2]}]
	if occ <= len(list) {
		return int(list[occ-1]), len(list)
	}
	return -1, len(list)
}

// own makes text writable by appending: from the first edit on, text lives
// in buf, which only ever grows past what has been handed out.
func (m *Message) own(extra int) {
	if m.buf != nil && cap(m.buf)-len(m.buf) >= extra {
		return
	}
	nb := make([]byte, len(m.text), 2*(len(m.text)+extra)+64)
	copy(nb, m.text)
	m.buf = nb
	m.text = unsafe.String(unsafe.SliceData(nb), len(nb))
}

// appendText appends t and returns its span.
func (m *Message) appendText(t string) span {
	m.own(len(t))
	start := len(m.buf)
	m.buf = append(m.buf, t...)
	m.text = unsafe.String(unsafe.SliceData(m.buf), len(m.buf))
	return span{int32(start), int32(len(m.buf))}
}

// replace points segment i at new text.
func (m *Message) replace(i int, t string) {
	old := m.segs[i]
	m.garbage += int(old.end - old.start)
	m.segs[i].span = m.appendText(t)
	m.edited, m.canonical = true, false
	m.maybeCompact()
}

// insert adds a segment with text t at index i.
func (m *Message) insert(i int, t string) {
	sp := m.appendText(t)
	seg := segment{span: sp, name: [3]byte{t[0], t[1], t[2]}}
	if i == len(m.segs) {
		m.segs = append(m.segs, seg)
		if m.byName != nil {
			m.byName[seg.name] = append(m.byName[seg.name], int32(i))
		}
	} else {
		m.segs = slices.Insert(m.segs, i, seg)
		m.byName = nil // indices moved; rebuilt when next needed
	}
	m.edited, m.canonical = true, false
}

// maybeCompact rewrites the text once more than half of it is stale, so
// memory stays in proportion to the message and the cost is amortised.
func (m *Message) maybeCompact() {
	live := len(m.text) - m.garbage
	if m.garbage > live+4096 {
		m.compactInto(nil)
	}
}

// compactInto lays the segments out in order, each ended by \r, in a new
// buffer, making the message canonical again.
func (m *Message) compactInto(_ []byte) {
	n := 0
	for _, s := range m.segs {
		n += int(s.end-s.start) + 1
	}
	nb := make([]byte, 0, n+n/4+64)
	segs := m.inline[:0]
	if len(m.segs) > inlineSegments {
		segs = make([]segment, 0, len(m.segs))
	}
	for _, s := range m.segs {
		start := len(nb)
		nb = append(nb, m.text[s.start:s.end]...)
		segs = append(segs, segment{span: span{int32(start), int32(len(nb))}, name: s.name})
		nb = append(nb, '\r')
	}
	if len(m.segs) <= inlineSegments {
		// m.segs may be m.inline itself (or another Message's, after a
		// struct copy): copy through a temporary.
		tmp := append([]segment(nil), segs...)
		m.segs = m.inline[:len(tmp)]
		copy(m.segs, tmp)
	} else {
		m.segs = segs
	}
	m.buf = nb
	m.text = unsafe.String(unsafe.SliceData(nb), len(nb))
	m.garbage, m.edited, m.canonical = 0, false, true
}

// segmentRank orders the segments that open a message, from the abstract
// message syntax of chapters 2, 3 and 7 (ADT_A01: MSH SFT EVN PID PD1 NK1
// PV1 PV2 DB1…; ORU_R01: MSH SFT PID PD1 NK1 PV1 PV2 then the orders;
// ADT_A39: … PID PD1 MRG PV1). Segments not listed (the repeating
// groups: ORC OBR OBX NTE SPM AL1 DG1 PR1 IN1, and Z segments) rank last.
var segmentRank = map[string]int{
	"MSH": 0, "SFT": 1, "UAC": 2, "MSA": 3, "ERR": 4, "QAK": 5, "EVN": 10,
	"PID": 20, "PD1": 21, "ARV": 22, "NK1": 24, "MRG": 25, "PV1": 30, "PV2": 31, "DB1": 32,
}

// structurePosition is where a new segment called name goes: after the
// last segment that ranks at or before it, so PD1 lands before an
// existing PV1 and a new OBX after the last segment.
func (m *Message) structurePosition(name string) int {
	r, ok := segmentRank[name]
	if !ok {
		return len(m.segs)
	}
	i := len(m.segs)
	for i > 1 {
		pr, ok := segmentRank[string(m.segs[i-1].name[:])]
		if !ok {
			pr = 100
		}
		if pr <= r {
			break
		}
		i--
	}
	return i
}

// InsertSegment inserts a segment, given as written ("ZU1|a|b^c"), at
// index i (1 ≤ i ≤ Len(); MSH stays first). The text is checked: a
// three-character name, then nothing or the field separator, no segment
// terminator; it is not unescaped or re-encoded.
func (m *Message) InsertSegment(i int, text string) error {
	if i < 1 || i > len(m.segs) {
		return fmt.Errorf("%w: segment index %d is outside 1..%d", ErrSet, i, len(m.segs))
	}
	if err := m.checkSegment(text); err != nil {
		return err
	}
	m.insert(i, text)
	return nil
}

// AppendSegment adds a segment, given as written, at the end.
func (m *Message) AppendSegment(text string) error {
	if err := m.checkSegment(text); err != nil {
		return err
	}
	m.insert(len(m.segs), text)
	return nil
}

// DeleteSegment removes the segment at index i (1 ≤ i < Len(); the MSH
// stays).
func (m *Message) DeleteSegment(i int) error {
	if i < 1 || i >= len(m.segs) {
		return fmt.Errorf("%w: segment index %d is outside 1..%d", ErrSet, i, len(m.segs)-1)
	}
	s := m.segs[i]
	m.garbage += int(s.end - s.start)
	m.segs = slices.Delete(m.segs, i, i+1)
	m.byName = nil
	m.edited, m.canonical = true, false
	m.maybeCompact()
	return nil
}

func (m *Message) checkSegment(t string) error {
	if len(t) < 3 || !isNameChar(t[0]) || !isNameChar(t[1]) || !isNameChar(t[2]) || (len(t) > 3 && t[3] != m.delims.Field) {
		return fmt.Errorf("%w: %w", ErrSet, ErrSegmentName)
	}
	if !addable(t[:3]) {
		return fmt.Errorf("%w: a message has one %s, at its start; batch envelopes are not part of a message", ErrSet, t[:3])
	}
	if k := strings.IndexAny(t, "\r\n"); k >= 0 {
		return fmt.Errorf("%w: segment text holds a line break at offset %d", ErrSet, k)
	}
	if m.charset == charsetUTF8 && !utf8.ValidString(t) {
		return fmt.Errorf("%w: segment text is not valid UTF-8", ErrSet)
	}
	return nil
}

// setPiece replaces, within one field's raw text, the repetition,
// component or sub-component that p names (a zero number means the whole
// of that level).
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
