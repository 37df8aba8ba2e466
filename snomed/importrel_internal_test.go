package snomed

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMemberKey: a UUID's 16 bytes, in either case, as encoding/hex reads
// them; anything else (a bad digit, a dash out of place) is hashed.
func TestMemberKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		var raw [16]byte
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		h := hex.EncodeToString(raw[:])
		if rng.IntN(2) == 0 {
			h = strings.ToUpper(h)
		}
		u := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		if got := memberKey([]byte(u)); got != raw {
			t.Fatalf("%s: %x", u, got)
		}
		b := []byte(u)
		b[rng.IntN(36)] = "g-x Z"[rng.IntN(5)]
		want := raw
		if _, err := hex.DecodeString(strings.ReplaceAll(string(b), "-", "")); err != nil || strings.Count(string(b), "-") != 4 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
			sum := sha256.Sum256(b)
			copy(want[:], sum[:16])
		} else if got, _ := hex.DecodeString(strings.ReplaceAll(string(b), "-", "")); len(got) == 16 {
			copy(want[:], got)
		}
		if got := memberKey(b); got != want {
			t.Fatalf("%s: %x, want %x", b, got, want)
		}
	}
}
