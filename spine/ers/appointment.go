package ers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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

func participants(service string, patient nhsid.NHSNumber) []Participant {
	return []Participant{
		{Actor: &Reference{Identifier: &Identifier{System: SystemService, Value: service}}, Status: "accepted"},
		{Actor: &Reference{Identifier: &Identifier{System: SystemNHSNumber, Value: string(patient)}}, Status: "accepted"},
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
func (c *Client) Book(ctx context.Context, b Booking) (*Appointment, error) {
	if err := c.checkBookingCommon(b.UBRN, b.Version, b.ServiceID, b.Patient); err != nil {
		return nil, err
	}
	if b.Slot.ID == "" || b.Slot.Start.IsZero() || !b.Slot.End.After(b.Slot.Start) {
		return nil, refused(A016, "slot", "needs an id, a start and a later end")
	}
	a := &Appointment{
		ResourceType: "Appointment", ID: "appointment", Meta: &Meta{Profile: appointmentProfiles},
		Language: "en", Status: "booked", Description: "e-Referral Appointment",
		Start: b.Slot.Start.Format(instant), End: b.Slot.End.Format(instant),
		Slot:             []Reference{{Reference: "Slot/" + b.Slot.ID}},
		IncomingReferral: []Reference{{Reference: "ReferralRequest/" + b.UBRN + "/_history/" + strconv.Itoa(b.Version)}},
		Participant:      participants(b.ServiceID, b.Patient),
	}
	if b.Slot.Clinician != "" {
		a.Participant = append(a.Participant, Participant{
			Type:   Single(CodeableConcept{Coding: []Coding{{System: "http://hl7.org/fhir/ValueSet/encounter-participant-type", Code: "CON"}}}),
			Actor:  &Reference{Identifier: &Identifier{System: SystemSDSUser, Value: b.Slot.Clinician}},
			Status: "accepted",
		})
	}
	return c.postAppointment(ctx, a)
}

// Defer runs A016 with status proposed: booking is deferred to the
// provider. Reasons other than the specification's are refused locally
// (ErrDeferNotAllowed).
func (c *Client) Defer(ctx context.Context, d Deferral) (*Appointment, error) {
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
	a := &Appointment{
		ResourceType: "Appointment", ID: "appointment", Meta: &Meta{Profile: appointmentProfiles},
		Language: "en", Status: "proposed", Description: "e-Referral Appointment",
		Reason:           []CodeableConcept{{Coding: []Coding{{System: SystemReviewReason, Code: d.Reason}}}},
		Comment:          d.Comment,
		IncomingReferral: []Reference{{Reference: "ReferralRequest/" + d.UBRN + "/_history/" + strconv.Itoa(d.Version)}},
		Participant:      participants(d.ServiceID, d.Patient),
	}
	if d.SlotID != "" {
		a.Slot = []Reference{{Reference: "Slot/" + d.SlotID}}
	}
	return c.postAppointment(ctx, a)
}

func (c *Client) postAppointment(ctx context.Context, a *Appointment) (*Appointment, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("ers: A016: encoding: %w", err)
	}
	resp, err := c.do(ctx, &call{ep: A016, method: http.MethodPost, path: "/STU3/Appointment", body: body})
	if err != nil {
		return nil, err
	}
	return ParseAppointment(resp.Body)
}

// ParseAppointment reads an eRS-Appointment-1.
func ParseAppointment(b []byte) (*Appointment, error) {
	var a Appointment
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("ers: decoding the Appointment: %w", err)
	}
	if a.ResourceType != "Appointment" {
		return nil, fmt.Errorf("ers: answer is a %q, not an Appointment", a.ResourceType)
	}
	return &a, nil
}

// Referral returns the UBRN and version the appointment is for.
func (a *Appointment) Referral() (ubrn string, version int) {
	for _, r := range a.IncomingReferral {
		rest, ok := strings.CutPrefix(r.Reference, "ReferralRequest/")
		if !ok {
			continue
		}
		u, v, _ := strings.Cut(rest, "/_history/")
		n, _ := strconv.Atoi(v)
		return u, n
	}
	return "", 0
}

// StartTime parses Start ("" gives the zero time).
func (a *Appointment) StartTime() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, a.Start)
	return t
}

// Appointment runs A038: an appointment by id (version 0: the current one).
func (c *Client) Appointment(ctx context.Context, id string, version int) (*Appointment, error) {
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
func (c *Client) CancelAppointment(ctx context.Context, a *Appointment, reasonSystem, reason, comment string) (*Appointment, error) {
	if err := c.check(A034); err != nil {
		return nil, err
	}
	if a == nil || !validServiceID(a.ID) || a.Meta == nil || a.Meta.VersionID == "" {
		return nil, refused(A034, "appointment", "needs an id and meta.versionId")
	}
	if reason == "" {
		return nil, refused(A034, "reason", "is required")
	}
	u := *a
	u.Status = "cancelled"
	u.Reason = []CodeableConcept{{Coding: []Coding{{System: or(reasonSystem, ReferenceSystem(c.base, "APPOINTMENT-CANCELLATION-REASON")), Code: reason}}}}
	u.Comment = comment
	u.Start, u.End, u.Slot, u.Created = "", "", nil, ""
	body, _ := json.Marshal(&u)
	if _, err := strconv.Atoi(a.Meta.VersionID); err != nil {
		return nil, refused(A034, "meta.versionId", "is not a number")
	}
	resp, err := c.do(ctx, &call{ep: A034, method: http.MethodPut, path: "/STU3/Appointment/" + a.ID, body: body, ifMatch: a.Meta.VersionID})
	if err != nil {
		return nil, err
	}
	return ParseAppointment(resp.Body)
}
