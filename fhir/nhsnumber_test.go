package fhir

import (
	"errors"
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
		{"9434765919", true},  // the number in the NHS Data Dictionary's worked example
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
	// A number may start with zeros; it is a string, never an integer.
	// 001000000 weights: 1*8 = 8, 11-8 = 3.
	n, err := ParseNHSNumber("001 000 0003")
	require.NoError(t, err)
	assert.Equal(t, NHSNumber("0010000003"), n)
	assert.Equal(t, "001 000 0003", n.String())
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
		{in: "９434765919", wantErr: ErrNHSNumberCharacter, offset: 0}, // full-width digit
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
			// The error never echoes the digits it was given.
			assert.NotContains(t, err.Error(), "476")
		})
	}
}

func TestNHSNumberFormatting(t *testing.T) {
	n := NHSNumber("9434765919")
	assert.Equal(t, "943 476 5919", n.String())
	assert.Equal(t, "*** *** 5919", n.Masked())
	assert.Equal(t, "*** *** ****", NHSNumber("12").Masked())

	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("lookup", "nhs", n)
	assert.Contains(t, sb.String(), "*** *** 5919")
	assert.NotContains(t, sb.String(), "943")
}

func TestPlausible(t *testing.T) {
	assert.True(t, NHSNumber("9434765919").Plausible())
	assert.False(t, NHSNumber("0000000000").Plausible())
	assert.False(t, NHSNumber("9434765918").Plausible())
}

func TestTestNHSNumbers(t *testing.T) {
	valid, skipped := 0, 0
	for seq := uint64(0); seq < 20000; seq++ {
		n, ok := TestNHSNumber(seq)
		if !ok {
			skipped++
			continue
		}
		valid++
		require.True(t, n.Valid(), "seq %d", seq)
		require.True(t, n.IsTestRange())
	}
	// About one nine-digit stem in eleven has no check digit.
	assert.InDelta(t, 20000.0/11, float64(skipped), 100)
	_, ok := TestNHSNumber(1_000_000)
	assert.False(t, ok)

	for range 1000 {
		n := NewTestNHSNumber()
		require.True(t, n.Valid())
		require.True(t, n.IsTestRange())
	}
}

func TestODSCode(t *testing.T) {
	tests := []struct {
		in      string
		want    ODSCode
		kind    ODSKind
		wantErr bool
	}{
		{in: "A81001", want: "A81001", kind: ODSGPPractice},
		{in: " a81001 ", want: "A81001", kind: ODSGPPractice},
		{in: "RRK", want: "RRK", kind: ODSTrust},
		{in: "RRK01", want: "RRK01", kind: ODSTrustSite},
		{in: "K81003001", want: "K81003001", kind: ODSBranch},
		{in: "FVR79", want: "FVR79", kind: ODSPharmacy},
		{in: "X26", want: "X26", kind: ODSUnknown},
		{in: "", wantErr: true},
		{in: "ABCDEFGHIJ", wantErr: true},
		{in: "RR-K", wantErr: true},
		{in: "RRK 01", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseODSCode(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrODSCode)
				assert.False(t, ODSCode(tt.in).Valid())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.Valid())
			assert.Equal(t, tt.kind, got.Kind())
		})
	}
}

func FuzzParseNHSNumber(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "943-476-5919", "", "0000000000", "943 476-5919", "\xff"} {
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
			t.Fatalf("parsed %q is not plausible", n.Masked())
		}
		// The canonical and display forms parse back to the same number.
		for _, form := range []string{string(n), n.String()} {
			m, err := ParseNHSNumber(form)
			if err != nil || m != n {
				t.Fatalf("re-parse of %q: %v", form, err)
			}
		}
	})
}
