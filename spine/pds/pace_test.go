package pds

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacerKeepsTLSFloor(t *testing.T) {
	for name, base := range map[string]http.RoundTripper{
		"default": nil,
		"TLS 1.0": &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS10}},
		"TLS 1.3": &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13}},
	} {
		p := newPacer(base, 5, 1)
		tr, ok := p.base.(*http.Transport)
		require.True(t, ok, name)
		assert.GreaterOrEqual(t, tr.TLSClientConfig.MinVersion, uint16(tls.VersionTLS12), name)
	}
	// The caller's transport is not modified.
	mine := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS10}}
	newPacer(mine, 5, 1)
	assert.Equal(t, uint16(tls.VersionTLS10), mine.TLSClientConfig.MinVersion)
}

func TestPacerSchedule(t *testing.T) {
	p := newPacer(nil, 10, 3) // 100 ms apart, 3 at once
	start := time.Now()
	var at []time.Duration
	for i := 0; i < 5; i++ {
		at = append(at, p.reserve().Sub(start))
	}
	for i := 0; i < 3; i++ {
		assert.Less(t, at[i], 10*time.Millisecond, "burst slot %d", i)
	}
	assert.InDelta(t, 100*time.Millisecond, at[3], float64(10*time.Millisecond))
	assert.InDelta(t, 200*time.Millisecond, at[4], float64(10*time.Millisecond))
}
