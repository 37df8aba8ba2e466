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
