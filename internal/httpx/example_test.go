package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
)

func Example() {
	// A service that is briefly overloaded, then answers.
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"resourceType":"Patient"}`)
	}))
	defer srv.Close()

	c := httpx.New(httpx.Config{RequestsPerSecond: 100, Burst: 10, BackoffMin: time.Millisecond})
	ctx := httpx.WithCorrelationID(context.Background(), "referral-42")
	resp, err := c.Do(ctx, httpx.NewRequest(http.MethodGet, srv.URL+"/Patient/9990000018", nil), nil)
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) {
			fmt.Println("status", se.StatusCode)
		}
		return
	}
	fmt.Println(resp.StatusCode, resp.Attempts, string(resp.Body))
	// Output:
	// 200 2 {"resourceType":"Patient"}
}
