package meshtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

func TestCommonFaultVocabulary(t *testing.T) {
	srv := meshtest.NewServer()
	defer srv.Close()
	srv.AddSandboxMailboxes()
	c, err := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26ABC1", Password: "password", SharedKey: srv.SharedKey, MaxAttempts: 1})
	require.NoError(t, err)
	ctx := context.Background()

	srv.FailNext(1, http.StatusInternalServerError)
	_, err = c.Send(ctx, mesh.Outbound{To: "X26ABC2", WorkflowID: "W", Body: strings.NewReader("x")})
	var ae *mesh.APIError
	require.ErrorAs(t, err, &ae, "a 500 from FailNext is MESH's generic error")
	assert.Equal(t, http.StatusInternalServerError, ae.StatusCode)

	// A response lost after the message was stored: the send is resolved
	// by tracking, and one message exists.
	srv.Inject(fake.Fault{DropAfter: true})
	c2, _ := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26ABC1", Password: "password", SharedKey: srv.SharedKey})
	_, err = c2.Send(ctx, mesh.Outbound{To: "X26ABC2", WorkflowID: "W", LocalID: "once", Body: strings.NewReader("x")})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Delivered("X26ABC2")["once"])
	assert.Equal(t, 2, srv.Injected())

	// Latency delays, and a cancelled request stops waiting.
	srv.SetLatency(time.Hour)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var listErr error
	for _, err := range c2.Inbox(short) {
		listErr = err
	}
	assert.ErrorIs(t, listErr, context.DeadlineExceeded)
}
