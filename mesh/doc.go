// Package mesh is a client for MESH (Message Exchange for Social Care and
// Health), the NHS's store-and-forward service for files between
// organisations: discharge summaries, pathology results, screening files,
// bulk extracts.
//
// It is built so that a message is neither lost nor duplicated:
//
//   - [Client.Send] spools the body to a temporary file (computing a
//     SHA-256 and, if asked, compressing it with gzip), then uploads it in
//     chunks. A chunk that fails is resent on its own. If the first
//     request's answer is lost, tracking by the sender's local id tells
//     whether the message was created before anything is sent again; an
//     answer that is not a clear "not found" stops the send with an error
//     instead of risking a duplicate.
//   - [Client.Receive] downloads each waiting message in full (every chunk,
//     reassembled, decompressed, checksum checked), gives it to the
//     caller's handler, and acknowledges it only when the handler returns
//     nil. A crash between storing and acknowledging means MESH delivers
//     it again; handlers de-duplicate by message id.
//
// Memory stays constant whatever the size: content moves between the
// network, temporary files and the caller's reader or writer in buffers.
// Package meshtest is a fake MESH server for tests.
//
// # Facts relied on
//
// From the MESH API specification (NHS England,
// https://digital.nhs.uk/developer/api-catalogue/message-exchange-for-social-care-and-health-api)
// and NHS England's open-source MESH sandbox and clients
// (https://github.com/NHSDigital/mesh-sandbox,
// https://github.com/NHSDigital/mesh-client):
//
//   - Every request carries "Authorization: NHSMESH
//     <mailbox>:<nonce>:<nonce_count>:<timestamp>:<hmac>", where timestamp
//     is UTC YYYYMMDDHHMM, the nonce is fresh for each request (a UUID),
//     and hmac is the hex HMAC-SHA256, keyed with the environment's shared
//     key, of "<mailbox>:<nonce>:<nonce_count>:<password>:<timestamp>". The
//     sandbox's shared key is "TestKey". The server refuses a reused nonce
//     ("Error Duplicated Authentication Token") with 403.
//   - "Accept: application/vnd.mesh.v2+json" selects the v2 responses.
//   - Endpoints under /messageexchange: GET /{mailbox} (handshake, with
//     mex-ClientVersion, mex-OSName, mex-OSVersion); POST /{mailbox}/outbox
//     (send: mex-To, mex-WorkflowID, mex-Chunk-Range "1:N", mex-LocalID,
//     mex-Subject, mex-FileName, mex-Content-Checksum,
//     mex-Content-Compressed "Y" with Content-Encoding gzip; answer 202
//     {"message_id"}); POST /{mailbox}/outbox/{id}/{n} (chunk n, with
//     mex-Chunk-Range "n:N"); GET /{mailbox}/outbox/tracking/{id} and
//     ?localID= (tracking); GET /{mailbox}/inbox (ids, 500 a page, with
//     links.next); GET /{mailbox}/inbox/{id}[/{n}] (content, 206 for a
//     chunk of a multi-chunk message, mex-Chunk-Range "n:N"); PUT
//     /{mailbox}/inbox/{id}/status/acknowledged; GET
//     /endpointlookup/{ods}/{workflow}; GET /workflowsearch/{workflow}.
//   - A compressed message is one gzip stream split into chunks, so chunks
//     are joined before decompressing. MESH accepts chunks of at most 100
//     MB; clients commonly use 20 MB, the default here.
//   - Errors are JSON {"errorEvent", "errorCode", "errorDescription",
//     "messageID"}: an unregistered recipient is code 12 (417), a workflow
//     the recipient does not take is 17 (417), a message that does not
//     exist 20 (404); a message already acknowledged or expired is 410.
//   - MESH asks clients to poll an inbox no more often than every five
//     minutes; [Client.Poll] defaults to that.
//
// The integration and production base URLs here are as NHS England
// publishes them; both need an HSCN connection and a client certificate,
// passed in Config.HTTPClient.
package mesh
