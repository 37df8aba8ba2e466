package ers_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine/ers"
)

// FuzzParse feeds every decoder of e-RS answers arbitrary bytes: none may
// panic, and a decoded answer holds only what the input had.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Slot","id":"1","start":"x"}}]}`))
	f.Add([]byte(`{"resourceType":"List","entry":[{"item":{"reference":"ReferralRequest/000000070000"},"extension":[{"url":"u","extension":[{"url":"patient","valueReference":{}}]}]}]}`))
	f.Add([]byte(`{"resourceType":"Appointment","participant":[{"type":{"coding":[{"code":"CON"}]}},{"type":[{}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ers.ParseReferral(b); err == nil && r.Version < 0 {
			t.Fatalf("negative version %d", r.Version)
		}
		if p, err := ers.ParseSlotBundle(b); err == nil {
			for _, s := range p.Slots {
				if s.End.IsZero() || s.Start.IsZero() {
					t.Fatalf("slot %q decoded without times", s.ID)
				}
			}
		}
		if items, err := ers.ParseWorklist(b); err == nil {
			for _, it := range items {
				if !ers.ValidUBRN(it.UBRN) {
					t.Fatalf("worklist item with UBRN %q", it.UBRN)
				}
			}
		}
		if svcs, err := ers.ParseServiceList(b); err == nil {
			for _, s := range svcs {
				if s.ID == "" {
					t.Fatal("service without id")
				}
			}
		}
		if a, err := ers.ParseAdvice(b); err == nil && a.Version < 0 {
			t.Fatalf("negative version %d", a.Version)
		}
		if items, err := ers.ParseAdviceWorklist(b); err == nil {
			for _, it := range items {
				if !ers.ValidUBRN(it.UBRN) {
					t.Fatalf("advice worklist item with UBRN %q", it.UBRN)
				}
			}
		}
		if a, err := ers.ParseAppointment(b); err == nil {
			// What was read writes again and reads back the same.
			out, err := stu3.Marshal(a)
			if err != nil {
				t.Fatalf("re-encoding: %v", err)
			}
			a2, err := ers.ParseAppointment(out)
			if err != nil {
				t.Fatalf("re-reading %s: %v", out, err)
			}
			out2, _ := stu3.Marshal(a2)
			if string(out) != string(out2) {
				t.Fatalf("not stable:\n%s\n%s", out, out2)
			}
		}
	})
}
