package mesh

// The fault run: many messages of random sizes sent and received through
// a fault-injecting loopback proxy (connections reset before forwarding,
// 500/502/503, 429 with Retry-After, responses lost after the server acted,
// requests delivered twice, a download body stalled then cut) in front of
// meshtest and, when NHSKIT_MESH_SANDBOX_URL names it, NHS England's
// mesh-sandbox. Every message must arrive exactly once with its checksum,
// and no send reported failed may have been delivered.
//
//	NHSKIT_MESH_SANDBOX_URL=http://127.0.0.1:8700 NHSKIT_MESH_FAULT_MESSAGES=1000 \
//	  go test -run TestFaultRun -v -timeout 60m ./mesh/

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

type faultKind int

const (
	none faultKind = iota
	reset
	status5xx
	tooMany
	lost
	duplicated
	stalled
	kinds
)

var faultNames = [...]string{"none", "reset", "5xx", "429", "lost response", "duplicated", "stalled then cut"}

// faultProxy forwards to upstream, injecting a fault into a fraction of
// requests.
type faultProxy struct {
	upstream string
	rate     float64
	stall    time.Duration
	tr       *http.Transport
	mu       sync.Mutex
	rng      *rand.Rand
	counts   [kinds]int
}

func (p *faultProxy) pick(r *http.Request) faultKind {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rng.Float64() >= p.rate {
		return none
	}
	k := faultKind(1 + p.rng.IntN(int(kinds)-1))
	download := r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/inbox/")
	if k == stalled && !download {
		k = lost
	}
	// A request delivered twice is a network replay; only a request that
	// replays harmlessly is replayed (MESH has no idempotency key that
	// would make a duplicated first POST one message).
	if k == duplicated && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/outbox") {
		k = lost
	}
	p.counts[k]++
	return k
}

func (p *faultProxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	return p.tr.RoundTrip(req)
}

func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	k := p.pick(r)
	switch k {
	case reset:
		hangUp(w)
		return
	case status5xx:
		w.WriteHeader([]int{500, 502, 503}[len(body)%3])
		return
	case tooMany:
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case duplicated:
		if resp, err := p.forward(r, body); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	resp, err := p.forward(r, body)
	if err != nil {
		hangUp(w)
		return
	}
	defer resp.Body.Close()
	if k == lost {
		_, _ = io.Copy(io.Discard, resp.Body)
		hangUp(w)
		return
	}
	for key, v := range resp.Header {
		w.Header()[key] = v
	}
	w.WriteHeader(resp.StatusCode)
	if k == stalled {
		_, _ = io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		time.Sleep(p.stall)
		hangUp(w)
		return
	}
	_, _ = io.Copy(w, resp.Body)
}

func TestFaultRun(t *testing.T) {
	count := 60
	if v := os.Getenv("NHSKIT_MESH_FAULT_MESSAGES"); v != "" {
		count, _ = strconv.Atoi(v)
	}
	targets := map[string]string{}
	fake := meshtest.NewServer()
	defer fake.Close()
	fake.AddSandboxMailboxes()
	targets["meshtest"] = fake.URL
	if u := os.Getenv("NHSKIT_MESH_SANDBOX_URL"); u != "" {
		targets["mesh-sandbox"] = u
	}
	for name, upstream := range targets {
		t.Run(name, func(t *testing.T) { faultRun(t, upstream, count) })
	}
}

func faultRun(t *testing.T, upstream string, count int) {
	p := &faultProxy{upstream: upstream, rate: 0.2, stall: 300 * time.Millisecond,
		tr: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}, rng: rand.New(rand.NewPCG(18, 18))}
	front := httptest.NewServer(p)
	defer front.Close()
	cfg := func(mb string) mesh.Config {
		return mesh.Config{BaseURL: front.URL, Mailbox: mb, Password: "password", SharedKey: "TestKey", ChunkSize: 64 << 10,
			TempDir: t.TempDir(), MaxAttempts: 12, StallTimeout: 100 * time.Millisecond}
	}
	sender, err := mesh.New(cfg("X26ABC1"))
	if err != nil {
		t.Fatal(err)
	}
	recipient, err := mesh.New(cfg("X26ABC2"))
	if err != nil {
		t.Fatal(err)
	}
	// A direct client, free of faults, checks the outcome.
	direct, _ := mesh.New(mesh.Config{BaseURL: upstream, Mailbox: "X26ABC1", Password: "password", SharedKey: "TestKey"})
	ctx := context.Background()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	rng := rand.New(rand.NewPCG(7, 7))
	sums := map[string][32]byte{}
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	start := time.Now()
	for i := range count {
		size := 1 + rng.IntN(200<<10)
		body := make([]byte, size)
		for j := range body {
			body[j] = byte('a' + rng.IntN(26))
		}
		local := fmt.Sprintf("fault-%s-%04d", run, i)
		sums[local] = sha256.Sum256(body)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := sender.Send(ctx, mesh.Outbound{To: "X26ABC2", WorkflowID: "TEST_WORKFLOW", LocalID: local, Compress: i%3 == 0, Body: bytes.NewReader(body)})
			if err != nil {
				mu.Lock()
				failed = append(failed, local)
				mu.Unlock()
				t.Logf("send %s failed: %v", local, err)
			}
		}()
	}
	wg.Wait()
	sendTime := time.Since(start)

	// Exactly once on the server: tracking by local id finds one message
	// (300 would mean two) for every send, and none for a failed one.
	duplicates, reportedFailedButDelivered := 0, 0
	for local := range sums {
		_, err := direct.TrackLocal(ctx, local)
		switch {
		case errors.Is(err, mesh.ErrLocalIDAmbiguous):
			duplicates++
		case err == nil && contains(failed, local):
			reportedFailedButDelivered++
		case err != nil && !contains(failed, local):
			t.Errorf("%s: sent but not found: %v", local, err)
		}
	}

	got := map[string]int{}
	start = time.Now()
	pending := func() int {
		n := 0
		for local := range sums {
			if got[local] == 0 && !contains(failed, local) {
				n++
			}
		}
		return n
	}
	for round := 0; round < 100 && pending() > 0; round++ {
		n, err := recipient.Receive(ctx, func(_ context.Context, m *mesh.Received, r io.Reader) error {
			want, ok := sums[m.LocalID]
			if !ok {
				return nil // another run's message
			}
			h := sha256.New()
			if _, err := io.Copy(h, r); err != nil {
				return err
			}
			if !bytes.Equal(h.Sum(nil), want[:]) {
				return fmt.Errorf("%s: checksum differs", m.LocalID)
			}
			got[m.LocalID]++
			return nil
		})
		if err != nil && testing.Verbose() {
			t.Logf("receive round %d: %d acknowledged, first error: %v", round, n, err)
		}
	}
	recvTime := time.Since(start)
	lost := 0
	for local := range sums {
		if got[local] == 0 && !contains(failed, local) {
			lost++
		}
	}
	faults := 0
	var kindsSeen []string
	for k := reset; k < kinds; k++ {
		faults += p.counts[k]
		kindsSeen = append(kindsSeen, fmt.Sprintf("%s %d", faultNames[k], p.counts[k]))
	}
	t.Logf("%d messages: %d faults injected (%s); sends failed %d, duplicates %d, failed-but-delivered %d, lost %d; send %s, receive %s",
		count, faults, strings.Join(kindsSeen, ", "), len(failed), duplicates, reportedFailedButDelivered, lost, sendTime.Round(time.Second), recvTime.Round(time.Second))
	if duplicates != 0 || reportedFailedButDelivered != 0 || lost != 0 {
		t.Errorf("exactly once broken: duplicates %d, failed-but-delivered %d, lost %d", duplicates, reportedFailedButDelivered, lost)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
