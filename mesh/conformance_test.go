package mesh_test

// Conformance of the client against NHS England's MESH sandbox
// (../shared/mesh/mesh-sandbox), started by .ci/run (or by hand with
// ../shared/mesh/run-sandbox.sh) and named by NHSKIT_MESH_SANDBOX_URL.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

// The sandbox's fixed mailboxes (store/data/mailboxes.jsonl) and
// workflows (workflows.jsonl): TEST_WORKFLOW goes from X26ABC1 to X26ABC2.
const (
	sbSender    = "X26ABC1"
	sbRecipient = "X26ABC2"
	sbOther     = "X26ABC3"
	sbPassword  = "password"
	sbKey       = "TestKey"
	sbWorkflow  = "TEST_WORKFLOW"
)

// sandboxURL returns the sandbox's base URL. A
// missing sandbox fails the test under CI and skips it elsewhere.
func sandboxURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("NHSKIT_MESH_SANDBOX_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_MESH_SANDBOX_URL is not set: .ci/run starts ../shared/mesh/run-sandbox.sh and sets it")
		}
		t.Skip("NHSKIT_MESH_SANDBOX_URL not set (start ../shared/mesh/run-sandbox.sh)")
	}
	// The sandbox is shared with other packages' tests running at the
	// same time, so nothing here resets it or counts on an empty inbox:
	// local ids carry runID and assertions concern this test's messages.
	return u
}

func sandboxClient(t *testing.T, base, mailbox string, mod ...func(*mesh.Config)) *mesh.Client {
	t.Helper()
	cfg := mesh.Config{BaseURL: base, Mailbox: mailbox, Password: sbPassword, SharedKey: sbKey, ChunkSize: 64 << 10, TempDir: t.TempDir()}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := mesh.New(cfg)
	require.NoError(t, err)
	return c
}

// runID makes this run's local ids unique on a long-lived sandbox.
var runID = fmt.Sprint(time.Now().UnixNano())

func lid(s string) string { return s + "-" + runID }

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// receiveAll receives every waiting message and returns their contents by
// local id.
func receiveAll(t *testing.T, c *mesh.Client) (map[string][]byte, map[string]*mesh.Received) {
	t.Helper()
	bodies, infos := map[string][]byte{}, map[string]*mesh.Received{}
	_, err := c.Receive(context.Background(), func(_ context.Context, m *mesh.Received, r io.Reader) error {
		b, err := io.ReadAll(r)
		bodies[m.LocalID], infos[m.LocalID] = b, m
		return err
	})
	require.NoError(t, err)
	return bodies, infos
}

func TestSandboxHandshakeAndPing(t *testing.T) { conformHandshakeAndPing(t, sandboxURL(t)) }

func conformHandshakeAndPing(t *testing.T, base string) {
	ctx := context.Background()
	c := sandboxClient(t, base, sbSender)
	require.NoError(t, c.Ping(ctx))
	require.NoError(t, c.Handshake(ctx))
	bad := sandboxClient(t, base, sbSender, func(c *mesh.Config) { c.Password = "wrong" })
	assert.ErrorIs(t, bad.Handshake(ctx), mesh.ErrAuth)
	n, err := c.Count(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 0)
}

func TestSandboxSendReceive(t *testing.T) { conformSendReceive(t, sandboxURL(t)) }

func conformSendReceive(t *testing.T, base string) {
	ctx := context.Background()
	sender := sandboxClient(t, base, sbSender)
	recipient := sandboxClient(t, base, sbRecipient)
	cases := []struct {
		local    string
		size     int
		compress bool
		gzFile   bool // the content is itself a .gz file, flagged so
	}{
		{"small", 100, false, false},
		{"chunked", 300 << 10, false, false},
		{"compressed-small", 5000, true, false},
		{"compressed-chunked", 400 << 10, true, false},
		{"gz-file", 3000, false, true},
		{"gz-file-compressed", 3000, true, true},
	}
	want := map[string][]byte{}
	ids := map[string]string{}
	for i, tc := range cases {
		body := payload(tc.size, uint64(i+1))
		if tc.gzFile {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(body)
			require.NoError(t, zw.Close())
			body = buf.Bytes()
		}
		want[tc.local] = body
		id, err := sender.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid(tc.local), Subject: "synthetic " + tc.local,
			FileName: tc.local + ".txt", ContentType: "text/plain", PartnerID: "partner-1", Compress: tc.compress, ContentCompressed: tc.gzFile, Body: bytes.NewReader(body)})
		require.NoError(t, err, tc.local)
		ids[tc.local] = id
		tr, err := sender.Track(ctx, id)
		require.NoError(t, err, tc.local)
		assert.Equal(t, "accepted", tr.Status, tc.local)
		assert.Equal(t, lid(tc.local), tr.LocalID)
		assert.Equal(t, sbRecipient, tr.Recipient)
		assert.False(t, tr.ExpiryTime.IsZero(), "tracking carries the expiry")
		tl, err := sender.TrackLocal(ctx, lid(tc.local))
		require.NoError(t, err)
		assert.Equal(t, id, tl.MessageID)
		assert.Equal(t, "sha256:"+sum(body), tl.Checksum)
	}
	n, err := recipient.Count(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, len(cases))
	head, err := recipient.Head(ctx, ids["chunked"])
	require.NoError(t, err)
	assert.Equal(t, 5, head.Chunks)
	assert.Equal(t, "partner-1", head.PartnerID)

	got, infos := receiveAll(t, recipient)
	for _, tc := range cases {
		assert.Equal(t, sum(want[tc.local]), sum(got[lid(tc.local)]), "%s: content checksum", tc.local)
		m := infos[lid(tc.local)]
		require.NotNil(t, m, tc.local)
		assert.Equal(t, mesh.MessageTypeData, m.MessageType)
		assert.Equal(t, sbSender, m.From)
		assert.Equal(t, sbWorkflow, m.WorkflowID)
		assert.Equal(t, tc.local+".txt", m.FileName)
		assert.Equal(t, "synthetic "+tc.local, m.Subject)
		assert.Equal(t, "text/plain", m.ContentType)
		assert.Equal(t, tc.gzFile, m.ContentCompressed, "%s: the flag is the sender's, not the transfer's", tc.local)
		assert.Equal(t, int64(len(want[tc.local])), m.Size)
		tr, err := sender.Track(ctx, ids[tc.local])
		require.NoError(t, err)
		assert.Equal(t, "acknowledged", tr.Status)
	}
	for id := range recipient.Inbox(ctx) {
		for _, mine := range ids {
			assert.NotEqual(t, mine, id, "acknowledged messages leave the inbox")
		}
	}
}

// TestSandboxCompressedChunksAreIndependent checks the wire form of a
// compressed chunked send: each chunk is a gzip member of its own, so a
// recipient reading one chunk, or one not accepting gzip, gets it whole.
func TestSandboxCompressedChunksAreIndependent(t *testing.T) {
	conformCompressedChunksAreIndependent(t, sandboxURL(t))
}

func conformCompressedChunksAreIndependent(t *testing.T, base string) {
	ctx := context.Background()
	sender := sandboxClient(t, base, sbSender)
	body := payload(200<<10, 5)
	id, err := sender.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, Compress: true, Body: bytes.NewReader(body)})
	require.NoError(t, err)
	var joined []byte
	for n := 1; n <= 4; n++ {
		for _, acceptGzip := range []bool{true, false} {
			u := fmt.Sprintf("%s/messageexchange/%s/inbox/%s/%d", base, sbRecipient, id, n)
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Accept", mesh.MediaTypeV2)
			req.Header.Set("Authorization", mesh.AuthHeader(sbRecipient, sbPassword, sbKey, fmt.Sprint("chunk-", n, acceptGzip), 0, time.Now()))
			tr := &http.Transport{DisableCompression: true}
			if acceptGzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			require.NoError(t, err)
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Contains(t, []int{200, 206}, resp.StatusCode, "chunk %d gzip=%v", n, acceptGzip)
			if !acceptGzip {
				assert.Empty(t, resp.Header.Get("Content-Encoding"))
				continue
			}
			require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			require.NoError(t, err, "chunk %d is a gzip stream of its own", n)
			zr.Multistream(false)
			plain, err := io.ReadAll(zr)
			require.NoError(t, err)
			joined = append(joined, plain...)
		}
	}
	assert.Equal(t, sum(body), sum(joined))
	for _, plain := range []bool{false, true} {
		c := sandboxClient(t, base, sbRecipient, func(c *mesh.Config) { c.PlainDownloads = plain })
		var got bytes.Buffer
		_, err := c.Download(ctx, id, &got)
		require.NoError(t, err)
		assert.Equal(t, sum(body), sum(got.Bytes()), "plain downloads %v", plain)
	}
}

func TestSandboxErrors(t *testing.T) { conformErrors(t, sandboxURL(t)) }

func conformErrors(t *testing.T, base string) {
	ctx := context.Background()
	sender := sandboxClient(t, base, sbSender)
	_, err := sender.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, Body: strings.NewReader("")})
	assert.ErrorIs(t, err, mesh.ErrMissingData)
	var ae *mesh.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusExpectationFailed, ae.StatusCode)
	assert.Equal(t, "02", ae.Code)

	_, err = sender.Send(ctx, mesh.Outbound{To: "X26NOBODY", WorkflowID: sbWorkflow, Body: strings.NewReader("x")})
	assert.ErrorIs(t, err, mesh.ErrUnknownRecipient)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "12", ae.Code)
	assert.Equal(t, "SEND", ae.Event)

	_, err = sender.Track(ctx, "NOSUCHMESSAGE")
	assert.ErrorIs(t, err, mesh.ErrNotFound)
	_, err = sender.TrackLocal(ctx, "no-such-local-id")
	assert.ErrorIs(t, err, mesh.ErrNotFound)

	id, err := sender.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, Body: strings.NewReader("x")})
	require.NoError(t, err)
	other := sandboxClient(t, base, sbOther)
	_, err = other.Download(ctx, id, io.Discard)
	assert.ErrorIs(t, err, mesh.ErrAuth, "another mailbox's message is forbidden")
	recipient := sandboxClient(t, base, sbRecipient)
	require.NoError(t, recipient.Acknowledge(ctx, id))
	require.NoError(t, recipient.Acknowledge(ctx, id), "acknowledging twice is harmless")
	_, err = recipient.Download(ctx, id, io.Discard)
	assert.NoError(t, err, "an acknowledged message can still be downloaded")
	for other := range recipient.Inbox(ctx) {
		assert.NotEqual(t, id, other, "an acknowledged message leaves the inbox")
	}
}

func TestSandboxInboxPagingAndFilter(t *testing.T) { conformInboxPagingAndFilter(t, sandboxURL(t)) }

func conformInboxPagingAndFilter(t *testing.T, base string) {
	ctx := context.Background()
	sender := sandboxClient(t, base, sbSender)
	wanted, unwanted := map[string]bool{}, map[string]bool{}
	for i := range 25 {
		wf := sbWorkflow
		if i%5 == 0 {
			wf = "TEST_WORKFLOW2"
		}
		id, err := sender.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: wf, Body: strings.NewReader(fmt.Sprint("message ", i))})
		require.NoError(t, err)
		if wf == sbWorkflow {
			wanted[id] = true
		} else {
			unwanted[id] = true
		}
	}
	recipient := sandboxClient(t, base, sbRecipient)
	got := map[string]bool{}
	for id, err := range recipient.InboxWith(ctx, mesh.InboxOptions{WorkflowFilter: sbWorkflow, MaxResults: 10}) {
		require.NoError(t, err)
		assert.False(t, got[id], "listed once")
		got[id] = true
	}
	for id := range wanted {
		assert.True(t, got[id], "every TEST_WORKFLOW message listed, over pages of 10")
	}
	for id := range unwanted {
		assert.False(t, got[id], "TEST_WORKFLOW2 filtered out")
	}
	all := map[string]bool{}
	for id, err := range recipient.InboxWith(ctx, mesh.InboxOptions{MaxResults: 10}) {
		require.NoError(t, err)
		all[id] = true
	}
	for id := range unwanted {
		assert.True(t, all[id], "unfiltered listing has every message")
	}
	for _, err := range recipient.InboxWith(ctx, mesh.InboxOptions{MaxResults: 5}) {
		assert.ErrorIs(t, err, mesh.ErrBadRequest, "MESH takes 10 to 5000")
	}
}

func TestSandboxLookups(t *testing.T) { conformLookups(t, sandboxURL(t)) }

func conformLookups(t *testing.T, base string) {
	ctx := context.Background()
	c := sandboxClient(t, base, sbSender)
	eps, err := c.LookupEndpoint(ctx, "X26", sbWorkflow)
	require.NoError(t, err)
	require.NotEmpty(t, eps)
	for _, e := range eps {
		assert.NotEmpty(t, e.MailboxID)
		assert.NotEmpty(t, e.MailboxName)
	}
	eps, err = c.SearchWorkflow(ctx, sbWorkflow)
	require.NoError(t, err)
	require.NotEmpty(t, eps)
	assert.NotEmpty(t, eps[0].MailboxID)
}

// TestSandboxReport puts a non-delivery report in the sender's inbox (the
// sandbox's admin endpoint) and checks it reaches the report handler as a
// report, never the data handler, and is left alone without one.
func TestSandboxReport(t *testing.T) { conformReport(t, sandboxURL(t)) }

func conformReport(t *testing.T, base string) {
	ctx := context.Background()
	sender := sandboxClient(t, base, sbSender)
	id, err := sender.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, Body: strings.NewReader("never collected")})
	require.NoError(t, err)
	rep, _ := json.Marshal(map[string]string{"mailbox_id": sbSender, "code": "14", "description": "Message not collected by recipient after 5 days",
		"workflow_id": sbWorkflow, "linked_message_id": id, "status": "error"})
	resp, err := http.Post(base+"/messageexchange/admin/report", "application/json", bytes.NewReader(rep))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	dataCalls := 0
	data := func(context.Context, *mesh.Received, io.Reader) error { dataCalls++; return nil }
	n, err := sender.Receive(ctx, data)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Zero(t, dataCalls, "a report is not data")
	count, err := sender.Count(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, count, 1, "left in the inbox without a report handler")

	var report *mesh.Received
	withReports := sandboxClient(t, base, sbSender, func(c *mesh.Config) {
		c.ReportHandler = func(_ context.Context, m *mesh.Received, _ io.Reader) error {
			if m.LinkedMessageID == id {
				report = m
			}
			return nil
		}
	})
	n, err = withReports.Receive(ctx, data)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 1)
	assert.Zero(t, dataCalls)
	require.NotNil(t, report)
	assert.True(t, report.IsReport())
	assert.Equal(t, "14", report.StatusCode)
	assert.Equal(t, id, report.LinkedMessageID)
	assert.Equal(t, "ERROR", report.StatusSuccess)
	assert.Equal(t, "TRANSFER", report.StatusEvent)
}

// faultProxy forwards to the sandbox and, for the requests drop picks,
// forwards then hangs up without answering (a lost response) or answers
// 500 without forwarding.
type faultProxy struct {
	*httptestServer
	mu   sync.Mutex
	rule func(r *http.Request) string // "", "lose" or "500"
}

type httptestServer struct{ URL string }

func newFaultProxy(t *testing.T, target string, rule func(r *http.Request) string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &faultProxy{rule: rule}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		what := p.rule(r)
		p.mu.Unlock()
		switch what {
		case "500":
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusInternalServerError)
		case "lose":
			rec := &discard{h: http.Header{}}
			rp.ServeHTTP(rec, r)
			panic(http.ErrAbortHandler)
		default:
			rp.ServeHTTP(w, r)
		}
	}), ErrorLog: nil}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	p.httptestServer = &httptestServer{URL: "http://" + ln.Addr().String()}
	return p
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// once returns a rule that applies what to the first request match picks.
func once(match func(r *http.Request) bool, what string) func(r *http.Request) string {
	done := false
	return func(r *http.Request) string {
		if !done && match(r) {
			done = true
			return what
		}
		return ""
	}
}

func TestSandboxLostResponses(t *testing.T) { conformLostResponses(t, sandboxURL(t)) }

func conformLostResponses(t *testing.T, base string) {
	ctx := context.Background()
	isFirst := func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/outbox")
	}
	isLast := func(r *http.Request) bool { return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/4") }

	t.Run("first request answered 500 after landing is found by local id", func(t *testing.T) {
		p := newFaultProxy(t, base, once(isFirst, "lose"))
		c := sandboxClient(t, p.URL, sbSender)
		body := payload(200<<10, 11)
		id, err := c.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("lost-first"), Body: bytes.NewReader(body)})
		require.NoError(t, err)
		tr, err := c.TrackLocal(ctx, lid("lost-first"))
		require.NoError(t, err, "exactly one message has the local id")
		assert.Equal(t, id, tr.MessageID)
		assert.Equal(t, "accepted", tr.Status)
	})
	t.Run("lost answer to the last chunk is success once complete", func(t *testing.T) {
		p := newFaultProxy(t, base, once(isLast, "lose"))
		c := sandboxClient(t, p.URL, sbSender)
		body := payload(200<<10, 12)
		id, err := c.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("lost-last"), Body: bytes.NewReader(body)})
		require.NoError(t, err, "the sandbox answers 423 to the resent chunk; the message is complete")
		tr, err := c.Track(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "accepted", tr.Status)
	})
	t.Run("a reused local id is never taken for this send", func(t *testing.T) {
		c := sandboxClient(t, base, sbSender)
		earlier, err := c.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("reused"), Body: strings.NewReader("first letter")})
		require.NoError(t, err)
		p := newFaultProxy(t, base, once(isFirst, "500"))
		pc := sandboxClient(t, p.URL, sbSender)
		id, err := pc.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("reused"), Body: strings.NewReader("second letter")})
		require.Error(t, err, "the 500 left the outcome unknown and the local id names another message")
		assert.ErrorIs(t, err, mesh.ErrLocalIDAmbiguous)
		assert.NotEqual(t, earlier, id)
		assert.Empty(t, id)
	})
	t.Run("a restart with a state dir resumes without a second copy", func(t *testing.T) {
		state := t.TempDir()
		body := payload(300<<10, 13)
		// The first run dies after chunk 2: the proxy refuses everything
		// from chunk 3 on with 400, as a crash would stop it.
		p := newFaultProxy(t, base, func(r *http.Request) string {
			if r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/3") || strings.HasSuffix(r.URL.Path, "/4") || strings.HasSuffix(r.URL.Path, "/5")) {
				return "lose"
			}
			return ""
		})
		c1 := sandboxClient(t, p.URL, sbSender, func(c *mesh.Config) { c.StateDir = state; c.MaxAttempts = 1 })
		_, err := c1.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("resumed"), Body: bytes.NewReader(body)})
		require.Error(t, err)
		c2 := sandboxClient(t, base, sbSender, func(c *mesh.Config) { c.StateDir = state })
		id, err := c2.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("resumed"), Body: bytes.NewReader(body)})
		require.NoError(t, err)
		again, err := c2.Send(ctx, mesh.Outbound{To: sbRecipient, WorkflowID: sbWorkflow, LocalID: lid("resumed"), Body: bytes.NewReader(body)})
		require.NoError(t, err)
		assert.Equal(t, id, again, "a completed send is not repeated")
		tr, err := c2.TrackLocal(ctx, lid("resumed"))
		require.NoError(t, err, "one message with the local id")
		assert.Equal(t, id, tr.MessageID)
		var got bytes.Buffer
		_, err = sandboxClient(t, base, sbRecipient).Download(ctx, id, &got)
		require.NoError(t, err)
		assert.Equal(t, sum(body), sum(got.Bytes()))
	})
}

// TestMeshtestConformance runs the conformance suite against meshtest:
// the fake must pass what the sandbox passes.
func TestMeshtestConformance(t *testing.T) {
	for name, conform := range map[string]func(*testing.T, string){
		"HandshakeAndPing":               conformHandshakeAndPing,
		"SendReceive":                    conformSendReceive,
		"CompressedChunksAreIndependent": conformCompressedChunksAreIndependent,
		"Errors":                         conformErrors,
		"InboxPagingAndFilter":           conformInboxPagingAndFilter,
		"Lookups":                        conformLookups,
		"Report":                         conformReport,
		"LostResponses":                  conformLostResponses,
	} {
		t.Run(name, func(t *testing.T) {
			srv := meshtest.NewServer()
			defer srv.Close()
			srv.AddSandboxMailboxes()
			conform(t, srv.URL)
		})
	}
}
