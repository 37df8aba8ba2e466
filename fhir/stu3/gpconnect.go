package stu3

import (
	"strings"

	"github.com/nhskit/nhskit/nhsid"
)

// The CareConnect and GP Connect extensions GP Connect 1.x resources carry,
// with the value type each has (see doc.go for the sources).
const (
	// ExtDeliveryChannel on Slot and Appointment: valueCode (In-person,
	// Telephone, Video).
	ExtDeliveryChannel = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2"
	// ExtPractitionerRole on Slot/Schedule and Appointment:
	// valueCodeableConcept (an SDS job role).
	ExtPractitionerRole = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1"
	// ExtBookingOrganisation on Appointment: valueReference to a contained
	// CareConnect-GPC-Organization-1.
	ExtBookingOrganisation = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1"
	// ExtCancellationReason on a cancelled Appointment: valueString.
	ExtCancellationReason = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1"
	// ExtNHSNumberVerificationStatus on Patient.identifier (the NHS
	// number): valueCodeableConcept.
	ExtNHSNumberVerificationStatus = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1"
	// ExtRegistrationDetails on Patient: complex, registrationPeriod
	// valuePeriod among its parts.
	ExtRegistrationDetails = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1"
	// ExtMedicationRepeatInformation on MedicationRequest: complex,
	// numberOfRepeatPrescriptionsAllowed and numberOfRepeatPrescriptionsIssued
	// (valueUnsignedInt), authorisationExpiryDate (valueDateTime).
	ExtMedicationRepeatInformation = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1"
)

// The identifier and code systems GP Connect resources use (see doc.go).
const (
	// SystemNHSNumber identifies a Patient by NHS number.
	SystemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"
	// SystemODSCode identifies an Organization by ODS code.
	SystemODSCode = "https://fhir.nhs.uk/Id/ods-organization-code"
	// SystemOrganisationType is the GPConnect-OrganisationType-1 code
	// system of Organization.type (gp-practice and so on).
	SystemOrganisationType = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1"
)

// identifierValue returns the value of the first identifier with system,
// or "".
func identifierValue(ids []Identifier, system string) string {
	for _, id := range ids {
		if id.System.Value == system {
			return id.Value.Value
		}
	}
	return ""
}

// NHSNumber reads Patient.identifier.value where the system is
// SystemNHSNumber, or "". It is not checked: call Valid.
func (p *Patient) NHSNumber() nhsid.NHSNumber {
	return nhsid.NHSNumber(identifierValue(p.Identifier, SystemNHSNumber))
}

// ODSCode reads Organization.identifier.value where the system is
// SystemODSCode, or "".
func (o *Organization) ODSCode() nhsid.ODSCode {
	return nhsid.ODSCode(identifierValue(o.Identifier, SystemODSCode))
}

// OrgType reads the Organization.type code from SystemOrganisationType,
// or "".
func (o *Organization) OrgType() string {
	for _, t := range o.Type {
		for _, c := range t.Coding {
			if c.System.Value == SystemOrganisationType {
				return c.Code.Value
			}
		}
	}
	return ""
}

// ParticipantID returns the logical id of the first participant whose
// actor references resourceType ("Patient", "Location", "Practitioner"),
// or "".
func (a *Appointment) ParticipantID(resourceType string) string {
	for _, p := range a.Participant {
		if id := p.Actor.TargetID(resourceType); id != "" {
			return id
		}
	}
	return ""
}

// BinaryID returns the logical id of the Binary the first attachment
// pointing at one refers to ([base]/Binary/[id], as GP Connect Access
// Document serves documents), or "".
func (d *DocumentReference) BinaryID() string {
	for _, c := range d.Content {
		if c.Attachment == nil {
			continue
		}
		u := c.Attachment.URL.Value
		if i := strings.LastIndex(u, "/Binary/"); i >= 0 {
			if id := strings.TrimSuffix(u[i+len("/Binary/"):], "/"); id != "" {
				return id
			}
		}
	}
	return ""
}

// FindExtension returns the first extension with url, or nil.
func FindExtension(exts []Extension, url string) *Extension {
	for i := range exts {
		if exts[i].URL.Value == url {
			return &exts[i]
		}
	}
	return nil
}

// extCode reads the valueCode of the extension url, or "".
func extCode(exts []Extension, url string) string {
	if e := FindExtension(exts, url); e != nil {
		if c, ok := e.Value.(*Code); ok {
			return c.Value
		}
	}
	return ""
}

// DeliveryChannel reads Slot.extension[ExtDeliveryChannel].valueCode
// ("In-person", "Telephone", "Video"), or "".
func (s *Slot) DeliveryChannel() string { return extCode(s.Extension, ExtDeliveryChannel) }

// DeliveryChannel reads Appointment.extension[ExtDeliveryChannel].valueCode,
// or "".
func (a *Appointment) DeliveryChannel() string { return extCode(a.Extension, ExtDeliveryChannel) }

// CancellationReason reads
// Appointment.extension[ExtCancellationReason].valueString, or "".
func (a *Appointment) CancellationReason() string {
	if e := FindExtension(a.Extension, ExtCancellationReason); e != nil {
		if s, ok := e.Value.(*String); ok {
			return s.Value
		}
	}
	return ""
}

// BookingOrganization returns the contained Organization that
// Appointment.extension[ExtBookingOrganisation].valueReference points at
// ("#id"), or nil.
func (a *Appointment) BookingOrganization() *Organization {
	e := FindExtension(a.Extension, ExtBookingOrganisation)
	if e == nil {
		return nil
	}
	ref, ok := e.Value.(*Reference)
	if !ok || !strings.HasPrefix(ref.Reference.Value, "#") {
		return nil
	}
	want := ref.Reference.Value[1:]
	for _, r := range a.Contained {
		if o, ok := r.(*Organization); ok && o.ID.Value == want {
			return o
		}
	}
	return nil
}

// RepeatInformation is what ExtMedicationRepeatInformation says of a
// repeat prescription; a part that is absent is zero ("" for the date).
type RepeatInformation struct {
	Allowed, Issued int64  // numberOfRepeatPrescriptionsAllowed, …Issued
	ExpiryDate      string // authorisationExpiryDate, as written
}

// RepeatInformation reads MedicationRequest.extension
// [ExtMedicationRepeatInformation]; ok is false when it is absent.
func (m *MedicationRequest) RepeatInformation() (info RepeatInformation, ok bool) {
	e := FindExtension(m.Extension, ExtMedicationRepeatInformation)
	if e == nil {
		return info, false
	}
	for _, part := range e.Extension {
		switch v := part.Value.(type) {
		case *UnsignedInt:
			switch part.URL.Value {
			case "numberOfRepeatPrescriptionsAllowed":
				info.Allowed = v.Value
			case "numberOfRepeatPrescriptionsIssued":
				info.Issued = v.Value
			}
		case *DateTime:
			if part.URL.Value == "authorisationExpiryDate" {
				info.ExpiryDate = v.Value
			}
		}
	}
	return info, true
}

// NHSNumberVerificationStatus reads the code of
// ExtNHSNumberVerificationStatus on the Patient.identifier whose system is
// https://fhir.nhs.uk/Id/nhs-number, or "".
func (p *Patient) NHSNumberVerificationStatus() string {
	for _, id := range p.Identifier {
		if id.System.Value != SystemNHSNumber {
			continue
		}
		if e := FindExtension(id.Extension, ExtNHSNumberVerificationStatus); e != nil {
			if cc, ok := e.Value.(*CodeableConcept); ok && len(cc.Coding) > 0 {
				return cc.Coding[0].Code.Value
			}
		}
	}
	return ""
}

// RegistrationPeriod reads the registrationPeriod part of
// ExtRegistrationDetails, or nil.
func (p *Patient) RegistrationPeriod() *Period {
	e := FindExtension(p.Extension, ExtRegistrationDetails)
	if e == nil {
		return nil
	}
	if part := FindExtension(e.Extension, "registrationPeriod"); part != nil {
		if per, ok := part.Value.(*Period); ok {
			return per
		}
	}
	return nil
}
