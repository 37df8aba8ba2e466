// Package nhsid holds the two identifiers every NHS integration handles: the
// ten-digit NHS number ([NHSNumber]) and the Organisation Data Service code
// ([ODSCode]). It imports only the standard library, so packages that only
// need an identifier (waiting lists, directory look-ups, HL7 v2 typed views)
// do not compile FHIR to get one.
//
// # Printing and logging
//
// An NHS number is personal data. [NHSNumber.String], every fmt verb
// (%v, %s, %q, %#v, %d and the rest) and [NHSNumber.LogValue] print it
// masked, keeping only the last four digits ("*** *** 0018"), so that an
// identifier passed to fmt.Errorf or slog by mistake does not leak. The full
// number is given only when asked for by name: [NHSNumber.Digits] for the
// wire (FHIR identifiers, URLs, HL7 fields) and [NHSNumber.Formatted] for
// display to a person entitled to see it ("999 000 0018"). A conversion
// string(n) also yields the digits, and encoding/json marshals the digits,
// because JSON is a wire form.
//
// ODS codes identify organisations, not people, and print as they are.
//
// # Facts relied on
//
//   - The check digit: multiply the first nine digits by the weights 10
//     down to 2, sum, take the remainder modulo 11 and subtract it from 11;
//     a result of 11 gives check digit 0 and a result of 10 means the nine
//     digits have no valid number (NHS Data Dictionary, "NHS Number";
//     worked example 943 476 5919).
//   - Ten identical digits always pass the check (the weights sum to 54, and
//     54 ≡ -1 mod 11, so the check digit equals the repeated digit); they
//     are used by legacy systems as "unknown" and are rejected by
//     [ParseNHSNumber].
//   - Numbers starting 999 are never issued to patients and are the range
//     NHS England's test environments and this module's fakes use.
//   - NHS numbers are written for people in 3-3-4 groups ("943 476 5919").
//   - ODS codes are 1 to 9 upper-case letters and digits; their shape hints
//     at the kind of organisation (a GP practice is a letter and five digits
//     such as A81001, an NHS trust three characters starting R or T, a
//     trust site five) (NHS England Organisation Data Service).
package nhsid
