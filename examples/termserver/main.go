// Command termserver serves SNOMED CT over FHIR R4 terminology operations
// (package snomed/fhirterm) at /fhir/, with a small page at / where a
// person types a term and sees live $expand results within an ECL
// constraint:
//
//	go run ./examples/termserver -store uk.db
//	go run ./examples/termserver            # a synthetic release, generated
//
// Then open http://127.0.0.1:8080/ or ask it directly:
//
//	curl 'http://127.0.0.1:8080/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=404684003'
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/fhirterm"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

//go:embed index.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "termserver:", err)
		os.Exit(1)
	}
}

// newMux serves the page at / and the terminology service at /fhir/.
func newMux(store *snomed.Store, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/fhir/", http.StripPrefix("/fhir", fhirterm.New(store, fhirterm.WithLogger(log))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
		w.Write(page)
	})
	return mux
}

// syntheticStore generates a small synthetic release under dir and
// imports it, so that the server runs without a licensed release.
func syntheticStore(ctx context.Context, dir string, concepts int) (string, error) {
	rel := filepath.Join(dir, "release")
	if _, err := snomedtest.Generate(rel, snomedtest.Config{Concepts: concepts, Seed: 1}); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "synthetic.db")
	return path, snomed.Import(ctx, rel, path)
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("termserver", flag.ContinueOnError)
	storePath := fs.String("store", "", "a store written by snomed.Import (default: a synthetic release generated now)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	concepts := fs.Int("concepts", 5000, "size of the synthetic release when -store is not given")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	if *storePath == "" {
		dir, err := os.MkdirTemp("", "termserver-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(out, "generating a synthetic release of %d concepts\n", *concepts)
		if *storePath, err = syntheticStore(ctx, dir, *concepts); err != nil {
			return err
		}
	}
	store, err := snomed.Open(*storePath)
	if err != nil {
		return err
	}
	defer store.Close()
	store.PrepareSearch()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newMux(store, log), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "serving %s on http://%s/ (FHIR base http://%s/fhir)\n", filepath.Base(*storePath), ln.Addr(), ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
