package tofhir

import (
	"fmt"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// Presence is what a message said about one Patient element. HL7 v2 keeps
// three cases apart that a whole FHIR resource cannot: a field left empty
// says nothing (keep what the record holds), a valued field replaces, and
// HL7's null "" deletes.
type Presence uint8

const (
	NotSent Presence = iota // the field was empty: keep the element as it is
	Sent                    // the field had a value: replace the element
	Cleared                 // the field was "": delete the element
)

func (p Presence) String() string {
	switch p {
	case Sent:
		return "sent"
	case Cleared:
		return "cleared"
	}
	return "not sent"
}

// The Patient elements whose Presence a conversion records, and the PID
// and PD1 fields they come from.
var patientSources = []struct {
	element string
	seg     string
	fields  []int
}{
	{"name", "PID", []int{5}},
	{"birthDate", "PID", []int{7}},
	{"gender", "PID", []int{8}},
	{"address", "PID", []int{11}},
	{"telecom", "PID", []int{13, 14}},
	{"maritalStatus", "PID", []int{16}},
	{"extension:ethnicCategory", "PID", []int{22}},
	{"deceased", "PID", []int{29, 30}},
	{"generalPractitioner", "PD1", []int{3, 4}},
}

// presenceOf reads the fields of one element: Sent when any has a value,
// Cleared when none has and at least one is "", else NotSent.
func presenceOf(seg *hl7v2.Segment, fields []int) Presence {
	if seg == nil {
		return NotSent
	}
	p := NotSent
	for _, f := range fields {
		for _, rep := range seg.Reps(f) {
			switch raw := rep.Raw(); {
			case hl7v2.IsNull(raw):
				if p == NotSent {
					p = Cleared
				}
			case raw != "":
				return Sent
			}
		}
	}
	return p
}

func (c *conv) recordPresence(pid hl7v2.PID, pd1 *hl7v2.PD1) {
	if c.res.PatientPresence != nil {
		return // the first patient's, as Result.Patient
	}
	c.res.PatientPresence = map[string]Presence{}
	for _, s := range patientSources {
		seg := &pid.Segment
		if s.seg == "PD1" {
			seg = nil
			if pd1 != nil {
				seg = &pd1.Segment
			}
		}
		c.res.PatientPresence[s.element] = presenceOf(seg, s.fields)
	}
}

// ApplyPatientUpdate applies a converted ADT message to the Patient a
// server holds, with HL7 v2's update rules rather than replace-whole:
// elements the message sent replace the record's, elements it cleared
// with "" are deleted, and elements it left empty, and anything the
// record holds from other sources, are kept. Identifiers the message
// carries are added or updated, the record's others kept; its one NHS
// number is the message's when the message has one. existing is not
// changed. Use it for A08 and A31 where other systems also write the
// Patient: read it, apply, and PUT it back with If-Match on its version.
func ApplyPatientUpdate(existing *fhir.Patient, res *Result) (*fhir.Patient, error) {
	if res == nil || res.Patient == nil || res.PatientPresence == nil {
		return nil, fmt.Errorf("tofhir: the result has no converted Patient to apply")
	}
	// A deep copy through the lossless JSON form.
	js, err := fhir.Marshal(existing)
	if err != nil {
		return nil, fmt.Errorf("tofhir: existing patient: %w", err)
	}
	r, err := fhir.Unmarshal(js)
	if err != nil {
		return nil, fmt.Errorf("tofhir: existing patient: %w", err)
	}
	out, ok := r.(*fhir.Patient)
	if !ok {
		return nil, fmt.Errorf("tofhir: existing resource is a %s, not a Patient", r.ResourceType())
	}
	u := res.Patient
	pick := func(element string) Presence { return res.PatientPresence[element] }
	applyPresence(pick("name"), &out.Name, u.Name)
	applyPresence(pick("birthDate"), &out.BirthDate, u.BirthDate)
	applyPresence(pick("gender"), &out.Gender, u.Gender)
	applyPresence(pick("address"), &out.Address, u.Address)
	applyPresence(pick("telecom"), &out.Telecom, u.Telecom)
	applyPresence(pick("maritalStatus"), &out.MaritalStatus, u.MaritalStatus)
	applyPresence(pick("deceased"), &out.Deceased, u.Deceased)
	applyPresence(pick("generalPractitioner"), &out.GeneralPractitioner, u.GeneralPractitioner)
	if p := pick("extension:ethnicCategory"); p != NotSent {
		out.Extension = withoutExtension(out.Extension, fhir.ExtEthnicCategory)
		if p == Sent {
			if ext := fhir.FindExtension(u.Extension, fhir.ExtEthnicCategory); ext != nil {
				out.Extension = append(out.Extension, *ext)
			}
		}
	}
	out.Identifier = mergeIdentifiers(out.Identifier, u.Identifier)
	return out, nil
}

func withoutExtension(exts []fhir.Extension, url string) []fhir.Extension {
	var out []fhir.Extension
	for _, e := range exts {
		if e.URL.Value != url {
			out = append(out, e)
		}
	}
	return out
}

// mergeIdentifiers keeps the record's identifiers, replacing one with the
// same system and value (or, for the NHS number, the same system) by the
// message's, and adds the message's new ones.
func mergeIdentifiers(have, sent []fhir.Identifier) []fhir.Identifier {
	out := append([]fhir.Identifier(nil), have...)
	for _, s := range sent {
		found := false
		for i, h := range out {
			if h.System.Value == s.System.Value && (h.Value.Value == s.Value.Value || s.System.Value == fhir.NHSNumberSystem) {
				out[i], found = s, true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

// applyPresence writes what a message said of one element: the sent value,
// or the zero value when the message cleared it (HL7 ""); an element the
// message did not send stays as it was.
func applyPresence[T any](p Presence, dst *T, sent T) {
	switch p {
	case Sent:
		*dst = sent
	case Cleared:
		var zero T
		*dst = zero
	}
}
