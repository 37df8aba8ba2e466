// Package meshtest is a fake MESH server for tests: real HTTP on loopback,
// several mailboxes, the NHSMESH authorisation check (MAC, timestamp
// window, nonce reuse), chunked and compressed messages, tracking,
// acknowledgement, inbox paging, expiry, and a fault-injection schedule
// (5xx, 429 with Retry-After, connections dropped mid-upload, responses lost
// after the message was stored) so that a client's "exactly once" can be
// proven.
//
//	srv := meshtest.NewServer()
//	defer srv.Close()
//	srv.AddMailbox("X26ABC1", "password")
//
// Requests go to srv.URL + "/messageexchange/...", authorised with
// srv.SharedKey.
package meshtest
