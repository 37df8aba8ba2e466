package fhir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ukcoreExample(t *testing.T, name string) Resource {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir, "ukcore", "examples", name))
	if os.IsNotExist(err) {
		t.Fatal("../shared/ukcore is absent: the UK Core examples cannot be checked")
	}
	require.NoError(t, err)
	r, err := UnmarshalXML(data)
	require.NoError(t, err)
	return r
}

func TestUKCoreHelpersOnExamples(t *testing.T) {
	p := ukcoreExample(t, "UKCore-Patient-RichardSmith-Example.xml").(*Patient)
	n, ok := p.NHSNumber()
	require.True(t, ok)
	assert.True(t, n.Valid())
	status, ok := p.NHSNumberVerificationStatus()
	assert.True(t, ok)
	assert.Equal(t, NHSNumberVerified, status)
	ec, ok := p.EthnicCategory()
	assert.True(t, ok)
	assert.NotEmpty(t, ec.Code.Value)
	_, ok = p.GPPracticeODS() // Richard Smith's GP is not given
	assert.False(t, ok)

	d := ukcoreExample(t, "Extension-UKCore-DeathNotificationStatus-Example.xml").(*Patient)
	c, ok := d.DeathNotificationStatus()
	assert.True(t, ok)
	assert.Equal(t, CSDeathNotificationStatus, c.System.Value)

	cp := ukcoreExample(t, "Extension-UKCore-ContactPreference-Example.xml").(*Patient)
	_, ok = cp.ContactPreference()
	assert.True(t, ok)
}

func TestUKCoreSetters(t *testing.T) {
	var p Patient
	n, _ := TestNHSNumber(7)
	require.NoError(t, p.SetNHSNumber(n, NHSNumberVerified))
	require.NoError(t, p.SetNHSNumber(n, NHSNumberNotTraced)) // replaces, does not duplicate
	require.NoError(t, p.SetEthnicCategory("A", "British, Mixed British"))
	require.NoError(t, p.SetBirthSex("F"))
	require.NoError(t, p.SetResidentialStatus("H", "UK Resident"))
	require.Len(t, p.Identifier, 1)
	require.Len(t, p.Identifier[0].Extension, 1)
	s, _ := p.NHSNumberVerificationStatus()
	assert.Equal(t, NHSNumberNotTraced, s)
	bs, _ := p.BirthSex()
	assert.Equal(t, "F", bs.Code.Value)
	assert.Equal(t, CSV3AdministrativeGender, bs.System.Value)
	require.NoError(t, p.SetBirthSex("UNK"))
	bs, _ = p.BirthSex()
	assert.Equal(t, CSV3NullFlavor, bs.System.Value)

	// Codes outside the value sets, and invalid numbers, change nothing.
	before, _ := Marshal(&p)
	for _, err := range []error{
		p.SetBirthSex("female"),
		p.SetBirthSex(""),
		p.SetEthnicCategory("Q", ""),
		p.SetEthnicCategory("", ""),
		p.SetResidentialStatus("X", ""),
		p.SetNHSNumber("9990000019", ""),
		p.SetNHSNumber(n, "09"),
	} {
		assert.ErrorIs(t, err, ErrCode)
		assert.NotContains(t, err.Error(), "9990000019")
	}
	after, _ := Marshal(&p)
	assert.Equal(t, string(before), string(after))
	for _, err := range []error{
		p.SetDeathNotificationStatus("3"),
		p.SetContactPreference("0", ""),
		p.SetContactPreference("10", ""),
	} {
		assert.ErrorIs(t, err, ErrCode)
	}

	// Every extension with a getter has a setter, and they agree.
	require.NoError(t, p.SetInterpreterRequired(true))
	require.NoError(t, p.SetInterpreterRequired(false)) // replaces
	ir, ok := p.InterpreterRequired()
	assert.True(t, ok)
	assert.False(t, ir)
	require.NoError(t, p.SetDeathNotificationStatus("2"))
	dn, ok := p.DeathNotificationStatus()
	assert.True(t, ok)
	assert.Equal(t, "2", dn.Code.Value)
	require.NoError(t, p.SetContactPreference("3", "Telephone"))
	cp, ok := p.ContactPreference()
	assert.True(t, ok)
	assert.Equal(t, "3", cp.Code.Value)
	assert.Nil(t, Validate(&p))
	rs, _ := p.ResidentialStatus()
	assert.Equal(t, "H", rs.Code.Value)
	assert.Nil(t, Validate(&p))
	p.GeneralPractitioner = []Reference{{Identifier: &Identifier{System: URI{Value: ODSOrganizationCodeSystem}, Value: String{Value: "B86016"}}}}
	gp, ok := p.GPPracticeODS()
	assert.True(t, ok)
	assert.Equal(t, "B86016", gp)

	// PDS's older extension base is recognised.
	p.Extension[0].URL.Value = "https://fhir.nhs.uk/R4/StructureDefinition/Extension-UKCore-EthnicCategory"
	ec, ok := p.EthnicCategory()
	assert.True(t, ok)
	assert.Equal(t, "A", ec.Code.Value)
}
