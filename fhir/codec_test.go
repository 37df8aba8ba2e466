package fhir

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const patientJSON = `{
  "resourceType": "Patient",
  "id": "example",
  "meta": {"versionId": "2", "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "U"}]},
  "contained": [{"resourceType": "Organization", "id": "gp", "name": "Synthetic Surgery"}],
  "extension": [{
    "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
    "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", "code": "A"}]}
  }],
  "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
  "name": [{"use": "official", "family": "Smith", "given": ["Jane", null], "_given": [null, {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier", "valueCode": "IN"}]}]}],
  "gender": "female",
  "birthDate": "2010-10-22",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "2010-10-22T08:30:00+01:00"}]},
  "deceasedBoolean": false,
  "multipleBirthInteger": 2,
  "generalPractitioner": [{"reference": "#gp"}],
  "x-local": {"kept": [1, 2.50]}
}`

func TestPatientDecode(t *testing.T) {
	r, err := Unmarshal([]byte(patientJSON))
	require.NoError(t, err)
	p, ok := r.(*Patient)
	require.True(t, ok)
	assert.Equal(t, "example", p.ID.Value)
	assert.Equal(t, "2", p.Meta.VersionID.Value)
	assert.Equal(t, "Smith", p.Name[0].Family.Value)
	require.Len(t, p.Name[0].Given, 2)
	assert.Equal(t, "Jane", p.Name[0].Given[0].Value)
	assert.False(t, p.Name[0].Given[1].hasValue())
	assert.Equal(t, "IN", p.Name[0].Given[1].Elem.Extension[0].Value.(*Code).Value)
	bt, err := p.BirthDate.Time()
	require.NoError(t, err)
	assert.Equal(t, PrecisionDay, bt.Precision)
	assert.Equal(t, "dateTime", p.BirthDate.Elem.Extension[0].Value.TypeName())
	d, ok := p.Deceased.(*Boolean)
	require.True(t, ok)
	assert.True(t, d.Set)
	assert.False(t, d.Value)
	assert.Equal(t, int64(2), p.MultipleBirth.(*Integer).Value)
	require.Len(t, p.Contained, 1)
	assert.Equal(t, "Synthetic Surgery", p.Contained[0].(*Organization).Name.Value)
	require.Len(t, p.Unknown, 1)
	assert.Equal(t, "x-local", p.Unknown[0].Name)

	out, err := Marshal(p)
	require.NoError(t, err)
	sameJSON(t, []byte(patientJSON), out)
	assert.True(t, strings.HasPrefix(string(out), `{"resourceType":"Patient",`), "resourceType first")
}

func TestDecimalKeepsItsText(t *testing.T) {
	for _, dec := range []string{"4.50", "1e2", "0.000100", "-0", "12345678901234567890.123456789"} {
		in := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":` + dec + `,"unit":"mmol/L"}}`
		r, err := Unmarshal([]byte(in))
		require.NoError(t, err, dec)
		assert.Equal(t, dec, r.(*Observation).Value.(*Quantity).Value.Raw)
		out, err := Marshal(r)
		require.NoError(t, err)
		assert.Equal(t, in, string(out))
	}
}

func TestMarshalLeavesOutEmpty(t *testing.T) {
	p := &Patient{
		Name:    []HumanName{{}, {Family: String{Value: "Smith"}}},
		Address: []Address{{Period: &Period{}}},
		Meta:    &Meta{},
		Gender:  Code{Value: "female"},
	}
	out, err := Marshal(p)
	require.NoError(t, err)
	assert.Equal(t, `{"resourceType":"Patient","name":[{"family":"Smith"}],"gender":"female"}`, string(out))
}

func TestStringEscapes(t *testing.T) {
	in := `{"resourceType":"Patient","name":[{"text":"O\"Brien \\ \u00e9\u2028 \ud83d\ude00 tab\t"}]}`
	r, err := Unmarshal([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, "O\"Brien \\ é\u2028 😀 tab\t", r.(*Patient).Name[0].Text.Value)
	out, _ := Marshal(r)
	sameJSON(t, []byte(in), out)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		is       error
		path     string
	}{
		{"wrong type", `{"resourceType":"Patient","name":[{"given":["a",1]}]}`, ErrType, "Patient.name[0].given[1]"},
		{"duplicate key", `{"resourceType":"Patient","gender":"male","gender":"female"}`, ErrDuplicateKey, "Patient.gender"},
		{"two choice types", `{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}`, ErrChoice, "Patient.deceasedDateTime"},
		{"choice elem conflict", `{"resourceType":"Patient","deceasedBoolean":true,"_deceasedDateTime":{"id":"a"}}`, ErrChoice, "Patient._deceasedDateTime"},
		{"unknown type", `{"resourceType":"Frobnicator"}`, ErrUnknownResourceType, ""},
		{"no type", `{"id":"x"}`, ErrNoResourceType, ""},
		{"truncated", `{"resourceType":"Patient","name":[{"family":"Smi`, ErrSyntax, "Patient.name[0].family"},
		{"empty string", `{"resourceType":"Patient","gender":""}`, ErrEmptyValue, "Patient.gender"},
		{"bad number", `{"resourceType":"Patient","multipleBirthInteger":01}`, ErrSyntax, "Patient"},
		{"fraction for integer", `{"resourceType":"Patient","multipleBirthInteger":1.5}`, ErrType, "Patient.multipleBirthInteger"},
		{"array lengths", `{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]}`, ErrArrayLength, "Patient.name[0]._given"},
		{"trailing data", `{"resourceType":"Patient"} x`, ErrSyntax, "Patient"},
		{"not utf8", "{\"resourceType\":\"Patient\",\"gender\":\"\xff\"}", ErrSyntax, "Patient.gender"},
		{"deep", `{"resourceType":"Patient","x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, ErrTooDeep, "Patient.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tt.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			var de *DecodeError
			require.True(t, errors.As(err, &de), "%T", err)
			assert.Equal(t, tt.path, de.Path)
			assert.GreaterOrEqual(t, de.Offset, int64(0))
			assert.LessOrEqual(t, de.Offset, int64(len(tt.in)))
		})
	}
}

func TestErrorOffset(t *testing.T) {
	in := `{"resourceType":"Patient","gender":5}`
	_, err := Unmarshal([]byte(in))
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, int64(strings.Index(in, "5")), de.Offset)
	assert.Equal(t, "fhir: Patient.gender: want a string, found a number at offset 35", err.Error())
}

func TestUnknownResourceKeptInBundle(t *testing.T) {
	in := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"id":"1","resourceType":"Frobnicator","a":[1,{"b":null}]}},{"resource":{"resourceType":"Patient","id":"p"}}]}`
	r, err := Unmarshal([]byte(in))
	require.NoError(t, err)
	b := r.(*Bundle)
	raw, ok := b.Entry[0].Resource.(*RawResource)
	require.True(t, ok)
	assert.Equal(t, "Frobnicator", raw.Type)
	assert.Equal(t, "1", ResourceID(raw))
	assert.Equal(t, "p", ResourceID(b.Entry[1].Resource))
	out, _ := Marshal(r)
	sameJSON(t, []byte(in), out)
	oo := Validate(b)
	require.NotNil(t, oo)
	assert.Equal(t, "Bundle.entry[0].resource.ofType(Frobnicator)", oo.Issue[0].Expression[0].Value)
}

func TestNeedsEscape(t *testing.T) {
	for pos := 0; pos < 20; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte(strings.Repeat("a", 20))
			b[pos] = byte(c)
			want := c < 0x20 || c == '"' || c == '\\'
			assert.Equal(t, want, needsEscape(string(b)), "byte %#x at %d", c, pos)
		}
	}
}

func TestDecimalConversions(t *testing.T) {
	d, err := DecimalOf("4.50")
	require.NoError(t, err)
	f, err := d.Float64()
	require.NoError(t, err)
	assert.Equal(t, 4.5, f)
	r, err := d.Rat()
	require.NoError(t, err)
	assert.Equal(t, "9/2", r.String())
	assert.Equal(t, 2, d.Scale())
	_, err = DecimalOf("4,5")
	assert.ErrorIs(t, err, ErrDecimal)
	small, _ := DecimalOf("0.000100")
	r, _ = small.Rat()
	assert.Equal(t, "1/10000", r.String())
	assert.Equal(t, 6, small.Scale())
}
