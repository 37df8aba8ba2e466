package mesh_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

// TestChunksCarryContentLength: every chunk, compressed or not, goes with
// a Content-Length (no chunked transfer encoding), as mesh-client sends.
func TestChunksCarryContentLength(t *testing.T) {
	srv := meshtest.NewServer()
	defer srv.Close()
	srv.AddSandboxMailboxes()
	u, _ := url.Parse(srv.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	var lengths []int64
	var encodings [][]string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			lengths, encodings = append(lengths, r.ContentLength), append(encodings, r.TransferEncoding)
			mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	defer front.Close()
	for _, compress := range []bool{false, true} {
		lengths, encodings = nil, nil
		c, err := mesh.New(mesh.Config{BaseURL: front.URL, Mailbox: "X26ABC1", Password: "password", SharedKey: srv.SharedKey, ChunkSize: 64 << 10})
		require.NoError(t, err)
		_, err = c.Send(context.Background(), mesh.Outbound{To: "X26ABC2", WorkflowID: "W", Compress: compress, Body: io.MultiReader(bytes.NewReader(payload(150<<10, 3)))})
		require.NoError(t, err)
		require.Len(t, lengths, 3, "three chunks")
		for i := range lengths {
			assert.Positive(t, lengths[i], "chunk %d compress=%v has a Content-Length", i+1, compress)
			assert.Empty(t, encodings[i], "chunk %d compress=%v is not chunked", i+1, compress)
		}
	}
}
