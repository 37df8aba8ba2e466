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
//
// The Server answers in the mode the message asks for (HL7 v2.5.1 chapter
// 2; table 0155, http://terminology.hl7.org/CodeSystem/v2-0155): with
// MSH-15 and MSH-16 empty, original mode, an application acknowledgement
// AA or AE; otherwise enhanced mode, a commit acknowledgement CA or CE when
// MSH-15 asks (AL always, ER on error, SU on success, NE never), else the
// application acknowledgement when MSH-16 asks, else nothing. A message
// that cannot be parsed gets AR, naming it (MSA-2 = its MSH-10, MSH-3/4
// and MSH-5/6 swapped, its MSH-12) when its MSH can still be read. Each
// message handed to the Handler owns its bytes unless Options.Borrow is
// set. The Client drops its connection on an acknowledgement for another
// message, since every later answer on it would be out of step.
package mllp
