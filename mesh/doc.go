// Package mesh is a client for MESH (Message Exchange for Social Care and
// Health), the NHS's store-and-forward service for files between
// organisations: discharge summaries, pathology results, screening files,
// bulk extracts.
//
// It is built so that a message is neither lost nor duplicated:
//
//   - [Client.Send] hashes the body (spooling it to a temporary file
//     unless it is a file or in-memory reader) and uploads it in chunks,
//     each compressed on its own when asked. A chunk that fails is resent
//     on its own. A first request whose outcome is unknown is resolved by
//     tracking the local id before anything is sent again, and never by
//     taking another message's id. With Config.StateDir a durable outbox
//     record, written before the first request, lets Send called again
//     with the same LocalID after a crash resume the send.
//   - [Client.Receive] downloads each waiting message chunk by chunk into a
//     spool (kept across restarts with Config.StateDir), verifies its
//     checksum, gives it to the caller's handler, and acknowledges it only
//     when the handler returns nil, even if the caller is shutting down.
//     Report messages go to Config.ReportHandler, never to the data
//     handler. A crash between storing and acknowledging means MESH
//     delivers it again; handlers de-duplicate by message id.
//   - [Poller] runs that continuously: handlers by workflow, a bounded
//     number of messages at once, the daily handshake, and quarantine of a
//     message that keeps failing.
//
// Every request has a timeout (Config.Timeout), a download body that
// stalls is cut (Config.StallTimeout), and transient failures (5xx, 429,
// broken connections) are retried where repeating is safe.
//
// Memory stays constant whatever the size: content moves between the
// network, temporary files and the caller's reader or writer in buffers.
// Package meshtest is a fake MESH server for tests that answers as NHS
// England's mesh-sandbox does.
//
// # Facts relied on
//
// Sources: the MESH API v2 specification (NHSDigital/mesh-api-specification,
// specification/mesh-api.yaml, "spec" below), NHS England's MESH sandbox
// (NHSDigital/mesh-sandbox, "sandbox") and NHS England's Python client
// (NHSDigital/mesh-client, "mesh-client"); the conformance tests run this
// client against the sandbox and mesh-client against meshtest.
//
//   - Authorization is "NHSMESH <mailbox>:<nonce>:<nonce_count>:<timestamp>:<hmac>",
//     timestamp UTC YYYYMMDDHHMM, hmac the hex HMAC-SHA256 keyed with the
//     environment's shared key of "<mailbox>:<nonce>:<nonce_count>:<password>:<timestamp>"
//     (spec; mesh-client mesh_auth.py). The sandbox's shared key is "TestKey".
//   - "Accept: application/vnd.mesh.v2+json" selects v2 bodies (spec).
//   - The handshake is POST /messageexchange/{mailbox}, once every 24 hours
//     (spec, "Validate a mailbox"); the sandbox still answers GET.
//   - One request carries at most 100 MB. A large message is split
//     uncompressed into chunks and each chunk compressed independently
//     ("DO NOT compress a large file and then split the compressed
//     version", spec, "Send chunked message"); chunk 1 goes to POST
//     .../outbox with mex-Chunk-Range "1:n", the rest to
//     .../outbox/{message_id}/{n}. Content-Encoding must be the same on every
//     chunk (sandbox: 417 "cannot change content encoding"). A chunk sent
//     once the message is complete gets 423 (spec).
//   - mex-Content-Compressed is a flag passed to the recipient that the
//     sender's content is itself compressed ("non-transparent", mesh-client
//     Message docstring); transfer compression is Content-Encoding. The
//     sandbox also sets the flag on every gzip-encoded download, so the
//     sender's own flag is read from HEAD (sandbox handlers/inbox.py).
//   - A recipient that does not send Accept-Encoding: gzip gets chunks
//     decompressed; a v2 one that does may get plain chunks compressed
//     (sandbox handlers/inbox.py). Each chunk is decoded on its own.
//   - mex-Content-Checksum is carried as the sender gave it, at most 100
//     characters of letters, digits, space, ":", "-" and "/" (spec; sandbox
//     mex_headers.py). This package sends and verifies "sha256:<hex>" and
//     checks no other form.
//   - Tracking is GET .../outbox/tracking?messageID= (v2 body with status
//     and expiry_time); GET .../outbox/tracking/{local_id} is deprecated,
//     answers the v1 body (with the checksum) and 300 when the local id is
//     not unique (spec). A message of another mailbox is 404, not 403
//     (sandbox).
//   - v2 error bodies are {"message_id", "internal_id", "detail": [{"event",
//     "code", "msg"}]}, v1 ones {"messageID", "errorEvent", "errorCode",
//     "errorDescription"} (sandbox views/error.py). Codes (sandbox
//     constants.py): 02 no data (417 on an empty body), 06 malformed
//     control headers, 08 no recipient, 12 unregistered recipient (417), 14
//     not collected (reports), 17 workflow not registered, 20 message does
//     not exist, EPL-151 no mailbox matched.
//   - Inbox: GET .../inbox lists accepted, unacknowledged messages, 500 a
//     page by default, max_results 10 to 5000, workflow_filter ("X", "X*",
//     "*X*", "!" negates), links.next a server path (spec; sandbox). GET
//     .../count and HEAD .../inbox/{id} exist (count is deprecated).
//   - Download: 206 for every chunk but the last; 403 for another mailbox's
//     message; 410 for one neither accepted nor acknowledged (expired); an
//     acknowledged message can still be downloaded (sandbox). Acknowledging
//     is PUT .../inbox/{id}/status/acknowledged, 200 with an empty v2 body.
//   - Reports (mex-MessageType REPORT) carry mex-StatusCode,
//     mex-StatusEvent, mex-StatusDescription, mex-StatusSuccess and
//     mex-LinkedMsgID and no content; a message not collected within 5
//     days becomes undeliverable and its sender gets a report with code 14
//     (sandbox models/message.py, constants.py).
//   - Lookups GET /messageexchange/endpointlookup/{ods}/{workflow} and
//     /workflowsearch/{workflow} answer v2 {"results": [{"mailbox_id",
//     "mailbox_name"}]} (sandbox views/lookup.py).
//   - Clients should poll every 5 minutes and at least every 24 hours
//     (spec, "Inbox poll cycle"); [Client.Poll] defaults to five minutes.
//     mesh-client's request timeout is 10 minutes, the default here.
//   - The environments are reached over the internet (the HSCN endpoints
//     are deprecated, mesh-client warns) with a client certificate from
//     NHS England, passed in Config.HTTPClient ([HTTPClientFromPEM]). The
//     servers' certificate authorities per environment are the
//     nhs-int-ca-bundle.pem, nhs-dep-ca-bundle.pem and
//     nhs-live-ca-bundle.pem that mesh-client ships (MIT licence); this
//     package does not copy them: pass the one for your environment as
//     HTTPClientFromPEM's caFile.
//   - The client key may be encrypted with a passphrase, as mesh-client
//     allows ([HTTPClientFromEncryptedPEM], [ParsePrivateKeyPEM],
//     [DecryptPKCS8PrivateKey]): PKCS#8 "ENCRYPTED PRIVATE KEY" with
//     PBES2 (RFC 8018 §6.2, ASN.1 in appendix A.4), PBKDF2 (§5.2, A.2)
//     with the hmacWithSHA256 or hmacWithSHA1 PRF (B.1), and aes128-CBC-Pad
//     or aes256-CBC-Pad (B.2.5): what "openssl genpkey -aes-256-cbc" and
//     "openssl pkcs8 -topk8 -v2 aes256" write. Other ciphers (AES-192,
//     3DES), other PRFs, scrypt and PBES1 are [ErrKeyEncryption]; so is
//     legacy OpenSSL PEM encryption ("Proc-Type: 4,ENCRYPTED", DEK-Info),
//     which is insecure (one MD5 round) and deprecated in Go: convert it
//     with "openssl pkcs8 -topk8 -v2 aes256". A wrong passphrase is
//     [ErrKeyPassphrase]; errors never carry the passphrase or key bytes.
package mesh
