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

func Example_siu() {
	msg, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20260303101500||SIU^S15^SIU_S12|M7|P|2.5.1\r" +
		"SCH||FL2001^PAS||||PATCAN^Patient cancelled|FOLLOWUP|||||||||||||||||||Cancelled\r" +
		"TQ1|1|||||20^min|20260310140000\r" +
		"PID|1||9990000018^^^NHS^NH\r" +
		"RGS|1\r" +
		"AIL|1||ENTCLINIC^ROOM2^^RXX01\r"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The PAS's appointment ids get a system, so that the S13, S14 and
	// S15 about an appointment update the one its S12 created.
	conv := tofhir.New(&tofhir.Mapping{AppointmentSystems: map[string]string{"PAS": "https://fhir.rxx.example.nhs.uk/Id/appointment"}})
	res, err := conv.Convert(msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	a := res.Appointment
	fmt.Println(a.Status.Value, a.CancelationReason.Text.Value, a.AppointmentType.Coding[0].Code.Value, a.Start.Value, a.MinutesDuration.Value)
	fmt.Println("valid:", fhir.Validate(res.Bundle) == nil)
	fmt.Println(res.Bundle.Entry[1].Request.Method.Value, res.Bundle.Entry[1].Request.URL.Value)
	// Output:
	// cancelled Patient cancelled FOLLOWUP 2026-03-10T14:00:00Z 20
	// valid: true
	// PUT Appointment?identifier=https://fhir.rxx.example.nhs.uk/Id/appointment|FL2001
}
