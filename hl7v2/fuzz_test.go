package hl7v2

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/adt_a01.hl7"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("MSH|^~\\&|A\rPID|1||x^y~z\r"))
	f.Add([]byte("MSH#$*@!#A\nOBX#1#a@S@b\n"))
	f.Add([]byte("MSH|^~\\&#|A\r\nNTE|1||x\\P\\\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Offset < 0 || pe.Offset > len(data)+DefaultLimits.MaxBytes {
				t.Fatalf("offset %d out of range", pe.Offset)
			}
			return
		}
		// Round trip: the encoded form parses to the same values.
		m2, err := Parse(m.Encode())
		if err != nil {
			t.Fatalf("encoded message does not parse: %v", err)
		}
		if m.Len() != m2.Len() {
			t.Fatalf("segment count %d became %d", m.Len(), m2.Len())
		}
		for i, s := range m.Segments() {
			s2 := m2.Segments()[i]
			if s.Name() != s2.Name() || s.NumFields() != s2.NumFields() {
				t.Fatalf("segment %d changed", i)
			}
			for f := 1; f <= s.NumFields() && f < 40; f++ {
				if s.Field(f) != s2.Field(f) || s.RawField(f) != s2.RawField(f) {
					t.Fatalf("segment %d field %d changed", i, f)
				}
				if !utf8.ValidString(s.Field(f)) {
					t.Fatalf("segment %d field %d: Get gave invalid UTF-8 %q", i, f, s.Field(f))
				}
			}
		}
		// Encoding an encoded message is stable.
		if string(m2.Encode()) != string(m.Encode()) {
			t.Fatalf("encode is not idempotent")
		}
	})
}

func FuzzGetPath(f *testing.F) {
	b, err := os.ReadFile("testdata/adt_a01.hl7")
	if err != nil {
		f.Skip("fixture missing")
	}
	m, err := Parse(b)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"PID-3(2).1", "OBX[2]-5", "PID-5.1.2", "MSH-2", "MSH-1", "ZU1-3", "PID[99]-1(9).9.9"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		v := m.Get(path)
		if p, err := ParsePath(path); err == nil {
			if p2, err := ParsePath(p.String()); err != nil || (p2 != p && !(p.Occurrence == 1 || p.Repetition == 1)) {
				t.Fatalf("path %q does not round trip through %q", path, p.String())
			}
			if m.GetPath(p) != v {
				t.Fatalf("Get and GetPath disagree on %q", path)
			}
		} else if v != "" {
			t.Fatalf("malformed path %q returned %q", path, v)
		}
	})
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`\E\F\E\`, `\X41\`, `\.br\`, `\`, `a\F`, `\XC3A9\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := DefaultDelimiters
		u := Unescape(s, d)
		if len(u) > 2*len(s)+8 {
			t.Fatalf("unescape grew %d bytes to %d", len(s), len(u))
		}
		// Escape then Unescape is the identity.
		if got := Unescape(Escape(s, d), d); got != s {
			t.Fatalf("escape round trip of %q gave %q", s, got)
		}
		// Set's escaping, which keeps formatting escapes, too.
		if got := Unescape(escapeValue(s, d), d); got != s {
			t.Fatalf("escapeValue round trip of %q gave %q", s, got)
		}
	})
}

// FuzzSet: Set never panics; when it succeeds, Get reads the value back,
// the rest of the message is unchanged, and the encoded message parses to
// the same values.
func FuzzSet(f *testing.F) {
	b, err := os.ReadFile("testdata/adt_a01.hl7")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][2]string{{"PID-5", "SMITH"}, {"BHS-3", "X"}, {"OBX[2]-5", "a|b^c"}, {"PID-3(3).4", `\.br\`},
		{"MSH-9.2", "A08"}, {"ZU1-1", "\r\n"}, {"PV1-3.1.2", `x\X41\`}, {"PD1-3.3", "A81001"}, {"MSH-2", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, value string) {
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		before := m.Get("PID-3")
		if err := m.Set(path, value); err != nil {
			return
		}
		if got := m.Get(path); got != value {
			t.Fatalf("Set(%q, %q) then Get gave %q", path, value, got)
		}
		if p, _ := ParsePath(path); p.Segment != "PID" && m.Get("PID-3") != before {
			t.Fatalf("Set(%q) changed PID-3", path)
		}
		back, err := Parse(m.Encode())
		if err != nil {
			t.Fatalf("the edited message does not parse: %v", err)
		}
		if back.Len() != m.Len() || back.Get(path) != value {
			t.Fatalf("the edited message does not read back: %d/%d segments, %q", back.Len(), m.Len(), back.Get(path))
		}
	})
}

// FuzzReaderVsParse: the Reader, fed the bytes in any chunking, yields the
// same messages Parse gives for each of them. Two messages a and b that
// Parse accepts, each holding no segment that starts another batch item,
// come back from a+b as exactly Parse(a) then Parse(b).
func FuzzReaderVsParse(f *testing.F) {
	f.Add([]byte("MSH|^~\\&|A|1\rPID|1||x\r"), []byte("MSH|^~\\&|B|2\rOBX|1|TX|||a\nMSH b\r"), uint8(1))
	f.Add([]byte("MSH|^~\\&|A\nPID|1\n"), []byte("MSH|^~\\&|B\r\nPV1|1\r\n"), uint8(7))
	f.Add([]byte("MSH|^~\\&|A"), []byte("MSH#^~\\&#B\r"), uint8(3))
	f.Fuzz(func(t *testing.T, a, b []byte, chunk uint8) {
		ma, err := Parse(a)
		if err != nil || !single(ma, a) {
			return
		}
		mb, err := Parse(b)
		if err != nil || !single(mb, b) {
			return
		}
		in := append(append([]byte(nil), a...), b...)
		// A message that has shown a CR ends its segments with CR only (a
		// bare LF after that is data to the Reader), one without a CR with
		// LF: if a's last segment is not ended so, end it the way a ends
		// its others.
		term := byte('\r')
		if bytes.IndexByte(a, '\r') < 0 {
			term = '\n'
		}
		if tail := a[len(bytes.TrimRight(a, "\r\n")):]; bytes.IndexByte(tail, term) < 0 {
			in = append(append(append([]byte(nil), a...), term), b...)
		}
		r := NewReader(&chunked{data: in, n: int(chunk)%16 + 1})
		var got []*Message
		for r.Next() {
			got = append(got, r.Message())
		}
		if r.Err() != nil {
			t.Fatalf("reader: %v", r.Err())
		}
		if len(got) != 2 {
			t.Fatalf("reader gave %d messages, want 2", len(got))
		}
		for i, want := range []*Message{ma, mb} {
			if string(got[i].Encode()) != string(want.Encode()) {
				t.Fatalf("message %d: reader %q, Parse %q", i+1, got[i].Encode(), want.Encode())
			}
		}
	})
}

// single says whether the text of m is one batch item as the Reader sees
// it: no later segment is an envelope or MSH, no bare LF starts one in a
// message read line by line before its first CR, and no blank lines make
// Parse drop what the Reader keeps.
func single(m *Message, raw []byte) bool {
	for i, s := range m.Segments() {
		if i > 0 && isBoundary([]byte(s.Name())) {
			return false
		}
	}
	for i := 1; i+3 <= len(raw); i++ {
		if (raw[i-1] == '\n' || raw[i-1] == '\r') && isBoundary(raw[i:]) {
			return false
		}
	}
	return true
}

// chunked reads data n bytes at a time.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// FuzzEdits runs a sequence of edits (Set, InsertSegment, DeleteSegment)
// and checks after each that the message reads as its encoded form parsed
// afresh, and that strings read earlier have not changed.
func FuzzEdits(f *testing.F) {
	f.Add([]byte{0, 3, 0, 200, 1, 2, 2, 1, 3, 9, 0, 255, 0, 255, 0, 255})
	f.Add([]byte{2, 0, 2, 0, 1, 1, 1, 1, 0, 7})
	f.Fuzz(func(t *testing.T, ops []byte) {
		m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\rPID|1||9990000018^^^NHS^NH||DOE^JO\rOBR|1\rOBX|1|NM|X||1\r"))
		if err != nil {
			t.Fatal(err)
		}
		type kept struct{ got, want string }
		var held []kept
		for i := 0; i+1 < len(ops) && i < 200; i += 2 {
			kind, n := ops[i]%4, int(ops[i+1])
			switch kind {
			case 0:
				p := "OBX[" + strconv.Itoa(n%5+1) + "]-" + strconv.Itoa(n%7+1)
				_ = m.Set(p, strings.Repeat("v", n)+"|^")
			case 1:
				_ = m.DeleteSegment(n % m.Len())
			case 2:
				_ = m.InsertSegment(1+n%m.Len(), "ZZ"+strconv.Itoa(n%10)+"|"+strconv.Itoa(n))
			case 3:
				_ = m.Set("PID-"+strconv.Itoa(n%12+1), strconv.Itoa(n))
			}
			v := m.Get("PID-5")
			held = append(held, kept{v, strings.Clone(v)})
			back, err := Parse(m.Encode())
			if err != nil {
				t.Fatalf("after op %d the message does not parse: %v", i/2, err)
			}
			if back.Len() != m.Len() {
				t.Fatalf("after op %d: %d segments, encoded form has %d", i/2, m.Len(), back.Len())
			}
			for j, s := range m.Segments() {
				if s.Raw() != back.Segments()[j].Raw() {
					t.Fatalf("after op %d segment %d differs", i/2, j)
				}
			}
		}
		for _, h := range held {
			if h.got != h.want {
				t.Fatal("a string from Get changed")
			}
		}
	})
}

func FuzzSIU(f *testing.F) {
	for _, n := range []string{"s12.hl7", "s14_v23.hl7", "s15.hl7", "s24.hl7"} {
		if b, err := os.ReadFile("testdata/siu/" + n); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rAIS|1||X|2026\rNTE|1\rZZZ\rRGS|1\rAIP\r"))
	f.Add([]byte("MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rAIS|1||X|2026|NaN|min|1e6|wk\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		s, err := m.SIU()
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || (!errors.Is(err, ErrStructure) && !errors.Is(err, ErrNotSIU)) {
				t.Fatalf("error %v is not a positioned structure error", err)
			}
			if pe.Segment < 1 || pe.Segment > m.Len()+1 {
				t.Fatalf("segment %d out of range", pe.Segment)
			}
			return
		}
		n := 1
		if s.SCH.Present() {
			n++
		}
		n += len(s.TQ1) + len(s.Notes)
		for _, p := range s.Patients {
			n += 1 + len(p.OBX) + len(p.DG1)
			for _, seg := range []Segment{p.PD1.Segment, p.PV1.Segment, p.PV2} {
				if seg.Present() {
					n++
				}
			}
		}
		for _, g := range s.Resources {
			if g.RGS.Present() {
				n++
			}
			for _, r := range g.timings() {
				n++
				for _, q := range []func() (time.Duration, bool, error){r.Duration, r.StartOffset} {
					if d, ok, err := q(); err == nil && ok && d < 0 {
						t.Fatalf("negative duration %v", d)
					}
				}
			}
			for _, a := range g.Services {
				n += len(a.Notes)
			}
			for _, a := range g.General {
				n += len(a.Notes)
			}
			for _, a := range g.Locations {
				n += len(a.Notes)
			}
			for _, a := range g.Personnel {
				n += len(a.Notes)
			}
		}
		other := 0
		for _, seg := range m.Segments() {
			if seg.Name()[0] == 'Z' || seg.Name() == "SFT" {
				other++
			}
		}
		if n+other != m.Len() {
			t.Fatalf("structure accounts for %d of %d segments", n+other, m.Len())
		}
		if tm, err := s.Timing(); err == nil && !tm.End.IsZero() && tm.End.Before(tm.Start) {
			t.Fatalf("timing ends before it starts")
		}
	})
}
