package meshtest_test

// NHS England's Python mesh-client (../shared/mesh/mesh-client) against
// meshtest, both ways: mesh-client sends plain, chunked and compressed
// messages that nhskit's client reads; nhskit's client sends messages that
// mesh-client reads, acknowledges and tracks. Every message is compared by
// SHA-256.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

// meshClientPath is mesh-client's source: NHSKIT_MESH_CLIENT, or the copy
// in ../shared beside the repository.
func meshClientPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("NHSKIT_MESH_CLIENT")
	if p == "" {
		p = filepath.Join("..", "..", "..", "shared", "mesh", "mesh-client")
	}
	ok := true
	if _, err := os.Stat(filepath.Join(p, "mesh_client", "__init__.py")); err != nil {
		ok = false
	} else if err := exec.Command("python3", "-c", "import requests, urllib3").Run(); err != nil {
		ok = false
	}
	if !ok {
		if os.Getenv("CI") != "" || os.Getenv("NHSKIT_MESH_CLIENT") != "" {
			t.Fatalf("NHS England's mesh-client is not usable at %s (needs python3-requests, python3-urllib3)", p)
		}
		t.Skipf("mesh-client not usable at %s", p)
	}
	abs, err := filepath.Abs(p)
	require.NoError(t, err)
	return abs
}

// python runs testdata/meshclient.py with plan and decodes its answer.
func python(t *testing.T, lib string, plan map[string]any, out any) {
	t.Helper()
	in, err := json.Marshal(plan)
	require.NoError(t, err)
	cmd := exec.Command("python3", "testdata/meshclient.py")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+lib)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "mesh-client %s: %s", plan["op"], stderr.String())
	require.NoError(t, json.Unmarshal(stdout.Bytes(), out), "mesh-client output: %s", stdout.String())
}

func letters(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return b
}

func hexsum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestNHSMeshClientInterop(t *testing.T) {
	lib := meshClientPath(t)
	srv := meshtest.NewServer()
	defer srv.Close()
	srv.AddSandboxMailboxes()
	base := map[string]any{"url": srv.URL, "password": "password", "shared_key": srv.SharedKey}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	ctx := context.Background()
	dir := t.TempDir()

	// mesh-client sends; nhskit receives.
	type pyMsg struct {
		Path      string `json:"path"`
		LocalID   string `json:"local_id"`
		ChunkSize int    `json:"chunk_size"`
		Compress  bool   `json:"compress"`
	}
	want := map[string]string{}
	var msgs []pyMsg
	for i, m := range []struct {
		local    string
		size     int
		chunk    int
		compress bool
	}{
		{"py-small", 2000, 1 << 20, false},
		{"py-chunked", 250_000, 100_000, false},
		{"py-compressed", 250_000, 100_000, true},
		{"py-compressed-small", 3000, 1 << 20, true},
	} {
		body := letters(m.size, uint64(i+1))
		p := filepath.Join(dir, m.local)
		require.NoError(t, os.WriteFile(p, body, 0o600))
		want[m.local] = hexsum(body)
		msgs = append(msgs, pyMsg{p, m.local, m.chunk, m.compress})
	}
	var sent struct {
		Sent []struct {
			LocalID   string `json:"local_id"`
			MessageID string `json:"message_id"`
		} `json:"sent"`
	}
	python(t, lib, with("op", "send", "mailbox", "X26ABC1", "to", "X26ABC2", "workflow_id", "TEST_WORKFLOW", "messages", msgs), &sent)
	require.Len(t, sent.Sent, len(msgs))
	recipient, err := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26ABC2", Password: "password", SharedKey: srv.SharedKey, TempDir: t.TempDir()})
	require.NoError(t, err)
	got := map[string]string{}
	chunks := map[string]int{}
	n, err := recipient.Receive(ctx, func(_ context.Context, m *mesh.Received, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[m.LocalID], chunks[m.LocalID] = hexsum(b), m.Chunks
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, len(msgs), n)
	assert.Equal(t, want, got, "nhskit reads mesh-client's messages byte for byte")
	assert.Equal(t, 3, chunks["py-chunked"])
	assert.Equal(t, 3, chunks["py-compressed"])
	var tracked struct {
		Tracked []struct {
			MessageID string `json:"message_id"`
			Status    string `json:"status"`
		} `json:"tracked"`
	}
	var ids []string
	for _, s := range sent.Sent {
		ids = append(ids, s.MessageID)
	}
	python(t, lib, with("op", "track", "mailbox", "X26ABC1", "message_ids", ids), &tracked)
	for _, tr := range tracked.Tracked {
		assert.Equal(t, "acknowledged", tr.Status, "mesh-client tracks %s", tr.MessageID)
	}

	// nhskit sends; mesh-client receives, acknowledges.
	sender, err := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26ABC2", Password: "password", SharedKey: srv.SharedKey, ChunkSize: 100_000, TempDir: t.TempDir()})
	require.NoError(t, err)
	wantBack := map[string]string{}
	var goIDs []string
	for i, m := range []struct {
		local    string
		size     int
		compress bool
	}{
		{"go-small", 1500, false},
		{"go-chunked", 260_000, false},
		{"go-compressed", 260_000, true},
	} {
		body := letters(m.size, uint64(100+i))
		id, err := sender.Send(ctx, mesh.Outbound{To: "X26ABC1", WorkflowID: "TEST_WORKFLOW_ACK", LocalID: m.local, FileName: m.local + ".txt", Compress: m.compress, Body: bytes.NewReader(body)})
		require.NoError(t, err, m.local)
		wantBack[m.local] = hexsum(body)
		goIDs = append(goIDs, id)
	}
	var received struct {
		Received []struct {
			MessageID string `json:"message_id"`
			LocalID   string `json:"local_id"`
			FileName  string `json:"file_name"`
			SHA256    string `json:"sha256"`
			Size      int    `json:"size"`
		} `json:"received"`
	}
	python(t, lib, with("op", "receive", "mailbox", "X26ABC1"), &received)
	gotBack := map[string]string{}
	for _, r := range received.Received {
		gotBack[r.LocalID] = r.SHA256
		assert.Equal(t, r.LocalID+".txt", r.FileName)
	}
	assert.Equal(t, wantBack, gotBack, "mesh-client reads nhskit's messages byte for byte")
	assert.Zero(t, srv.Unacknowledged("X26ABC1"), "mesh-client acknowledged them")
	for _, id := range goIDs {
		tr, err := sender.Track(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "acknowledged", tr.Status, fmt.Sprint("nhskit tracks ", id))
	}
}
