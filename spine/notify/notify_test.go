package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

const (
	patient = nhsid.NHSNumber("9990000018")
	other   = nhsid.NHSNumber("9990000026")
)

func newClient(t *testing.T, srv *notifytest.Server, mod ...func(*notify.Config)) *notify.Client {
	t.Helper()
	cfg := notify.Config{BaseURL: srv.URL, HTTPClient: srv.Client()}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := notify.New(cfg)
	require.NoError(t, err)
	return c
}

// authAs sends a raw Authorization header, as the sandbox's scenarios
// expect (they are not bearer tokens).
type authAs struct {
	value string
	base  http.RoundTripper
}

func (a authAs) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", a.value)
	return a.base.RoundTrip(r)
}

func msg(ref string) notify.Message {
	return notify.Message{RoutingPlanID: notifytest.PlanA, Reference: ref,
		Recipient: notify.Recipient{NHSNumber: patient}, Personalisation: map[string]string{"date": "3 March"}}
}

func TestNew(t *testing.T) {
	for _, cfg := range []notify.Config{
		{},
		{BaseURL: "relative/path"},
		{BaseURL: "http://x", MaxAttempts: -1},
		{BaseURL: "http://x", Paths: notify.Paths{Messages: "/m"}},
	} {
		_, err := notify.New(cfg)
		assert.ErrorIs(t, err, notify.ErrConfig, "%+v", cfg)
	}
}

func TestSend(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()
	st, err := c.Send(ctx, msg("ref-1"))
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9A-Za-z]{27}$`, st.ID)
	assert.Equal(t, "ref-1", st.Reference)
	assert.Equal(t, notify.StatusCreated, st.Status)
	assert.Equal(t, notifytest.PlanA, st.RoutingPlan.ID)
	assert.Equal(t, srv.Now(), st.Timestamps.Created)
	stored, ok := srv.MessageByReference("ref-1")
	require.True(t, ok)
	assert.Equal(t, st.ID, stored.ID)

	got, err := c.Message(ctx, st.ID)
	require.NoError(t, err)
	assert.Equal(t, notify.StatusCreated, got.Status)
	assert.Empty(t, got.Channels, "channels appear after enrichment")
}

func TestSendErrors(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c := newClient(t, srv, func(c *notify.Config) { c.MaxAttempts = 1 })
	_, err := c.Send(ctx, msg("dup"))
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		auth   string
		m      func(m *notify.Message)
		status int
		code   error
		where  string
	}{
		{"duplicate reference", "", func(m *notify.Message) { m.Reference = "dup" }, 422, notify.ErrDuplicateRequest, "/data/attributes/messageReference"},
		{"unknown routing plan", "", func(m *notify.Message) { m.RoutingPlanID = "868796f9-7ce3-4730-9f1e-23aa766edea3" }, 404, notify.ErrNoSuchRoutingPlan, "/data/attributes/routingPlan"},
		{"too early", "", func(m *notify.Message) { m.RoutingPlanID = notifytest.PlanTooEarly }, 425, notify.ErrRetryTooEarly, ""},
		{"invalid routing config", "", func(m *notify.Message) { m.RoutingPlanID = notifytest.PlanInvalidConfig }, 400, notify.ErrInvalidValue, "/data/attributes/routingPlanId"},
		{"server error", "", func(m *notify.Message) { m.RoutingPlanID = notifytest.PlanServerError }, 500, notify.ErrInternalServerError, ""},
		{"missing templates", "", func(m *notify.Message) { m.RoutingPlanID = notifytest.PlanMissingTemplates }, 500, notify.ErrMissingTemplate, ""},
		{"duplicate templates", "", func(m *notify.Message) { m.RoutingPlanID = notifytest.PlanDuplicateTemplates }, 500, notify.ErrDuplicateTemplates, ""},
		{"service ban", notifytest.AuthBanned, nil, 403, notify.ErrServiceBan, ""},
		{"ods code required", notifytest.AuthNoDefaultODS, nil, 400, notify.ErrODSCodeRequired, "/data/attributes/originator/odsCode"},
		{"cannot set ods code", notifytest.AuthNoODSChange, func(m *notify.Message) { m.OriginatorODS = "X26" }, 400, notify.ErrCannotSetODSCode, "/data/attributes/originator/odsCode"},
		{"cannot set contact details", notifytest.AuthNoContactOverride, func(m *notify.Message) {
			m.Recipient.ContactDetails = &notify.ContactDetails{SMS: "07700900123"}
		}, 400, notify.ErrCannotSetContact, "/data/attributes/recipient/contactDetails"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := c
			if tc.auth != "" {
				cl = newClient(t, srv, func(c *notify.Config) {
					c.MaxAttempts = 1
					c.HTTPClient = &http.Client{Transport: authAs{tc.auth, http.DefaultTransport}}
				})
			}
			m := msg("ref-" + tc.name)
			if tc.m != nil {
				tc.m(&m)
			}
			_, err := cl.Send(ctx, m)
			require.Error(t, err)
			var ne *notify.Error
			require.ErrorAs(t, err, &ne)
			var ae *spine.APIError
			require.ErrorAs(t, err, &ae, "the module's one error model")
			assert.Equal(t, tc.status, ne.StatusCode)
			assert.ErrorIs(t, err, tc.code)
			assert.ErrorIs(t, err, spine.HTTPStatus(tc.status))
			require.NotEmpty(t, ne.Errors)
			assert.Equal(t, tc.where, ne.Errors[0].Pointer)
			assert.NotContains(t, err.Error(), string(patient))
			if tc.status == 425 {
				assert.Equal(t, 300*time.Second, ne.RetryAfter)
			}
		})
	}
}

func TestSendRefusedBeforeRequest(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	for _, m := range []notify.Message{
		{Reference: "r", Recipient: notify.Recipient{NHSNumber: patient}},
		{RoutingPlanID: notifytest.PlanA, Recipient: notify.Recipient{NHSNumber: patient}},
		{RoutingPlanID: notifytest.PlanA, Reference: "r", Recipient: notify.Recipient{NHSNumber: "9990000019"}},
		{RoutingPlanID: notifytest.PlanA, Reference: "r"},
	} {
		_, err := c.Send(context.Background(), m)
		assert.ErrorIs(t, err, notify.ErrInvalidMessage)
		assert.NotContains(t, err.Error(), "9990000019")
	}
	assert.Zero(t, srv.Stats().Requests)
}

func TestFakeValidatesLikeTheAPI(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	post := func(ct, body string) (int, *notify.Error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/messages", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, notify.ParseError(resp.StatusCode, resp.Header, b, "")
	}
	good := `{"data":{"type":"Message","attributes":{"routingPlanId":"` + notifytest.PlanA + `","messageReference":"x","recipient":{"nhsNumber":"9990000018"}}}}`
	for _, tc := range []struct {
		name, ct, body string
		status         int
		code           error
		pointer        string
	}{
		{"no content type", "", good, 415, notify.ErrUnsupportedMedia, ""},
		{"text/plain", "text/plain", good, 415, notify.ErrUnsupportedMedia, ""},
		{"latin1", "application/json; charset=iso-8859-1", good, 406, notify.ErrNotAcceptable, ""},
		{"vnd.api+json", "application/vnd.api+json; charset=utf-8", good, 201, nil, ""},
		{"not json", "application/json", `{`, 400, notify.ErrInvalidValue, "/"},
		{"no data", "application/json", `{}`, 400, notify.ErrMissingValue, "/data"},
		{"wrong type", "application/json", `{"data":{"type":"MessageBatch","attributes":{}}}`, 400, notify.ErrInvalidValue, "/data/type"},
		{"no attributes", "application/json", `{"data":{"type":"Message"}}`, 400, notify.ErrMissingValue, "/data/attributes"},
		{"bad nhs number", "application/json", `{"data":{"type":"Message","attributes":{"routingPlanId":"` + notifytest.PlanA + `","messageReference":"z","recipient":{"nhsNumber":"9990000019"}}}}`, 400, notify.ErrInvalidNHSNumber, "/data/attributes/recipient/nhsNumber"},
		{"no reference", "application/json", `{"data":{"type":"Message","attributes":{"routingPlanId":"` + notifytest.PlanA + `","recipient":{"nhsNumber":"9990000018"}}}}`, 400, notify.ErrMissingValue, "/data/attributes/messageReference"},
		{"no routing plan", "application/json", `{"data":{"type":"Message","attributes":{"messageReference":"w","recipient":{"nhsNumber":"9990000018"}}}}`, 400, notify.ErrMissingValue, "/data/attributes/routingPlanId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e := post(tc.ct, tc.body)
			require.Equal(t, tc.status, status)
			if tc.code == nil {
				return
			}
			assert.ErrorIs(t, e, tc.code)
			if tc.pointer != "" {
				assert.Equal(t, tc.pointer, e.Errors[0].Pointer)
			}
		})
	}
	// Several validation errors come together.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/message-batches", strings.NewReader(`{"data":{"type":"MessageBatch","attributes":{"routingPlanId":"`+notifytest.PlanA+`","messageBatchReference":"b","messages":[{"recipient":{"nhsNumber":"1"}},{"messageReference":"a","recipient":{"nhsNumber":"9990000018"}},{"messageReference":"a","recipient":{"nhsNumber":"9990000018"}}]}}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	be := notify.ParseError(resp.StatusCode, resp.Header, b, "")
	require.Equal(t, 400, be.StatusCode)
	require.Len(t, be.Errors, 3)
	assert.ErrorIs(t, be, notify.ErrMissingValue)
	assert.ErrorIs(t, be, notify.ErrInvalidNHSNumber)
	assert.ErrorIs(t, be, notify.ErrDuplicateValue)
	assert.Equal(t, "/data/attributes/messages/2/messageReference", be.Errors[2].Pointer)
	assert.Contains(t, be.Error(), "(and 2 more)")

	// Methods and paths.
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/v1/messages", 405},
		{http.MethodDelete, "/v1/messages/2WL3qFTEFM0qMY8xjRbt1LIKCzM", 405},
		{http.MethodGet, "/v1/messages/2WL3qFTEFM0qMY8xjRbt1LIKCzM", 404},
		{http.MethodGet, "/v1/nothing", 404},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.method+" "+tc.path)
	}
}

func TestRetriesNeverSendTwice(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, func(c *notify.Config) { c.MaxAttempts = 4 })
	ctx := context.Background()

	srv.FailNext(2, http.StatusTooManyRequests)
	var rec spine.Response
	st, err := c.Send(spine.WithResponse(ctx, &rec), msg("retried"))
	require.NoError(t, err)
	assert.Equal(t, 3, rec.Attempts)
	assert.Equal(t, notify.StatusCreated, st.Status)

	// The first attempt lands but its answer is lost: the retry is
	// refused as a duplicate, and one message exists.
	srv.Inject(notifytest.Fault{DropAfter: true})
	_, err = c.Send(spine.WithResponse(ctx, &rec), msg("lost answer"))
	assert.ErrorIs(t, err, notify.ErrDuplicateRequest)
	assert.Equal(t, 2, rec.Attempts)
	n := 0
	for _, m := range srv.Messages() {
		if m.Reference == "lost answer" {
			n++
		}
	}
	assert.Equal(t, 1, n)

	// A 500 is not retried (the request may have been actioned).
	srv.FailNext(1, http.StatusInternalServerError)
	_, err = c.Send(spine.WithResponse(ctx, &rec), msg("five hundred"))
	assert.ErrorIs(t, err, notify.ErrInternalServerError)
	assert.Equal(t, 1, rec.Attempts)

	// 503 on a GET is retried.
	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err = c.Message(spine.WithResponse(ctx, &rec), st.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, rec.Attempts)
}

func TestConcurrentSendsOfOneReference(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, dup := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Send(context.Background(), msg("same"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, notify.ErrDuplicateRequest):
				dup++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, ok)
	assert.Equal(t, 19, dup)
	assert.Equal(t, 1, srv.Stats().Messages)
}

func TestStatusesAndFallback(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srv := notifytest.NewServer(notifytest.WithStart(start))
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()
	srv.SetOutcome(other, notify.NHSApp, notify.ChannelFailed)

	a, err := c.Send(ctx, msg("a"))
	require.NoError(t, err)
	m := msg("b")
	m.Recipient.NHSNumber = other
	b, err := c.Send(ctx, m)
	require.NoError(t, err)

	srv.Advance(time.Minute) // enriched, first channel sending
	got, err := c.Message(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, notify.StatusSending, got.Status)
	require.Len(t, got.Channels, 2)
	assert.Equal(t, notify.NHSApp, got.Channels[0].Type)
	assert.Equal(t, notify.ChannelSending, got.Channels[0].Status)
	assert.Equal(t, notify.ChannelCreated, got.Channels[1].Status)
	assert.Equal(t, start.Add(30*time.Second), got.Timestamps.Enriched)
	require.Len(t, got.Metadata, 1)
	assert.Equal(t, "pds", got.Metadata[0].Source)

	srv.Advance(5 * time.Minute)
	got, err = c.Message(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, notify.StatusDelivered, got.Status)
	assert.Equal(t, notify.ChannelDelivered, got.Channels[0].Status)
	assert.Equal(t, notify.ChannelSkipped, got.Channels[1].Status)

	got, err = c.Message(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, notify.StatusSending, got.Status, "NHS App failed, SMS is being tried")
	assert.Equal(t, notify.ChannelFailed, got.Channels[0].Status)
	assert.Equal(t, notify.ChannelSending, got.Channels[1].Status)
	srv.Advance(5 * time.Minute)
	got, err = c.Message(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, notify.StatusDelivered, got.Status)
	assert.Equal(t, notify.ChannelDelivered, got.Channels[1].Status)

	// Fail moves one message at once.
	cst, err := c.Send(ctx, msg("c"))
	require.NoError(t, err)
	require.NoError(t, srv.Fail(cst.ID, "no signal"))
	require.NoError(t, srv.Fail(cst.ID, "no signal"))
	got, err = c.Message(ctx, cst.ID)
	require.NoError(t, err)
	assert.Equal(t, notify.StatusFailed, got.Status)
	assert.Equal(t, "Failed reason: no signal", got.StatusDescription)
	assert.Error(t, srv.Deliver(cst.ID), "a failed message stays failed")
	assert.ErrorIs(t, srv.Deliver("2WL3qFTEFM0qMY8xjRbt1LIKCzM"), notifytest.ErrUnknownMessage)

	_, err = c.Message(ctx, "not-a-ksuid")
	assert.ErrorIs(t, err, notify.ErrInvalidID)
	_, err = c.Message(ctx, "2WL3qFTEFM0qMY8xjRbt1LIKCzM")
	assert.ErrorIs(t, err, notify.ErrNotFound)
}

func TestSendBatch(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()
	b := notify.Batch{RoutingPlanID: notifytest.PlanB, Reference: "batch-1", Messages: []notify.BatchMessage{
		{Reference: "m1", Recipient: notify.Recipient{NHSNumber: patient}},
		{Reference: "m2", Recipient: notify.Recipient{NHSNumber: other}, Personalisation: map[string]string{"k": "v"}},
	}}
	res, err := c.SendBatch(ctx, b)
	require.NoError(t, err)
	assert.Equal(t, "batch-1", res.Reference)
	require.Len(t, res.Messages, 2)
	assert.Equal(t, "m2", res.Messages[1].Reference)
	st, err := c.Message(ctx, res.Messages[1].ID)
	require.NoError(t, err)
	assert.Equal(t, res.ID, st.BatchID)

	_, err = c.SendBatch(ctx, b)
	assert.ErrorIs(t, err, notify.ErrDuplicateRequest)

	for _, bad := range []notify.Batch{
		{Reference: "x", Messages: b.Messages},
		{RoutingPlanID: notifytest.PlanB, Reference: "x"},
		{RoutingPlanID: notifytest.PlanB, Reference: "x", Messages: []notify.BatchMessage{b.Messages[0], b.Messages[0]}},
		{RoutingPlanID: notifytest.PlanB, Reference: "x", Messages: []notify.BatchMessage{{Reference: "q"}}},
	} {
		_, err := c.SendBatch(ctx, bad)
		assert.ErrorIs(t, err, notify.ErrInvalidMessage)
	}
	_, err = c.SendBatch(ctx, notify.Batch{RoutingPlanID: "868796f9-7ce3-4730-9f1e-23aa766edea3", Reference: "y", Messages: b.Messages[:1]})
	assert.ErrorIs(t, err, notify.ErrNoSuchRoutingPlan)
}

func TestNHSAppAccounts(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, func(c *notify.Config) { c.MaxAttempts = 1 })
	ctx := context.Background()
	n, enabled := 0, 0
	for a, err := range c.NHSAppAccounts(ctx, notifytest.ODSPaged) {
		require.NoError(t, err)
		assert.True(t, a.NHSNumber.Valid())
		n++
		if a.NotificationsEnabled {
			enabled++
		}
	}
	assert.Equal(t, 80, n)
	assert.Equal(t, 1, enabled)

	p, err := c.NHSAppAccountsPage(ctx, "A12345", 1)
	require.NoError(t, err)
	assert.Equal(t, "A12345", p.ODSCode)
	assert.Len(t, p.Accounts, 2)
	assert.Equal(t, 1, p.Last)
	assert.False(t, p.Next)

	srv.SetNHSAppAccounts("B82005")
	p, err = c.NHSAppAccountsPage(ctx, "B82005", 1)
	require.NoError(t, err)
	assert.Empty(t, p.Accounts)

	for _, tc := range []struct {
		ods    nhsid.ODSCode
		page   int
		status int
		code   error
	}{
		{notifytest.ODSNotFound, 1, 404, notify.ErrNotFound},
		{notifytest.ODSTooManyRequests, 1, 429, notify.ErrQuota},
		{notifytest.ODSBadGateway, 1, 502, notify.ErrBadGateway},
		{"not-ods", 1, 400, notify.ErrInvalidRequest},
		{"A12345", 2, 404, notify.ErrNotFound},
	} {
		_, err := c.NHSAppAccountsPage(ctx, tc.ods, tc.page)
		assert.ErrorIs(t, err, spine.HTTPStatus(tc.status), string(tc.ods))
		assert.ErrorIs(t, err, tc.code, string(tc.ods))
	}
	_, err = c.NHSAppAccountsPage(ctx, "A12345", 0)
	assert.Error(t, err)
	_, err = c.NHSAppAccountsPage(ctx, "", 1)
	assert.ErrorIs(t, err, notify.ErrInvalidODSCode)
	for _, err := range c.NHSAppAccounts(ctx, notifytest.ODSNotFound) {
		assert.ErrorIs(t, err, notify.ErrNotFound)
	}
}

func TestAuth(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	srv := notifytest.NewServer(notifytest.WithAuth(&key.PublicKey, "kid-1", "api-key"))
	defer srv.Close()
	ctx := context.Background()

	anon := newClient(t, srv, func(c *notify.Config) { c.MaxAttempts = 1 })
	_, err = anon.Send(ctx, msg("a"))
	assert.ErrorIs(t, err, notify.ErrDenied)
	var ne *notify.Error
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "Authorization", ne.Errors[0].Header)

	tokens := &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: key, TokenURL: srv.TokenURL}
	c := newClient(t, srv, func(c *notify.Config) { c.Tokens = tokens })
	for i := range 3 {
		_, err = c.Send(ctx, msg("b"+string(rune('0'+i))))
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.Stats().TokenRequests)

	wrong := &spine.AppRestricted{APIKey: "other", KeyID: "kid-1", PrivateKey: key, TokenURL: srv.TokenURL, MaxAttempts: 1}
	c = newClient(t, srv, func(c *notify.Config) { c.Tokens = wrong })
	_, err = c.Send(ctx, msg("c"))
	assert.Error(t, err)
}

func TestParseErrorSandboxShape(t *testing.T) {
	body := []byte(`{"message":"Client is not allowed to provide alternative contact details","errors":[{"code":"CM_CANNOT_SET_CONTACT_DETAILS","title":"Cannot set contact details","field":"/data/attributes/recipient/contactDetails","message":"not allowed","statusCode":400}]}`)
	e := notify.ParseError(400, http.Header{"Retry-After": {"7"}}, body, "rid")
	assert.ErrorIs(t, e, notify.ErrCannotSetContact)
	assert.Equal(t, "/data/attributes/recipient/contactDetails", e.Errors[0].Pointer)
	assert.Equal(t, 7*time.Second, e.RetryAfter)
	assert.Equal(t, "rid", e.RequestID)
	e = notify.ParseError(404, nil, []byte(`{"message":"Routing Config does not exist"}`), "")
	assert.Equal(t, "Routing Config does not exist", e.Diagnostics)
	assert.ErrorIs(t, e, spine.HTTPStatus(404))
	assert.Equal(t, "notify: status 404 Not Found (request id )", e.Error())
	e = notify.ParseError(502, nil, []byte(`<html>`), "")
	assert.Empty(t, e.Errors)
}

func TestCallbacks(t *testing.T) {
	var mu sync.Mutex
	var events []string
	fail := true
	h := &notify.CallbackHandler{
		ApplicationID: "app-1", APIKey: "cb-key",
		OnMessageStatus: func(_ context.Context, ev notify.MessageStatusEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if ev.Status == notify.StatusDelivered && fail {
				fail = false
				return errors.New("database down")
			}
			events = append(events, "message "+ev.Reference+" "+string(ev.Status))
			return nil
		},
		OnChannelStatus: func(_ context.Context, ev notify.ChannelStatusEvent) error {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "channel "+ev.Reference+" "+string(ev.Channel)+" "+string(ev.Status))
			return nil
		},
	}
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	}))
	defer recv.Close()
	srv := notifytest.NewServer(notifytest.WithCallbacks(recv.URL+"/message", recv.URL+"/channel", "app-1", "cb-key", nil))
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()
	st, err := c.Send(ctx, msg("cb"))
	require.NoError(t, err)
	require.NoError(t, srv.Deliver(st.ID))
	assert.Len(t, srv.Pending(), 1, "the refused delivered callback stays queued")
	assert.Zero(t, srv.FlushCallbacks())
	assert.Equal(t, []string{
		"channel cb nhsapp sending", "message cb sending",
		"channel cb nhsapp delivered", "channel cb sms skipped", "message cb delivered",
	}, events)

	// A redelivery is skipped by its idempotency key.
	n := len(events)
	require.True(t, srv.Redeliver(bodies[len(bodies)-1]))
	assert.Len(t, events, n)
	st2 := srv.Stats()
	assert.Equal(t, 5, st2.CallbacksSent)
	assert.Equal(t, 1, st2.CallbacksLost)
}

func TestCallbackHandlerRefuses(t *testing.T) {
	h := &notify.CallbackHandler{ApplicationID: "app", APIKey: "key"}
	body := []byte(`{"data":[` + string(notify.MessageStatusCallback(notify.MessageStatusEvent{
		MessageID: "2WL3qFTEFM0qMY8xjRbt1LIKCzM", Reference: "r", Status: notify.StatusDelivered,
		Timestamp: time.Now(), IdempotencyKey: "k"})) + `]}`)
	for _, tc := range []struct {
		name, method, key, sig string
		body                   []byte
		status                 int
	}{
		{"accepted", http.MethodPost, "key", notify.Sign("app", "key", body), body, 202},
		{"no api key", http.MethodPost, "", notify.Sign("app", "key", body), body, 401},
		{"wrong api key", http.MethodPost, "nope", notify.Sign("app", "key", body), body, 401},
		{"no signature", http.MethodPost, "key", "", body, 403},
		{"wrong secret", http.MethodPost, "key", notify.Sign("other", "key", body), body, 403},
		{"tampered", http.MethodPost, "key", notify.Sign("app", "key", body), append([]byte(" "), body...), 403},
		{"malformed", http.MethodPost, "key", notify.Sign("app", "key", []byte(`{"data":[]}`)), []byte(`{"data":[]}`), 400},
		{"get", http.MethodGet, "key", "", nil, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/cb", bytes.NewReader(tc.body))
			if tc.key != "" {
				req.Header.Set("x-api-key", tc.key)
			}
			if tc.sig != "" {
				req.Header.Set("x-hmac-sha256-signature", tc.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			assert.Equal(t, tc.status, w.Code)
		})
	}
	small := &notify.CallbackHandler{ApplicationID: "app", APIKey: "key", MaxBodyBytes: 10}
	req := httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
	req.Header.Set("x-api-key", "key")
	w := httptest.NewRecorder()
	small.ServeHTTP(w, req)
	assert.Equal(t, 413, w.Code)
}

// A CallbackHandler printed with any verb, alone or in a struct, or
// logged, never shows its API key (half of the signing secret).
func TestCallbackHandlerHidesAPIKey(t *testing.T) {
	h := &notify.CallbackHandler{ApplicationID: "app-1", APIKey: "key-secret-123"}
	cfg := struct{ Callbacks *notify.CallbackHandler }{h}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "callbacks", h)
	for _, s := range []string{fmt.Sprint(h), fmt.Sprintf("%+v", h), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), buf.String()} {
		assert.NotContains(t, s, "key-secret-123")
		assert.Contains(t, s, "app-1")
	}
}

func TestParseCallback(t *testing.T) {
	ts := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ch := notify.ChannelStatusCallback(notify.ChannelStatusEvent{MessageID: "m", Reference: "r", Channel: notify.SMS,
		CascadeType: "primary", CascadeOrder: 2, Status: notify.ChannelFailed, SupplierStatus: "permanent_failure",
		FailureReasonCode: "CFR_X", RetryCount: 1, Timestamp: ts, IdempotencyKey: "k2", Link: "https://x/m"})
	evs, err := notify.ParseCallback([]byte(`{"data":[` + string(ch) + `]}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	want := notify.ChannelStatusEvent{MessageID: "m", Reference: "r", Channel: notify.SMS, CascadeType: "primary",
		CascadeOrder: 2, Status: notify.ChannelFailed, SupplierStatus: "permanent_failure", FailureReasonCode: "CFR_X",
		RetryCount: 1, Timestamp: ts, IdempotencyKey: "k2", Link: "https://x/m"}
	assert.Equal(t, want, evs[0])
	for _, bad := range []string{
		`not json`, `{"data":[]}`, `{"data":[{"type":"Other","attributes":{"messageId":"m","messageReference":"r","timestamp":"2026-01-01T00:00:00Z"}}]}`,
		`{"data":[{"type":"MessageStatus","attributes":{"messageId":"m","messageReference":"r"}}]}`,
		`{"data":[{"type":"MessageStatus","attributes":{"messageId":"m","messageReference":"r","timestamp":"2026-01-01T00:00:00Z"}}]}`,
		`{"data":[{"type":"ChannelStatus","attributes":{"messageId":"m","messageReference":"r","timestamp":"2026-01-01T00:00:00Z"}}]}`,
		`{"data":[1]}`,
	} {
		_, err := notify.ParseCallback([]byte(bad))
		assert.ErrorIs(t, err, notify.ErrCallback, bad)
	}
}

func FuzzParseCallback(f *testing.F) {
	f.Add([]byte(`{"data":[` + string(notify.MessageStatusCallback(notify.MessageStatusEvent{MessageID: "m", Reference: "r", Status: "delivered", Timestamp: time.Now()})) + `]}`))
	f.Add([]byte(`{"data":[{"type":"ChannelStatus"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := notify.ParseCallback(b)
		if err == nil && len(evs) == 0 {
			t.Fatal("no error and no events")
		}
	})
}

func FuzzParseError(f *testing.F) {
	f.Add(400, []byte(`{"errors":[{"code":"CM_INVALID_VALUE","status":"400","source":{"pointer":"/data"}}]}`))
	f.Add(404, []byte(`{"message":"x","errors":[{"code":1}]}`))
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		e := notify.ParseError(status, nil, b, "")
		if e.StatusCode != status || e.Error() == "" {
			t.Fatal("status lost")
		}
	})
}

// A 429 is retried after the server's Retry-After, not sooner.
func TestRetryAfterHonoured(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.Inject(notifytest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	var rec spine.Response
	start := time.Now()
	_, err := c.Send(spine.WithResponse(context.Background(), &rec), msg("after-429"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), time.Second)
	assert.Equal(t, 2, rec.Attempts)

	// A Retry-After beyond the client core's cap is not waited for: the
	// 429 comes back with it.
	srv.Inject(notifytest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	_, err = c.Send(context.Background(), msg("after-429-long"))
	var ne *notify.Error
	require.ErrorAs(t, err, &ne)
	assert.ErrorIs(t, err, notify.ErrQuota)
	assert.Equal(t, time.Hour, ne.RetryAfter)
}

func TestFakeOverTLS(t *testing.T) {
	srv := notifytest.NewUnstartedServer()
	srv.StartTLS()
	defer srv.Close()
	require.NotNil(t, srv.TLSConfig())
	c := newClient(t, srv) // HTTPClient: srv.Client(), which trusts the fake
	st, err := c.Send(context.Background(), msg("tls"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(st.Self, "https://"))
	plain, err := notify.New(notify.Config{BaseURL: srv.URL, MaxAttempts: 1})
	require.NoError(t, err)
	_, err = plain.Send(context.Background(), msg("tls-untrusted"))
	assert.Error(t, err, "the fake's certificate is not trusted by default")
}

// A Retry-After too large for a time.Duration is not read (zero), rather
// than overflowing into a negative or arbitrary wait.
func TestParseErrorRetryAfterRange(t *testing.T) {
	for _, ra := range []string{"9223372036854775807", "99999999999999999", "9223372037"} {
		e := notify.ParseError(429, http.Header{"Retry-After": {ra}}, nil, "")
		assert.Zero(t, e.RetryAfter, ra)
	}
	e := notify.ParseError(429, http.Header{"Retry-After": {"300"}}, nil, "")
	assert.Equal(t, 300*time.Second, e.RetryAfter)
}
