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

// FuzzUnmarshalXML: any input gives a resource or an *XMLError, never a
// panic; a resource read from XML writes XML that reads back to the same
// JSON.
func FuzzUnmarshalXML(f *testing.F) {
	if data, err := os.ReadFile("testdata/structured-record.json"); err == nil {
		if x, err := JSONToXML(data); err == nil {
			f.Add(x)
		}
	}
	f.Add([]byte(`<Slot xmlns="http://hl7.org/fhir"><extension url="x"><valueCode value="Video"/></extension><schedule><reference value="Schedule/1"/></schedule><status value="free"/><start value="2026-12-07T09:00:00+00:00"/><end value="2026-12-07T09:10:00+00:00"/></Slot>`))
	f.Add([]byte(`<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></text><name><given value="a"/><given id="1"/></name><contained><Organization><id value="o"/></Organization></contained></Patient>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Parameters xmlns="http://hl7.org/fhir"><parameter><name value="p"/><part><name value="q"/><valuePositiveInt value="3"/></part><resource><Patient/></resource></parameter></Parameters>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := UnmarshalXML(data)
		if err != nil {
			if _, ok := err.(*XMLError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		js, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		x, err := MarshalXML(r)
		if err != nil {
			// A member the model keeps but XML cannot carry is refused.
			if _, ok := err.(*XMLError); !ok {
				t.Fatalf("writing XML: %T %v", err, err)
			}
			return
		}
		back, err := XMLToJSON(x)
		if err != nil {
			t.Fatalf("re-reading our own XML: %v\n%s", err, x)
		}
		if !bytes.Equal(back, js) {
			r2, err := Unmarshal(back)
			if err != nil {
				t.Fatal(err)
			}
			js2, _ := Marshal(r2)
			if !bytes.Equal(js, js2) {
				t.Fatalf("XML round trip changed the resource:\n%s\n%s", js, js2)
			}
		}
	})
}
