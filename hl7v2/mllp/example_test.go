package mllp_test

import (
	"bytes"
	"fmt"

	"github.com/nhskit/nhskit/hl7v2/mllp"
)

func Example() {
	var wire bytes.Buffer
	w := mllp.NewWriter(&wire)
	_ = w.WriteMessage([]byte("MSH|^~\\&|A|B|C|D|20261124||ADT^A01|1|P|2.4\r"))
	fmt.Printf("%q\n", wire.Bytes()[:5])
	r := mllp.NewReader(&wire, 1<<20)
	msg, err := r.ReadMessage()
	fmt.Printf("%q %v\n", msg[:8], err)
	// Output:
	// "\vMSH|"
	// "MSH|^~\\&" <nil>
}
