package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/waitlist"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"EventID":"e1"}`)
	now := time.Unix(1_800_000_000, 0)
	h := Sign(secret, body, now)
	// A worked example pins the scheme: HMAC-SHA256 keyed "s3cret" over
	// "1800000000." + body, computed independently (Python's hmac module).
	assert.Equal(t, "t=1800000000,v1=9d4b454fe73e691808156897266ef980481531e009c5137b4d144fcc6c85925e", h)
	require.NoError(t, Verify(secret, h, body, now.Add(time.Minute), 0))
	assert.ErrorIs(t, Verify(secret, h, []byte(`{"EventID":"e2"}`), now, 0), ErrBadSignature)
	assert.ErrorIs(t, Verify([]byte("other"), h, body, now, 0), ErrBadSignature)
	assert.ErrorIs(t, Verify(secret, h, body, now.Add(10*time.Minute), 0), ErrStale)
	assert.ErrorIs(t, Verify(secret, h, body, now.Add(-10*time.Minute), 0), ErrStale)
	assert.ErrorIs(t, Verify(secret, "", body, now, 0), ErrNoSignature)
	assert.ErrorIs(t, Verify(secret, "t=abc,v1=00", body, now, 0), ErrNoSignature)
	// Several v1 values (key rotation): any match verifies.
	require.NoError(t, Verify(secret, h+",v1=00ff", body, now, 0))
}

func TestDeliveryRetriesAndDeduplicates(t *testing.T) {
	secret := []byte("k")
	var received, attempts atomic.Int32
	var failFirst atomic.Bool
	failFirst.Store(true)
	h, err := NewHandler(HandlerConfig{Secret: secret, Handle: func(_ context.Context, n waitlist.Notification) error {
		received.Add(1)
		return nil
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		if failFirst.CompareAndSwap(true, false) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	n := &Notifier{URL: srv.URL, Secret: secret}
	note := waitlist.Notification{EventID: "offer-1/offer-made", Kind: waitlist.OfferMade, EntryID: "e1", NHSMasked: "*** *** 0018"}
	require.NoError(t, n.Notify(context.Background(), note))
	require.NoError(t, n.Notify(context.Background(), note), "a repeat is dropped by the sender")
	assert.Equal(t, int32(2), attempts.Load(), "one retry after the 503, then no second delivery")
	assert.Equal(t, int32(1), received.Load())

	// The receiver also drops a duplicate that reaches it.
	n2 := &Notifier{URL: srv.URL, Secret: secret}
	require.NoError(t, n2.Notify(context.Background(), note))
	assert.Equal(t, int32(1), received.Load())

	// A sender with the wrong secret is refused.
	bad := &Notifier{URL: srv.URL, Secret: []byte("wrong"), MaxAttempts: 1}
	err = bad.Notify(context.Background(), waitlist.Notification{EventID: "x"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "wrong")
}

func TestNoSecretRefused(t *testing.T) {
	for _, secret := range [][]byte{nil, {}} {
		_, err := NewHandler(HandlerConfig{Secret: secret, Handle: func(context.Context, waitlist.Notification) error { return nil }})
		assert.ErrorIs(t, err, ErrNoSecret)
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		n := &Notifier{URL: srv.URL, Secret: secret}
		assert.ErrorIs(t, n.Notify(context.Background(), waitlist.Notification{EventID: "x"}), ErrNoSecret)
		srv.Close()
		assert.Zero(t, hits.Load(), "nothing is sent unsigned")
	}
}

func TestContactDetailsOnlyWhenOptedIn(t *testing.T) {
	secret := []byte("k")
	got := make(chan waitlist.Notification, 2)
	h, err := NewHandler(HandlerConfig{Secret: secret, Handle: func(_ context.Context, n waitlist.Notification) error { got <- n; return nil }})
	require.NoError(t, err)
	var raw atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		raw.Store(string(b))
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	note := waitlist.Notification{EventID: "o1/offer-made", EntryID: "e1", NHSMasked: "*** *** 0018",
		Contact: waitlist.Contact{Consent: true, SMS: "07700900123", Email: "patient@example.org", AppPush: true}}
	require.NoError(t, (&Notifier{URL: srv.URL, Secret: secret}).Notify(context.Background(), note))
	n := <-got
	assert.Empty(t, n.Contact.SMS)
	assert.Empty(t, n.Contact.Email)
	assert.True(t, n.Contact.AppPush)
	assert.NotContains(t, raw.Load().(string), "07700900123")
	assert.NotContains(t, raw.Load().(string), "example.org")

	note.EventID = "o2/offer-made"
	require.NoError(t, (&Notifier{URL: srv.URL, Secret: secret, IncludeContact: true}).Notify(context.Background(), note))
	n = <-got
	assert.Equal(t, "07700900123", n.Contact.SMS)
}

func TestDedupIsBounded(t *testing.T) {
	d := newDedup(3)
	for i := range 10 {
		d.add(fmt.Sprint("id", i))
	}
	assert.Len(t, d.seen, 3)
	assert.Len(t, d.ring, 3)
	assert.True(t, d.has("id9"))
	assert.True(t, d.has("id7"))
	assert.False(t, d.has("id6"), "the oldest is forgotten first")
	d.forget("id8")
	assert.False(t, d.has("id8"))
	d.add("id8")
	assert.True(t, d.has("id8"))
	assert.LessOrEqual(t, len(d.seen), 3)
}

// FuzzVerify: any header and body give an error or nil, never a panic,
// and what Sign makes always verifies.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add([]byte("k"), "t=1800000000,v1=00", []byte(`{}`))
	f.Add([]byte("s3cret"), "t=,v1=", []byte(""))
	f.Add([]byte("x"), "v1=zz,t=99999999999999999999", []byte("body"))
	f.Fuzz(func(t *testing.T, secret []byte, header string, body []byte) {
		_ = Verify(secret, header, body, now, 0)
		if err := Verify(secret, Sign(secret, body, now), body, now, 0); err != nil {
			t.Fatalf("a fresh signature does not verify: %v", err)
		}
	})
}
