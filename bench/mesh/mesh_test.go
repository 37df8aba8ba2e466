// Package mesh measures MESH transfers: a large one through the meshtest
// fake on loopback (send uncompressed, 20 MiB chunks, the fake keeping
// chunks on disk so that the process's memory is the client's;
// NHSKIT_MESH_BYTES sets the size, default 64 MiB, the documented run
// 1 GiB); nhskit beside NHS England's Python mesh-client on mesh-sandbox
// (sandbox_test.go); and the fault run (fault_test.go).
package mesh

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

// pattern is an endless, cheap, incompressible-enough byte stream.
type pattern struct{ n, limit int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.n >= p.limit {
		return 0, io.EOF
	}
	if rem := p.limit - p.n; int64(len(b)) > rem {
		b = b[:rem]
	}
	for i := range b {
		x := uint64(p.n + int64(i))
		b[i] = byte(x ^ x>>7 ^ x>>13)
	}
	p.n += int64(len(b))
	return len(b), nil
}

func size() int64 {
	if v := os.Getenv("NHSKIT_MESH_BYTES"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return 64 << 20
}

// peakRSS reads the process's peak resident set (Linux VmHWM), or 0.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkSendReceive runs with downloads plain (Config.PlainDownloads)
// and gzip-encoded in transit (the default: the fake compresses each chunk
// on the fly, as mesh-sandbox does).
func BenchmarkSendReceive(b *testing.B) {
	for _, plain := range []bool{true, false} {
		name := "gzip"
		if plain {
			name = "plain"
		}
		b.Run(name, func(b *testing.B) { sendReceive(b, plain) })
	}
}

func sendReceive(b *testing.B, plain bool) {
	n := size()
	dir := b.TempDir()
	srv := meshtest.NewServer()
	defer srv.Close()
	srv.DataDir = dir
	srv.AddMailbox("X26TRUST1", "a")
	srv.AddMailbox("X26GP0001", "b")
	cfg := func(mb, pw string) mesh.Config {
		return mesh.Config{BaseURL: srv.URL, Mailbox: mb, Password: pw, SharedKey: srv.SharedKey, TempDir: dir, ChunkSize: 20 << 20, PlainDownloads: plain}
	}
	trust, _ := mesh.New(cfg("X26TRUST1", "a"))
	gp, _ := mesh.New(cfg("X26GP0001", "b"))
	ctx := context.Background()
	// The message is a file, as it usually is: written before timing.
	src, err := os.CreateTemp(dir, "source-*")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(src, &pattern{limit: n}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(2 * n) // every byte goes up and comes down
	var sendTime, recvTime time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "BULK", Body: src}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		got, err := gp.Receive(ctx, func(_ context.Context, m *mesh.Received, r io.Reader) error {
			h := sha256.New()
			k, err := io.Copy(h, r)
			if err == nil && k != n {
				err = fmt.Errorf("received %d bytes, want %d", k, n)
			}
			return err
		})
		if err != nil || got != 1 {
			b.Fatal(got, err)
		}
		sendTime += t1.Sub(t0)
		recvTime += time.Since(t1)
	}
	mb := float64(n) / (1 << 20)
	b.ReportMetric(mb/sendTime.Seconds()*float64(b.N), "send-MiB/s")
	b.ReportMetric(mb/recvTime.Seconds()*float64(b.N), "receive-MiB/s")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
}
