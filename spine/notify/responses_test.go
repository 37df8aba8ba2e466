package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

func TestResponses(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, func(c *notify.Config) { c.MaxAttempts = 1 })
	ctx := context.Background()
	st, err := c.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextNHSApp, Reference: "resp-1",
		Recipient: notify.Recipient{NHSNumber: patient}})
	require.NoError(t, err)
	n := 0
	for _, err := range c.Responses(ctx, st.ID) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "no responses yet")
	require.NoError(t, srv.Deliver(st.ID))
	for i := range 25 {
		_, _, err := srv.Respond(st.ID, fmt.Sprint("CODE", i))
		require.NoError(t, err)
	}
	var codes []string
	for r, err := range c.Responses(ctx, st.ID) {
		require.NoError(t, err)
		assert.Equal(t, st.ID, r.MessageID)
		assert.Equal(t, notify.NHSApp, r.Channel)
		assert.Regexp(t, `^[0-9a-f-]{36}$`, r.ID)
		assert.False(t, r.AuthoredAt.IsZero())
		codes = append(codes, r.Code)
	}
	require.Len(t, codes, 25, "three pages followed")
	assert.Equal(t, "CODE24", codes[24])

	for _, err := range c.Responses(ctx, "nope") {
		assert.ErrorIs(t, err, notify.ErrInvalidID)
	}
	for _, err := range c.Responses(ctx, "2WL3qFTEFM0qMY8xjRbt1LIKCzM") {
		assert.ErrorIs(t, err, notify.ErrNotFound)
	}
	// The sandbox's Prefer scenarios for this endpoint.
	for _, tc := range []struct {
		prefer string
		code   error
	}{{"code=400", notify.ErrInvalidValue}, {"code=403", notify.ErrForbidden}, {"code=503", notify.ErrServiceUnavailable}} {
		pc := newClient(t, srv, func(c *notify.Config) {
			c.MaxAttempts = 1
			c.HTTPClient = &http.Client{Transport: preferAs{tc.prefer}}
		})
		for _, err := range pc.Responses(ctx, st.ID) {
			assert.ErrorIs(t, err, tc.code, tc.prefer)
			var ne *notify.Error
			if tc.prefer == "code=400" && errors.As(err, &ne) {
				assert.Equal(t, "messageId", ne.Errors[0].Parameter)
				assert.Contains(t, ne.Error(), "in parameter messageId")
			}
		}
	}

	sms, err := c.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextSMS, Reference: "resp-sms",
		Recipient: notify.Recipient{NHSNumber: patient}})
	require.NoError(t, err)
	_, _, err = srv.Respond(sms.ID, "YES")
	assert.ErrorIs(t, err, notifytest.ErrNoNHSAppChannel)
}

type preferAs struct{ v string }

func (p preferAs) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Prefer", p.v)
	return http.DefaultTransport.RoundTrip(r)
}

// pki makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA.
func pki(t *testing.T) (ca *x509.CertPool, server, client tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test notify CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	ca = x509.NewCertPool()
	ca.AddCert(caCert)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, server bool) tls.Certificate {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if server {
			tmpl.IPAddresses = append(tmpl.IPAddresses, []byte{127, 0, 0, 1})
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		require.NoError(t, err)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	return ca, leaf(2, "receiver", x509.ExtKeyUsageServerAuth, true), leaf(3, "nhs-notify", x509.ExtKeyUsageClientAuth, false)
}

func TestResponseCallbackOverMutualTLS(t *testing.T) {
	ca, serverCert, clientCert := pki(t)
	var mu sync.Mutex
	var got []notify.RecipientResponseEvent
	h := &notify.ResponseHandler{
		OnResponse: func(_ context.Context, ev notify.RecipientResponseEvent) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ev)
			return nil
		},
		VerifyPeer: func(cs *tls.ConnectionState) error {
			if cs.PeerCertificates[0].Subject.CommonName != "nhs-notify" {
				return errors.New("not NHS Notify")
			}
			return nil
		},
	}
	recv := httptest.NewUnstartedServer(h)
	recv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: ca, ClientAuth: tls.VerifyClientCertIfGiven}
	recv.StartTLS()
	defer recv.Close()
	mtls := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca, Certificates: []tls.Certificate{clientCert}}}}

	srv := notifytest.NewServer(notifytest.WithResponseCallbacks(recv.URL, mtls))
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()
	st, err := c.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextNHSAppSMS, Reference: "appt-9.reminder",
		Recipient: notify.Recipient{NHSNumber: patient}})
	require.NoError(t, err)
	require.NoError(t, srv.Deliver(st.ID))
	r, accepted, err := srv.Respond(st.ID, "CANCEL")
	require.NoError(t, err)
	assert.True(t, accepted)
	require.Len(t, got, 1)
	ev := got[0]
	assert.Equal(t, "appt-9.reminder", ev.Reference)
	assert.Equal(t, "CANCEL", ev.Code)
	assert.Equal(t, r.ID, ev.ResponseID)
	assert.Equal(t, notify.ChannelDelivered, ev.ChannelStatus)
	assert.Equal(t, notify.NHSApp, ev.Channel)
	assert.True(t, strings.HasSuffix(ev.Link, "/recipient-response/"+r.ID))

	// Without a client certificate: refused.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca}}}
	resp, err := plain.Post(recv.URL, "application/vnd.api+json", strings.NewReader(`{"data":[]}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	// Over plain HTTP: refused.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`)))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
}

func TestParseResponseCallback(t *testing.T) {
	ts := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	ev := notify.RecipientResponseEvent{MessageID: "2WL3qFTEFM0qMY8xjRbt1LIKCzM", Reference: "r", CascadeType: "primary",
		Channel: notify.NHSApp, ChannelStatus: notify.ChannelDelivered, Code: "YES", ResponseID: "33333333-3333-4333-8333-333333333333",
		AuthoredAt: ts, Timestamp: ts.Add(5 * time.Second), IdempotencyKey: "k", Link: "https://x/r"}
	got, err := notify.ParseResponseCallback([]byte(`{"data":[` + string(notify.RecipientResponseCallback(ev)) + `]}`))
	require.NoError(t, err)
	assert.Equal(t, []notify.RecipientResponseEvent{ev}, got)
	for _, bad := range []string{`{`, `{"data":[]}`, `{"data":[{"type":"MessageStatus"}]}`,
		`{"data":[{"type":"RecipientResponse","attributes":{"messageId":"m"}}]}`, `{"data":["x"]}`} {
		_, err := notify.ParseResponseCallback([]byte(bad))
		assert.ErrorIs(t, err, notify.ErrCallback, bad)
	}
}

func FuzzParseResponseCallback(f *testing.F) {
	f.Add([]byte(`{"data":[` + string(notify.RecipientResponseCallback(notify.RecipientResponseEvent{MessageID: "m", Reference: "r", Code: "YES", ResponseID: "x", Timestamp: time.Now()})) + `]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := notify.ParseResponseCallback(b)
		if err == nil && len(evs) == 0 {
			t.Fatal("no error and no events")
		}
	})
}
