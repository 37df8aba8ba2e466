package pds

import (
	"net/http"
	"testing"

	"github.com/nhskit/nhskit/internal/httpx"
)

// Whatever body and ETag PDS sends, decoding it gives a patient or an
// error, never a panic.
func FuzzPatientResponse(f *testing.F) {
	f.Add(`{"resourceType":"Patient","id":"9000000009","meta":{"versionId":"2","security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}}`, `W/"2"`)
	f.Add(`{"resourceType":"Patient","id":"9000000017"}`, `W/"x"`)
	f.Add(`{"resourceType":"Patient","id":"9000000017","meta":{"versionId":3}}`, ``)
	f.Add(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","meta":{"versionId":1e400}}}]}`, ``)
	f.Add(`{"resourceType":"OperationOutcome","issue":[]}`, ``)
	f.Add(`{"resourceType":"Patient","meta":{"versionId":"99999999999999999999"}}`, `W/"99999999999999999999"`)
	c := &Client{}
	f.Fuzz(func(t *testing.T, body, etag string) {
		h := http.Header{}
		h.Set("ETag", etag)
		p, err := c.patient(&httpx.Response{StatusCode: 200, Header: h, Body: []byte(body)}, "9000000009")
		if err == nil && p.Patient == nil {
			t.Fatal("a patient without its resource")
		}
	})
}
