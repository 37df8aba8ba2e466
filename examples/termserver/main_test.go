package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
)

func openSynthetic(t *testing.T) *snomed.Store {
	t.Helper()
	dir := t.TempDir()
	path, err := syntheticStore(context.Background(), dir, 2000)
	require.NoError(t, err)
	store, err := snomed.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	return store
}

// chromium finds the browser: NHSKIT_CHROMIUM, or chromium on PATH (the
// Debian package .ci/run installs). Outside CI a missing browser skips the
// test; in CI it fails.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NHSKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium: install Debian's chromium or set NHSKIT_CHROMIUM")
	}
	t.Skip("no Chromium (set NHSKIT_CHROMIUM)")
	return ""
}

// dumpDOM loads a page in headless Chromium, lets its scripts and fetches
// run, and returns the DOM.
func dumpDOM(t *testing.T, browser, target string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=15000", "--dump-dom", target)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	return stdout.String()
}

// TestBrowser types into the page in a real browser: the page's script
// calls $expand with the filter inside the ECL constraint and lists the
// concepts; a bad constraint shows the server's diagnostic.
func TestBrowser(t *testing.T) {
	browser := chromium(t)
	store := openSynthetic(t)
	srv := httptest.NewServer(newMux(store, slog.New(slog.DiscardHandler)))
	defer srv.Close()

	// A query: the first four letters of a clinical finding's first word;
	// the expected list is the store's own search under 404684003.
	const finding = 404684003
	var q string
	for _, id := range store.Descendants(finding) {
		term, _ := store.PreferredTerm(id, "en-GB")
		if w := strings.Fields(term); len(w) > 0 && len(w[0]) >= 4 {
			q = strings.ToLower(w[0][:4])
			break
		}
	}
	require.NotEmpty(t, q)
	hits := store.Search(q, snomed.SearchOptions{Limit: 10, Roots: []snomed.ID{finding}})
	require.NotEmpty(t, hits)

	dom := dumpDOM(t, browser, srv.URL+"/?"+url.Values{"q": {q}}.Encode())
	for _, h := range hits {
		assert.Contains(t, dom, `data-code="`+strconv.FormatUint(uint64(h.Concept), 10)+`"`)
		assert.Contains(t, dom, html.EscapeString(h.Preferred))
	}
	first := strings.Index(dom, `data-code="`+strconv.FormatUint(uint64(hits[0].Concept), 10)+`"`)
	last := strings.Index(dom, `data-code="`+strconv.FormatUint(uint64(hits[len(hits)-1].Concept), 10)+`"`)
	assert.LessOrEqual(t, first, last, "in rank order")

	// Narrowing the constraint to a concept outside the hits' hierarchy
	// leaves none; a bad constraint shows the diagnostic with its offset.
	dom = dumpDOM(t, browser, srv.URL+"/?"+url.Values{"q": {q}, "ecl": {"<< 71388002 MINUS << 71388002"}}.Encode())
	assert.NotContains(t, dom, `data-code="`)
	assert.Contains(t, dom, "0 matches")
	dom = dumpDOM(t, browser, srv.URL+"/?"+url.Values{"q": {q}, "ecl": {"<< 404684003 AND"}}.Encode())
	assert.Contains(t, dom, "bad ECL: ecl: offset 16")
	assert.Contains(t, dom, `class="error"`)
}

func TestPageAndService(t *testing.T) {
	store := openSynthetic(t)
	srv := httptest.NewServer(newMux(store, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, string(body), `fetch("fhir/ValueSet/$expand?"`)

	resp, err = http.Get(srv.URL + "/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=404684003")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `"valueString":"Clinical finding"`)

	resp, err = http.Get(srv.URL + "/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
}

// TestRun starts the command on a free port with a generated release and
// stops it.
func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", addr, "-concepts", "500"}, &out) }()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/fhir/metadata")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, time.Minute, 50*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "serving synthetic.db on http://"+addr)

	assert.Error(t, run(context.Background(), []string{"-store", filepath.Join(t.TempDir(), "missing.db")}, io.Discard))
}
