package tofhir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nhskit/nhskit/hl7v2"
)

// FuzzConvertSIU: any SIU that parses converts or fails with a *Error,
// never a panic, and an Appointment always has a status and a participant.
func FuzzConvertSIU(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "siu", "*.hl7"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7v2.Parse(data)
		if err != nil || m.MSH().MessageCode() != "SIU" {
			return
		}
		res, err := New(pas).Convert(m)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not a *tofhir.Error", err)
			}
			return
		}
		if a := res.Appointment; a != nil && (a.Status.Value == "" || len(a.Participant) == 0) {
			t.Fatalf("appointment without status or participant")
		}
		if s := res.Slot; s != nil && (s.Start.Value == "" || s.End.Value == "" || len(res.Schedule.Actor) == 0) {
			t.Fatalf("slot without times or schedule without actor")
		}
	})
}
