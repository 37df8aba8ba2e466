package hl7v2

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(id string) string {
	return "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|" + id + "|P|2.4\rPID|1||9990000018^^^NHS^NH\r"
}

func TestReaderBatch(t *testing.T) {
	batch := "FHS|^~\\&|A|B\rBHS|^~\\&|A|B\r" + msg("1") + msg("2") + msg("3") + "BTS|3\rFTS|1\r"
	for name, r := range map[string]*Reader{
		"whole":     NewReader(strings.NewReader(batch)),
		"one byte":  NewReader(iotest.OneByteReader(strings.NewReader(batch))),
		"crlf":      NewReader(strings.NewReader(strings.ReplaceAll(batch, "\r", "\r\n"))),
		"half":      NewReader(iotest.HalfReader(strings.NewReader(batch))),
		"lf":        NewReader(strings.NewReader(strings.ReplaceAll(batch, "\r", "\n"))),
		"blank gap": NewReader(strings.NewReader(strings.ReplaceAll(batch, "BTS", "\r\rBTS"))),
	} {
		t.Run(name, func(t *testing.T) {
			var ids []string
			for r.Next() {
				ids = append(ids, r.Message().Get("MSH-10"))
				assert.Equal(t, "9990000018", r.Message().Get("PID-3"))
			}
			require.NoError(t, r.Err())
			assert.Equal(t, []string{"1", "2", "3"}, ids)
			assert.Len(t, r.Headers(), 2)
			assert.Len(t, r.Trailers(), 2)
		})
	}
}

func TestReaderBare(t *testing.T) {
	r := NewReader(strings.NewReader(msg("a") + msg("b")))
	n := 0
	for r.Next() {
		n++
	}
	require.NoError(t, r.Err())
	assert.Equal(t, 2, n)
	// No final terminator.
	r = NewReader(strings.NewReader(strings.TrimSuffix(msg("a")+msg("b"), "\r")))
	n = 0
	for r.Next() {
		n++
	}
	require.NoError(t, r.Err())
	assert.Equal(t, 2, n)
}

func TestReaderErrors(t *testing.T) {
	r := NewReader(strings.NewReader("FHS|^~\\&\rBHS|^~\\&\r" + msg("1") + "BTS|2\r"))
	for r.Next() {
	}
	assert.ErrorIs(t, r.Err(), ErrBatchTrailer)

	r = NewReader(strings.NewReader(msg("1") + "MSH|^^|bad\r"))
	assert.True(t, r.Next())
	assert.False(t, r.Next())
	assert.ErrorIs(t, r.Err(), ErrBadDelimiters)
	assert.Contains(t, r.Err().Error(), "message 2")

	big := msg("1") + "OBX|1|ED|||" + strings.Repeat("A", 4096) + "\r"
	r = NewReaderOptions(strings.NewReader(big), Options{Limits: Limits{MaxBytes: 1024}})
	assert.False(t, r.Next())
	assert.ErrorIs(t, r.Err(), ErrTooLarge)
}

func TestLargeBase64LinearTime(t *testing.T) {
	// A 5 MB OBX-5 parses and reads in one pass.
	val := strings.Repeat("QUJD", 5<<20/4)
	text := msg("1") + "OBX|1|ED|PDF^Report||^AP^PDF^Base64^" + val + "||||||F\r"
	m, err := Parse([]byte(text))
	require.NoError(t, err)
	assert.Equal(t, len(val), len(m.Get("OBX-5.5")))
	o := m.OBXs()[0]
	assert.Equal(t, "F", o.Status())
	r := NewReader(bytes.NewReader([]byte(text + text)))
	n := 0
	for r.Next() {
		n++
	}
	require.NoError(t, r.Err())
	assert.Equal(t, 2, n)
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("FHS|^~\\&\rBHS|^~\\&\r" + msg("1") + "BTS|1\rFTS|1\r"))
	f.Add([]byte(msg("1") + msg("2")))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReaderOptions(bytes.NewReader(data), Options{Limits: Limits{MaxBytes: 1 << 16}})
		for i := 0; r.Next(); i++ {
			if i > len(data) {
				t.Fatal("more messages than bytes")
			}
			_ = r.Message().Get("MSH-10")
		}
	})
}

func TestReaderMessagesStayValid(t *testing.T) {
	// The Reader reuses its buffer (256 KiB, so the input must be larger
	// for it to wrap); what it hands out must not change.
	var in strings.Builder
	for i := range 5000 {
		in.WriteString(msg(strings.Repeat("X", i%7) + string(rune('a'+i%26))))
	}
	r := NewReader(iotest.HalfReader(strings.NewReader(in.String())))
	var kept []*Message
	var ids []string
	for r.Next() {
		kept = append(kept, r.Message())
		ids = append(ids, strings.Clone(r.Message().Get("MSH-10")))
	}
	require.NoError(t, r.Err())
	require.Len(t, kept, 5000)
	for i, m := range kept {
		assert.Equal(t, ids[i], m.Get("MSH-10"), "message %d", i+1)
	}
}

func TestParseCopiesInput(t *testing.T) {
	data := []byte(msg("ORIGINAL"))
	m, err := Parse(data)
	require.NoError(t, err)
	id := m.Get("MSH-10")
	copy(data, bytes.Repeat([]byte("Z"), len(data)))
	assert.Equal(t, "ORIGINAL", id)
	assert.Equal(t, "ORIGINAL", m.Get("MSH-10"))

	// Borrow is the explicit zero-copy form: the Message sees the change.
	data = []byte(msg("ORIGINAL"))
	b, err := ParseWithOptions(data, Options{Borrow: true})
	require.NoError(t, err)
	copy(data[bytes.Index(data, []byte("ORIGINAL")):], "CHANGED!")
	assert.Equal(t, "CHANGED!", b.Get("MSH-10"))
}

func TestReaderTrailerCountsPerBatch(t *testing.T) {
	in := "FHS|^~\\&\rBHS|^~\\&\r" + msg("1") + msg("2") + "BTS|2\rBHS|^~\\&\r" + msg("3") + "BTS|1\rFTS|2\r"
	r := NewReader(strings.NewReader(in))
	n := 0
	for r.Next() {
		n++
	}
	require.NoError(t, r.Err())
	assert.Equal(t, 3, n)

	r = NewReader(strings.NewReader(strings.Replace(in, "FTS|2", "FTS|3", 1)))
	for r.Next() {
	}
	assert.ErrorIs(t, r.Err(), ErrBatchTrailer)
	r = NewReader(strings.NewReader(strings.Replace(in, "BTS|1", "BTS|3", 1)))
	for r.Next() {
	}
	assert.ErrorIs(t, r.Err(), ErrBatchTrailer)
}

func TestReaderBareLFIsDataInCRMessage(t *testing.T) {
	// A bare \n inside a \r-terminated message is data, even before "MSH".
	one := "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.4\rOBX|1|TX|||line one\nMSH is not a segment here\r"
	in := one + msg("2")
	for name, src := range map[string]func() *Reader{
		"whole":    func() *Reader { return NewReader(strings.NewReader(in)) },
		"one byte": func() *Reader { return NewReader(iotest.OneByteReader(strings.NewReader(in))) },
	} {
		t.Run(name, func(t *testing.T) {
			r := src()
			var got []*Message
			for r.Next() {
				got = append(got, r.Message())
			}
			require.NoError(t, r.Err())
			require.Len(t, got, 2)
			assert.Equal(t, "line one\nMSH is not a segment here", got[0].Get("OBX-5"))
			assert.Equal(t, "2", got[1].Get("MSH-10"))
		})
	}
}
