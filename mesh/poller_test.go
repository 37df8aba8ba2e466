package mesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/mesh"
)

func TestPollerRoutesBoundsAndQuarantines(t *testing.T) {
	srv, trust, gp := setup(t)
	ctx := context.Background()
	for i := range 6 {
		_, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "PATH_RESULTS", LocalID: fmt.Sprint("path-", i), Body: strings.NewReader("result")})
		require.NoError(t, err)
	}
	_, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "DISCHARGE", LocalID: "poison", Body: strings.NewReader("bad")})
	require.NoError(t, err)
	_, err = trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "NOBODY_HANDLES", LocalID: "orphan", Body: strings.NewReader("x")})
	require.NoError(t, err)

	var mu sync.Mutex
	got := map[string]string{}
	var inFlight, peak atomic.Int32
	enter := func() {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				return
			}
		}
	}
	var quarantined []string
	p := &mesh.Poller{
		Client:      gp,
		Concurrency: 2,
		MaxFailures: 3,
		Handlers: map[string]mesh.Handler{
			"PATH_RESULTS": func(_ context.Context, m *mesh.Received, r io.Reader) error {
				enter()
				defer inFlight.Add(-1)
				b, err := io.ReadAll(r)
				mu.Lock()
				got[m.LocalID] = string(b)
				mu.Unlock()
				return err
			},
			"DISCHARGE": func(context.Context, *mesh.Received, io.Reader) error { return errors.New("store refused it") },
		},
		OnQuarantine: func(_ context.Context, id string, err error) {
			quarantined = append(quarantined, id)
			assert.ErrorContains(t, err, "store refused it")
		},
	}
	n, err := p.Once(ctx)
	assert.Error(t, err, "the poison message failed")
	assert.Equal(t, 6, n)
	assert.Len(t, got, 6, "every PATH_RESULTS message reached its handler")
	assert.LessOrEqual(t, peak.Load(), int32(2), "at most Concurrency handlers at once")
	for range 3 {
		_, _ = p.Once(ctx)
	}
	require.Len(t, quarantined, 1, "quarantined once, after MaxFailures attempts")
	before := srv.Stats().Requests
	n, err = p.Once(ctx)
	require.NoError(t, err, "a quarantined message is not tried again")
	assert.Zero(t, n)
	assert.Equal(t, 2, srv.Unacknowledged("X26GP0001"), "poison and orphan stay in the inbox")
	// One inbox listing and one HEAD for the orphan: the quarantined
	// message is not fetched.
	assert.Equal(t, 2, srv.Stats().Requests-before)
}

func TestPollerRunStopsWithContext(t *testing.T) {
	_, trust, gp := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "W", Body: strings.NewReader("x")})
	require.NoError(t, err)
	p := &mesh.Poller{Client: gp, Interval: 1, Handlers: map[string]mesh.Handler{"": func(context.Context, *mesh.Received, io.Reader) error {
		cancel() // shut down while handling: the stored message is still acknowledged
		return nil
	}}}
	require.NoError(t, p.Run(ctx))
	for id := range gp.Inbox(context.Background()) {
		t.Errorf("message %s left unacknowledged after shutdown", id)
	}
}
