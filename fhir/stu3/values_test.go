package stu3

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestInstant(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 1, 9, 15, 0, 0, london)
	in := InstantOf(at)
	if in.Value != "2026-06-01T09:15:00+01:00" {
		t.Errorf("InstantOf = %q", in.Value)
	}
	got, err := in.Time()
	if err != nil || !got.Equal(at) {
		t.Errorf("Time() = %v, %v", got, err)
	}
	if v := InstantOf(at.Add(1500 * time.Microsecond)).Value; v != "2026-06-01T09:15:00.001+01:00" {
		t.Errorf("fractional InstantOf = %q", v)
	}
	for _, bad := range []string{"", "2026-06-01", "2026-06-01T09:15", "2026-06-01t09:15:00Z", "2026-06-01T09:15:00z", "2026-06-01T09:15:00", "2026-13-01T09:15:00Z"} {
		if _, err := (&Instant{Value: bad}).Time(); !errors.Is(err, ErrInstant) {
			t.Errorf("Instant %q: err %v, want ErrInstant", bad, err)
		}
	}
	if d := DateOf(at).Value; d != "2026-06-01" {
		t.Errorf("DateOf = %q", d)
	}
	if d := DateTimeOf(at).Value; d != "2026-06-01T09:15:00+01:00" {
		t.Errorf("DateTimeOf = %q", d)
	}
}

func TestReferenceTarget(t *testing.T) {
	for _, c := range []struct{ ref, typ, id string }{
		{"Slot/123", "Slot", "123"},
		{"https://provider.example/A81001/STU3/1/Location/9", "Location", "9"},
		{"Appointment/4/_history/2", "Appointment", "4"},
		{"#1", "", ""},
		{"Slot/", "", ""},
		{"/1", "", ""},
		{"urn:uuid:1f1c", "", ""},
		{"", "", ""},
	} {
		typ, id := (&Reference{Reference: String{Value: c.ref}}).Target()
		if typ != c.typ || id != c.id {
			t.Errorf("%q: Target() = %q, %q; want %q, %q", c.ref, typ, id, c.typ, c.id)
		}
	}
	var nilRef *Reference
	if typ, id := nilRef.Target(); typ != "" || id != "" {
		t.Error("nil reference has a target")
	}
	r := NewReference("Patient", "p1")
	if r.TargetID("Patient") != "p1" || r.TargetID("Location") != "" {
		t.Errorf("TargetID of %q", r.Reference.Value)
	}
}

func TestGPConnectReaders(t *testing.T) {
	p := &Patient{Identifier: []Identifier{
		{System: URI{Value: "https://example.org/mrn"}, Value: String{Value: "X1"}},
		{System: URI{Value: SystemNHSNumber}, Value: String{Value: "9990000018"}},
	}}
	if got := p.NHSNumber(); got != "9990000018" {
		t.Errorf("NHSNumber = %s", got)
	}
	if got := (&Patient{}).NHSNumber(); got != "" {
		t.Errorf("no identifier: NHSNumber = %s", got)
	}
	o := &Organization{
		Identifier: []Identifier{{System: URI{Value: SystemODSCode}, Value: String{Value: "A81001"}}},
		Type:       []CodeableConcept{{Coding: []Coding{{System: URI{Value: "x"}, Code: Code{Value: "y"}}, {System: URI{Value: SystemOrganisationType}, Code: Code{Value: "gp-practice"}}}}},
	}
	if o.ODSCode() != "A81001" || o.OrgType() != "gp-practice" {
		t.Errorf("ODSCode %q, OrgType %q", o.ODSCode(), o.OrgType())
	}
	if (&Organization{}).ODSCode() != "" || (&Organization{}).OrgType() != "" {
		t.Error("empty organisation has an ODS code or type")
	}
	a := &Appointment{Participant: []AppointmentParticipant{
		{}, // no actor
		{Actor: NewReference("Patient", "p1")},
		{Actor: NewReference("Location", "1")},
	}}
	if a.ParticipantID("Patient") != "p1" || a.ParticipantID("Location") != "1" || a.ParticipantID("Practitioner") != "" {
		t.Error("ParticipantID")
	}
	d := &DocumentReference{Content: []DocumentReferenceContent{{}, {Attachment: &Attachment{URL: URI{Value: "https://p.example/STU3/1/Binary/b7"}}}}}
	if d.BinaryID() != "b7" || (&DocumentReference{}).BinaryID() != "" {
		t.Errorf("BinaryID = %q", d.BinaryID())
	}
}

func TestBundleParametersBinary(t *testing.T) {
	b := &Bundle{Entry: []BundleEntry{{Resource: &Slot{ID: ID{Value: "s1"}}}, {}, {Resource: &Schedule{}}, {Resource: &Slot{ID: ID{Value: "s2"}}}}}
	slots := Resources[*Slot](b)
	if len(slots) != 2 || slots[1].ID.Value != "s2" || Resources[*Slot](nil) != nil {
		t.Errorf("Resources = %v", slots)
	}
	p := &Parameters{Parameter: []ParametersParameter{{Name: String{Value: "includeAllergies"}, Part: []ParametersParameter{{Name: String{Value: "includeResolvedAllergies"}, Value: &Boolean{Value: true, Set: true}}}}}}
	if g := p.Get("includeAllergies"); g == nil || g.PartNamed("includeResolvedAllergies") == nil || g.PartNamed("x") != nil || p.Get("x") != nil {
		t.Error("Get/PartNamed")
	}
	var bin Binary
	bin.SetData([]byte("letter"))
	if got, err := bin.Data(); err != nil || !bytes.Equal(got, []byte("letter")) {
		t.Errorf("Data = %q, %v", got, err)
	}
	if _, err := (&Binary{Content: Base64Binary{Value: "%%"}}).Data(); err == nil {
		t.Error("bad base64 decoded")
	}
	d := DecimalOfFloat(-1.5479)
	if f, err := d.Float64(); err != nil || f != -1.5479 || d.Raw != "-1.5479" {
		t.Errorf("decimal %q -> %v, %v", d.Raw, f, err)
	}
	if _, err := (&Decimal{}).Float64(); err == nil {
		t.Error("empty decimal converted")
	}
	if Strings() != nil || len(Strings("a", "b")) != 2 {
		t.Error("Strings")
	}
}
