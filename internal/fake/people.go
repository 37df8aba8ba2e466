package fake

import "github.com/nhskit/nhskit/nhsid"

// Person is one synthetic person of the population every fake serves, so
// that a test can trace a patient in pdstest and book for them at their
// practice in gpconnecttest. Names, addresses and practices are invented;
// NHS numbers are in the 999 test range.
type Person struct {
	NHSNumber  nhsid.NHSNumber
	Family     string
	Given      []string
	Gender     string
	BirthDate  string // YYYY-MM-DD
	Line, City string
	Postcode   string
	GP         nhsid.ODSCode
	Phone      string
	Email      string
	Restricted bool // a restricted (sensitive) record
}

// People returns the synthetic population, a fresh slice each call.
func People() []Person {
	return []Person{
		{NHSNumber: "9990000018", Family: "SMITH", Given: []string{"Alex"}, Gender: "female", BirthDate: "1980-01-01", Line: "1 River Street", City: "Leeds", Postcode: "LS1 4AP", GP: "A81001", Phone: "0113 496 0000"},
		{NHSNumber: "9990000026", Family: "JONES", Given: []string{"Sam"}, Gender: "male", BirthDate: "1975-06-15", Line: "22 Hill Road", City: "Bradford", Postcode: "BD1 1AA", GP: "B82002", Phone: "01274 000000"},
		{NHSNumber: "9990000042", Family: "TESTINGTON", Given: []string{"Octavia", "Jane"}, Gender: "female", BirthDate: "1978-03-14", Line: "1 Trevelyan Square", City: "Leeds", Postcode: "LS1 6AE", GP: "B86016", Phone: "01632 960123", Email: "octavia.testington@example.com"},
		{NHSNumber: "9990000050", Family: "SMYTHE", Given: []string{"Janet"}, Gender: "female", BirthDate: "2005-06-16", Line: "3 Quarry Hill", City: "Leeds", Postcode: "LS2 7UE", GP: "B86016", Phone: "01632 960587", Email: "janet.smythe@example.com", Restricted: true},
	}
}
