package hl7v2

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetAndBuild(t *testing.T) {
	m, err := NewMessage(DefaultDelimiters)
	require.NoError(t, err)
	steps := []struct{ path, value string }{
		{"MSH-3", "NHSKIT"},
		{"MSH-9.1", "ADT"},
		{"MSH-9.2", "A04"},
		{"MSH-10", "X1"},
		{"MSH-12", "2.4"},
		{"PID-3.1", "9990000018"},
		{"PID-3.4", "NHS"},
		{"PID-3.5", "NH"},
		{"PID-3(2).1", "L123"},
		{"PID-5.1", "O'Neil|Smith^Jr"},
		{"PID-5.1.2", "sub"},
		{"OBX-5", "first"},
		{"OBX[2]-5", "second"},
	}
	for _, s := range steps {
		require.NoError(t, m.Set(s.path, s.value), s.path)
	}
	assert.Equal(t, "NHSKIT", m.Get("MSH-3"))
	assert.Equal(t, "A04", m.Get("MSH-9.2"))
	assert.Equal(t, `^~\&`, m.Get("MSH-2"))
	assert.Equal(t, "9990000018", m.Get("PID-3"))
	assert.Equal(t, "L123", m.Get("PID-3(2).1"))
	assert.Equal(t, "O'Neil|Smith^Jr", m.Get("PID-5.1.1"))
	assert.Equal(t, "sub", m.Get("PID-5.1.2"))
	assert.Equal(t, "second", m.Get("OBX[2]-5"))
	assert.Contains(t, string(m.Encode()), `O'Neil\F\Smith\S\Jr&sub`)

	assert.ErrorIs(t, m.Set("MSH-1", "#"), ErrSet)
	assert.ErrorIs(t, m.Set("OBX[4]-1", "x"), ErrSet)
	assert.ErrorIs(t, m.Set("PID", "x"), ErrSet)
	assert.ErrorIs(t, m.Set("PID-x", "x"), ErrPath)

	// Editing a parsed message leaves the rest as it was.
	in := fixture(t, "adt_a01.hl7")
	orig, err := Parse(in)
	require.NoError(t, err)
	require.NoError(t, orig.Set("PV1-3.3", "BED 4"))
	assert.Equal(t, "BED 4", orig.Get("PV1-3.3"))
	assert.Equal(t, "N", orig.Get("ZU1-3"))
	assert.Equal(t, "NSTS01", orig.Get("PID-32"))
}

func TestAck(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	at := time.Date(2026, 11, 24, 9, 31, 0, 0, time.UTC)
	ack, err := m.Ack(AckAccept, AckOptions{Time: at})
	require.NoError(t, err)
	h := ack.MSH()
	assert.Equal(t, "TIE", h.SendingApplication())
	assert.Equal(t, "RRK", h.SendingFacility())
	assert.Equal(t, "PAS", h.ReceivingApplication())
	assert.Equal(t, "ACK", h.MessageCode())
	assert.Equal(t, "A01", h.TriggerEvent())
	assert.Equal(t, "ACK", h.MessageStructure())
	assert.Equal(t, "2.4", h.Version())
	assert.Equal(t, "P", h.ProcessingID())
	assert.Equal(t, "20261124093100+0000", ack.Get("MSH-7"))
	msa, ok := ack.MSA()
	require.True(t, ok)
	assert.Equal(t, "AA", msa.Code())
	assert.Equal(t, "MSG00001", msa.ControlID())

	// v2.4: ERR-1; v2.5+: ERR-2/3/4.
	nack, err := m.Ack(AckError, AckOptions{Text: "missing field", Errors: []AckIssue{{Segment: "PID", Field: 3, Code: "101", Text: "Required field missing"}}})
	require.NoError(t, err)
	assert.Equal(t, "PID", nack.Get("ERR-1.1"))
	assert.Equal(t, "3", nack.Get("ERR-1.3"))
	assert.Equal(t, "101", nack.Get("ERR-1.4.1"))
	assert.Equal(t, "missing field", nack.Get("MSA-3"))
	old := nack.ERRs()
	require.Len(t, old, 1)
	assert.Equal(t, "PID-3", old[0].Location(), "ERR-1 before v2.5")
	assert.Equal(t, "101", old[0].LegacyCode().Code)
	assert.Equal(t, "Required field missing", old[0].LegacyCode().Text)

	require.NoError(t, m.Set("MSH-12", "2.5.1"))
	nack, err = m.Ack(AckCommitReject, AckOptions{Errors: []AckIssue{{Segment: "PV1", Sequence: 1, Field: 2, Code: "207", Text: "Application error", Severity: "E"}}})
	require.NoError(t, err)
	errs := nack.ERRs()
	require.Len(t, errs, 1)
	assert.Equal(t, "PV1-2", errs[0].Location())
	assert.Equal(t, "207", errs[0].Code().Code)
	assert.Equal(t, "HL70357", errs[0].Code().System)
	assert.Equal(t, "E", errs[0].Severity())
	code, _ := nack.MSA()
	assert.Equal(t, "CR", code.Code())

	_, err = m.Ack("XX", AckOptions{})
	assert.Error(t, err)
}

func TestTypedViews(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	pid, ok := m.PID()
	require.True(t, ok)
	assert.Equal(t, "9990000018", pid.NHSNumber().Digits())
	assert.Equal(t, XPN{Family: "SMYTHE", Given: "ALEX", Middle: "JAMES", Prefix: "MR"}, pid.Name())
	dob, prec, err := pid.BirthDate()
	require.NoError(t, err)
	assert.Equal(t, PrecisionDay, prec)
	assert.Equal(t, "1980-01-01", dob.Format("2006-01-02"))
	assert.Equal(t, "2", pid.Sex())
	assert.Equal(t, "LS1 4AP", pid.Address().Postcode)
	assert.Equal(t, "07700900000", pid.HomePhone(2).Number)
	assert.Equal(t, "NSTS01", pid.TraceStatus())
	assert.Len(t, pid.Identifiers(), 2)
	pd1, _ := m.PD1()
	assert.Equal(t, "A81001", pd1.PracticeODS())
	assert.Equal(t, "G1234567", pd1.GP().ID)
	pv1, _ := m.PV1()
	assert.Equal(t, "I", pv1.PatientClass())
	assert.Equal(t, "WARD 12", pv1.Room())
	assert.Equal(t, "C1234567", pv1.Attending().ID)
	assert.Equal(t, "19", pv1.AdmitSource())
	assert.Equal(t, "V0000123", pv1.VisitNumber().ID)
	adm, prec, err := pv1.Admitted()
	require.NoError(t, err)
	assert.Equal(t, PrecisionSecond, prec)
	assert.Equal(t, "2026-11-24T09:30:00Z", adm.UTC().Format(time.RFC3339))
	ts, _, err := m.MSH().Timestamp()
	require.NoError(t, err)
	assert.Equal(t, "2026-11-24T09:30:15Z", ts.UTC().Format(time.RFC3339))
	al := m.AL1s()
	require.Len(t, al, 1)
	assert.Equal(t, "91936005", al[0].Allergen().Code)
	assert.Equal(t, "SCT", al[0].Allergen().System)
	assert.Len(t, m.NK1s(), 1)
	assert.Equal(t, "SPO", m.NK1s()[0].Relationship().Code)
}

func TestParseDTM(t *testing.T) {
	tests := []struct {
		in   string
		want string
		prec Precision
	}{
		{"2026", "2026-01-01T00:00:00Z", PrecisionYear},
		{"202611", "2026-11-01T00:00:00Z", PrecisionMonth},
		{"20261124", "2026-11-24T00:00:00Z", PrecisionDay},
		{"2026112409", "2026-11-24T09:00:00Z", PrecisionHour},
		{"202611240915", "2026-11-24T09:15:00Z", PrecisionMinute},
		{"20261124091530", "2026-11-24T09:15:30Z", PrecisionSecond},
		{"20261124091530.123", "2026-11-24T09:15:30.123Z", PrecisionFraction},
		{"20261124091530+0100", "2026-11-24T08:15:30Z", PrecisionSecond},
		{"20260701120000", "2026-07-01T11:00:00Z", PrecisionSecond}, // BST in London
		{"202607011200-0500", "2026-07-01T17:00:00Z", PrecisionMinute},
	}
	for _, tt := range tests {
		got, p, err := ParseDTM(tt.in, nil)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got.UTC().Format(time.RFC3339Nano), tt.in)
		assert.Equal(t, tt.prec, p, tt.in)
	}
	for _, bad := range []string{"", "20", "20261", "20261324", "20260230", "2026112425", "20261124091530.", "2026112409.5", "20261124+01", "abcd", "20261124091530+2500"} {
		_, _, err := ParseDTM(bad, nil)
		assert.ErrorIs(t, err, ErrDTM, bad)
	}
}

func TestSetDefects(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	// A batch header cannot be added to a message; asking is an error,
	// not a panic.
	assert.ErrorIs(t, m.Set("BHS-3", "X"), ErrSet)
	assert.ErrorIs(t, m.Set("FHS-3", "X"), ErrSet)
	assert.ErrorIs(t, m.Set("MSH[2]-3", "X"), ErrSet)
	// A wildcard names many places: refused, and nothing changes (Set
	// once wrote "ZZZ[*]-1" as ZZZ-1, where Get reads nothing back).
	before := string(m.Encode())
	for _, path := range []string{"ZZZ[*]-1", "PID[*]-5", "PID-3(*)", "PID-3(*).1"} {
		assert.ErrorIs(t, m.Set(path, "X"), ErrSet, path)
		assert.ErrorIs(t, m.SetRaw(path, "X"), ErrSet, path)
	}
	assert.Equal(t, before, string(m.Encode()))

	// Formatting escapes survive Get then Set.
	o, err := Parse([]byte("MSH|^~\\&|A\rOBX|1|FT|||line one\\.br\\line two \\H\\bold\\N\\ \\.sp2\\ a\\F\\b\r"))
	require.NoError(t, err)
	v := o.Get("OBX-5")
	require.NoError(t, o.Set("OBX-5", v))
	assert.Equal(t, `line one\.br\line two \H\bold\N\ \.sp2\ a\F\b`, o.RawPath("OBX-5"))
	assert.Equal(t, v, o.Get("OBX-5"))
	// An unknown sequence is text, escaped.
	require.NoError(t, o.Set("OBX-5", `\Q\`))
	assert.Equal(t, `\E\Q\E\`, o.RawPath("OBX-5"))

	// A path above the leaf sets component 1, as the terser does.
	p, err := Parse([]byte("MSH|^~\\&|A\rPID|1||X||SMITH^JOHN^^^MR~ALIAS^JJ\r"))
	require.NoError(t, err)
	require.NoError(t, p.Set("PID-5", "SMYTHE"))
	assert.Equal(t, "SMYTHE^JOHN^^^MR~ALIAS^JJ", p.Segments()[1].RawField(5))
	// SetRaw writes a whole field, or one level of it.
	require.NoError(t, p.SetRaw("PID-5(2)", "OTHER^NAME"))
	assert.Equal(t, "SMYTHE^JOHN^^^MR~OTHER^NAME", p.Segments()[1].RawField(5))
	assert.ErrorIs(t, p.SetRaw("PID-5.1", "A^B"), ErrSet)
	assert.ErrorIs(t, p.SetRaw("PID-5", "A|B"), ErrSet)
	require.NoError(t, p.SetRaw("MSH-9", "ADT^A01^ADT_A01"))
	assert.Equal(t, "A01", p.Get("MSH-9.2"))
}

func TestSetPlacesSegmentsByStructure(t *testing.T) {
	m, err := NewMessage(DefaultDelimiters)
	require.NoError(t, err)
	for _, s := range [][2]string{
		{"MSH-9", "ADT"}, {"PV1-2", "I"}, {"PID-3", "9990000018"}, {"OBX-1", "1"}, {"PD1-3.3", "A81001"},
		{"EVN-1", "A01"}, {"NK1-1", "1"}, {"OBX[2]-1", "2"}, {"ZU1-1", "z"}, {"PV2-3", "x"},
	} {
		require.NoError(t, m.Set(s[0], s[1]), s[0])
	}
	var names []string
	for _, s := range m.Segments() {
		names = append(names, s.Name())
	}
	assert.Equal(t, []string{"MSH", "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "OBX", "OBX", "ZU1"}, names)
	// The built message parses back to the same thing.
	back, err := Parse(m.Encode())
	require.NoError(t, err)
	assert.Equal(t, string(m.Encode()), string(back.Encode()))
	assert.Equal(t, "A81001", back.Get("PD1-3.3"))
}

func TestSegmentInsertDelete(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	n := m.Len()
	require.NoError(t, m.AppendSegment("ZU9|a|b^c"))
	assert.Equal(t, "c", m.Get("ZU9-2.2"))
	require.NoError(t, m.InsertSegment(1, "ZU8|first"))
	assert.Equal(t, "ZU8", m.Segments()[1].Name())
	assert.Equal(t, "first", m.Get("ZU8-1"))
	require.NoError(t, m.DeleteSegment(1))
	assert.Equal(t, n+1, m.Len())
	assert.Equal(t, "", m.Get("ZU8-1"))
	assert.ErrorIs(t, m.DeleteSegment(0), ErrSet, "the MSH stays")
	assert.ErrorIs(t, m.InsertSegment(0, "ZU1|x"), ErrSet)
	assert.ErrorIs(t, m.AppendSegment("ZU1|x\rPID|1"), ErrSet)
	assert.ErrorIs(t, m.AppendSegment("zz"), ErrSegmentName)
	assert.ErrorIs(t, m.AppendSegment("BHS|^~\\&"), ErrSet)
	back, err := Parse(m.Encode())
	require.NoError(t, err)
	assert.Equal(t, m.Len(), back.Len())
	assert.Equal(t, m.Raw(), string(back.Encode()))
}

func TestBuildManySegmentsStaysConsistent(t *testing.T) {
	m, err := NewMessage(DefaultDelimiters)
	require.NoError(t, err)
	require.NoError(t, m.Set("MSH-9", "ORU"))
	kept := m.Get("MSH-9")
	for i := 1; i <= 3000; i++ {
		p := "OBX[" + itoa(i) + "]"
		require.NoError(t, m.Set(p+"-1", itoa(i)))
		require.NoError(t, m.Set(p+"-2", "NM"))
		require.NoError(t, m.Set(p+"-5", itoa(i*7)))
		if i%500 == 0 {
			require.NoError(t, m.Set("MSH-10", itoa(i))) // an edit in the middle
		}
	}
	assert.Equal(t, "ORU", kept, "strings from Get never change")
	assert.Equal(t, 3001, m.Len())
	assert.Equal(t, "3000", m.Get("MSH-10"))
	assert.Equal(t, itoa(1234*7), m.Get("OBX[1234]-5"))
	back, err := Parse(m.Encode())
	require.NoError(t, err)
	assert.Equal(t, itoa(3000*7), back.Get("OBX[3000]-5"))
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCloneOfEditedMessageIsIndependent(t *testing.T) {
	m, err := Parse(fixture(t, "adt_a01.hl7"))
	require.NoError(t, err)
	require.NoError(t, m.Set("OBX-5", "a"))
	c := m.Clone()
	require.NoError(t, c.Set("OBX[2]-5", "clone only"))
	require.NoError(t, m.Set("OBX[2]-5", "original only"))
	require.NoError(t, m.Set("OBX[3]-5", "third"))
	assert.Equal(t, "clone only", c.Get("OBX[2]-5"))
	assert.Equal(t, "", c.Get("OBX[3]-5"))
	assert.Equal(t, "original only", m.Get("OBX[2]-5"))
	assert.Equal(t, m.Len()-1, c.Len())
	back, err := Parse(c.Encode())
	require.NoError(t, err)
	assert.Equal(t, c.Raw(), string(back.Encode()))
}
