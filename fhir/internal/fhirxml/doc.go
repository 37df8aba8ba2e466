// Package fhirxml is the FHIR XML codec shared by the model packages (fhir
// for R4, fhir/stu3 for STU3), as fhirjson is their JSON runtime. XML is
// converted to and from the models' JSON through each version's generated
// element tables (a Model), so that XML is exactly as lossless as the JSON
// codec, and every document is checked by the version's JSON decoder.
//
// # Reading
//
// A document is read into a tree of Elements by a parse of its own for
// the FHIR XML nearly every document is (UTF-8, names without a prefix,
// the FHIR namespace as the default one and XHTML on the narrative div,
// comments, the predefined entities and character references); anything
// else, and every error, goes through encoding/xml in strict mode, so that
// both give the same tree for what the fast parse takes (FuzzFastParse,
// the UK Core and R4 examples hold them to it) and errors read as
// encoding/xml words them.
//
// Facts relied on, from Extensible Markup Language (XML) 1.0, Fifth
// Edition (W3C, https://www.w3.org/TR/xml/):
//
//   - 2.2 Characters: a document holds only #x9, #xA, #xD, #x20-#xD7FF,
//     #xE000-#xFFFD and #x10000-#x10FFFF; a character reference (4.1) must
//     name one of these too.
//   - 2.5 Comments: "--" must not occur inside a comment.
//   - 2.11 End-of-line handling: CR LF and a lone CR are read as LF, so a
//     carriage return in an attribute value cannot be kept unescaped (the
//     writer gives &#13;).
//   - 3.3.3 Attribute-value normalization: a tab, line feed or carriage
//     return written as such in an attribute value (after 2.11, CR LF is
//     one) reads as a space, and one written as a character reference
//     stays itself; attributes are CDATA without a DTD, so spaces are not
//     collapsed. encoding/xml leaves this out, so the slow path applies it
//     to the values of each start tag; the writer gives the three as
//     references, so they round-trip.
//   - 4.6 Predefined entities: amp, lt, gt, apos and quot; any other named
//     entity needs a DTD, which FHIR XML does not allow.
package fhirxml
