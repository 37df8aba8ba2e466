package hl7v2

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestGetPaths(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	tests := []struct{ path, want string }{
		{"MSH-1", "|"},
		{"MSH-2", `^~\&`},
		{"MSH-3", "PAS"},
		{"MSH-9", "ADT"}, // stops above the leaf: first component
		{"MSH-9.1", "ADT"},
		{"MSH-9.2", "A01"},
		{"MSH-9.3", "ADT_A01"},
		{"MSH-10", "MSG00001"},
		{"MSH-12", "2.4"},
		{"MSH-17", "GBR"},
		{"MSH-18", "UNICODE UTF-8"},
		{"PID-3", "9990000018"},
		{"PID-3.1", "9990000018"},
		{"PID-3.4", "NHS"},
		{"PID-3.5", "NH"},
		{"PID-3(2).1", "RRK1234567"},
		{"PID-3(2).5", "MR"},
		{"PID-3(3).1", ""},
		{"PID-5.1", "SMYTHE"},
		{"PID-5.2", "ALEX"},
		{"PID-5.1.1", "SMYTHE"},
		{"PID-5.1.2", ""},
		{"PID-7", "19800101"},
		{"PID-8", "2"},
		{"PID-11.5", "LS1 4AP"},
		{"PID-13(2).1", "07700900000"},
		{"PID-32", "NSTS01"},
		{"PID-99", ""},
		{"PID[2]-3", ""},
		{"PD1-3.3", "A81001"},
		{"PV1-2", "I"},
		{"PV1-3.2", "WARD 12"},
		{"PV1-44", "20261124093000"},
		{"ZU1-3", "N"},
		{"OBX-5", ""},
		{"not a path", ""},
		{"PID-0", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, m.Get(tt.path), tt.path)
	}
}

func TestSegmentTerminators(t *testing.T) {
	body := []string{"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4", "PID|1||9990000018^^^NHS^NH||DOE^JO", "PV1|1|O"}
	tests := []struct {
		name     string
		text     string
		segments int
		pv1      string
	}{
		{"cr", strings.Join(body, "\r") + "\r", 3, "O"},
		{"cr no final terminator", strings.Join(body, "\r"), 3, "O"},
		{"crlf", strings.Join(body, "\r\n") + "\r\n", 3, "O"},
		{"lf only", strings.Join(body, "\n") + "\n", 3, "O"},
		{"trailing empty segment", strings.Join(body, "\r") + "\r\r", 3, "O"},
		// With \r present, a bare \n is data, not a terminator.
		{"lf inside cr message", body[0] + "\r" + body[1] + "\nX\r" + body[2] + "\r", 3, "O"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.text))
			require.NoError(t, err)
			assert.Equal(t, tt.segments, m.Len())
			assert.Equal(t, tt.pv1, m.Get("PV1-2"))
			assert.Equal(t, "ADT", m.Get("MSH-9"))
			enc := string(m.Encode())
			assert.True(t, strings.HasSuffix(enc, "\r"))
			assert.NotContains(t, strings.ReplaceAll(enc, "\nX", ""), "\n")
			m2, err := Parse(m.Encode())
			require.NoError(t, err)
			assert.Equal(t, m.Get("PID-5.2"), m2.Get("PID-5.2"))
		})
	}
	m, err := Parse([]byte(body[0] + "\r" + body[1] + "\nX\r"))
	require.NoError(t, err)
	assert.Equal(t, "JO\nX", m.Get("PID-5.2"))
}

func TestEncodeIsByteExact(t *testing.T) {
	in := fixture(t, "adt_a01.hl7")
	m, err := Parse(in)
	require.NoError(t, err)
	assert.Equal(t, string(in), string(m.Encode()))
}

func TestCustomDelimiters(t *testing.T) {
	text := "MSH#$*@!#A#B#C#D#20260101##ORU$R01#1#P#2.5.1\rOBX#1#ST#X$Y#1#a@S@b!d*e#\r"
	m, err := Parse([]byte(text))
	require.NoError(t, err)
	d := m.Delimiters()
	assert.Equal(t, Delimiters{Field: '#', Component: '$', Repetition: '*', Escape: '@', Subcomponent: '!'}, d)
	assert.Equal(t, "#", m.Get("MSH-1"))
	assert.Equal(t, "$*@!", m.Get("MSH-2"))
	assert.Equal(t, "R01", m.Get("MSH-9.2"))
	assert.Equal(t, "a$b", m.Get("OBX-5"))
	assert.Equal(t, "e", m.Get("OBX-5(2)"))
	assert.Equal(t, "d", m.Get("OBX-5.1.2"))
}

func TestTruncationCharacter(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&#|A|B|C|D|20260101||ADT^A01|1|P|2.7\rNTE|1||x\\P\\y\r"))
	require.NoError(t, err)
	assert.Equal(t, byte('#'), m.Delimiters().Truncation)
	assert.Equal(t, `^~\&#`, m.Get("MSH-2"))
	assert.Equal(t, "x#y", m.Get("NTE-3"))
	assert.Equal(t, "1", m.Get("MSH-10"))
}

func TestEscapes(t *testing.T) {
	d := DefaultDelimiters
	tests := []struct{ raw, want string }{
		{`a\F\b`, "a|b"},
		{`a\S\b\T\c\R\d`, "a^b&c~d"},
		{`\E\`, `\`},
		{`\E\F\E\`, `\F\`}, // the classic bug: \E\ next to other letters
		{`\E\\F\`, `\|`},
		{`C:\E\temp\E\new`, `C:\temp\new`},
		{`\X41\\X4243\`, "ABC"},
		{`\XC3A9\`, "é"},
		{`line\.br\two`, `line\.br\two`},
		{`\H\bold\N\`, `\H\bold\N\`},
		{`\Zabc\`, `\Zabc\`},
		{`\C2842\x`, `\C2842\x`},
		{`\M2442\y`, `\M2442\y`},
		{`unterminated\F`, `unterminated\F`},
		{`\`, `\`},
		{`\X4\`, `\X4\`},   // odd hex digits: kept
		{`\XZZ\`, `\XZZ\`}, // not hex: kept
		{`\Q\`, `\Q\`},
		{`plain`, "plain"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Unescape(tt.raw, d), tt.raw)
	}
	for _, s := range []string{"a|b^c&d~e\\f", "plain", `\F\`, "x\ry\nz", ""} {
		e := Escape(s, d)
		assert.NotContains(t, e, "|")
		assert.NotContains(t, e, "\r")
		assert.Equal(t, s, Unescape(e, d), "round trip of %q", s)
	}
}

func TestLatin1(t *testing.T) {
	text := []byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4||||||8859/1\rPID|1||9990000018^^^NHS^NH||O'BRI\xc9N^ZO\xcb\r")
	m, err := Parse(text)
	require.NoError(t, err)
	assert.Equal(t, "O'BRIÉN", m.Get("PID-5.1"))
	assert.Equal(t, "ZOË", m.Get("PID-5.2"))
	// A sender that declares Latin-1 but sends UTF-8 can be overridden.
	text2 := []byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4||||||8859/1\rPID|1||x||ZO\xc3\x8b\r")
	m2, err := ParseWithOptions(text2, Options{Charset: "UNICODE UTF-8"})
	require.NoError(t, err)
	assert.Equal(t, "ZOË", m2.Get("PID-5.1"))
}

// 8859/15 differs from 8859/1 in eight places, the euro sign among them.
func TestLatin9(t *testing.T) {
	text := []byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4||||||8859/15\rPID|1||x||\xa6KODA^\xa4 \xbd \xe9\r")
	m, err := Parse(text)
	require.NoError(t, err)
	assert.Equal(t, "8859/15", m.Charset())
	assert.Equal(t, "ŠKODA", m.Get("PID-5.1"))
	assert.Equal(t, "€ œ é", m.Get("PID-5.2"))
	// Read as Latin-1 the same bytes are other characters.
	m1, err := ParseWithOptions(text, Options{Charset: "8859/1"})
	require.NoError(t, err)
	assert.Equal(t, "¤ ½ é", m1.Get("PID-5.2"))
}

// Set writes a value in the message's character set, so that what is set
// is what Get reads back, and refuses a character the set lacks.
func TestSetInMessageCharset(t *testing.T) {
	tests := []struct {
		charset, value string
		raw            string // the bytes written
		err            bool
	}{
		{"8859/1", "ZOË", "ZO\xcb", false},
		{"8859/1", "€", "", true},
		{"8859/15", "€5 ŠŽ", "\xa45 \xa6\xb4", false},
		{"8859/15", "¤", "", true},
		{"8859/15", "ß", "\xdf", false},
		{"UNICODE UTF-8", "ZOË €", "ZO\xc3\x8b \xe2\x82\xac", false},
		{"UNICODE UTF-8", "bad \xff", "", true},
		{"ASCII", "plain", "plain", false},
	}
	for _, tt := range tests {
		t.Run(tt.charset+" "+tt.value, func(t *testing.T) {
			m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4||||||" + tt.charset + "\rPID|1\r"))
			require.NoError(t, err)
			err = m.Set("PID-5.1", tt.value)
			if tt.err {
				require.ErrorIs(t, err, ErrSet)
				assert.Equal(t, "", m.Get("PID-5.1"), "nothing written")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.value, m.Get("PID-5.1"))
			assert.Contains(t, string(m.Encode()), "PID|1||||"+tt.raw+"\r")
		})
	}
}

// A character set nhskit cannot convert is refused where it is declared,
// not read as UTF-8; the caller can override it.
func TestUnsupportedCharset(t *testing.T) {
	text := []byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4||||||8859/2\rPID|1||x||\xa9\r")
	_, err := Parse(text)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, ErrCharset)
	assert.Equal(t, 1, pe.Segment)
	assert.Equal(t, 18, pe.Field)
	assert.Equal(t, strings.Index(string(text), "8859/2"), pe.Offset)
	assert.Contains(t, err.Error(), `"8859/2"`)
	m, err := ParseWithOptions(text, Options{Charset: "8859/1"})
	require.NoError(t, err)
	assert.Equal(t, "©", m.Get("PID-5"))
	_, err = ParseWithOptions(text, Options{Charset: "EBCDIC"})
	require.ErrorIs(t, err, ErrCharset)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		err     error
		segment int
	}{
		{"empty", "", ErrEmpty, 0},
		{"no msh", "PID|1\r", ErrNoMSH, 1},
		{"short", "MSH|", ErrNoMSH, 1},
		{"bad encoding chars", "MSH|^~|A\r", ErrBadDelimiters, 1},
		{"duplicate delimiter", "MSH|^^\\&|A|B\r", ErrBadDelimiters, 1},
		{"letter delimiter", "MSH|^~\\A|A|B\r", ErrBadDelimiters, 1},
		{"bad segment name", "MSH|^~\\&|A\rpid|1\r", ErrSegmentName, 2},
		{"segment name too short", "MSH|^~\\&|A\rPI\r", ErrSegmentName, 2},
		{"segment name glued", "MSH|^~\\&|A\rPIDX|1\r", ErrSegmentName, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.text))
			require.ErrorIs(t, err, tt.err)
			var pe *ParseError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tt.segment, pe.Segment)
		})
	}
	_, err := ParseWithOptions([]byte("MSH|^~\\&|A\rPID|1\rPV1|1\r"), Options{Limits: Limits{MaxSegments: 2}})
	assert.ErrorIs(t, err, ErrTooManySegments)
	_, err = ParseWithOptions([]byte("MSH|^~\\&|A\rPID|1\r"), Options{Limits: Limits{MaxBytes: 5}})
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestParsePath(t *testing.T) {
	good := map[string]Path{
		"PID":          {Segment: "PID"},
		"PID-3":        {Segment: "PID", Field: 3},
		"PID-3(2).1":   {Segment: "PID", Field: 3, Repetition: 2, Component: 1},
		"OBX[2]-5":     {Segment: "OBX", Occurrence: 2, Field: 5},
		"PID-5.1.2":    {Segment: "PID", Field: 5, Component: 1, Sub: 2},
		"ZU1-1":        {Segment: "ZU1", Field: 1},
		"OBX[10]-5(3)": {Segment: "OBX", Occurrence: 10, Field: 5, Repetition: 3},
	}
	for s, want := range good {
		p, err := ParsePath(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, p, s)
		assert.Equal(t, s, p.String())
	}
	for _, s := range []string{"", "PI", "pid-3", "PID-", "PID-0", "PID-3(0)", "PID-3.", "PID-3.1.2.3", "PID[0]-1", "PID-3x", "PID-9999999"} {
		_, err := ParsePath(s)
		assert.ErrorIs(t, err, ErrPath, s)
	}
}

func TestSegmentsAPI(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	segs := m.Segments()
	require.Len(t, segs, 9)
	assert.Equal(t, "MSH", segs[0].Name())
	pid, ok := m.First("PID")
	require.True(t, ok)
	assert.Equal(t, 2, pid.Repetitions(3))
	assert.Equal(t, 5, pid.Components(3, 1))
	assert.Equal(t, "RRK", pid.Get(3, 2, 4, 1))
	assert.Equal(t, 32, pid.NumFields())
	msh := segs[0]
	assert.Equal(t, "|", msh.Field(1))
	assert.Equal(t, `^~\&`, msh.Field(2))
	assert.Equal(t, "PAS", msh.Field(3))
	assert.Equal(t, 19, msh.NumFields())
	assert.Len(t, m.SegmentsNamed("ZU1"), 1)
	assert.NotContains(t, m.String(), "SMYTHE")
}

func TestNoCopyAndClone(t *testing.T) {
	in := fixture(t, "adt_a01.hl7")
	m, err := Parse(in)
	require.NoError(t, err)
	c := m.Clone()
	copy(in, "XXXXXXXXXXXX") // the caller reuses its buffer
	assert.Equal(t, "PAS", c.Get("MSH-3"), "a clone is independent of the input")
	assert.Equal(t, "SMYTHE", c.Get("PID-5.1"))
}

func TestInvalidBytesForCharset(t *testing.T) {
	// MSH-18 ASCII, PID-5 in Latin-1: refused with where, not passed on.
	text := "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4||||||ASCII\rPID|1||9990000018^^^NHS^NH||BRONT\xcb^ANNE\r"
	_, err := Parse([]byte(text))
	require.ErrorIs(t, err, ErrCharset)
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, 2, pe.Segment)
	assert.Equal(t, 5, pe.Field)
	assert.Equal(t, strings.Index(text, "\xcb"), pe.Offset)
	assert.NotContains(t, err.Error(), "BRONT", "no patient data in errors")
	// Read as the sender's real set, it is the name.
	m, err := ParseWithOptions([]byte(text), Options{Charset: "8859/1"})
	require.NoError(t, err)
	assert.Equal(t, "BRONTË", m.Get("PID-5.1"))
	// \X..\ bytes that are not UTF-8 in a UTF-8 message become U+FFFD.
	m, err = Parse([]byte("MSH|^~\\&|A\rNTE|1||a\\XCB\\b\\XC3A9\\\r"))
	require.NoError(t, err)
	assert.Equal(t, "a\uFFFDbé", m.Get("NTE-3"))
	assert.True(t, utf8.ValidString(m.Get("NTE-3")))
}

func TestAbsentSegmentViews(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.4\r"))
	require.NoError(t, err)
	pid, ok := m.PID()
	assert.False(t, ok)
	assert.False(t, pid.Present())
	assert.Equal(t, "", pid.NHSNumber().Digits())
	assert.Equal(t, "", pid.Name().Family)
	assert.Empty(t, pid.Identifiers())
	assert.Equal(t, 0, pid.NumFields())
	pv1, _ := m.PV1()
	assert.Equal(t, "", pv1.PatientClass())
	_, _, err = pv1.Admitted()
	assert.Error(t, err)
	for range pv1.Reps(3) {
		t.Fatal("an absent segment has no repetitions")
	}
	// MSH-2 is one value, not split by the component separator it holds.
	assert.Equal(t, 1, m.MSH().Components(2, 1))
	assert.Equal(t, 1, m.MSH().Components(1, 1))
}

func TestLookupAndAll(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1\rPID|1||9990000018^^^NHS^NH~L1^^^RRK^MR||DOE^JO||19800101|\"\"\r" +
		"OBR|1\rOBX|1|NM|A||1\rOBX|2|ST|B||x~y~z\rOBX|3|NM|C\r"))
	require.NoError(t, err)
	for _, tt := range []struct {
		path    string
		want    string
		present bool
	}{
		{"PID-5.1", "DOE", true},
		{"PID-6", "", true},   // sent empty
		{"PID-8", `""`, true}, // HL7 null, as written
		{"PID-9", "", false},  // past the segment's end
		{"PID-5.3", "", false},
		{"PV1-2", "", false},
		{"OBX[3]-5", "", false},
	} {
		v, ok, err := m.Lookup(tt.path)
		require.NoError(t, err, tt.path)
		assert.Equal(t, tt.want, v, tt.path)
		assert.Equal(t, tt.present, ok, tt.path)
	}
	assert.True(t, IsNull(m.Get("PID-8")))
	_, _, err = m.Lookup("PID-x")
	assert.ErrorIs(t, err, ErrPath)
	_, _, err = m.Lookup("OBX[*]-5")
	assert.ErrorIs(t, err, ErrWildcard)
	assert.Equal(t, "", m.Get("OBX[*]-5"))

	collect := func(path string) []string {
		var out []string
		for p, v := range m.All(path) {
			out = append(out, p.String()+"="+v)
		}
		return out
	}
	assert.Equal(t, []string{"OBX-5=1", "OBX[2]-5=x"}, collect("OBX[*]-5"))
	assert.Equal(t, []string{"OBX[2]-5=x", "OBX[2]-5(2)=y", "OBX[2]-5(3)=z"}, collect("OBX[2]-5(*)"))
	assert.Equal(t, []string{"OBX-5=1", "OBX[2]-5=x", "OBX[2]-5(2)=y", "OBX[2]-5(3)=z"}, collect("OBX[*]-5(*)"))
	assert.Equal(t, []string{"PID-3.1=9990000018", "PID-3(2).1=L1"}, collect("PID-3(*).1"))
	assert.Equal(t, []string{"OBX[*]-5"}, func() []string { p, _ := ParsePath("OBX[*]-5"); return []string{p.String()} }())
	assert.Empty(t, collect("bad path"))
	// Stops when the loop does.
	n := 0
	for range m.All("OBX[*]-5(*)") {
		n++
		break
	}
	assert.Equal(t, 1, n)
}

func TestTypedViewsInFull(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A02|1|P|2.4\rEVN|A02|20260101|||||RRK\r" +
		"PV1|1|I|RRK01^WARD 14^BED 2^RRK^O^N^MAIN^3^Ward fourteen|||RRK01^WARD 12^BED 3^RRK|C1234567^PATEL^RAVI^K^JR^DR^FRCP^^GMC\r"))
	require.NoError(t, err)
	require.NoError(t, m.Set("PV1-39", "RRK02"))
	assert.Contains(t, m.Segments()[2].Raw(), "|||||||||||||||||||||||||||||RRK02")
	pv1, _ := m.PV1()
	assert.Equal(t, PL{PointOfCare: "RRK01", Room: "WARD 14", Bed: "BED 2", Facility: "RRK", Status: "O", Type: "N", Building: "MAIN", Floor: "3", Description: "Ward fourteen"}, pv1.AssignedLocation())
	assert.Equal(t, "WARD 12", pv1.PriorLocation().Room)
	assert.Equal(t, "RRK02", pv1.ServicingFacility())
	at := pv1.Attending()
	assert.Equal(t, XCN{ID: "C1234567", Family: "PATEL", Given: "RAVI", Middle: "K", Suffix: "JR", Prefix: "DR", Degree: "FRCP", AssigningAuthority: "GMC"}, at)
	m2, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A02|1|P|2.4\rEVN|A02|20260101||02^Patient request^HL70062\r"))
	require.NoError(t, err)
	evn, _ := m2.EVN()
	assert.Equal(t, "02", evn.ReasonCode().Code)
	assert.Equal(t, "Patient request", evn.ReasonCode().Text)
}
