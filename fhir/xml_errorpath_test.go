package fhir

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// An *XMLError names the element where the XML is wrong by its path,
// with the index of a repeating element.
func TestXMLErrorPaths(t *testing.T) {
	const ns = `<Patient xmlns="http://hl7.org/fhir">`
	tests := []struct{ xml, path string }{
		{ns + `<name><family value="A"/></name><name><nickname value="B"/></name></Patient>`, "Patient.name[1].nickname"},
		{ns + `<gender id="g"><extension url="u"><valueString value=""/></extension></gender></Patient>`, "Patient.gender.extension[0].valueString"},
		{ns + `<name><given value="A"/><given url="u" value="B"/></name></Patient>`, "Patient.name[0].given"},
		{ns + `<active value="yes"/></Patient>`, "Patient.active"},
		{ns + `<contained><Organization><name><x/></name></Organization></contained></Patient>`, "Patient.contained.Organization.name.x"},
		{ns + `<contained><Nope/></contained></Patient>`, "Patient.contained"},
		{ns + `<birthDate value="2000"><extension url="a"><valueString value="x"/></extension><extension url="b"><foo/></extension></birthDate></Patient>`, "Patient.birthDate.extension[1].foo"},
		{ns + `<name value="x"/></Patient>`, "Patient.name[0]"},
	}
	for _, tc := range tests {
		_, err := UnmarshalXML([]byte(tc.xml))
		var xe *XMLError
		if assert.True(t, errors.As(err, &xe), "%s: %v", tc.xml, err) {
			assert.Equal(t, tc.path, xe.Path, tc.xml)
		}
	}
}
