package mesh

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthHeaderWorkedExample(t *testing.T) {
	// Fixed nonce and time; the expected MAC was computed independently
	// with Python's hmac module: hmac.new(b"TestKey",
	// b"X26ABC1:9e1d4a30-7f2b-4c55-9d0e-3a1b2c3d4e5f:0:password:202611241030",
	// hashlib.sha256).hexdigest().
	at := time.Date(2026, 11, 24, 10, 30, 59, 0, time.UTC)
	h := AuthHeader("X26ABC1", "password", "TestKey", "9e1d4a30-7f2b-4c55-9d0e-3a1b2c3d4e5f", 0, at)
	assert.Equal(t, "NHSMESH X26ABC1:9e1d4a30-7f2b-4c55-9d0e-3a1b2c3d4e5f:0:202611241030:"+workedMAC, h)

	tok, err := ParseAuthHeader(h)
	require.NoError(t, err)
	assert.True(t, tok.Verify("password", "TestKey"))
	assert.False(t, tok.Verify("wrong", "TestKey"))
	assert.False(t, tok.Verify("password", "OtherKey"))
	assert.Equal(t, at.Truncate(time.Minute), tok.Time)

	for _, bad := range []string{"", "Bearer x", "NHSMESH a:b:c:d", "NHSMESH a:b:c:notatime:e", "NHSMESH a:b:c:d:e:f"} {
		_, err := ParseAuthHeader(bad)
		assert.ErrorIs(t, err, ErrAuthHeader, bad)
	}
}

const workedMAC = "3d12e5c93fcaecb46fae2127e71c7d4e8acb061cdb87dbe1a83b4e4d1dc91a81"
