package mesh_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

// countingTransport counts requests by path suffix.
type countingTransport struct {
	mu    sync.Mutex
	paths map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.paths[r.Method+" "+r.URL.Path]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestDownloadResumesAfterRestart(t *testing.T) {
	srv, trust, _ := setup(t)
	ctx := context.Background()
	body := payload(5*(64<<10)-100, 21) // five chunks
	id, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "W", Body: bytes.NewReader(body)})
	require.NoError(t, err)
	state := t.TempDir()
	ct := &countingTransport{paths: map[string]int{}}
	withState := func(c *mesh.Config) { c.StateDir = state; c.HTTPClient = &http.Client{Transport: ct} }

	// The first run stops at chunk 4, refused: chunks 1 to 3 stay spooled.
	srv.AddFault(meshtest.Fault{Kind: meshtest.FaultStatus, Status: http.StatusForbidden, Method: http.MethodGet, PathContains: "/" + id + "/4"})
	first := client(t, srv, "X26GP0001", "gp-pw", withState)
	_, err = first.Receive(ctx, func(context.Context, *mesh.Received, io.Reader) error {
		t.Error("handler called on a partial message")
		return nil
	})
	require.Error(t, err)
	spools, _ := os.ReadDir(filepath.Join(state, "inbox"))
	require.Len(t, spools, 1, "the partial download is kept")

	second := client(t, srv, "X26GP0001", "gp-pw", withState)
	var got bytes.Buffer
	n, err := second.Receive(ctx, func(_ context.Context, _ *mesh.Received, r io.Reader) error {
		_, err := io.Copy(&got, r)
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, body, got.Bytes())
	p := "/messageexchange/X26GP0001/inbox/" + id
	assert.Equal(t, 1, ct.paths["GET "+p+"/2"], "chunk 2 fetched once, in the first run")
	assert.Equal(t, 1, ct.paths["GET "+p+"/3"], "chunk 3 fetched once")
	assert.Equal(t, 2, ct.paths["GET "+p+"/4"], "chunk 4 refused, then fetched")
	spools, _ = os.ReadDir(filepath.Join(state, "inbox"))
	assert.Empty(t, spools, "the spool goes once the message is acknowledged")
}

func TestStalledDownloadIsCutAndRetried(t *testing.T) {
	// A server whose first answer sends half a body and then stalls: the
	// client gives up on it after StallTimeout and fetches it again.
	srv, trust, _ := setup(t)
	ctx := context.Background()
	id, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "W", Body: strings.NewReader(strings.Repeat("x", 4096))})
	require.NoError(t, err)
	release := make(chan struct{})
	defer close(release)
	var once sync.Once
	front := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, id) {
			return resp, err
		}
		stall := false
		once.Do(func() { stall = true })
		if stall {
			resp.Body = &stallingBody{rc: resp.Body, after: 100, release: release}
		}
		return resp, nil
	})}
	gp := client(t, srv, "X26GP0001", "gp-pw", func(c *mesh.Config) { c.HTTPClient = front; c.StallTimeout = 50e6 })
	var got bytes.Buffer
	_, err = gp.Download(ctx, id, &got)
	require.NoError(t, err)
	assert.Equal(t, 4096, got.Len())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stallingBody yields after bytes, then blocks until released or closed.
type stallingBody struct {
	rc      io.ReadCloser
	after   int
	release chan struct{}
	closed  chan struct{}
	once    sync.Once
}

func (s *stallingBody) Read(p []byte) (int, error) {
	if s.after <= 0 {
		s.once.Do(func() { s.closed = make(chan struct{}) })
		select {
		case <-s.release:
		case <-s.closed:
		}
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > s.after {
		p = p[:s.after]
	}
	n, err := s.rc.Read(p)
	s.after -= n
	return n, err
}

func (s *stallingBody) Close() error {
	s.once.Do(func() { s.closed = make(chan struct{}) })
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	return s.rc.Close()
}
