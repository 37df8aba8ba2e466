package mesh_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/mesh"
)

// crashAt fails the k-th request (1-based): before it reaches the server,
// or after the server has acted on it (a lost answer); either way the
// client sees only an error, as when the process dies at that instant.
type crashAt struct {
	k     int64
	after bool
	n     atomic.Int64
}

var errCrash = errors.New("process stopped")

func (c *crashAt) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.n.Add(1) != c.k {
		return http.DefaultTransport.RoundTrip(r)
	}
	if !c.after {
		return nil, errCrash
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil, errCrash
}

// TestSendSurvivesACrashAtAnyRequest stops a four-chunk send at every one
// of its requests, before or after the server acted, and restarts it from
// the same state dir: the message arrives exactly once, intact.
func TestSendSurvivesACrashAtAnyRequest(t *testing.T) {
	body := payload(4*(64<<10)-10, 31)
	for k := int64(1); k <= 4; k++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("request %d, after=%v", k, after), func(t *testing.T) {
				srv, _, gp := setup(t)
				ctx := context.Background()
				state := t.TempDir()
				local := fmt.Sprintf("crash-%d-%v", k, after)
				crashing := client(t, srv, "X26TRUST1", "trust-pw", func(c *mesh.Config) {
					c.StateDir, c.MaxAttempts = state, 1
					c.HTTPClient = &http.Client{Transport: &crashAt{k: k, after: after}}
				})
				_, err := crashing.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "W", LocalID: local, Body: bytes.NewReader(body)})
				require.Error(t, err, "the send stopped")

				restarted := client(t, srv, "X26TRUST1", "trust-pw", func(c *mesh.Config) { c.StateDir = state })
				id, err := restarted.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "W", LocalID: local, Body: bytes.NewReader(body)})
				require.NoError(t, err)
				assert.Equal(t, map[string]int{local: 1}, srv.Delivered("X26GP0001"), "exactly one message")
				var got bytes.Buffer
				_, err = gp.Download(ctx, id, &got)
				require.NoError(t, err)
				assert.Equal(t, body, got.Bytes())
			})
		}
	}
}
