package pdstest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

func Example() {
	srv := pdstest.NewServer()
	defer srv.Close()
	srv.Inject(pdstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/Patient/"+string(pdstest.AlexSmith), nil)
		req.Header.Set("X-Request-ID", "6f1c1b7e-3b8e-4a52-9d43-2b0d8b1c6a11")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("%d retry-after=%q etag=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("ETag"))
	}
	// Output:
	// 429 retry-after="1" etag=""
	// 200 retry-after="" etag="W/\"1\""
}
