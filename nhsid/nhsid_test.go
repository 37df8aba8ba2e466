package nhsid

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNHSNumberValid(t *testing.T) {
	tests := []struct {
		in   NHSNumber
		want bool
	}{
		{"9434765919", true},  // the NHS Data Dictionary's worked example
		{"9434765918", false}, // wrong check digit
		{"9000000009", true},  // PDS sandbox patient
		{"4010232137", true},
		{"9990000018", true},  // test range, computed check digit 8
		{"9990000000", false}, // 999000000 has check digit 10: no valid number
		{"9991234560", false}, // 999123456 has check digit 10
		{"1234567890", false}, // 123456789 has check digit 10
		{"0000000000", true},  // passes modulus 11 (a placeholder, see Plausible)
		{"1111111111", true},
		{"0123456789", true}, // leading zero: 012345678 has check digit 9
		{"0123456788", false},
		{"", false},
		{"943476591", false},
		{"94347659190", false},
		{"943476591a", false},
		{"943 476 5919", false}, // Valid needs the canonical form
	}
	for _, tt := range tests {
		t.Run(string(tt.in), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.in.Valid())
		})
	}
}

func TestNHSNumberLeadingZeros(t *testing.T) {
	// A number may start with zeros: it is a string, never an integer.
	// 001000000 weights: 1*8 = 8, 11-8 = 3.
	n, err := ParseNHSNumber("001 000 0003")
	require.NoError(t, err)
	assert.Equal(t, NHSNumber("0010000003"), n)
	assert.Equal(t, "001 000 0003", n.Formatted())
}

func TestParseNHSNumber(t *testing.T) {
	tests := []struct {
		in      string
		want    NHSNumber
		wantErr error
		offset  int
	}{
		{in: "9434765919", want: "9434765919"},
		{in: "943 476 5919", want: "9434765919"},
		{in: "943-476-5919", want: "9434765919"},
		{in: "  943 476 5919\n", want: "9434765919"},
		{in: "", wantErr: ErrNHSNumberLength, offset: -1},
		{in: "943476591", wantErr: ErrNHSNumberLength, offset: -1},
		{in: "94347659190", wantErr: ErrNHSNumberLength, offset: -1},
		{in: "9434765918", wantErr: ErrNHSNumberCheckDigit, offset: -1},
		{in: "9990000000", wantErr: ErrNHSNumberCheckDigit, offset: -1},
		{in: "943 476-5919", wantErr: ErrNHSNumberCharacter, offset: 7},
		{in: "9434 765919", wantErr: ErrNHSNumberCharacter, offset: 4},
		{in: "943  4765919", wantErr: ErrNHSNumberCharacter, offset: 4},
		{in: "943476591X", wantErr: ErrNHSNumberCharacter, offset: 9},
		{in: "  943476591X", wantErr: ErrNHSNumberCharacter, offset: 11}, // offset counts the trimmed space
		{in: "９434765919", wantErr: ErrNHSNumberCharacter, offset: 0},    // full-width digit
		{in: "0000000000", wantErr: ErrNHSNumberPlaceholder, offset: -1},
		{in: "999 999 9999", wantErr: ErrNHSNumberPlaceholder, offset: -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNHSNumber(tt.in)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var ne *NHSNumberError
			require.True(t, errors.As(err, &ne))
			assert.Equal(t, tt.offset, ne.Offset)
			assert.Empty(t, got)
			assert.True(t, strings.HasPrefix(err.Error(), "nhsid: "), err.Error())
			// The error never echoes the digits it was given.
			assert.NotContains(t, err.Error(), "476")
		})
	}
}

// TestNHSNumberPrintsMasked is the privacy contract: no fmt verb and no
// slog handler shows more than the last four digits.
func TestNHSNumberPrintsMasked(t *testing.T) {
	n := NHSNumber("9990000018")
	assert.Equal(t, "*** *** 0018", fmt.Sprint(n))
	tests := []struct {
		format string
		want   string
	}{
		{"%v", "*** *** 0018"},
		{"%s", "*** *** 0018"},
		{"%+v", "*** *** 0018"},
		{"%q", `"*** *** 0018"`},
		{"%#v", `nhsid.NHSNumber("*** *** 0018")`},
		{"%d", "*** *** 0018"},
		{"%x", "*** *** 0018"},
		{"%X", "*** *** 0018"},
		{"%14s", "  *** *** 0018"},
		{"%-14v|", "*** *** 0018  |"},
		{"%#s", "*** *** 0018"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			got := fmt.Sprintf(tt.format, n)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "999")
		})
	}
	// Inside other values and errors.
	assert.Equal(t, "[*** *** 0018]", fmt.Sprint([]NHSNumber{n}))
	assert.Equal(t, "{N:*** *** 0018}", fmt.Sprintf("%+v", struct{ N NHSNumber }{n}))
	err := fmt.Errorf("patient %v not found", n)
	assert.Equal(t, "patient *** *** 0018 not found", err.Error())
	p := &n
	assert.Equal(t, "*** *** 0018", fmt.Sprint(*p))

	// The time is dropped: its digits (a nanosecond field of …999…) would
	// make the check below fail at random.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	for _, h := range []func(*strings.Builder) slog.Handler{
		func(sb *strings.Builder) slog.Handler { return slog.NewTextHandler(sb, noTime) },
		func(sb *strings.Builder) slog.Handler { return slog.NewJSONHandler(sb, noTime) },
	} {
		var sb strings.Builder
		slog.New(h(&sb)).Info("lookup", "nhs", n, slog.Group("g", "nhs", n))
		assert.Contains(t, sb.String(), "*** *** 0018")
		assert.NotContains(t, sb.String(), "999")
	}
}

func TestNHSNumberExplicitForms(t *testing.T) {
	n := NHSNumber("9434765919")
	assert.Equal(t, "9434765919", n.Digits())
	assert.Equal(t, "943 476 5919", n.Formatted())
	assert.Equal(t, "*** *** 5919", n.Masked())
	assert.Equal(t, "*** *** ****", NHSNumber("12").Masked())
	assert.Equal(t, "12", NHSNumber("12").Formatted())

	// JSON is a wire form: it carries the digits.
	b, err := json.Marshal(struct{ N NHSNumber }{n})
	require.NoError(t, err)
	assert.JSONEq(t, `{"N":"9434765919"}`, string(b))
	var back struct{ N NHSNumber }
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, n, back.N)
}

func TestPlausible(t *testing.T) {
	assert.True(t, NHSNumber("9434765919").Plausible())
	assert.False(t, NHSNumber("0000000000").Plausible())
	assert.False(t, NHSNumber("9434765918").Plausible())
}

func TestTestNHSNumbers(t *testing.T) {
	skipped := 0
	for seq := uint64(0); seq < 20000; seq++ {
		n, ok := TestNHSNumber(seq)
		if !ok {
			skipped++
			continue
		}
		require.True(t, n.Valid(), "seq %d", seq)
		require.True(t, n.IsTestRange())
		require.Equal(t, fmt.Sprintf("999%06d", seq), n.Digits()[:9])
	}
	// About one nine-digit stem in eleven has no check digit.
	assert.InDelta(t, 20000.0/11, float64(skipped), 100)
	_, ok := TestNHSNumber(1_000_000)
	assert.False(t, ok)
	first, ok := TestNHSNumber(1)
	require.True(t, ok)
	assert.Equal(t, NHSNumber("9990000018"), first)

	for range 1000 {
		n := NewTestNHSNumber()
		require.True(t, n.Valid())
		require.True(t, n.IsTestRange())
	}
	assert.False(t, NHSNumber("9434765919").IsTestRange())
}

func TestODSCode(t *testing.T) {
	tests := []struct {
		in     string
		want   ODSCode
		kind   ODSKind
		offset int // -2: no error
	}{
		{in: "A81001", want: "A81001", kind: ODSGPPractice, offset: -2},
		{in: " a81001 ", want: "A81001", kind: ODSGPPractice, offset: -2},
		{in: "RRK", want: "RRK", kind: ODSTrust, offset: -2},
		{in: "RRK01", want: "RRK01", kind: ODSTrustSite, offset: -2},
		{in: "K81003001", want: "K81003001", kind: ODSBranch, offset: -2},
		{in: "FVR79", want: "FVR79", kind: ODSPharmacy, offset: -2},
		{in: "X26", want: "X26", kind: ODSUnknown, offset: -2},
		{in: "", offset: -1},
		{in: "ABCDEFGHIJ", offset: -1},
		{in: "RR-K", offset: 2},
		{in: "RRK 01", offset: 3},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseODSCode(tt.in)
			if tt.offset != -2 {
				require.ErrorIs(t, err, ErrODSCode)
				var oe *ODSCodeError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, tt.offset, oe.Offset)
				assert.False(t, ODSCode(tt.in).Valid())
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.Valid())
			assert.Equal(t, tt.kind, got.Kind())
			assert.Equal(t, string(tt.want), fmt.Sprint(got))
		})
	}
	assert.Equal(t, ODSUnknown, ODSCode("a81001").Kind())
}

func FuzzParseNHSNumber(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "943-476-5919", "", "0000000000", "943 476-5919", "\xff", " 9434765919x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNHSNumber(s)
		if err != nil {
			var ne *NHSNumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T is not *NHSNumberError", err)
			}
			if ne.Offset >= len(s) {
				t.Fatalf("offset %d past input of %d bytes", ne.Offset, len(s))
			}
			return
		}
		if !n.Plausible() {
			t.Fatalf("parsed %v is not plausible", n)
		}
		for _, form := range []string{n.Digits(), n.Formatted()} {
			m, err := ParseNHSNumber(form)
			if err != nil || m != n {
				t.Fatalf("re-parse of a parsed number: %v", err)
			}
		}
		if strings.Contains(fmt.Sprint(n), n.Digits()[:6]) {
			t.Fatalf("printed form is not masked")
		}
	})
}

func FuzzParseODSCode(f *testing.F) {
	for _, s := range []string{"A81001", " rrk01 ", "", "RR-K", "ABCDEFGHIJ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseODSCode(s)
		if err != nil {
			var oe *ODSCodeError
			if !errors.As(err, &oe) || !errors.Is(err, ErrODSCode) {
				t.Fatalf("error %T is not *ODSCodeError", err)
			}
			return
		}
		if !c.Valid() {
			t.Fatalf("parsed %q is not valid", c)
		}
	})
}
