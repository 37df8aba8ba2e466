package mesh

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nhskit/nhskit/mesh"
)

// BenchmarkSandboxVsPython sends a file to NHS England's mesh-sandbox and
// receives it back (hashed, acknowledged), with nhskit and then with NHS
// England's Python mesh-client, in one run, 20 MiB chunks each. It reports
// both throughputs, their ratio, and this process's peak RSS (the sandbox
// runs in its own process, so that is the Go client's). Needs
// NHSKIT_MESH_SANDBOX_URL (.ci/run sets it); NHSKIT_MESH_SANDBOX_BYTES
// sets the size (default 8 MiB).
//
//	NHSKIT_MESH_SANDBOX_URL=http://127.0.0.1:8700 NHSKIT_MESH_SANDBOX_BYTES=268435456 \
//	  go test -run='^$' -bench=SandboxVsPython -benchtime=1x -count=3 ./mesh/
func BenchmarkSandboxVsPython(b *testing.B) {
	base := os.Getenv("NHSKIT_MESH_SANDBOX_URL")
	lib := os.Getenv("NHSKIT_MESH_CLIENT")
	if lib == "" {
		lib = filepath.Join("..", "..", "..", "shared", "mesh", "mesh-client")
	}
	if base == "" {
		if os.Getenv("CI") != "" {
			b.Fatal("NHSKIT_MESH_SANDBOX_URL is not set")
		}
		b.Skip("NHSKIT_MESH_SANDBOX_URL not set")
	}
	n := int64(8 << 20)
	if v := os.Getenv("NHSKIT_MESH_SANDBOX_BYTES"); v != "" {
		n, _ = strconv.ParseInt(v, 10, 64)
	}
	const chunk = 20 << 20
	dir := b.TempDir()
	src, err := os.Create(filepath.Join(dir, "source"))
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(src, h), &pattern{limit: n}); err != nil {
		b.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	cfg := func(mb string) mesh.Config {
		return mesh.Config{BaseURL: base, Mailbox: mb, Password: "password", SharedKey: "TestKey", TempDir: dir, ChunkSize: chunk}
	}
	sender, _ := mesh.New(cfg("X26ABC1"))
	recipient, _ := mesh.New(cfg("X26ABC2"))
	ctx := context.Background()
	var goSend, goRecv, pySend, pyRecv time.Duration
	b.SetBytes(2 * n)
	for b.Loop() {
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		id, err := sender.Send(ctx, mesh.Outbound{To: "X26ABC2", WorkflowID: "TEST_WORKFLOW", Body: src})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		// Receive as mesh-client does: read the message through a hash,
		// then acknowledge it.
		hh := sha256.New()
		if _, err := recipient.Download(ctx, id, hh); err != nil {
			b.Fatal(err)
		}
		if err := recipient.Acknowledge(ctx, id); err != nil {
			b.Fatal(err)
		}
		got := hex.EncodeToString(hh.Sum(nil))
		if got != want {
			b.Fatalf("nhskit received %s, want %s", got, want)
		}
		goSend += t1.Sub(t0)
		goRecv += time.Since(t1)

		cmd := exec.Command("python3", "testdata/pymesh.py", base, src.Name(), strconv.Itoa(chunk))
		cmd.Env = append(os.Environ(), "PYTHONPATH="+lib)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("mesh-client: %v: %s", err, stderr.String())
		}
		var py struct {
			Send    float64 `json:"send_s"`
			Receive float64 `json:"receive_s"`
			SHA256  string  `json:"sha256"`
		}
		if err := json.Unmarshal(out.Bytes(), &py); err != nil || py.SHA256 != want {
			b.Fatalf("mesh-client: %s (err %v)", out.String(), err)
		}
		pySend += time.Duration(py.Send * float64(time.Second))
		pyRecv += time.Duration(py.Receive * float64(time.Second))
	}
	mib := float64(n) / (1 << 20) * float64(b.N)
	b.ReportMetric(mib/goSend.Seconds(), "go-send-MiB/s")
	b.ReportMetric(mib/goRecv.Seconds(), "go-receive-MiB/s")
	b.ReportMetric(mib/pySend.Seconds(), "py-send-MiB/s")
	b.ReportMetric(mib/pyRecv.Seconds(), "py-receive-MiB/s")
	b.ReportMetric(pySend.Seconds()/goSend.Seconds(), "send-x-python")
	b.ReportMetric(pyRecv.Seconds()/goRecv.Seconds(), "receive-x-python")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
}
