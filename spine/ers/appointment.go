package ers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
)

var appointmentProfiles = []string{
	"https://fhir.nhs.uk/STU3/StructureDefinition/eRS-Appointment-1",
	"https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1",
}

// instant writes a slot time as e-RS's examples do: seconds, fractions
// only when present, and a numeric offset (+00:00 for UTC).
const instant = "2006-01-02T15:04:05.999999999-07:00"

// Booking is an A016 booking of a slot.
type Booking struct {
	UBRN string
	// Version is the referral's current version.
	Version   int
	ServiceID string
	Patient   nhsid.NHSNumber
	// Slot is the slot booked, as A015 returned it; Slot.Clinician, when
	// set, is sent as the named clinician participant (the specification
	// says a slot set up with a named clinician must be booked with one).
	Slot Slot
}

// Deferral reasons (eRS-ReviewReason-1) a referrer may defer with: the
// specification allows a deferral to a directly bookable service only when
// it has no slots, when the slot chosen is gone, or when the provider's
// system does not answer in time (2 minutes).
const (
	DeferNoSlots        = "NO_SLOTS_AT_SERVICE"
	DeferSlotGone       = "SLOT_NOT_AVAILABLE"
	DeferBookingProblem = "BOOKING_ATTEMPT_PROBLEM"
	// DeferTriage sends the referral to a triage service (a referral
	// assessment service); it is not a failure.
	DeferTriage = "TRIAGE"
)

// Deferral is an A016 deferral of booking to the provider, who then finds
// the referral on its APPOINTMENT_SLOT_ISSUES worklist.
type Deferral struct {
	UBRN      string
	Version   int
	ServiceID string
	Patient   nhsid.NHSNumber
	// Reason is one of the Defer* codes.
	Reason string
	// SlotID is the slot that could not be booked, with DeferSlotGone.
	SlotID  string
	Comment string
}

// DeferReasonFor says whether a failed Book allows a deferral and with
// which reason: SLOT_NOT_AVAILABLE for a slot taken in the meantime,
// BOOKING_ATTEMPT_PROBLEM when the provider's PAS did not answer in time
// (504 PAS_NOT_RESPONDING, or the call timed out). Other errors, the PAS
// answering with an error (502) among them, do not allow one.
func DeferReasonFor(err error) (string, bool) {
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, ErrSlotNotAvailable):
		return DeferSlotGone, true
	case errors.Is(err, ErrPASNotResponding), errors.Is(err, spine.HTTPStatus(http.StatusGatewayTimeout)),
		errors.Is(err, context.DeadlineExceeded):
		return DeferBookingProblem, true
	}
	return "", false
}

func participants(service string, patient nhsid.NHSNumber) []stu3.AppointmentParticipant {
	return []stu3.AppointmentParticipant{
		{Actor: identRef(SystemService, service), Status: stu3.Code{Value: "accepted"}},
		{Actor: identRef(SystemNHSNumber, string(patient)), Status: stu3.Code{Value: "accepted"}},
	}
}

// newAppointment is the A016 request common to a booking and a deferral.
func newAppointment(status, ubrn string, version int, service string, patient nhsid.NHSNumber) *stu3.Appointment {
	return &stu3.Appointment{
		ID: stu3.ID{Value: "appointment"}, Meta: meta(appointmentProfiles...),
		Language: stu3.Code{Value: "en"}, Status: stu3.Code{Value: status},
		Description:      stu3.String{Value: "e-Referral Appointment"},
		IncomingReferral: []stu3.Reference{literalRef("ReferralRequest/" + ubrn + "/_history/" + strconv.Itoa(version))},
		Participant:      participants(service, patient),
	}
}

func (c *Client) checkBookingCommon(ubrn string, version int, service string, patient nhsid.NHSNumber) error {
	if err := c.check(A016); err != nil {
		return err
	}
	switch {
	case !ValidUBRN(ubrn):
		return refused(A016, "incomingReferral", "UBRN is not 12 digits")
	case version <= 0:
		return refused(A016, "incomingReferral", "needs the referral's version")
	case !validServiceID(service):
		return refused(A016, "participant", "service id is not valid")
	case !patient.Valid():
		return refused(A016, "participant", "NHS number fails the modulus 11 check")
	}
	return nil
}

// Book runs A016 with status booked. It is sent once (a booking is not
// repeated on a lost answer: read the referral to learn whether it
// happened). A slot booked by someone else fails with ErrSlotNotAvailable;
// see DeferReasonFor.
func (c *Client) Book(ctx context.Context, b Booking) (*stu3.Appointment, error) {
	if err := c.checkBookingCommon(b.UBRN, b.Version, b.ServiceID, b.Patient); err != nil {
		return nil, err
	}
	if b.Slot.ID == "" || b.Slot.Start.IsZero() || !b.Slot.End.After(b.Slot.Start) {
		return nil, refused(A016, "slot", "needs an id, a start and a later end")
	}
	a := newAppointment("booked", b.UBRN, b.Version, b.ServiceID, b.Patient)
	a.Start, a.End = stu3.Instant{Value: b.Slot.Start.Format(instant)}, stu3.Instant{Value: b.Slot.End.Format(instant)}
	a.Slot = []stu3.Reference{literalRef("Slot/" + b.Slot.ID)}
	if b.Slot.Clinician != "" {
		a.Participant = append(a.Participant, stu3.AppointmentParticipant{
			// Sent as one object (see encodeAppointment).
			Type:   []stu3.CodeableConcept{*concept("http://hl7.org/fhir/ValueSet/encounter-participant-type", "CON")},
			Actor:  identRef(SystemSDSUser, b.Slot.Clinician),
			Status: stu3.Code{Value: "accepted"},
		})
	}
	return c.postAppointment(ctx, a)
}

// Defer runs A016 with status proposed: booking is deferred to the
// provider. Reasons other than the specification's are refused locally
// (ErrDeferNotAllowed).
func (c *Client) Defer(ctx context.Context, d Deferral) (*stu3.Appointment, error) {
	if err := c.checkBookingCommon(d.UBRN, d.Version, d.ServiceID, d.Patient); err != nil {
		return nil, err
	}
	switch d.Reason {
	case DeferNoSlots, DeferBookingProblem, DeferTriage:
	case DeferSlotGone:
		if d.SlotID == "" {
			return nil, refused(A016, "slot", "SLOT_NOT_AVAILABLE needs the slot that was gone")
		}
	default:
		return nil, &RefusedError{Endpoint: A016.ID, Field: "reason " + strconv.Quote(d.Reason), Err: ErrDeferNotAllowed}
	}
	a := newAppointment("proposed", d.UBRN, d.Version, d.ServiceID, d.Patient)
	a.Reason = []stu3.CodeableConcept{*concept(SystemReviewReason, d.Reason)}
	a.Comment = stu3.String{Value: d.Comment}
	if d.SlotID != "" {
		a.Slot = []stu3.Reference{literalRef("Slot/" + d.SlotID)}
	}
	return c.postAppointment(ctx, a)
}

// encodeAppointment writes an Appointment as e-RS expects it: a
// participant's single type as one object (the known issue of A016).
func encodeAppointment(ep Endpoint, a *stu3.Appointment) ([]byte, error) {
	body, err := encodeSTU3(ep, a)
	if err != nil {
		return nil, err
	}
	return unwrapSingle(body, participantType)
}

func (c *Client) postAppointment(ctx context.Context, a *stu3.Appointment) (*stu3.Appointment, error) {
	body, err := encodeAppointment(A016, a)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A016, method: http.MethodPost, path: "/STU3/Appointment", body: body})
	if err != nil {
		return nil, err
	}
	return ParseAppointment(resp.Body)
}

// ParseAppointment reads an eRS-Appointment-1. A participant's type is
// read whether e-RS sends it as one object (the known issue of A016) or
// as FHIR's array.
func ParseAppointment(b []byte) (*stu3.Appointment, error) {
	return decodeSTU3[*stu3.Appointment](b, "Appointment")
}

// AppointmentReferral returns the UBRN and version an appointment is for
// (its incomingReferral ReferralRequest/{ubrn}/_history/{version}).
func AppointmentReferral(a *stu3.Appointment) (ubrn string, version int) {
	for _, r := range a.IncomingReferral {
		rest, ok := strings.CutPrefix(r.Reference.Value, "ReferralRequest/")
		if !ok {
			continue
		}
		u, v, _ := strings.Cut(rest, "/_history/")
		n, _ := strconv.Atoi(v)
		return u, n
	}
	return "", 0
}

// AppointmentStart parses an appointment's start (none gives the zero
// time).
func AppointmentStart(a *stu3.Appointment) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, a.Start.Value)
	return t
}

// Appointment runs A038: an appointment by id (version 0: the current one).
func (c *Client) Appointment(ctx context.Context, id string, version int) (*stu3.Appointment, error) {
	if err := c.check(A038); err != nil {
		return nil, err
	}
	if !validServiceID(id) {
		return nil, refused(A038, "id", "is not an appointment id")
	}
	path := "/STU3/Appointment/" + id
	if version > 0 {
		path += "/_history/" + strconv.Itoa(version)
	}
	resp, err := c.do(ctx, &call{ep: A038, method: http.MethodGet, path: path})
	if err != nil {
		return nil, err
	}
	return ParseAppointment(resp.Body)
}

// CancelAppointment runs A034: the appointment a (as read with
// Appointment, its meta.versionId current) is cancelled for an
// APPOINTMENT-CANCELLATION-REASON code. reasonSystem "" means this
// client's reference system.
func (c *Client) CancelAppointment(ctx context.Context, a *stu3.Appointment, reasonSystem, reason, comment string) (*stu3.Appointment, error) {
	if err := c.check(A034); err != nil {
		return nil, err
	}
	if a == nil || !validServiceID(a.ID.Value) || a.Meta == nil || a.Meta.VersionID.Value == "" {
		return nil, refused(A034, "appointment", "needs an id and meta.versionId")
	}
	if reason == "" {
		return nil, refused(A034, "reason", "is required")
	}
	if _, err := strconv.Atoi(a.Meta.VersionID.Value); err != nil {
		return nil, refused(A034, "meta.versionId", "is not a number")
	}
	u := *a
	u.Status = stu3.Code{Value: "cancelled"}
	u.Reason = []stu3.CodeableConcept{*concept(or(reasonSystem, ReferenceSystem(c.base, "APPOINTMENT-CANCELLATION-REASON")), reason)}
	u.Comment = stu3.String{Value: comment}
	u.Start, u.End, u.Slot, u.Created = stu3.Instant{}, stu3.Instant{}, nil, stu3.DateTime{}
	body, err := encodeAppointment(A034, &u)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &call{ep: A034, method: http.MethodPut, path: "/STU3/Appointment/" + a.ID.Value, body: body, ifMatch: a.Meta.VersionID.Value})
	if err != nil {
		return nil, err
	}
	return ParseAppointment(resp.Body)
}
