package notifytest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequests sends arbitrary bodies to the fake's message and batch
// endpoints: it answers 201 or a 4xx JSON:API error, never panics, never
// a 5xx.
func FuzzRequests(f *testing.F) {
	f.Add(true, []byte(`{"data":{"type":"Message","attributes":{"routingPlanId":"`+PlanA+`","messageReference":"a","recipient":{"nhsNumber":"9990000018"}}}}`))
	f.Add(false, []byte(`{"data":{"type":"MessageBatch","attributes":{"routingPlanId":"`+PlanA+`","messageBatchReference":"b","messages":[{"messageReference":"x","recipient":{"nhsNumber":"9990000018"}}]}}}`))
	f.Add(true, []byte(`{"data":{"type":"Message","attributes":{"recipient":{"contactDetails":{"sms":1}},"originator":{"odsCode":null}}}}`))
	f.Add(false, []byte(`{"data":{"type":"MessageBatch","attributes":{"messages":[null,{}]}}}`))
	s := NewUnstartedServer()
	s.URL = "http://fuzz/comms"
	f.Fuzz(func(t *testing.T, single bool, body []byte) {
		path := "/comms/v1/message-batches"
		if single {
			path = "/comms/v1/messages"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.serve(w, req)
		if w.Code >= 500 || (w.Code != http.StatusCreated && w.Code < 400) {
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}
