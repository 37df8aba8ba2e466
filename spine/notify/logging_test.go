package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

// Logs and errors never carry the recipient's NHS number, contact
// details or personalisation.
func TestNoPatientDataInLogsOrErrors(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := notify.New(notify.Config{BaseURL: srv.URL, Logger: logger, MaxAttempts: 2})
	require.NoError(t, err)
	ctx := context.Background()
	m := notify.Message{RoutingPlanID: notifytest.PlanA, Reference: "log-1",
		Recipient:       notify.Recipient{NHSNumber: "9990000018", ContactDetails: &notify.ContactDetails{SMS: "07700900123", Email: "pat@example.com"}},
		Personalisation: map[string]string{"body": "Dear Ms Secret"}}
	srv.FailNext(1, http.StatusServiceUnavailable)
	st, err := c.Send(ctx, m)
	require.NoError(t, err)
	_, err = c.Send(ctx, m)
	require.Error(t, err)
	errText := err.Error()
	_, err = c.Message(ctx, st.ID)
	require.NoError(t, err)
	for a, err := range c.NHSAppAccounts(ctx, "A12345") {
		require.NoError(t, err)
		_ = a
	}
	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	require.NotEmpty(t, logs)
	for _, secret := range []string{"9990000018", "07700900123", "pat@example.com", "Dear Ms Secret"} {
		assert.NotContains(t, logs, secret)
		assert.NotContains(t, errText, secret)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// The fake under concurrent sends, reads and clock moves: every message
// ends delivered and each reference is stored once.
func TestFakeUnderConcurrency(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c, err := notify.New(notify.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make(chan string, 200)
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				st, err := c.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextSMS,
					Reference: fmt.Sprintf("w%d-%d", w, i), Recipient: notify.Recipient{NHSNumber: "9990000018"}})
				if !assert.NoError(t, err) {
					return
				}
				ids <- st.ID
				_, err = c.Message(ctx, st.ID)
				assert.NoError(t, err)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			srv.Advance(time.Minute)
		}
	})
	wg.Wait()
	close(ids)
	srv.Advance(time.Hour)
	n := 0
	for id := range ids {
		st, err := c.Message(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, notify.StatusDelivered, st.Status)
		n++
	}
	assert.Equal(t, 200, n)
	assert.Equal(t, 200, srv.Stats().Messages)
	var rec spine.Response
	_, err = c.Message(spine.WithResponse(ctx, &rec), "2WL3qFTEFM0qMY8xjRbt1LIKCzM")
	assert.Error(t, err)
	assert.Equal(t, 404, rec.StatusCode)
	assert.True(t, strings.HasPrefix(rec.Header.Get("Content-Type"), "application/vnd.api+json"))
}
