// Package mllp carries HL7 v2 messages over TCP with the Minimal Lower
// Layer Protocol: each message is framed as 0x0B, the message, 0x1C 0x0D.
// [Reader] and [Writer] do the framing; [Client] sends a message and waits
// for its acknowledgement; [Server] hands each received message to a
// handler and writes back the handler's acknowledgement.
//
// # Facts relied on
//
// HL7 Version 2 Implementation Guide, Transport Specification: MLLP
// release 2 (https://www.hl7.org/implement/standards/product_brief.cfm?product_id=55):
// a block is a Start Block character (0x0B, vertical tab), the HL7
// content, then an End Block character (0x1C, file separator) and a
// carriage return (0x0D). The content may not contain 0x0B or 0x1C. A
// receiver acknowledges each message before the sender sends the next one
// on the same connection, so one connection carries one exchange at a
// time.
package mllp
