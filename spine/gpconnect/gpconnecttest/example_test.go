package gpconnecttest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func Example() {
	practice := gpconnecttest.NewServer(gpconnecttest.WithODSCode("B82002"), gpconnecttest.WithDiary(7, 0))
	defer practice.Close()
	fmt.Println(practice.ODSCode, len(practice.Patients()), practice.FreeSlots() > 0)

	// A request without the GP Connect JWT and SSP headers is refused, as
	// the real provider does, and the fake records why.
	resp, err := http.Get(practice.URL + "/metadata")
	if err != nil {
		fmt.Println(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(practice.Rejections()) > 0)
	// Output:
	// B82002 4 true
	// 400 true
}
