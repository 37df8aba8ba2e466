package fhir

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHasLowByte(t *testing.T) {
	for _, s := range []string{"", "a", "https://fhir.nhs.uk/Id/nhs-number", "é€😀longtextwithoutspaces€€€€", strings.Repeat("x", 17)} {
		assert.False(t, hasLowByte(s), s)
	}
	for _, s := range []string{" ", "abc def", strings.Repeat("x", 15) + "\t", "x\x00", strings.Repeat("y", 8) + "\n" + strings.Repeat("y", 8), "\x7f\x20"} {
		assert.True(t, hasLowByte(s), "%q", s)
	}
	// Each position and each byte value.
	for pos := 0; pos < 20; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte(strings.Repeat("a", 20))
			b[pos] = byte(c)
			assert.Equal(t, c <= ' ', hasLowByte(string(b)), "byte %#x at %d", c, pos)
		}
	}
}
