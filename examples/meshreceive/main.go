// Command meshreceive collects the messages waiting in a MESH mailbox,
// writes each to a directory, and acknowledges only those written. By
// default it runs against an in-process fake MESH with a few synthetic
// messages waiting:
//
//	go run ./examples/meshreceive -dir ./inbox
//
// Against a real mailbox give -url, -mailbox and credentials as for
// meshsend (-cert, -key, -ca for the client certificate, and
// -key-passphrase-env naming the environment variable that holds an
// encrypted key's passphrase); -poll keeps it running, checking every five minutes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

type options struct {
	url, mailbox, password, sharedKey, dir string
	cert, key, ca, stateDir                string
	keyPassEnv                             string
	poll                                   bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "MESH base URL (empty: an in-process fake)")
	flag.StringVar(&o.mailbox, "mailbox", "X26GP0001", "receiving mailbox")
	flag.StringVar(&o.password, "password", os.Getenv("MESH_PASSWORD"), "mailbox password")
	flag.StringVar(&o.sharedKey, "shared-key", os.Getenv("MESH_SHARED_KEY"), "environment shared key")
	flag.StringVar(&o.dir, "dir", "", "directory to write messages to (default: a temporary one)")
	flag.StringVar(&o.cert, "cert", "", "client certificate (PEM)")
	flag.StringVar(&o.key, "key", "", "client key (PEM)")
	flag.StringVar(&o.keyPassEnv, "key-passphrase-env", "", "name of the environment variable holding the -key passphrase (for an encrypted PKCS#8 key; never given on the command line)")
	flag.StringVar(&o.ca, "ca", "", "CA bundle for the MESH server (PEM), e.g. mesh-client's nhs-int-ca-bundle.pem")
	flag.StringVar(&o.stateDir, "state-dir", "", "directory keeping partial downloads across restarts")
	flag.BoolVar(&o.poll, "poll", false, "keep polling every five minutes until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "meshreceive:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, o options) error {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "meshreceive-*")
		if err != nil {
			return err
		}
		o.dir = d
	}
	if o.url == "" {
		srv := meshtest.NewServer()
		defer srv.Close()
		srv.AddMailbox("X26TRUST1", "fake-password")
		srv.AddMailbox(o.mailbox, "fake-password")
		sender, err := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26TRUST1", Password: "fake-password", SharedKey: srv.SharedKey})
		if err != nil {
			return err
		}
		for i := 1; i <= 3; i++ {
			if _, err := sender.Send(ctx, mesh.Outbound{To: o.mailbox, WorkflowID: "PATH_RESULTS", FileName: fmt.Sprintf("result-%d.txt", i),
				Body: strings.NewReader(fmt.Sprintf("synthetic pathology result %d\n", i))}); err != nil {
				return err
			}
		}
		o.url, o.password, o.sharedKey = srv.URL, "fake-password", srv.SharedKey
		fmt.Fprintf(w, "using an in-process fake MESH with 3 messages waiting\n")
	}
	var hc *http.Client
	if o.cert != "" {
		var err error
		var pass []byte
		if o.keyPassEnv != "" {
			v, ok := os.LookupEnv(o.keyPassEnv)
			if !ok {
				return fmt.Errorf("-key-passphrase-env: %s is not set", o.keyPassEnv)
			}
			pass = []byte(v)
		}
		if hc, err = mesh.HTTPClientFromEncryptedPEM(o.cert, o.key, o.ca, pass); err != nil {
			return err
		}
	}
	// Reports (e.g. a message of ours that was never collected) are
	// printed and acknowledged; they never reach the data handler.
	report := func(_ context.Context, m *mesh.Received, _ io.Reader) error {
		fmt.Fprintf(w, "report %s: code %s %s (about message %s)\n", m.MessageID, m.StatusCode, m.StatusDescription, m.LinkedMessageID)
		return nil
	}
	c, err := mesh.New(mesh.Config{BaseURL: o.url, Mailbox: o.mailbox, Password: o.password, SharedKey: o.sharedKey, HTTPClient: hc,
		StateDir: o.stateDir, ReportHandler: report})
	if err != nil {
		return err
	}
	store := func(_ context.Context, m *mesh.Received, body io.Reader) error {
		// Write under the message id, so a redelivery overwrites rather
		// than duplicates, and rename into place only when complete.
		final := filepath.Join(o.dir, m.MessageID)
		tmp, err := os.CreateTemp(o.dir, ".partial-*")
		if err != nil {
			return err
		}
		if _, err := io.Copy(tmp, body); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return err
		}
		if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), final); err != nil {
			return err
		}
		fmt.Fprintf(w, "stored %s (%s from %s, %d bytes)\n", m.MessageID, m.WorkflowID, m.From, m.Size)
		return nil
	}
	if o.poll {
		p := &mesh.Poller{Client: c, Interval: 5 * time.Minute, Handlers: map[string]mesh.Handler{"": store}, Concurrency: 2}
		return p.Run(ctx)
	}
	n, err := c.Receive(ctx, store)
	fmt.Fprintf(w, "acknowledged %d messages into %s\n", n, o.dir)
	return err
}
