package gpconnect

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// The STU3 shapes GP Connect exchanges. They are deliberately small: the
// elements GP Connect profiles use, as plain structs with encoding/json
// tags. Elements a provider sends that are not modelled here are dropped on
// decode; Metadata returns raw JSON where that matters.

// Meta is a resource's metadata.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

// Coding is a code from a code system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a concept as codings and text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Identifier is a business identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Reference points at another resource.
type Reference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

// ID returns the id part of Reference.reference when it has the form
// "Type/id".
func (r Reference) ID() string {
	_, id, _ := strings.Cut(r.Reference, "/")
	return id
}

// Period is a time range.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// HumanName is a person's name.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
}

// ContactPoint is a phone number, email address and the like.
type ContactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"`
}

// Address is a postal address.
type Address struct {
	Use        string   `json:"use,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	District   string   `json:"district,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

// Extension is a FHIR extension with the value types GP Connect uses.
type Extension struct {
	URL                  string           `json:"url"`
	ValueCode            string           `json:"valueCode,omitempty"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
	ValuePeriod          *Period          `json:"valuePeriod,omitempty"`
	Extension            []Extension      `json:"extension,omitempty"`
}

// FindExtension returns the first extension with url, or nil.
func FindExtension(exts []Extension, url string) *Extension {
	for i := range exts {
		if exts[i].URL == url {
			return &exts[i]
		}
	}
	return nil
}

// Slot is an STU3 Slot as GPConnect-Slot-1 profiles it.
type Slot struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Extension    []Extension       `json:"extension,omitempty"`
	ServiceType  []CodeableConcept `json:"serviceType,omitempty"`
	Schedule     Reference         `json:"schedule"`
	Status       string            `json:"status"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
}

// DeliveryChannel reads Slot.extension[ExtDeliveryChannel].valueCode
// ("In-person", "Telephone", "Video"), or "".
func (s *Slot) DeliveryChannel() string {
	if e := FindExtension(s.Extension, ExtDeliveryChannel); e != nil {
		return e.ValueCode
	}
	return ""
}

// Schedule is an STU3 Schedule: who and where a run of slots belongs to.
type Schedule struct {
	ResourceType    string            `json:"resourceType"`
	ID              string            `json:"id,omitempty"`
	Meta            *Meta             `json:"meta,omitempty"`
	Extension       []Extension       `json:"extension,omitempty"`
	ServiceCategory *CodeableConcept  `json:"serviceCategory,omitempty"`
	ServiceType     []CodeableConcept `json:"serviceType,omitempty"`
	Actor           []Reference       `json:"actor,omitempty"`
	PlanningHorizon *Period           `json:"planningHorizon,omitempty"`
	Comment         string            `json:"comment,omitempty"`
}

// Practitioner is an STU3 Practitioner.
type Practitioner struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id,omitempty"`
	Meta         *Meta        `json:"meta,omitempty"`
	Identifier   []Identifier `json:"identifier,omitempty"`
	Name         []HumanName  `json:"name,omitempty"`
	Gender       string       `json:"gender,omitempty"`
}

// Location is an STU3 Location.
type Location struct {
	ResourceType         string     `json:"resourceType"`
	ID                   string     `json:"id,omitempty"`
	Meta                 *Meta      `json:"meta,omitempty"`
	Name                 string     `json:"name,omitempty"`
	Address              *Address   `json:"address,omitempty"`
	ManagingOrganization *Reference `json:"managingOrganization,omitempty"`
	// Position is not in the GP Connect profile but some providers send it;
	// it lets travel time be estimated.
	Position *Position `json:"position,omitempty"`
}

// Position is a location's WGS84 coordinates.
type Position struct {
	Longitude float64 `json:"longitude"`
	Latitude  float64 `json:"latitude"`
}

// Organization is an STU3 Organization.
type Organization struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	Type         []CodeableConcept `json:"type,omitempty"`
	Name         string            `json:"name,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
	Address      []Address         `json:"address,omitempty"`
}

// OrgType reads the Organization.type code from the
// GPConnect-OrganisationType-1 code system, or "".
func (o *Organization) OrgType() string {
	for _, t := range o.Type {
		for _, c := range t.Coding {
			if c.System == SystemOrganisationType {
				return c.Code
			}
		}
	}
	return ""
}

// ODSCode reads Organization.identifier.value where the system is
// SystemODSCode, or "".
func (o *Organization) ODSCode() nhsid.ODSCode {
	for _, id := range o.Identifier {
		if id.System == SystemODSCode {
			return nhsid.ODSCode(id.Value)
		}
	}
	return ""
}

// Patient is an STU3 Patient.
type Patient struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id,omitempty"`
	Meta         *Meta          `json:"meta,omitempty"`
	Identifier   []Identifier   `json:"identifier,omitempty"`
	Name         []HumanName    `json:"name,omitempty"`
	Gender       string         `json:"gender,omitempty"`
	BirthDate    string         `json:"birthDate,omitempty"`
	Telecom      []ContactPoint `json:"telecom,omitempty"`
	Address      []Address      `json:"address,omitempty"`
}

// NHSNumber reads Patient.identifier.value where the system is
// SystemNHSNumber, or "".
func (p *Patient) NHSNumber() nhsid.NHSNumber {
	for _, id := range p.Identifier {
		if id.System == SystemNHSNumber {
			return nhsid.NHSNumber(id.Value)
		}
	}
	return ""
}

// Participant is one participant of an appointment.
type Participant struct {
	Actor  Reference `json:"actor"`
	Status string    `json:"status,omitempty"`
}

// Appointment is an STU3 Appointment as GPConnect-Appointment-1 profiles it.
type Appointment struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Contained    []json.RawMessage `json:"contained,omitempty"`
	Extension    []Extension       `json:"extension,omitempty"`
	Status       string            `json:"status"`
	Description  string            `json:"description,omitempty"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
	Slot         []Reference       `json:"slot,omitempty"`
	Created      string            `json:"created,omitempty"`
	Comment      string            `json:"comment,omitempty"`
	Participant  []Participant     `json:"participant,omitempty"`
	// Reason must never be sent: GP Connect forbids it. It is modelled so
	// that a provider can detect and refuse it.
	Reason []CodeableConcept `json:"reason,omitempty"`
}

// ParticipantID returns the logical id of the first participant whose actor
// references resourceType ("Patient", "Location", "Practitioner").
func (a *Appointment) ParticipantID(resourceType string) string {
	for _, p := range a.Participant {
		if t, id, ok := strings.Cut(p.Actor.Reference, "/"); ok && t == resourceType {
			return id
		}
	}
	return ""
}

// CancellationReason reads
// Appointment.extension[ExtCancellationReason].valueString, or "".
func (a *Appointment) CancellationReason() string {
	if e := FindExtension(a.Extension, ExtCancellationReason); e != nil {
		return e.ValueString
	}
	return ""
}

// BookingOrganization reads Appointment.extension[ExtBookingOrganisation]
// .valueReference and returns the Appointment.contained Organization it
// points at ("#id"), or nil.
func (a *Appointment) BookingOrganization() *Organization {
	e := FindExtension(a.Extension, ExtBookingOrganisation)
	if e == nil || e.ValueReference == nil || !strings.HasPrefix(e.ValueReference.Reference, "#") {
		return nil
	}
	want := strings.TrimPrefix(e.ValueReference.Reference, "#")
	for _, raw := range a.Contained {
		var o Organization
		if json.Unmarshal(raw, &o) == nil && o.ResourceType == "Organization" && o.ID == want {
			return &o
		}
	}
	return nil
}

// Bundle is an STU3 Bundle with raw entries, decoded on demand.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Meta         *Meta         `json:"meta,omitempty"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// BundleEntry is one entry of a Bundle.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *struct {
		Mode string `json:"mode,omitempty"`
	} `json:"search,omitempty"`
}

// ResourceType reads Bundle.entry.resource.resourceType, or "".
func (e BundleEntry) ResourceType() string {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	_ = json.Unmarshal(e.Resource, &head)
	return head.ResourceType
}

// OperationOutcome is an STU3 OperationOutcome.
type OperationOutcome struct {
	ResourceType string  `json:"resourceType"`
	Meta         *Meta   `json:"meta,omitempty"`
	Issue        []Issue `json:"issue"`
}

// Issue is one issue of an OperationOutcome.
type Issue struct {
	Severity    string           `json:"severity"`
	Code        string           `json:"code"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
}

// Parameters is an STU3 Parameters resource, as $gpc.getstructuredrecord
// takes it.
type Parameters struct {
	ResourceType string      `json:"resourceType"`
	Parameter    []Parameter `json:"parameter,omitempty"`
}

// Parameter is one (possibly nested) parameter.
type Parameter struct {
	Name             string          `json:"name"`
	ValueBoolean     *bool           `json:"valueBoolean,omitempty"`
	ValuePositiveInt *int            `json:"valuePositiveInt,omitempty"`
	ValuePeriod      *Period         `json:"valuePeriod,omitempty"`
	ValueDate        string          `json:"valueDate,omitempty"`
	ValueCode        string          `json:"valueCode,omitempty"`
	ValueIdentifier  *Identifier     `json:"valueIdentifier,omitempty"`
	Resource         json.RawMessage `json:"resource,omitempty"`
	Part             []Parameter     `json:"part,omitempty"`
}

// Get returns the first top-level parameter called name, or nil.
func (p *Parameters) Get(name string) *Parameter {
	for i := range p.Parameter {
		if p.Parameter[i].Name == name {
			return &p.Parameter[i]
		}
	}
	return nil
}

// PartNamed returns the first part called name, or nil.
func (p *Parameter) PartNamed(name string) *Parameter {
	for i := range p.Part {
		if p.Part[i].Name == name {
			return &p.Part[i]
		}
	}
	return nil
}
