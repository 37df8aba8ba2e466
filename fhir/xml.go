package fhir

import (
	"sync"

	"github.com/nhskit/nhskit/fhir/internal/fhirxml"
)

// FHIR XML (https://hl7.org/fhir/R4/xml.html) is read and written by the
// codec shared with fhir/stu3 (fhir/internal/fhirxml) through the same
// generated element tables as JSON, so the two forms convert into each
// other without loss. XML comments are not kept.

// ErrXML is wrapped by *XMLError.
var ErrXML = fhirxml.ErrXML

// XMLError reports where FHIR XML is wrong: the element path and the line
// and column (1-based, columns in bytes) of the XML input; Line is 0 when
// the error is found while writing XML. Err is the underlying decode error
// (a *DecodeError found once the XML was read) when there is one. Unwrap
// gives ErrXML and Err, so that errors.Is(err, ErrChoice) holds for XML
// input too.
type XMLError = fhirxml.XMLError

// xmlModel is R4's model for the XML codec, built on first use.
var xmlModel = sync.OnceValue(func() *fhirxml.Model {
	types := make(map[string]*fhirxml.TypeInfo, len(typeTable))
	for name, t := range typeTable {
		x := &fhirxml.TypeInfo{Name: t.Name, Kind: t.Kind, Elems: make([]fhirxml.ElemInfo, len(t.Elems))}
		for i, e := range t.Elems {
			x.Elems[i] = fhirxml.ElemInfo(e)
		}
		types[name] = x
	}
	return fhirxml.NewModel(types, func(data []byte) error {
		_, err := Unmarshal(data)
		return err
	})
})

// UnmarshalXML decodes one FHIR XML resource. Every error is an
// *XMLError with the line and column of the XML input.
func UnmarshalXML(data []byte) (Resource, error) { return fhirxml.Decode(xmlModel(), data, Unmarshal) }

// XMLToJSON converts a FHIR XML resource to FHIR JSON. An element with
// nothing in it (no value, id or children), which FHIR forbids, is kept
// as an empty object ("name": [{}], "_gender": {}), as invalid in JSON as
// it was in XML, rather than dropped: the decoder reads it and
// ValidateProfiles reports it (ele-1).
func XMLToJSON(data []byte) ([]byte, error) { return xmlModel().XMLToJSON(data) }

// MarshalXML writes a resource as FHIR XML.
func MarshalXML(r Resource) ([]byte, error) { return xmlModel().Encode(Marshal(r)) }

// JSONToXML converts a FHIR JSON resource to FHIR XML. The JSON is
// decoded first, so that only what the model accepts (element names,
// narrative XHTML, characters XML can carry) reaches the writer.
func JSONToXML(data []byte) ([]byte, error) { return xmlModel().JSONToXML(data) }
