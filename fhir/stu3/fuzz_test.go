package stu3

import (
	"bytes"
	"os"
	"testing"
)

// FuzzUnmarshal: any input gives a resource or a *DecodeError, never a
// panic; a resource that decodes writes JSON that decodes to the same JSON
// again.
func FuzzUnmarshal(f *testing.F) {
	if data, err := os.ReadFile("testdata/structured-record.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"resourceType":"Slot","schedule":{"reference":"Schedule/1"},"status":"free","start":"2026-12-07T09:00:00+00:00","end":"2026-12-07T09:10:00+00:00","extension":[{"url":"x","valueCode":"Video"}]}`))
	f.Add([]byte(`{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"1"}]}],"contained":[{"resourceType":"Organization","id":"o"}]}`))
	f.Add([]byte(`{"resourceType":"Parameters","parameter":[{"name":"p","part":[{"name":"q","valuePositiveInt":3}],"resource":{"resourceType":"Patient"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Unmarshal(data)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-decoding our own output: %v\n%s", err, out)
		}
		out2, _ := Marshal(r2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
