package tofhir

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ukcore is UK Core's published definitions, outside the repository.
const ukcore = "../../../shared/ukcore/structuredefinitions"

// sdElement is the part of a StructureDefinition element these checks read.
type sdElement struct {
	ID        string `xml:"id,attr"`
	Max       attr   `xml:"max"`
	FixedCode attr   `xml:"fixedCode"`
	FixedURI  attr   `xml:"fixedUri"`
	MinOccurs attr   `xml:"min"`
}

type attr struct {
	Value string `xml:"value,attr"`
}

type structureDefinition struct {
	URL      attr        `xml:"url"`
	Elements []sdElement `xml:"differential>element"`
}

func readSD(t *testing.T, name string) structureDefinition {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ukcore, name))
	if os.IsNotExist(err) && os.Getenv("CI") == "" {
		t.Skipf("UK Core definitions not found at %s (CI fails here)", ukcore)
	}
	require.NoError(t, err, "UK Core definitions are needed: ../shared/ukcore")
	var sd structureDefinition
	require.NoError(t, xml.Unmarshal(data, &sd))
	return sd
}

func element(sd structureDefinition, id string) (sdElement, bool) {
	for _, e := range sd.Elements {
		if e.ID == id {
			return e, true
		}
	}
	return sdElement{}, false
}

// TestFactsAgainstUKCore checks the UK Core rules tofhir relies on against
// UK Core's own StructureDefinitions.
func TestFactsAgainstUKCore(t *testing.T) {
	lab := readSD(t, "UKCore-DiagnosticReport-Lab.xml")
	e, ok := element(lab, "DiagnosticReport.category:laboratory")
	require.True(t, ok)
	assert.Equal(t, "1", e.MinOccurs.Value, "the laboratory category is mandatory")
	e, ok = element(lab, "DiagnosticReport.category:laboratory.coding.system")
	require.True(t, ok)
	assert.Equal(t, csDiagnosticServiceSection, e.FixedURI.Value)
	e, ok = element(lab, "DiagnosticReport.category:laboratory.coding.code")
	require.True(t, ok)
	assert.Equal(t, "LAB", e.FixedCode.Value)

	note := readSD(t, "Extension-UKCore-DiagnosticReportNote.xml")
	assert.Equal(t, extDiagnosticReportNote, note.URL.Value)

	patient := readSD(t, "UKCore-Patient.xml")
	e, ok = element(patient, "Patient.identifier:nhsNumber")
	require.True(t, ok)
	assert.Equal(t, "1", e.Max.Value, "one NHS number per Patient")
}
