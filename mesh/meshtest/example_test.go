package meshtest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
)

func Example() {
	srv := meshtest.NewServer()
	defer srv.Close()
	srv.AddMailbox("X26TRUST1", "trust-password")
	srv.AddMailbox("X26GP0001", "gp-password")
	// The first send answers 503: the client retries it safely.
	srv.AddFault(meshtest.Fault{Kind: meshtest.FaultStatus, Method: http.MethodPost, PathContains: "/outbox", Status: http.StatusServiceUnavailable, Count: 1})

	trust, _ := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26TRUST1", Password: "trust-password", SharedKey: srv.SharedKey})
	_, err := trust.Send(context.Background(), mesh.Outbound{To: "X26GP0001", WorkflowID: "TOC_DISCHARGE_DMS", LocalID: "discharge-18",
		Body: strings.NewReader("discharge summary (synthetic)")})
	fmt.Println(err, srv.Delivered("X26GP0001"))
	// Output:
	// <nil> map[discharge-18:1]
}
