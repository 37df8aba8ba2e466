package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
)

// NewUUID returns a random (version 4) UUID in its 36-character form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

type correlationKey struct{}

// WithCorrelationID returns a context whose requests carry id as
// X-Correlation-ID, so one business transaction can be traced across
// several calls and services.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the id set by WithCorrelationID, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// RedactPath returns u's path safe to log: every run of exactly ten digits
// (an NHS number) keeps only its last four, and the query keeps its keys
// with each value replaced by "***" (searches carry names and dates of
// birth).
func RedactPath(u *url.URL) string {
	if u == nil {
		return ""
	}
	p := MaskNHSNumbers(u.EscapedPath())
	if u.RawQuery == "" {
		return p
	}
	var sb strings.Builder
	sb.WriteString(p)
	sb.WriteByte('?')
	for i, kv := range strings.Split(u.RawQuery, "&") {
		if i > 0 {
			sb.WriteByte('&')
		}
		k, _, _ := strings.Cut(kv, "=")
		sb.WriteString(k)
		sb.WriteString("=***")
	}
	return sb.String()
}

// MaskNHSNumbers replaces each maximal run of exactly ten ASCII digits in s
// with six asterisks and its last four digits.
func MaskNHSNumbers(s string) string {
	var out []byte
	i := 0
	for i < len(s) {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i == 10 {
			if out == nil {
				out = make([]byte, 0, len(s))
				out = append(out, s[:i]...)
			}
			out = append(out, "******"...)
			out = append(out, s[i+6:j]...)
		} else if out != nil {
			out = append(out, s[i:j]...)
		}
		i = j
		// copy the following non-digit run if we are rewriting
		k := i
		for k < len(s) && (s[k] < '0' || s[k] > '9') {
			k++
		}
		if out != nil {
			out = append(out, s[i:k]...)
		}
		i = k
	}
	if out == nil {
		return s
	}
	return string(out)
}
