package hl7v2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNHSFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.hl7")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 10)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			m, err := Parse(b)
			require.NoError(t, err)
			pid, ok := m.PID()
			require.True(t, ok)
			assert.Regexp(t, `^999\d{7}$`, pid.NHSNumber().Digits(), "synthetic NHS numbers only")
			m2, err := Parse(m.Encode())
			require.NoError(t, err)
			assert.Equal(t, m.Len(), m2.Len())
		})
	}
	m, err := Parse(fixture(t, "adt_a01_old_nhs_form.hl7"))
	require.NoError(t, err)
	pid, _ := m.PID()
	assert.Equal(t, "9990000042", pid.NHSNumber().Digits(), "^^^NHS without a type code")
	assert.Equal(t, "9", pid.Sex())

	m, err = Parse(fixture(t, "oru_r01.hl7"))
	require.NoError(t, err)
	obx := m.OBXs()
	require.Len(t, obx, 9)
	assert.Equal(t, "11.8", obx[1].Value(1))
	assert.Equal(t, []string{"H"}, obx[1].AbnormalFlags())
	assert.Equal(t, "10*9/L", obx[1].Units().Code)
	assert.Equal(t, "4.0-11.0", obx[1].ReferenceRange())
	assert.Equal(t, "91936005", obx[7].CodedValue(1).Code)
	assert.Equal(t, `Line one\.br\Line two with & ampersand`, obx[8].Value(1))
	assert.Equal(t, "3.1", m.Get("OBX[5]-5"))
	obr := m.OBRs()
	require.Len(t, obr, 1)
	assert.Equal(t, "FBC", obr[0].Service().Code)

	m, err = Parse(fixture(t, "adt_a40.hl7"))
	require.NoError(t, err)
	mrg, ok := m.MRG()
	require.True(t, ok)
	assert.Equal(t, "9990000034", mrg.PriorIdentifiers()[0].ID)

	m, err = Parse(fixture(t, "adt_a01_latin1.hl7"))
	require.NoError(t, err)
	assert.Equal(t, "O'BRIÉN", m.Get("PID-5.1"))
}

func TestEdgeCaseFixtures(t *testing.T) {
	// Delimiters other than | ^ ~ \ &, read from MSH-1 and MSH-2.
	m, err := Parse(fixture(t, "adt_a01_delimiters.hl7"))
	require.NoError(t, err)
	assert.Equal(t, Delimiters{Field: '#', Component: '$', Repetition: '*', Escape: '@', Subcomponent: '!'}, m.Delimiters())
	assert.Equal(t, "RRK1234567", m.Get("PID-3(2).1"))
	assert.Equal(t, "ANN", m.Get("PID-5.2.2"))
	assert.Equal(t, "Hash # and dollar $ escaped", m.Get("NTE-3"))
	// CR LF and bare LF line ends give the same message as CR.
	for _, name := range []string{"adt_a04_crlf.hl7", "adt_a04_lf.hl7"} {
		m, err := Parse(fixture(t, name))
		require.NoError(t, err, name)
		assert.Equal(t, 3, m.Len(), name)
		assert.Equal(t, "O", m.Get("PV1-2"), name)
		assert.NotContains(t, string(m.Encode()), "\n", name)
	}
	// v2.7 truncation character in MSH-2 and its escape.
	m, err = Parse(fixture(t, "adt_a08_truncation.hl7"))
	require.NoError(t, err)
	assert.Equal(t, byte('#'), m.Delimiters().Truncation)
	assert.Equal(t, "ALEX#", m.Get("PID-5.2"))
	assert.Equal(t, "20261124093015", m.Get("MSH-7"))

	// A file of two batches: BTS-1 counts its own batch, FTS-1 batches.
	f, err := os.Open("testdata/batch/two_batches.hl7")
	require.NoError(t, err)
	defer f.Close()
	r := NewReader(f)
	var ids []string
	for r.Next() {
		ids = append(ids, r.Message().Get("MSH-10"))
	}
	require.NoError(t, r.Err())
	assert.Len(t, ids, 3)
	assert.Len(t, r.Headers(), 3)
	assert.Len(t, r.Trailers(), 3)

	// A batch cut off mid-message: the messages read come back, then an
	// error says the file is truncated.
	f2, err := os.Open("testdata/batch/truncated.hl7")
	require.NoError(t, err)
	defer f2.Close()
	r = NewReader(f2)
	n := 0
	for r.Next() {
		n++
	}
	assert.ErrorIs(t, r.Err(), ErrTruncated)
	assert.Equal(t, 2, n)
}
