package tofhir

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// pas is the test trust's PAS: its appointment ids and schedules have
// systems, as a deployment would configure them.
var pas = &Mapping{
	AppointmentSystems: map[string]string{"PAS": "https://fhir.rxx.example.nhs.uk/Id/appointment"},
	ScheduleSystems:    map[string]string{"LOCAL": "https://fhir.rxx.example.nhs.uk/Id/schedule"},
}

func siuMsg(t *testing.T, name string) *hl7v2.Message { return fixture(t, "siu/"+name) }

func TestSIUAppointment(t *testing.T) {
	res, err := New(pas).Convert(siuMsg(t, "s12.hl7"))
	require.NoError(t, err)
	mustValidate(t, res.Bundle)
	a := res.Appointment
	require.NotNil(t, a)
	assert.Equal(t, "booked", a.Status.Value)
	assert.Equal(t, "2026-03-10T14:00:00Z", a.Start.Value)
	assert.Equal(t, "2026-03-10T14:20:00Z", a.End.Value)
	assert.Equal(t, int64(20), a.MinutesDuration.Value)
	assert.Equal(t, "Bring a list of current medicines", a.Comment.Value)
	require.Len(t, a.Identifier, 2)
	assert.Equal(t, "https://fhir.rxx.example.nhs.uk/Id/appointment", a.Identifier[0].System.Value)
	assert.Equal(t, "FL2001", a.Identifier[0].Value.Value)
	assert.Equal(t, "FILL", a.Identifier[0].Type.Coding[0].Code.Value)
	require.Len(t, a.Participant, 3, "patient, consultant, room")
	assert.Equal(t, "Patient", a.Participant[0].Actor.Type.Value)
	assert.Equal(t, fhir.GMCNumberSystem, a.Participant[1].Actor.Identifier.System.Value)
	assert.Equal(t, "ENTCLINIC, ROOM2, RXX01", a.Participant[2].Actor.Display.Value)
	require.Len(t, a.ServiceType, 1)
	assert.Equal(t, "ENT new patient", a.ServiceType[0].Text.Value)
	require.Len(t, a.Extension, 1)
	assert.Equal(t, "RXX01", a.Extension[0].Value.(*fhir.Reference).Identifier.Value.Value)
	// The Bundle PUTs the Patient and the Appointment by their ids.
	var urls []string
	for _, e := range res.Bundle.Entry {
		urls = append(urls, e.Request.Method.Value+" "+e.Request.URL.Value)
	}
	assert.Contains(t, urls, "PUT Appointment?identifier=https://fhir.rxx.example.nhs.uk/Id/appointment|FL2001")
	// The PV1 is the planned visit, pointing at the Appointment.
	require.NotNil(t, res.Encounter)
	assert.Equal(t, "planned", res.Encounter.Status.Value)
	require.Len(t, res.Encounter.Appointment, 1)
	assert.Equal(t, res.Bundle.Entry[len(res.Bundle.Entry)-1].FullURL.Value, res.Encounter.Appointment[0].Reference.Value)
	assert.Equal(t, a, res.Bundle.Entry[len(res.Bundle.Entry)-1].Resource)
	// The ZU9 segment is reported.
	var paths []string
	for _, u := range res.Unmapped {
		paths = append(paths, u.Path)
		assert.NotContains(t, u.Value, "999", "no NHS number in the report")
	}
	assert.Contains(t, paths, "ZU9[1]")
	assert.Contains(t, paths, "NTE[2]", "the note on the AIS is reported")
	assert.NotContains(t, paths, "NTE[1]", "the SCH's note is the comment")
}

func TestSIUStatusByTrigger(t *testing.T) {
	base := func(trigger, status, extra string) string {
		return "MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20260302091500||SIU^" + trigger + "^SIU_S12|M1|P|2.5.1\r" +
			"SCH||FL9^PAS||||PATCAN^Patient cancelled^LOCAL|FOLLOWUP||||||||||||||||||" + status + "\r" +
			"TQ1|1|||||15^min|20260310140000\r" +
			"PID|1||9990000018^^^NHS^NH\r" + extra
	}
	for _, tc := range []struct {
		trigger, status, want string
		reason                bool
	}{
		{"S12", "Booked", "booked", false},
		{"S12", "", "booked", false},
		{"S12", "Pending", "pending", false},
		{"S12", "Waitlist", "waitlist", false},
		{"S13", "Booked", "booked", false},
		{"S14", "Started", "checked-in", false},
		{"S14", "Complete", "fulfilled", false},
		{"S14", "Overbook", "booked", false},
		{"S15", "Cancelled", "cancelled", true},
		{"S16", "DC", "cancelled", true},
		{"S17", "Deleted", "entered-in-error", false},
		{"S18", "Booked", "booked", false},
		{"S20", "Booked", "booked", false},
		{"S26", "Noshow", "noshow", true},
	} {
		t.Run(tc.trigger+"/"+tc.status, func(t *testing.T) {
			m, err := hl7v2.Parse([]byte(base(tc.trigger, tc.status, "")))
			require.NoError(t, err)
			res, err := New(pas).Convert(m)
			require.NoError(t, err)
			mustValidate(t, res.Bundle)
			assert.Equal(t, tc.want, res.Appointment.Status.Value)
			assert.Equal(t, tc.reason, res.Appointment.CancelationReason != nil)
			require.NotNil(t, res.Appointment.AppointmentType, "FOLLOWUP is table 0276")
			assert.Equal(t, "FOLLOWUP", res.Appointment.AppointmentType.Coding[0].Code.Value)
		})
	}
	// A trust's own status code is reported, and a Mapping can add it.
	m, err := hl7v2.Parse([]byte(base("S14", "Arrived", "")))
	require.NoError(t, err)
	res, err := New(pas).Convert(m)
	require.NoError(t, err)
	assert.Equal(t, "booked", res.Appointment.Status.Value)
	assert.Contains(t, res.Unmapped, Unmapped{Path: "SCH-25", Value: "Arrived", Reason: "filler status not in table 0278; booked assumed"})
	res, err = New(&Mapping{AppointmentSystems: pas.AppointmentSystems, AppointmentStatus: map[string]string{"Arrived": "arrived"}}).Convert(m)
	require.NoError(t, err)
	assert.Equal(t, "arrived", res.Appointment.Status.Value)
}

func TestSIUCancellationAndDeletedResource(t *testing.T) {
	res, err := New(pas).Convert(siuMsg(t, "s15.hl7"))
	require.NoError(t, err)
	mustValidate(t, res.Bundle)
	a := res.Appointment
	assert.Equal(t, "cancelled", a.Status.Value)
	require.NotNil(t, a.CancelationReason)
	assert.Equal(t, "Patient cancelled", a.CancelationReason.Text.Value)
	assert.Empty(t, a.ServiceType, "the RGS with action D is left out")

	// A cancellation with a visit: the Encounter is cancelled too, and
	// without an id system it points at the Appointment by its filler id.
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20260303101500||SIU^S15^SIU_S12|M9|P|2.5.1\r" +
		"SCH||FL7^PAS||||PATCAN|||||||||||||||||||Cancelled\rTQ1|1|||||20^min|20260310140000\r" +
		"PID|1||9990000018^^^NHS^NH\rPV1|1|O|ENTOPD^R1^^RXX01||||||||||||||||V77^^^RXX01^VN\r"))
	require.NoError(t, err)
	res, err = New(&Mapping{VisitNumberSystems: map[string]string{"RXX01": "https://fhir.rxx.example.nhs.uk/Id/visit"}}).Convert(m)
	require.NoError(t, err)
	mustValidate(t, res.Bundle)
	require.NotNil(t, res.Encounter)
	assert.Equal(t, "cancelled", res.Encounter.Status.Value)
	assert.Equal(t, "FL7", res.Encounter.Appointment[0].Identifier.Value.Value)
	assert.Equal(t, "PUT", res.Bundle.Entry[1].Request.Method.Value, "the visit is updated by its number")
}

func TestSIUWithoutIDSystem(t *testing.T) {
	res, err := Convert(siuMsg(t, "s12.hl7"))
	require.NoError(t, err)
	last := res.Bundle.Entry[len(res.Bundle.Entry)-1]
	assert.Equal(t, "POST", last.Request.Method.Value, "an S12 creates")
	res, err = Convert(siuMsg(t, "s15.hl7"))
	require.NoError(t, err)
	for _, e := range res.Bundle.Entry {
		assert.NotEqual(t, "Appointment", e.Resource.ResourceType(), "an S15 with no way to find its appointment sends none")
	}
	assert.NotNil(t, res.Appointment)
}

func TestSIUSlots(t *testing.T) {
	res, err := New(pas).Convert(siuMsg(t, "s24.hl7"))
	require.NoError(t, err)
	mustValidate(t, res.Bundle)
	require.NotNil(t, res.Slot)
	require.NotNil(t, res.Schedule)
	assert.Equal(t, "free", res.Slot.Status.Value)
	assert.Equal(t, "2026-03-10T09:00:00Z", res.Slot.Start.Value)
	assert.Equal(t, "2026-03-10T09:15:00Z", res.Slot.End.Value)
	assert.Equal(t, "ENTCLINIC, ROOM1, RXX01", res.Schedule.Actor[0].Display.Value)
	require.Len(t, res.Bundle.Entry, 2)
	assert.Equal(t, res.Bundle.Entry[0].FullURL.Value, res.Slot.Schedule.Reference.Value)
	assert.Equal(t, "PUT", res.Bundle.Entry[1].Request.Method.Value)

	blocked := strings.Replace(string(siuMsg(t, "s24.hl7").Encode()), "SIU^S24", "SIU^S23", 1)
	m, err := hl7v2.Parse([]byte(blocked))
	require.NoError(t, err)
	res, err = New(pas).Convert(m)
	require.NoError(t, err)
	assert.Equal(t, "busy-unavailable", res.Slot.Status.Value)

	// A patient in a slot message has nowhere to go: it is reported.
	withPID := strings.Replace(string(siuMsg(t, "s24.hl7").Encode()), "\rRGS", "\rPID|1||9990000018^^^NHS^NH\rRGS", 1)
	m, err = hl7v2.Parse([]byte(withPID))
	require.NoError(t, err)
	res, err = New(pas).Convert(m)
	require.NoError(t, err)
	assert.Contains(t, res.Unmapped, Unmapped{Path: "PID[1]", Reason: "segment not mapped"})
	assert.Nil(t, res.Patient)
}

func TestSIUErrors(t *testing.T) {
	for _, tc := range []struct{ name, msg, path string }{
		{"structure", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rPID|1\r", "SIU"},
		{"no start", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH||F1\rPID|1||9990000018^^^NHS^NH\r", "TQ1-7"},
		{"bad start", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH||F1\rTQ1|1||||||2026x\r", "segment 3 field 7"},
		{"slot without end", "MSH|^~\\&|A|B|C|D|1||SIU^S24|1|P|2.5\rSCH||F1\rTQ1|1||||||20260310\rAIL|1||X\r", "TQ1-8"},
		{"slot without actor", "MSH|^~\\&|A|B|C|D|1||SIU^S24|1|P|2.5\rSCH||F1\rTQ1|1|||||15|20260310\r", "AIL"},
		{"nobody", "MSH|^~\\&|A|B|C|D|1||SIU^S12|1|P|2.5\rSCH||F1\rTQ1|1|||||15|20260310\r", "PID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := hl7v2.Parse([]byte(tc.msg))
			require.NoError(t, err)
			_, err = Convert(m)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.path, e.Path)
			assert.NotContains(t, err.Error(), "9990000018")
		})
	}
	// A cancellation without times is still an appointment.
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|A|B|C|D|1||SIU^S15|1|P|2.5\rSCH||F1^PAS\rPID|1||9990000018^^^NHS^NH\r"))
	require.NoError(t, err)
	res, err := New(pas).Convert(m)
	require.NoError(t, err)
	mustValidate(t, res.Bundle)
	assert.Equal(t, "", res.Appointment.Start.Value)
}

func TestSIUSecondPatientVisitReported(t *testing.T) {
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20260303101500||SIU^S12^SIU_S12|M9|P|2.5.1\r" +
		"SCH||FL8^PAS\rTQ1|1|||||20^min|20260310140000\r" +
		"PID|1||9990000018^^^NHS^NH\rPID|2||9990000026^^^NHS^NH\rPV1|1|O\r"))
	require.NoError(t, err)
	res, err := New(pas).Convert(m)
	require.NoError(t, err)
	assert.Len(t, res.Appointment.Participant, 2)
	assert.NotNil(t, res.Encounter, "the first PV1 is the visit")

	m, err = hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20260303101500||SIU^S12^SIU_S12|M9|P|2.5.1\r" +
		"SCH||FL8^PAS\rTQ1|1|||||20^min|20260310140000\r" +
		"PID|1||9990000018^^^NHS^NH\rPV1|1|O\rPID|2||9990000026^^^NHS^NH\rPV1|1|O\r"))
	require.NoError(t, err)
	res, err = New(pas).Convert(m)
	require.NoError(t, err)
	assert.Contains(t, res.Unmapped, Unmapped{Path: "PV1[2]", Reason: "the visit of a second patient on one appointment is not mapped"})
}
