package hl7v2_test

import (
	"fmt"

	"github.com/nhskit/nhskit/hl7v2"
)

func Example() {
	msg, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124093015||ADT^A01^ADT_A01|MSG00001|P|2.4\r" +
		"PID|1||9990000018^^^NHS^NH~RRK123^^^RRK^MR||SMYTHE^ALEX^JAMES||19800101|2\r"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Get("MSH-9"), msg.Get("MSH-9.2"), msg.Get("PID-3(2).1"), msg.Get("PID-8"))
	ack, _ := msg.Ack(hl7v2.AckAccept, hl7v2.AckOptions{})
	a, _ := ack.MSA()
	fmt.Println(a.Code(), a.ControlID())
	// Output:
	// ADT A01 RRK123 2
	// AA MSG00001
}

func ExampleMessage_All() {
	msg, _ := hl7v2.Parse([]byte("MSH|^~\\&|LAB|RRK|TIE|RRK|20261124||ORU^R01^ORU_R01|R1|P|2.5.1\r" +
		"PID|1||9990000018^^^NHS^NH\rOBR|1|||FBC\rOBX|1|NM|HB||134\rOBX|2|TX|REP||line one~line two\r"))
	for p, v := range msg.All("OBX[*]-5(*)") {
		fmt.Println(p, v)
	}
	// Output:
	// OBX-5 134
	// OBX[2]-5 line one
	// OBX[2]-5(2) line two
}

func ExampleMessage_Lookup() {
	msg, _ := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124||ADT^A08|U1|P|2.4\r" +
		"PID|1||9990000018^^^NHS^NH||SMYTHE^ALEX||19800101|\"\"\r"))
	for _, path := range []string{"PID-7", "PID-8", "PID-6", "PID-11"} {
		v, ok, _ := msg.Lookup(path)
		fmt.Printf("%s %q present=%v null=%v\n", path, v, ok, hl7v2.IsNull(v))
	}
	// Output:
	// PID-7 "19800101" present=true null=false
	// PID-8 "\"\"" present=true null=true
	// PID-6 "" present=true null=false
	// PID-11 "" present=false null=false
}

func ExampleMessage_Set() {
	msg, _ := hl7v2.NewMessage(hl7v2.DefaultDelimiters)
	_ = msg.SetRaw("MSH-9", "ADT^A04^ADT_A01")
	_ = msg.Set("MSH-10", "B1")
	_ = msg.Set("PID-3", "9990000018")
	_ = msg.Set("PV1-2", "O")
	_ = msg.Set("PD1-3.3", "A81001")  // goes before PV1, as ADT_A01 orders them
	_ = msg.Set("PID-5", "O'NEIL^JR") // delimiters in a value are escaped
	fmt.Printf("%q\n", msg.Encode())
	// Output:
	// "MSH|^~\\&|||||||ADT^A04^ADT_A01|B1\rPID|||9990000018||O'NEIL\\S\\JR\rPD1|||^^A81001\rPV1||O\r"
}

func ExampleMessage_SIU() {
	msg, _ := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20260302091500||SIU^S12^SIU_S12|M1|P|2.5.1\r" +
		"SCH||FL2001^PAS|||||||20|MIN|||||||||||||||Booked\r" +
		"TQ1|1|||||20^min|20260310140000\r" +
		"PID|1||9990000018^^^NHS^NH\r" +
		"RGS|1|A\r" +
		"AIL|1|A|ENTCLINIC^ROOM2^^RXX01\r"))
	siu, err := msg.SIU()
	if err != nil {
		fmt.Println(err)
		return
	}
	when, _ := siu.Timing()
	fmt.Println(siu.Trigger, siu.SCH.FillerAppointmentID().ID, siu.SCH.FillerStatus().Code)
	fmt.Println(when.Start.Format("2006-01-02 15:04 MST"), when.End.Sub(when.Start), "from", when.Source)
	fmt.Println(siu.Patients[0].PID.NHSNumber(), siu.Resources[0].Locations[0].Location().Room)
	// Output:
	// S12 FL2001 Booked
	// 2026-03-10 14:00 GMT 20m0s from TQ1-7
	// *** *** 0018 ROOM2
}
