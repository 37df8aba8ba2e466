package rf2

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSCTID(t *testing.T) {
	// Real concept ids: 138875005 root, 116680003 is a, 404684003 clinical
	// finding, 22298006 myocardial infarction.
	for _, s := range []string{"138875005", "116680003", "404684003", "22298006", "900000000000207008", "900000000000508004"} {
		_, p, err := ParseSCTID(s)
		require.NoError(t, err, s)
		assert.Equal(t, PartConcept, p, s)
	}
	for _, bad := range []string{"138875006", "12345", "0138875005", "13887500x", "1234567890123456789", "123456033"} {
		_, _, err := ParseSCTID(bad)
		assert.ErrorIs(t, err, ErrSCTID, bad)
	}
	for item := uint64(100); item < 2000; item += 37 {
		for _, p := range []Partition{PartConcept, PartDescription, PartRelationship} {
			id := MakeSCTID(item, p)
			_, got, err := ParseSCTID(strings.TrimSpace(strings.Repeat(" ", 0) + itoa(id)))
			require.NoError(t, err)
			assert.Equal(t, p, got)
		}
	}
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for v > 0 || i == len(b) {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

func TestReader(t *testing.T) {
	in := "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\r\n" +
		"138875005\t20020131\t1\t900000000000207008\t900000000000074008\r\n\r\n" +
		"404684003\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"bad\trow\n"
	r, err := NewReader(strings.NewReader(in), "sct2_Concept_Snapshot_INT.txt")
	require.NoError(t, err)
	assert.Equal(t, 3, r.Col("moduleId"))
	assert.Equal(t, -1, r.Col("nope"))
	n := 0
	for r.Next() {
		n++
	}
	assert.Equal(t, 2, n)
	var pe *ParseError
	require.True(t, errors.As(r.Err(), &pe))
	assert.Equal(t, 5, pe.Line)
	assert.ErrorIs(t, r.Err(), ErrColumns)
	assert.Contains(t, r.Err().Error(), "sct2_Concept_Snapshot_INT.txt:5")

	_, err = NewReader(strings.NewReader(""), "empty.txt")
	assert.ErrorIs(t, err, ErrHeader)
}

func FuzzReader(f *testing.F) {
	f.Add("id\ta\n1\t2\n")
	f.Add("id\n\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := NewReader(strings.NewReader(s), "f")
		if err != nil {
			return
		}
		for r.Next() {
			if len(r.Row()) != len(r.Columns) {
				t.Fatal("row width differs from header")
			}
		}
		_, _, _ = ParseSCTID(s)
	})
}

func TestHeaderUUIDAndUTF8(t *testing.T) {
	r, err := NewReader(strings.NewReader("id\tactive\tterm\r\n1\t1\tok\r\n2\t1\tbad \xff\r\n"), "f.txt")
	require.NoError(t, err)
	require.NoError(t, r.Expect("id", "active", "term"))
	for _, tc := range []struct {
		cols   []string
		column string
	}{
		{[]string{"id", "term", "active"}, "term"},
		{[]string{"id", "active"}, "term"},
		{[]string{"id", "active", "term", "x"}, "x"},
	} {
		err := r.Expect(tc.cols...)
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		assert.ErrorIs(t, err, ErrHeader)
		assert.Equal(t, tc.column, pe.Column)
		assert.Equal(t, 1, pe.Line)
	}
	require.True(t, r.Next())
	assert.False(t, r.Next())
	var pe *ParseError
	require.ErrorAs(t, r.Err(), &pe)
	assert.ErrorIs(t, pe, ErrUTF8)
	assert.Equal(t, "term", pe.Column)
	assert.Equal(t, 3, pe.Line)
	assert.Contains(t, pe.Error(), "byte 4")

	assert.NoError(t, CheckUUID("8a1b3c4d-0000-4000-8000-00000000abcd"))
	for _, bad := range []string{"", "8a1b3c4d00004000800000000000abcd", "8a1b3c4d-0000-4000-8000-00000000abcg", "8a1b3c4d-0000-4000-8000_00000000abcd"} {
		assert.ErrorIs(t, CheckUUID(bad), ErrUUID, bad)
	}
	_, err = CheckSCTID("138875005", PartConcept)
	assert.NoError(t, err)
	_, err = CheckSCTID("138875005", PartDescription)
	assert.ErrorIs(t, err, ErrPartition)
	_, err = CheckSCTID("138875006", 0)
	assert.ErrorIs(t, err, ErrSCTID)
}
