package hl7v2

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func siuFixture(t *testing.T, name string) *Message {
	t.Helper()
	b, err := os.ReadFile("testdata/siu/" + name)
	require.NoError(t, err)
	m, err := Parse(b)
	require.NoError(t, err)
	return m
}

func TestSIUByStructure(t *testing.T) {
	s, err := siuFixture(t, "s12.hl7").SIU()
	require.NoError(t, err)
	assert.Equal(t, "S12", s.Trigger)
	assert.Equal(t, EI{ID: "FL2001", Namespace: "PAS"}, s.SCH.FillerAppointmentID())
	assert.Equal(t, "PL1001", s.SCH.PlacerAppointmentID().ID)
	assert.Equal(t, "Booked", s.SCH.FillerStatus().Code)
	assert.Equal(t, "NEW", s.SCH.AppointmentType().Code)
	assert.Equal(t, "C1234567", s.SCH.FillerContact().ID)
	require.Len(t, s.TQ1, 1)
	require.Len(t, s.Notes, 1)
	assert.Equal(t, "Bring a list of current medicines", s.Notes[0].Comment())
	require.Len(t, s.Patients, 1)
	assert.Equal(t, "9990000018", s.Patients[0].PID.NHSNumber().Digits())
	assert.True(t, s.Patients[0].PV1.Present())
	assert.False(t, s.Patients[0].PD1.Present())
	require.Len(t, s.Resources, 1)
	g := s.Resources[0]
	assert.Equal(t, "A", g.RGS.ActionCode())
	assert.Equal(t, "CLINIC-ENT-AM", g.RGS.GroupID().Code)
	require.Len(t, g.Services, 1)
	assert.Equal(t, "ENTNEW", g.Services[0].Service().Code)
	require.Len(t, g.Services[0].Notes, 1, "the NTE after AIS belongs to the service")
	d, ok, err := g.Services[0].Duration()
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 20*time.Minute, d)
	assert.Equal(t, "Booked", g.Services[0].FillerStatus().Code)
	require.Len(t, g.Locations, 1)
	assert.Equal(t, "ROOM2", g.Locations[0].Location().Room)
	require.Len(t, g.Personnel, 1)
	assert.Equal(t, "Jones", g.Personnel[0].Person().Family)

	tm, err := s.Timing()
	require.NoError(t, err)
	assert.Equal(t, "TQ1-7", tm.Source)
	assert.Equal(t, time.Date(2026, 3, 10, 14, 0, 0, 0, London), tm.Start)
	assert.Equal(t, 20*time.Minute, tm.End.Sub(tm.Start))
}

func TestSIUVersion23WithoutRGS(t *testing.T) {
	s, err := siuFixture(t, "s14_v23.hl7").SIU()
	require.NoError(t, err)
	assert.Equal(t, "S14", s.Trigger)
	require.Len(t, s.Resources, 1, "AIL without RGS opens a group")
	assert.False(t, s.Resources[0].RGS.Present())
	assert.Len(t, s.Resources[0].Locations, 1)
	assert.Len(t, s.Resources[0].Personnel, 1)
	tm, err := s.Timing()
	require.NoError(t, err)
	assert.Equal(t, "SCH-11.4", tm.Source)
	assert.Equal(t, PrecisionMinute, tm.Precision)
	assert.Equal(t, time.Date(2026, 3, 6, 10, 0, 0, 0, London), tm.Start)
	assert.Equal(t, 20*time.Minute, tm.End.Sub(tm.Start), "SCH-9/10 give the end")
}

func TestSIUSlotsWithoutPatient(t *testing.T) {
	s, err := siuFixture(t, "s24.hl7").SIU()
	require.NoError(t, err)
	assert.Empty(t, s.Patients)
	tm, err := s.Timing()
	require.NoError(t, err)
	assert.Equal(t, 15*time.Minute, tm.End.Sub(tm.Start))
}

func TestSIUTimingFromResources(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|20260101||SIU^S12|1|P|2.5.1\rSCH||F1\rRGS|1\rAIL|1||X\rAIS|1||SVC|202603101400|||1|h\r"))
	require.NoError(t, err)
	s, err := m.SIU()
	require.NoError(t, err)
	tm, err := s.Timing()
	require.NoError(t, err)
	assert.Equal(t, "AIS-4", tm.Source)
	assert.Equal(t, time.Hour, tm.End.Sub(tm.Start))
}

func TestSIUErrors(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      error
		seg       int
	}{
		{"adt", "MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1\r", ErrNotSIU, 1},
		{"query trigger", "MSH|^~\\&|A|B|C|D|1||SIU^S25|1|P|2.5\rSCH|1\r", ErrNotSIU, 1},
		{"other structure", "MSH|^~\\&|A|B|C|D|1||SIU^S12^SQM_S25|1|P|2.5\rSCH|1\r", ErrNotSIU, 1},
		{"no SCH", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rPID|1\r", ErrStructure, 2},
		{"empty", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\r", ErrStructure, 2},
		{"two SCH", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rSCH|2\r", ErrStructure, 3},
		{"PV1 before PID", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rPV1|1\r", ErrStructure, 3},
		{"PV1 twice", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rPID|1\rPV1|1\rPV1|2\r", ErrStructure, 5},
		{"PD1 after PV1", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rPID|1\rPV1|1\rPD1|2\r", ErrStructure, 5},
		{"PID after RGS", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rRGS|1\rPID|1\r", ErrStructure, 4},
		{"NTE after PID", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rPID|1\rNTE|1\r", ErrStructure, 4},
		{"OBR", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH|1\rOBR|1\r", ErrStructure, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.msg))
			require.NoError(t, err)
			_, err = m.SIU()
			require.ErrorIs(t, err, tc.want)
			var pe *ParseError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tc.seg, pe.Segment)
		})
	}
}

func TestSIUTimingErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{"none", "SCH||F1\rRGS|1\rAIS|1||X\r", ErrNoTiming},
		{"bad start", "SCH||F1\rTQ1|1|||||20^min|2026131\r", ErrDTM},
		{"bad units", "SCH||F1\rTQ1|1|||||20^fortnights|20260310\r", ErrQuantity},
		{"bad number", "SCH||F1|||||||x|min|^^^202603101000\r", ErrQuantity},
		{"ends before start", "SCH||F1\rTQ1|1||||||20260310140000|20260310130000\r", ErrDTM},
		{"bad SCH-11", "SCH||F1|||||||||^^^2026x\r", ErrDTM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte("MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\r" + tc.body))
			require.NoError(t, err)
			s, err := m.SIU()
			require.NoError(t, err)
			_, err = s.Timing()
			require.ErrorIs(t, err, tc.want)
			var pe *ParseError
			assert.True(t, errors.As(err, &pe))
		})
	}
}

func TestQuantityUnits(t *testing.T) {
	for _, tc := range []struct {
		num, units string
		want       time.Duration
	}{
		{"20", "MIN", 20 * time.Minute}, {"20", "", 20 * time.Minute}, {"1.5", "h", 90 * time.Minute},
		{"30", "s", 30 * time.Second}, {"2", "d", 48 * time.Hour}, {"1", "wk", 7 * 24 * time.Hour},
	} {
		d, ok, err := quantity(tc.num, tc.units)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, tc.want, d, tc.num+" "+tc.units)
	}
	_, ok, err := quantity("", "min")
	assert.NoError(t, err)
	assert.False(t, ok)
	_, _, err = quantity("-1", "min")
	assert.ErrorIs(t, err, ErrQuantity)
}

// A number that is not finite, or a duration beyond time.Duration's range
// in its units, is refused instead of converting to a nonsense duration.
func TestQuantityOutOfRange(t *testing.T) {
	for _, tc := range []struct{ num, units string }{
		{"NaN", "min"}, {"nan", "h"}, {"Inf", "s"}, {"+Inf", "min"}, {"1e6", "wk"}, {"1e6", "d"}, {"200000", "wk"},
	} {
		d, _, err := quantity(tc.num, tc.units)
		assert.ErrorIs(t, err, ErrQuantity, "%s %s gave %v", tc.num, tc.units, d)
	}
	d, ok, err := quantity("1e6", "h")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1e6*time.Hour, d)
}
