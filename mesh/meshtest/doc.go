// Package meshtest is a fake MESH server for tests that answers as NHS
// England's mesh-sandbox does: the same status codes, headers and v1/v2
// bodies on every probe in probe_test.go (run against both), and NHS
// England's Python mesh-client works against it (meshclient_test.go). It
// keeps several mailboxes; checks the NHSMESH authorisation (MAC, and,
// stricter than the sandbox as the real service is, the timestamp window
// and nonce reuse); takes chunked messages with per-chunk Content-Encoding;
// serves tracking by message id and by local id, inbox paging with
// workflow_filter, HEAD, count, acknowledgement and lookups; expires
// uncollected messages after InboxExpiry with a non-delivery report (code
// 14) to the sender; and injects faults with nhskit's common vocabulary
// (FailNext, Inject, SetFaultRate with MeshFaults, SetLatency) plus
// MESH-specific ones matched by method and path (AddFault: 5xx, 429 with
// Retry-After, connections dropped mid-upload, responses lost after the
// message was stored).
//
//	srv := meshtest.NewServer()
//	defer srv.Close()
//	srv.AddSandboxMailboxes() // X26ABC1..3, password "password"
//
// NewUnstartedServer, then Start or StartTLS, lets fields be set first.
// Requests go to srv.URL + "/messageexchange/...", authorised with
// srv.SharedKey.
package meshtest
