// Command meshsend sends a file over MESH. By default it starts an
// in-process fake MESH (meshtest) with a sender and a recipient mailbox,
// so it runs anywhere:
//
//	go run ./examples/meshsend -file letter.pdf -to X26GP0001 -workflow TOC_DISCHARGE_DMS
//
// Against a real mailbox give -url, -mailbox, -password, -shared-key and a
// client certificate (-cert, -key, -ca); the password and key can come from
// the environment (MESH_PASSWORD, MESH_SHARED_KEY) so they stay out of
// shell history. An encrypted PKCS#8 -key is read with the passphrase in
// the environment variable named by -key-passphrase-env:
//
//	MESH_KEY_PASSPHRASE=... go run ./examples/meshsend -cert c.pem -key k.pem -key-passphrase-env MESH_KEY_PASSPHRASE ...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

type options struct {
	url, mailbox, password, sharedKey, cert, key, ca string
	file, to, workflow, subject, localID, stateDir   string
	keyPassEnv                                       string
	compress                                         bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "MESH base URL (empty: an in-process fake)")
	flag.StringVar(&o.mailbox, "mailbox", "X26TRUST1", "sending mailbox")
	flag.StringVar(&o.password, "password", os.Getenv("MESH_PASSWORD"), "mailbox password")
	flag.StringVar(&o.sharedKey, "shared-key", os.Getenv("MESH_SHARED_KEY"), "environment shared key")
	flag.StringVar(&o.cert, "cert", "", "client certificate (PEM)")
	flag.StringVar(&o.key, "key", "", "client key (PEM)")
	flag.StringVar(&o.keyPassEnv, "key-passphrase-env", "", "name of the environment variable holding the -key passphrase (for an encrypted PKCS#8 key; never given on the command line)")
	flag.StringVar(&o.ca, "ca", "", "CA bundle for the MESH server (PEM)")
	flag.StringVar(&o.file, "file", "", "file to send (empty: a synthetic letter)")
	flag.StringVar(&o.to, "to", "X26GP0001", "recipient mailbox")
	flag.StringVar(&o.workflow, "workflow", "TOC_DISCHARGE_DMS", "workflow id")
	flag.StringVar(&o.subject, "subject", "", "subject")
	flag.StringVar(&o.localID, "local-id", "", "your id for the message (default: a UUID)")
	flag.StringVar(&o.stateDir, "state-dir", "", "directory for the outbox record: run again with the same -local-id to resume a send without a second copy")
	flag.BoolVar(&o.compress, "compress", true, "gzip the content")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "meshsend:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, o options) error {
	if o.url == "" {
		srv := meshtest.NewServer()
		defer srv.Close()
		srv.AddMailbox(o.mailbox, "fake-password")
		srv.AddMailbox(o.to, "fake-password")
		o.url, o.password, o.sharedKey = srv.URL, "fake-password", srv.SharedKey
		fmt.Fprintf(w, "using an in-process fake MESH at %s\n", srv.URL)
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
	c, err := mesh.New(mesh.Config{BaseURL: o.url, Mailbox: o.mailbox, Password: o.password, SharedKey: o.sharedKey, HTTPClient: hc, StateDir: o.stateDir,
		Progress: func(p mesh.Progress) { fmt.Fprintf(w, "  chunk %d/%d sent (%d bytes)\n", p.Chunk, p.Chunks, p.Bytes) }})
	if err != nil {
		return err
	}
	if err := c.Handshake(ctx); err != nil {
		return err
	}
	var body io.Reader = strings.NewReader("Discharge summary for a synthetic patient (999 000 0018).\n")
	name := "letter.txt"
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			return err
		}
		defer f.Close()
		body, name = f, o.file
	}
	id, err := c.Send(ctx, mesh.Outbound{To: o.to, WorkflowID: o.workflow, Subject: o.subject, FileName: name, LocalID: o.localID, Compress: o.compress, Body: body})
	if err != nil {
		return err
	}
	// The message is delivered to MESH: whatever tracking says now, the
	// send succeeded, and a failure to track must not invite a resend.
	t, err := c.Track(ctx, id)
	if err != nil {
		fmt.Fprintf(w, "sent message %s to %s (tracking unavailable: %v)\n", id, o.to, err)
		return nil
	}
	fmt.Fprintf(w, "sent message %s to %s: %s\n", id, o.to, t.Status)
	return nil
}
