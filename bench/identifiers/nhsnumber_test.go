// Package identifiers benchmarks NHS number validation.
package identifiers

import (
	"strconv"
	"testing"

	"github.com/nhskit/nhskit/nhsid"
)

var sink bool

// naiveValid is how NHS numbers are commonly checked in hand-written code:
// convert each digit with strconv and sum. It is the baseline we compare to.
func naiveValid(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		d, err := strconv.Atoi(s[i : i+1])
		if err != nil {
			return false
		}
		sum += d * (10 - i)
	}
	last, err := strconv.Atoi(s[9:])
	if err != nil {
		return false
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == last
}

func BenchmarkNHSNumberValid(b *testing.B) {
	n := nhsid.NHSNumber("9434765919")
	b.ReportAllocs()
	for b.Loop() {
		sink = n.Valid()
	}
}

func BenchmarkNHSNumberValidNaive(b *testing.B) {
	s := "9434765919"
	b.ReportAllocs()
	for b.Loop() {
		sink = naiveValid(s)
	}
}

func BenchmarkParseNHSNumberSpaced(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, err := nhsid.ParseNHSNumber("943 476 5919")
		sink = err == nil
	}
}
