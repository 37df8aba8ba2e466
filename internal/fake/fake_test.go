package fake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serve(f *Faults) *httptest.ResponseRecorder {
	rr := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if _, done := f.Serve(rr, r, func(w http.ResponseWriter, status int) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "error body")
	}); !done {
		rr.WriteHeader(http.StatusOK)
	}
	return rr
}

func TestFailNext(t *testing.T) {
	var f Faults
	f.FailNext(2, http.StatusTooManyRequests)
	f.FailNext(1, http.StatusInternalServerError)
	got := []int{serve(&f).Code, serve(&f).Code, serve(&f).Code, serve(&f).Code}
	assert.Equal(t, []int{429, 429, 500, 200}, got)
	assert.Equal(t, 3, f.Injected())
	rr := &Faults{}
	rr.FailNext(1, http.StatusServiceUnavailable)
	assert.Equal(t, "0", serve(rr).Header().Get("Retry-After"))
}

func TestFaultRateIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		var f Faults
		f.SetFaultRate(0.3, seed)
		var codes []int
		for range 200 {
			codes = append(codes, serve(&f).Code)
		}
		return codes
	}
	a, b := run(42), run(42)
	assert.Equal(t, a, b, "the same seed gives the same schedule")
	failed := 0
	for _, c := range a {
		if c == http.StatusServiceUnavailable {
			failed++
		}
	}
	assert.InDelta(t, 60, failed, 25, "about 30%% of 200")
	assert.NotEqual(t, a, run(43))

	var off Faults
	off.SetFaultRate(0.3, 1)
	off.SetFaultRate(0, 1)
	assert.Equal(t, 200, serve(&off).Code)
}

func TestLatencyAndDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var f Faults
		f.SetLatency(250 * time.Millisecond)
		f.Inject(Fault{Delay: time.Second}) // a slow answer, then served
		start := time.Now()
		require.Equal(t, 200, serve(&f).Code)
		assert.Equal(t, 1250*time.Millisecond, time.Since(start))
		start = time.Now()
		require.Equal(t, 200, serve(&f).Code)
		assert.Equal(t, 250*time.Millisecond, time.Since(start))
	})
}

func TestPeopleAreSynthetic(t *testing.T) {
	for _, p := range People() {
		assert.True(t, p.NHSNumber.Valid() && p.NHSNumber.IsTestRange(), "%v", p.NHSNumber)
		assert.True(t, p.GP.Valid())
	}
}
