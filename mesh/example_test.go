package mesh_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

func Example() {
	srv := meshtest.NewServer() // a fake MESH on loopback
	defer srv.Close()
	srv.AddMailbox("X26TRUST1", "trust-password")
	srv.AddMailbox("X26GP0001", "gp-password")

	trust, _ := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26TRUST1", Password: "trust-password", SharedKey: srv.SharedKey})
	gp, _ := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26GP0001", Password: "gp-password", SharedKey: srv.SharedKey})
	ctx := context.Background()

	_, err := trust.Send(ctx, mesh.Outbound{To: "X26GP0001", WorkflowID: "TOC_DISCHARGE_DMS", LocalID: "discharge-17", Compress: true,
		Body: strings.NewReader("discharge summary (synthetic)")})
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := gp.Receive(ctx, func(_ context.Context, m *mesh.Received, body io.Reader) error {
		b, err := io.ReadAll(body)
		fmt.Printf("%s from %s: %s\n", m.LocalID, m.From, b)
		return err // nil: stored, so acknowledge
	})
	fmt.Println(n, err)
	// Output:
	// discharge-17 from X26TRUST1: discharge summary (synthetic)
	// 1 <nil>
}
