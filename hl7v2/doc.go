// Package hl7v2 parses, reads, edits and writes HL7 version 2 messages in
// their pipe-delimited (ER7) encoding, as NHS trust feeds send them: ADT
// from the PAS, ORU from pathology, ORM orders.
//
// [Parse] copies the message once and unescapes nothing: it records where
// each segment is and reads the delimiters from MSH-1 and MSH-2. Values are
// found and decoded only when asked for, with [Message.Get] and a terser
// path ("PID-3(2).1", "OBX[2]-5", "PID-5.1.2"), so parsing a message and
// reading ten fields costs two allocations. Because the Message owns its
// copy, a string from Get never changes, however the caller, a [Reader] or
// an MLLP server reuses its buffers; [Options.Borrow] is the named
// zero-copy form, whose values live only as long as the input bytes.
//
// Building and editing ([Message.Set], SetRaw, InsertSegment,
// AppendSegment, DeleteSegment) cost time in proportion to the segment
// changed, and the [Reader] examines each input byte once however the
// input arrives, so every operation is linear in the data. [Message.Encode] gives the text
// back byte for byte, so unknown and Z segments (ZU1, ZU3…) pass through
// untouched.
//
// # Facts relied on
//
// From HL7 Version 2.x (chapter 2, Control; https://www.hl7.eu/HL7v2x/v251/std251/ch02.html
// and the v2.7 edition for the truncation character):
//
//   - A message starts with MSH. MSH-1 is the field separator (the fourth
//     character); MSH-2 holds, in order, the component separator, the
//     repetition separator, the escape character and the sub-component
//     separator, and from v2.7 optionally a fifth, the truncation
//     character. Recommended values are | ^ ~ \ & and #. Because MSH-1 is
//     the separator itself, MSH-3 is the first field after MSH-2.
//   - Segments end with a carriage return (0x0D). This package also
//     accepts CR LF as one terminator, and a bare LF in a message that has
//     no CR at all (files edited on Unix); elsewhere LF is data.
//   - Escape sequences: \F\ field separator, \S\ component separator, \T\
//     sub-component separator, \R\ repetition separator, \E\ escape
//     character, \P\ truncation character (v2.7), \Xdddd…\ hexadecimal data
//     (bytes in the message's character set), \Zdddd…\ locally defined,
//     \Cxxyy\ and \Mxxyyzz\ character-set switches, and the formatting
//     commands \H\ \N\ \.br\ \.sp\ \.fi\ \.nf\ \.in\ \.ti\ \.sk\ \.ce\.
//     Get decodes the first six and \X..\, and keeps the rest as written,
//     since their meaning depends on the display; an escape character with
//     no closing one is kept literally.
//   - MSH-18 names the character set from HL7 table 0211
//     (http://terminology.hl7.org/CodeSystem/v2-0211): "ASCII" (also
//     "ISO IR6"), "8859/1" to "8859/9" and "8859/15", "UNICODE UTF-8", and
//     others; empty means ASCII. Get returns UTF-8, converting 8859/1 and
//     8859/15 (which differs from 8859/1 at 0xA4 €, 0xA6 Š, 0xA8 š, 0xB4 Ž,
//     0xB8 ž, 0xBC Œ, 0xBD œ, 0xBE Ÿ; ISO/IEC 8859-15), and Set writes values
//     back in the message's set, refusing a character it lacks. MSH-18
//     "UNICODE" is read as UTF-8. Any other set is a ParseError (ErrCharset)
//     at MSH-18 rather than bytes misread as UTF-8; Options.Charset
//     overrides MSH-18 for senders that declare one set and send another.
//   - Paths borrow the syntax of HAPI's Terser (SEG[n]-f(r).c.s; a path
//     that stops above the leaf reads, and Set writes, the first
//     component's first sub-component), but not its numbering: HAPI counts
//     the segment occurrence [n] and the repetition (r) from 0, nhskit
//     counts every number from 1, so nhskit's OBX[2]-5(2) is HAPI's
//     OBX(1)-5(1). [*] and (*) are wildcards, read with Message.All.
//
// From HL7 v2.5.1 chapter 2 (Control) and table 0155
// (http://terminology.hl7.org/CodeSystem/v2-0155): MSH-15 (accept
// acknowledgement type) and MSH-16 (application acknowledgement type) hold
// AL always, NE never, ER on error or reject only, SU on success only; a
// message with either field valued asks for enhanced mode, where the
// receiver's commit acknowledgement is MSA-1 CA, CE or CR and its
// application acknowledgement AA, AE or AR; empty both means original mode
// (an application acknowledgement, AA/AE/AR). ERR-1 (error code and
// location: segment^sequence^field^code&text) is the error segment before
// v2.5; from v2.5 ERR-2 is the location, ERR-3 the code (table 0357) and
// ERR-4 the severity. "" (two double quotes) in a field is the explicit
// null: the receiver is to delete the value, unlike an empty field, which
// says nothing (IsNull, Lookup).
//
// Segment order used to place new segments (v2.5.1 chapter 3, ADT_A01:
// MSH SFT EVN PID PD1 ROL NK1 PV1 PV2 …; ADT_A39: MSH EVN PID PD1 MRG
// PV1; chapter 7, ORU_R01: MSH SFT then PID PD1 NTE NK1 PV1 PV2 and the
// ORDER_OBSERVATION groups ORC OBR NTE … OBX NTE … SPM OBX;
// https://www.hl7.eu/HL7v2x/v251/std251/ch03.html and ch07.html).
//
// NHS-specific usage (the ITK HL7 v2.4 ADT message specification, NHS
// Digital; https://digital.nhs.uk/services/interoperability-toolkit):
// PID-3 carries the NHS number with assigning authority NHS and identifier
// type NH (older feeds: ^^^NHS); PID-32 carries the NHS number trace status
// (NSTS01 verified … NSTS04 trace needed); MSH-17 is GBR; PID-8 uses the
// NHS sex codes 1, 2, 9 as well as HL7's M, F, U; Z segments ZU1… carry
// local extensions.
//
// Scheduling (HL7 v2.5.1 chapter 10, https://www.hl7.eu/HL7v2x/v251/std251/ch10.html;
// field lists also at https://www.hl7.eu/HL7v2x/v251/hl7v251segmTQ1.htm):
// every SIU trigger but the S25 query (S12 new booking, S13 reschedule,
// S14 modification, S15 cancellation, S16 discontinuation, S17 deletion,
// S18–S22 a service or resource added, modified, cancelled, discontinued
// or deleted, S23 blocked and S24 opened slots, S26 no-show) has the
// structure SIU_S12: MSH [SFT] SCH [{TQ1}] [{NTE}] [{PATIENT: PID [PD1]
// [PV1] [PV2] [{OBX}] [{DG1}]}] {RESOURCES: RGS [{AIS [{NTE}]}] [{AIG
// [{NTE}]}] [{AIL [{NTE}]}] [{AIP [{NTE}]}]}. SCH-1 and SCH-2 are the
// placer's and filler's appointment ids (EI), SCH-6 the event reason,
// SCH-7 the appointment reason, SCH-8 its type, SCH-9 and SCH-10 its
// duration (withdrawn in v2.7), SCH-11 the TQ timing (start in component
// 4, end in 5) that TQ1 (TQ1-6 service duration, TQ1-7 start, TQ1-8 end)
// replaced in v2.5, SCH-16 the filler contact, SCH-20 who entered it,
// SCH-25 the filler status from table 0278 (Pending, Waitlist, Booked,
// Started, Complete, Cancelled, DC, Deleted, Blocked, Overbook, Noshow;
// http://terminology.hl7.org/CodeSystem/v2-0278). RGS-2 and AIx-2 are the
// segment action code (table 0206: A, D, U, X). The resources' timing
// fields follow one pattern from AIS-4, AIG-8, AIL-6 and AIP-6: start,
// start offset, offset units, duration, duration units, allow
// substitution, filler status. Version 2.3 senders often leave out RGS
// (Message.SIU then opens an implicit group).
package hl7v2
