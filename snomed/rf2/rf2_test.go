package rf2

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
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
	f.Add("id\teffectiveTime\tactive\tmoduleId\n22298006\t20020131\t1\t900000000000207008\r\n22298006\t2002013\t2\t900000000000207009\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := NewReader(strings.NewReader(s), "f")
		if err != nil {
			return
		}
		for r.Next() {
			if len(r.Row()) != len(r.Columns) {
				t.Fatal("row width differs from header")
			}
			if strings.Join(r.Row(), "\t") != string(r.Bytes()) {
				t.Fatal("Row differs from the row's bytes")
			}
			// The typed accessors fail with a positioned error, never
			// panic, and agree with the string forms.
			for i := range r.Columns {
				if string(r.Field(i)) != r.Row()[i] {
					t.Fatal("Field differs from Row")
				}
				v, err := r.SCTID(i, 0)
				w, _, werr := ParseSCTID(r.Row()[i])
				if (err == nil) != (werr == nil) || v != w {
					t.Fatalf("SCTID %q: %d %v, ParseSCTID %d %v", r.Row()[i], v, err, w, werr)
				}
				var pe *ParseError
				for _, err := range []error{err, second(r.EffectiveTime(i)), second(r.Active(i)), second(r.Int(i))} {
					if err != nil && (!errors.As(err, &pe) || pe.Line != r.Line() || pe.Column != r.Columns[i]) {
						t.Fatalf("error without position: %v", err)
					}
				}
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

// oldParse is the SCTID check as the specification states it, with the
// standard library: digits, the Verhoeff check digit of the rest computed
// left to right, the two partition digits, strconv for the value.
func oldParse(s string) (uint64, Partition, bool) {
	if len(s) < 6 || len(s) > 18 || s[0] == '0' {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strings.ContainsAny(s, "+-") {
		return 0, 0, false
	}
	if VerhoeffCheck(s[:len(s)-1]) != s[len(s)-1] {
		return 0, 0, false
	}
	p := map[string]Partition{"00": PartConcept, "10": PartConcept, "01": PartDescription, "11": PartDescription, "02": PartRelationship, "12": PartRelationship}[s[len(s)-3:len(s)-1]]
	return v, p, p != 0
}

func TestParseSCTIDBytesAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var s string
		switch rng.IntN(3) {
		case 0: // a valid id of any length
			item := rng.Uint64N(1e14) + 1
			s = strconv.FormatUint(MakeSCTID(item, Partition(rng.IntN(3)+1)), 10)
		case 1: // random digits
			d := strconv.FormatUint(rng.Uint64(), 10)
			s = d[:rng.IntN(len(d))+1]
		default: // a valid id with one byte changed
			b := []byte(strconv.FormatUint(MakeSCTID(rng.Uint64N(1e9)+1, PartConcept), 10))
			b[rng.IntN(len(b))] = "0123456789x/:- "[rng.IntN(15)]
			s = string(b)
		}
		wantV, wantP, ok := oldParse(s)
		v, p, err := ParseSCTIDBytes([]byte(s))
		if ok != (err == nil) {
			t.Fatalf("%q: ok %v, err %v", s, ok, err)
		}
		if err != nil {
			require.ErrorIs(t, err, ErrSCTID, s)
			continue
		}
		require.Equal(t, wantV, v, s)
		require.Equal(t, wantP, p, s)
	}
}

// TestReaderNoAllocs: a row read and all its ids, flags and dates checked
// costs no allocation; a non-digit in an id is an error, never a 0.
func TestReaderNoAllocs(t *testing.T) {
	var b strings.Builder
	b.WriteString("id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\r\n")
	for range 1000 {
		b.WriteString("100022\t20020131\t1\t900000000000207008\t22298006\t404684003\t0\t116680003\t900000000000011006\t900000000000451002\r\n")
	}
	r, err := NewReader(strings.NewReader(b.String()), "rel.txt")
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(500, func() {
		if !r.Next() {
			t.Fatal(r.Err())
		}
		if _, err := r.SCTID(0, PartRelationship); err != nil {
			t.Fatal(err)
		}
		for _, c := range []int{3, 4, 5, 7, 8, 9} {
			if _, err := r.SCTID(c, PartConcept); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.EffectiveTime(1); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Active(2); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Int(6); err != nil {
			t.Fatal(err)
		}
		if err := CheckUUIDBytes([]byte("8a1b3c4d-0000-4000-8000-00000000abcd")); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)

	r, err = NewReader(strings.NewReader("id\teffectiveTime\tactive\tgroup\n2298006x\t2002013a\t2\t-1\n"), "c.txt")
	require.NoError(t, err)
	require.True(t, r.Next())
	_, err = r.SCTID(0, 0)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, ErrSCTID)
	assert.Equal(t, "id", pe.Column)
	assert.Equal(t, 2, pe.Line)
	_, err = r.EffectiveTime(1)
	assert.ErrorIs(t, err, ErrTime)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "effectiveTime", pe.Column)
	_, err = r.Active(2)
	assert.ErrorIs(t, err, ErrActive)
	_, err = r.Int(3)
	assert.ErrorIs(t, err, ErrInteger)
}

// TestRowLifetime: Row's strings stay valid after Next, its slice and
// Field's bytes are the next row's.
func TestRowLifetime(t *testing.T) {
	r, err := NewReader(strings.NewReader("id\tterm\n1\tfirst\n2\tsecond\n"), "d.txt")
	require.NoError(t, err)
	assert.Nil(t, r.Row(), "no row before Next")
	require.True(t, r.Next())
	kept := slices.Clone(r.Row())
	assert.Same(t, &r.Row()[0], &r.Row()[0], "Row is built once per row")
	require.True(t, r.Next())
	assert.Equal(t, []string{"1", "first"}, kept)
	assert.Equal(t, []string{"2", "second"}, r.Row())
	assert.Equal(t, "second", string(r.Field(1)))
	assert.Equal(t, "2\tsecond", string(r.Bytes()))
	assert.False(t, r.Next())
	require.NoError(t, r.Err())
}

// TestSCTIDColumnCache: a column's repeated id is taken from the last
// row's check, and a different one (a changed check digit, another
// partition asked for) is checked again.
func TestSCTIDColumnCache(t *testing.T) {
	r, err := NewReader(strings.NewReader("id\tmoduleId\n1\t22298006\n2\t22298006\n3\t22298007\n4\t22298006\n5\t2229800\n"), "m.txt")
	require.NoError(t, err)
	for _, want := range []error{nil, nil, ErrSCTID, ErrPartition, ErrSCTID} {
		require.True(t, r.Next())
		part := PartConcept
		if r.Line() == 5 {
			part = PartDescription
		}
		v, err := r.SCTID(1, part)
		if want == nil {
			require.NoError(t, err)
			assert.Equal(t, uint64(22298006), v)
			continue
		}
		assert.ErrorIs(t, err, want, "line %d", r.Line())
		assert.Zero(t, v)
	}
}

func second[T any](_ T, err error) error { return err }
