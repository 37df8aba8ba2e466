package hl7v2

import (
	"errors"
	"os"
	"testing"
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
