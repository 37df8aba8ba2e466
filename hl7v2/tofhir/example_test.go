package tofhir_test

import (
	"fmt"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/tofhir"
)

func Example() {
	msg, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124093015+0000||ADT^A04^ADT_A01|MSG1|P|2.4|||AL|NE|GBR\r" +
		"PID|1||9990000018^^^NHS^NH||SMYTHE^ALEX||19800101|2||||||||||||||||||||||||NSTS01\r" +
		"PV1|1|O|RRK01^CLINIC 4^^RRK||||||||||||||||V1^^^RRK^VN\r"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The trust's visit numbers get a system, so that the A02, A03 and A08
	// about this visit update the Encounter this A04 creates.
	conv := tofhir.New(&tofhir.Mapping{VisitNumberSystems: map[string]string{"RRK": "https://fhir.rrk.example.nhs.uk/Id/visit"}})
	res, err := conv.Convert(msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	n, _ := res.Patient.NHSNumber()
	status, _ := res.Patient.NHSNumberVerificationStatus()
	fmt.Println(n.Masked(), status, res.Patient.Gender.Value, res.Encounter.Class.Code.Value, res.Encounter.Status.Value)
	fmt.Println("valid:", fhir.Validate(res.Bundle) == nil)
	for _, e := range res.Bundle.Entry {
		fmt.Println(e.Request.Method.Value, e.Request.URL.Value)
	}
	// Output:
	// *** *** 0018 01 female AMB arrived
	// valid: true
	// PUT Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018
	// PUT Encounter?identifier=https://fhir.rrk.example.nhs.uk/Id/visit|V1
}
