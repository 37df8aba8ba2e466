package stu3

import (
	"sync"

	"github.com/nhskit/nhskit/fhir/internal/fhirxml"
)

// FHIR XML (https://hl7.org/fhir/STU3/xml.html) is read and written by the
// codec package fhir uses for R4 (fhir/internal/fhirxml), through the
// generated element tables of zz_meta.go, so XML is as lossless as JSON.
// XML comments are not kept.

type (
	typeInfo = fhirxml.TypeInfo
	elemInfo = fhirxml.ElemInfo

	// XMLError reports where FHIR XML is wrong: the element path and the
	// line and column (1-based, columns in bytes) of the XML input; Line
	// is 0 when the error is found while writing XML. Err is the
	// underlying decode error (a *DecodeError found once the XML was read)
	// when there is one. It is package fhir's XMLError.
	XMLError = fhirxml.XMLError
)

// ErrXML is wrapped by *XMLError (it is fhir.ErrXML).
var ErrXML = fhirxml.ErrXML

var xmlModel = sync.OnceValue(func() *fhirxml.Model {
	return fhirxml.NewModel(typeTable, func(data []byte) error {
		_, err := Unmarshal(data)
		return err
	})
})

// UnmarshalXML decodes one FHIR STU3 XML resource. Every error is an
// *XMLError with the line and column of the XML input.
func UnmarshalXML(data []byte) (Resource, error) { return fhirxml.Decode(xmlModel(), data, Unmarshal) }

// XMLToJSON converts a FHIR STU3 XML resource to FHIR JSON.
func XMLToJSON(data []byte) ([]byte, error) { return xmlModel().XMLToJSON(data) }

// MarshalXML writes a resource as FHIR XML.
func MarshalXML(r Resource) ([]byte, error) { return xmlModel().Encode(Marshal(r)) }

// JSONToXML converts a FHIR STU3 JSON resource to FHIR XML. The JSON is
// decoded first, so that only what the model accepts (element names,
// narrative XHTML, characters XML can carry) reaches the writer.
func JSONToXML(data []byte) ([]byte, error) { return xmlModel().JSONToXML(data) }
