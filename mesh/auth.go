package mesh

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TimestampLayout is the MESH authorisation timestamp: UTC, to the minute.
const TimestampLayout = "200601021504"

// AuthHeader builds the value of the Authorization header for one request:
//
//	NHSMESH <mailbox>:<nonce>:<nonce count>:<timestamp>:<hmac>
//
// where hmac is the hex HMAC-SHA256, keyed with the environment's shared
// key, of "<mailbox>:<nonce>:<nonce count>:<password>:<timestamp>".
func AuthHeader(mailbox, password, sharedKey, nonce string, nonceCount int, at time.Time) string {
	ts := at.UTC().Format(TimestampLayout)
	return "NHSMESH " + mailbox + ":" + nonce + ":" + fmt.Sprint(nonceCount) + ":" + ts + ":" + authMAC(mailbox, password, sharedKey, nonce, fmt.Sprint(nonceCount), ts)
}

func authMAC(mailbox, password, sharedKey, nonce, count, ts string) string {
	m := hmac.New(sha256.New, []byte(sharedKey))
	m.Write([]byte(mailbox + ":" + nonce + ":" + count + ":" + password + ":" + ts))
	return hex.EncodeToString(m.Sum(nil))
}

// ErrAuthHeader is wrapped by ParseAuthHeader's errors.
var ErrAuthHeader = errors.New("mesh: malformed NHSMESH authorization header")

// AuthToken is a parsed Authorization header.
type AuthToken struct {
	Mailbox, Nonce, NonceCount, Timestamp, MAC string
	Time                                       time.Time
}

// ParseAuthHeader splits an NHSMESH header; it does not check the MAC.
func ParseAuthHeader(h string) (AuthToken, error) {
	rest, ok := strings.CutPrefix(h, "NHSMESH ")
	if !ok {
		return AuthToken{}, fmt.Errorf("%w: scheme is not NHSMESH", ErrAuthHeader)
	}
	p := strings.Split(rest, ":")
	if len(p) != 5 {
		return AuthToken{}, fmt.Errorf("%w: want 5 colon-separated parts, got %d", ErrAuthHeader, len(p))
	}
	t, err := time.Parse(TimestampLayout, p[3])
	if err != nil {
		return AuthToken{}, fmt.Errorf("%w: timestamp is not YYYYMMDDHHMM", ErrAuthHeader)
	}
	return AuthToken{Mailbox: p[0], Nonce: p[1], NonceCount: p[2], Timestamp: p[3], MAC: p[4], Time: t}, nil
}

// Verify checks the MAC against the mailbox password and shared key.
func (t AuthToken) Verify(password, sharedKey string) bool {
	want := authMAC(t.Mailbox, password, sharedKey, t.Nonce, t.NonceCount, t.Timestamp)
	return hmac.Equal([]byte(want), []byte(t.MAC))
}
