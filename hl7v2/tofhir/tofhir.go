package tofhir

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// Sentinel errors, wrapped by *Error.
var (
	ErrUnsupported = errors.New("message type not supported")
	ErrMissing     = errors.New("required segment or field missing")
)

// Error says why a message could not be converted and where.
type Error struct {
	Path string // HL7 v2 path, e.g. "MSH-9" or "PID"
	Err  error
}

func (e *Error) Error() string { return "tofhir: " + e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Unmapped reports a value that was not mapped to a coded FHIR value, so
// that nothing is dropped silently: the value was kept as text (or without a
// system) and the caller can extend the Mapping.
type Unmapped struct {
	Path   string // HL7 v2 path, e.g. "PID-16" or "OBX[3]-6"
	Value  string // the value as sent; never an identifier or a name
	Reason string
}

// Result is a converted message.
type Result struct {
	// Bundle is a transaction: the Patient as a conditional update by NHS
	// number (or by local identifier), Encounter, DiagnosticReport and
	// Observations as conditional creates, all linked by urn:uuid fullUrls.
	Bundle *fhir.Bundle
	// Patient is the (first) patient; an ORU^R01 may carry several, one
	// per PID, all in Patients.
	Patient          *fhir.Patient
	Patients         []*fhir.Patient
	Encounter        *fhir.Encounter          // ADT with a PV1
	DiagnosticReport []*fhir.DiagnosticReport // ORU, one per OBR
	Observations     []*fhir.Observation
	Specimens        []*fhir.Specimen // ORU, one per SPM
	// Appointment is an SIU's appointment (every trigger but S23 and
	// S24); Slot and Schedule are an S23's or S24's blocked or opened
	// slot and the schedule it is in.
	Appointment *fhir.Appointment
	Slot        *fhir.Slot
	Schedule    *fhir.Schedule
	// PatientPresence says, per Patient element ("name", "gender",
	// "telecom", "generalPractitioner", "extension:ethnicCategory" …),
	// whether the message sent it, cleared it with "" or left it empty:
	// what ApplyPatientUpdate needs to update a record with care.
	PatientPresence map[string]Presence
	// Unmapped lists what was kept without a coded mapping.
	Unmapped []Unmapped
}

// Mapping holds the tables a conversion uses. Start from DefaultMapping and
// add a trust's local systems.
type Mapping struct {
	// IdentifierSystems maps a CX assigning authority (PID-3.4, PV1-19.4)
	// to an identifier system URI; "NHS" maps to the NHS number system.
	// Identifiers of other authorities keep the authority as an assigner
	// (Organization by ODS code) and are reported.
	IdentifierSystems map[string]string
	// VisitNumberSystems maps the assigning authority of PV1-19 to a
	// system for Encounter.identifier.
	VisitNumberSystems map[string]string
	// CodeSystems maps HL7 v2 coding system names (CWE-3: "SCT", "I10",
	// "LN", or a lab's local name) to FHIR code system URIs.
	CodeSystems map[string]string
	// Units maps units as labs send them to UCUM codes; units already in
	// UCUM form need no entry (see UCUMUnits).
	Units map[string]string
	// AppointmentSystems maps the namespace of an SIU's appointment ids
	// (SCH-1.2, SCH-2.2) to an identifier system; with one the
	// Appointment or Slot is a conditional update by the filler's id.
	AppointmentSystems map[string]string
	// ScheduleSystems maps the coding system of SCH-5 (schedule id) to an
	// identifier system, so an S23 or S24 creates its Schedule once.
	ScheduleSystems map[string]string
	// Location is the time zone of HL7 v2 times sent without an offset.
	Location *time.Location

	// Tables from HL7 v2 codes to FHIR codes; entries given here add to
	// or override the defaults (doc.go lists their sources).
	Genders           map[string]string    // PID-8 (table 0001, NHS 0/1/2/9) to administrative-gender
	NameUses          map[string]string    // XPN-7 (table 0200) to HumanName.use
	EncounterClasses  map[string][2]string // PV1-2 (table 0004) to v3 ActCode code and display
	ObservationStatus map[string]string    // OBX-11 (table 0085) to Observation.status
	ReportStatus      map[string]string    // OBR-25 (table 0123) to DiagnosticReport.status
	Interpretations   map[string]string    // OBX-8 (table 0078) to a v3 ObservationInterpretation display
	AppointmentStatus map[string]string    // SCH-25 (table 0278) to Appointment.status
}

// DefaultMapping returns the NHS defaults (see doc.go for the sources).
func DefaultMapping() Mapping {
	return Mapping{
		IdentifierSystems:  map[string]string{"NHS": fhir.NHSNumberSystem},
		VisitNumberSystems: map[string]string{},
		CodeSystems: map[string]string{
			"SCT":     "http://snomed.info/sct",
			"SNM":     "http://snomed.info/sct",
			"LN":      "http://loinc.org",
			"I10":     "http://hl7.org/fhir/sid/icd-10",
			"I10UK":   "http://hl7.org/fhir/sid/icd-10-uk",
			"OPCS4":   "http://fhir.nhs.uk/CodeSystem/OPCS-4",
			"UCUM":    "http://unitsofmeasure.org",
			"HL70078": "http://terminology.hl7.org/CodeSystem/v2-0078",
		},
		Units:              map[string]string{},
		AppointmentSystems: map[string]string{},
		ScheduleSystems:    map[string]string{},
		AppointmentStatus:  maps.Clone(appointmentStatus),
		Location:           hl7v2.London,
		Genders:            maps.Clone(genders),
		NameUses:           maps.Clone(nameUses),
		EncounterClasses:   maps.Clone(encounterClass),
		ObservationStatus:  maps.Clone(observationStatus),
		ReportStatus:       maps.Clone(reportStatus),
		Interpretations:    maps.Clone(interpretation),
	}
}

// Converter converts messages with one Mapping. It is safe for concurrent
// use once built.
type Converter struct{ m Mapping }

// New returns a converter; a nil or partial mapping is completed from
// DefaultMapping.
func New(m *Mapping) *Converter {
	d := DefaultMapping()
	if m != nil {
		for k, v := range m.IdentifierSystems {
			d.IdentifierSystems[k] = v
		}
		for k, v := range m.VisitNumberSystems {
			d.VisitNumberSystems[k] = v
		}
		for k, v := range m.CodeSystems {
			d.CodeSystems[k] = v
		}
		for k, v := range m.Units {
			d.Units[k] = v
		}
		maps.Copy(d.Genders, m.Genders)
		maps.Copy(d.NameUses, m.NameUses)
		maps.Copy(d.EncounterClasses, m.EncounterClasses)
		maps.Copy(d.ObservationStatus, m.ObservationStatus)
		maps.Copy(d.ReportStatus, m.ReportStatus)
		maps.Copy(d.Interpretations, m.Interpretations)
		maps.Copy(d.AppointmentSystems, m.AppointmentSystems)
		maps.Copy(d.ScheduleSystems, m.ScheduleSystems)
		maps.Copy(d.AppointmentStatus, m.AppointmentStatus)
		if m.Location != nil {
			d.Location = m.Location
		}
	}
	return &Converter{m: d}
}

// Convert converts a message with DefaultMapping.
func Convert(msg *hl7v2.Message) (*Result, error) { return New(nil).Convert(msg) }

type conv struct {
	*Converter
	msg *hl7v2.Message
	res *Result
}

func (c *conv) unmapped(path, value, reason string) {
	c.res.Unmapped = append(c.res.Unmapped, Unmapped{Path: path, Value: value, Reason: reason})
}

// Convert turns an ADT (A01 to A13, A28, A31, A34, A40), ORU^R01
// or SIU (S12 to S24, S26) message into UK Core resources in a transaction Bundle.
func (cv *Converter) Convert(msg *hl7v2.Message) (*Result, error) {
	h := msg.MSH()
	code, trigger := h.MessageCode(), h.TriggerEvent()
	c := &conv{Converter: cv, msg: msg, res: &Result{Bundle: fhir.NewTransaction()}}
	if code == "SIU" {
		return c.siu()
	}
	pid, ok := msg.PID()
	if !ok {
		return nil, &Error{Path: "PID", Err: ErrMissing}
	}
	switch {
	case code == "ADT" && trigger == "A34", code == "ADT" && trigger == "A40":
		return c.merge(pid)
	case code == "ADT":
		switch trigger {
		case "A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10", "A11", "A12", "A13", "A28", "A31":
		default:
			return nil, &Error{Path: "MSH-9", Err: fmt.Errorf("%w: ADT^%s", ErrUnsupported, trigger)}
		}
		var pd1 *hl7v2.PD1
		if s, ok := msg.PD1(); ok {
			pd1 = &s
		}
		patientRef, err := c.patient(pid, pd1)
		if err != nil {
			return nil, err
		}
		mapped := adtSegments
		if trigger != "A28" && trigger != "A31" {
			if pv1, ok := msg.PV1(); ok {
				c.encounter(pv1, trigger, patientRef)
			}
		} else {
			mapped = personSegments
		}
		c.unmappedSegments(mapped)
		return c.res, nil
	case code == "ORU" && trigger == "R01":
		if err := c.oru(); err != nil {
			return nil, err
		}
		c.unmappedSegments(oruSegments)
		return c.res, nil
	}
	return nil, &Error{Path: "MSH-9", Err: fmt.Errorf("%w: %s^%s", ErrUnsupported, code, trigger)}
}

// The segments each conversion reads; every other segment is listed in
// Result.Unmapped, so that nothing is dropped without saying so.
var (
	adtSegments    = map[string]bool{"MSH": true, "EVN": true, "PID": true, "PD1": true, "PV1": true}
	personSegments = map[string]bool{"MSH": true, "EVN": true, "PID": true, "PD1": true}
	mergeSegments  = map[string]bool{"MSH": true, "EVN": true, "PID": true, "PD1": true, "MRG": true}
	oruSegments    = map[string]bool{"MSH": true, "PID": true, "PD1": true, "ORC": true, "OBR": true, "OBX": true, "NTE": true, "SPM": true}
)

// The fields each segment's conversion reads (or that only carry the
// message's structure, like set ids); any other field that has a value is
// listed in Result.Unmapped by path, without its value, since it may be an
// identifier or a name.
var mappedFields = map[string]map[int]bool{
	"PID": set(1, 3, 5, 7, 8, 11, 13, 14, 16, 22, 29, 30, 32),
	"PD1": set(3, 4),
	"PV1": set(1, 2, 3, 4, 6, 7, 8, 9, 10, 14, 19, 36, 37, 44, 45),
	"MRG": set(1),
	"ORC": set(1, 2, 3, 5),
	"OBR": set(1, 2, 3, 4, 7, 22, 24, 25),
	"OBX": set(1, 2, 3, 4, 5, 6, 7, 8, 11, 14),
	"NTE": set(1, 3),
	"SPM": set(1, 2, 4, 17, 18),
	"SCH": set(1, 2, 5, 6, 7, 9, 10, 11, 25),
	"TQ1": set(1, 6, 7, 8),
	"RGS": set(1, 2),
	"AIS": set(1, 2, 3, 4, 7, 8, 10),
	"AIG": set(1, 2, 3, 8, 11, 12, 14),
	"AIL": set(1, 2, 3, 6, 9, 10, 12),
	"AIP": set(1, 2, 3, 6, 9, 10, 12),
}

func set(ns ...int) map[int]bool {
	m := make(map[int]bool, len(ns))
	for _, n := range ns {
		m[n] = true
	}
	return m
}

// unmappedFields reports the valued fields of seg that no conversion
// reads; path names the segment ("PID", "OBX[3]").
func (c *conv) unmappedFields(seg hl7v2.Segment, path string) {
	mapped, ok := mappedFields[seg.Name()]
	if !ok {
		return
	}
	for f := 1; f <= seg.NumFields(); f++ {
		if !mapped[f] && seg.RawField(f) != "" {
			c.unmapped(path+"-"+itoa(f), "", "field not mapped")
		}
	}
}

// unmappedSegments reports each segment the conversion does not read, and
// each valued field it does not read in the segments it does.
func (c *conv) unmappedSegments(mapped map[string]bool) {
	seen := map[string]int{}
	for _, s := range c.msg.Segments() {
		n := s.Name()
		seen[n]++
		if !mapped[n] {
			c.unmapped(n+"["+itoa(seen[n])+"]", "", "segment not mapped")
			continue
		}
		path := n
		if seen[n] > 1 {
			path += "[" + itoa(seen[n]) + "]"
		}
		c.unmappedFields(s, path)
	}
}

func str(s string) fhir.String { return fhir.String{Value: s} }

// nv maps HL7's explicit null `""` to absence: the sender deletes the
// value, so it is not text, and the conditional update that carries the
// resource clears it.
func nv(s string) string {
	if hl7v2.IsNull(s) {
		return ""
	}
	return s
}

// nulls applies nv to every string field of a composite (CX, XCN, XPN,
// XAD, XTN, CWE).
func nulls[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	for i := range rv.NumField() {
		if f := rv.Field(i); f.Kind() == reflect.String && hl7v2.IsNull(f.String()) {
			f.SetString("")
		}
	}
	return v
}
func code(s string) fhir.Code { return fhir.Code{Value: s} }
func uri(s string) fhir.URI   { return fhir.URI{Value: s} }

func coding(system, c, display string) fhir.Coding {
	cd := fhir.Coding{System: uri(system), Code: code(c)}
	if display != "" {
		cd.Display = str(display)
	}
	return cd
}

func concept(system, c, display string) *fhir.CodeableConcept {
	return &fhir.CodeableConcept{Coding: []fhir.Coding{coding(system, c, display)}}
}

// dateTime converts an HL7 v2 DTM at its precision: a date stays a date, a
// time gets its offset (the mapping's zone when none was sent).
func (c *conv) dateTime(t time.Time, p hl7v2.Precision) fhir.DateTime {
	switch p {
	case hl7v2.PrecisionYear:
		return fhir.DateTime{Value: t.Format("2006")}
	case hl7v2.PrecisionMonth:
		return fhir.DateTime{Value: t.Format("2006-01")}
	case hl7v2.PrecisionDay:
		return fhir.DateTime{Value: t.Format("2006-01-02")}
	}
	return fhir.DateTime{Value: t.Format(time.RFC3339)}
}

func (c *conv) date(t time.Time, p hl7v2.Precision) fhir.Date {
	switch p {
	case hl7v2.PrecisionYear:
		return fhir.Date{Value: t.Format("2006")}
	case hl7v2.PrecisionMonth:
		return fhir.Date{Value: t.Format("2006-01")}
	}
	return fhir.Date{Value: t.Format("2006-01-02")}
}

// identifier maps a CX; ok is false for an empty one.
func (c *conv) identifier(cx hl7v2.CX, path string) (fhir.Identifier, bool) {
	cx = nulls(cx)
	if cx.ID == "" {
		return fhir.Identifier{}, false
	}
	id := fhir.Identifier{Value: str(cx.ID)}
	if sys, ok := c.m.IdentifierSystems[cx.AssigningAuthority]; ok {
		id.System = uri(sys)
		if sys == fhir.NHSNumberSystem {
			return id, true
		}
	} else {
		c.unmapped(path+".4", cx.AssigningAuthority, "no identifier system for this assigning authority; kept with the authority as assigner")
		if cx.AssigningAuthority != "" {
			id.Assigner = &fhir.Reference{Identifier: &fhir.Identifier{System: uri(fhir.ODSOrganizationCodeSystem), Value: str(cx.AssigningAuthority)}}
		}
	}
	if cx.TypeCode != "" {
		id.Type = concept("http://terminology.hl7.org/CodeSystem/v2-0203", cx.TypeCode, "")
		if cx.TypeCode == "MR" {
			id.Use = code("usual")
		}
	}
	return id, true
}

// practitioner maps an XCN to a logical reference by national code: GMC
// number for consultant codes (C + 7 digits), GMP number for GP codes
// (G + 7 digits), otherwise SDS user id when the authority says so.
func (c *conv) practitioner(x hl7v2.XCN, path string) *fhir.Reference {
	x = nulls(x)
	if x.ID == "" && x.Family == "" {
		return nil
	}
	ref := &fhir.Reference{Type: uri("Practitioner")}
	switch {
	case len(x.ID) == 8 && x.ID[0] == 'C' && allDigits(x.ID[1:]):
		ref.Identifier = &fhir.Identifier{System: uri(fhir.GMCNumberSystem), Value: str(x.ID[1:])}
	case len(x.ID) == 8 && x.ID[0] == 'G' && allDigits(x.ID[1:]):
		ref.Identifier = &fhir.Identifier{System: uri(fhir.GMPNumberSystem), Value: str(x.ID)}
	case x.ID != "" && x.AssigningAuthority == "SDS":
		ref.Identifier = &fhir.Identifier{System: uri(fhir.SDSUserIDSystem), Value: str(x.ID)}
	case x.ID != "":
		c.unmapped(path+".1", "", "clinician code is neither a consultant (C) nor a GP (G) national code; kept as display only")
	}
	name := strings.TrimSpace(strings.Join(nonEmpty(x.Prefix, x.Given, x.Family), " "))
	if name != "" {
		ref.Display = str(name)
	}
	return ref
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
