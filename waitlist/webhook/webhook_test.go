package webhook

import (
	"context"
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
	h := Handler(secret, nil, func(_ context.Context, n waitlist.Notification) error {
		received.Add(1)
		return nil
	})
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
	err := bad.Notify(context.Background(), waitlist.Notification{EventID: "x"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "wrong")
}
