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
