package hl7v2

import (
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// Typed views over the segments NHS feeds use. Each is the Segment it
// reads from; accessors return unescaped values (""
// when absent) and never allocate unless a value needs unescaping.

// Time reads field n as a DTM, in London when it has no offset.
func (s Segment) Time(n int) (time.Time, Precision, error) {
	return ParseDTM(s.Field(n), London)
}

// XCN is an extended composite id and name for persons (a clinician):
// XCN-1 id, 2 family name, 3 given name, 4 second names, 5 suffix, 6
// prefix, 7 degree (e.g. MD, FRCP), 9 assigning authority.
type XCN struct{ ID, Family, Given, Middle, Suffix, Prefix, Degree, AssigningAuthority string }

// XCN reads repetition rep of field n as an XCN.
func (s Segment) XCN(n, rep int) XCN {
	return XCN{ID: s.Get(n, rep, 1, 1), Family: s.Get(n, rep, 2, 1), Given: s.Get(n, rep, 3, 1), Middle: s.Get(n, rep, 4, 1),
		Suffix: s.Get(n, rep, 5, 1), Prefix: s.Get(n, rep, 6, 1), Degree: s.Get(n, rep, 7, 1), AssigningAuthority: s.Get(n, rep, 9, 1)}
}

// PL is a person location (PV1-3 assigned, PV1-6 prior, PV1-11
// temporary): PL-1 point of care, 2 room, 3 bed, 4 facility, 5 location
// status, 6 person location type, 7 building, 8 floor, 9 description.
type PL struct{ PointOfCare, Room, Bed, Facility, Status, Type, Building, Floor, Description string }

// PL reads repetition rep of field n as a PL.
func (s Segment) PL(n, rep int) PL {
	return PL{PointOfCare: s.Get(n, rep, 1, 1), Room: s.Get(n, rep, 2, 1), Bed: s.Get(n, rep, 3, 1), Facility: s.Get(n, rep, 4, 1),
		Status: s.Get(n, rep, 5, 1), Type: s.Get(n, rep, 6, 1), Building: s.Get(n, rep, 7, 1), Floor: s.Get(n, rep, 8, 1), Description: s.Get(n, rep, 9, 1)}
}

// CX is an extended composite identifier (PID-3, MRG-1, PV1-19).
type CX struct{ ID, AssigningAuthority, TypeCode, AssigningFacility string }

// CX reads repetition rep of field n as a CX.
func (s Segment) CX(n, rep int) CX {
	return CX{ID: s.Get(n, rep, 1, 1), AssigningAuthority: s.Get(n, rep, 4, 1), TypeCode: s.Get(n, rep, 5, 1), AssigningFacility: s.Get(n, rep, 6, 1)}
}

// CWE is a coded element (CE/CWE): code, text, coding system.
type CWE struct{ Code, Text, System, AltCode, AltText, AltSystem string }

// CWE reads repetition rep of field n as a CWE.
func (s Segment) CWE(n, rep int) CWE {
	return CWE{Code: s.Get(n, rep, 1, 1), Text: s.Get(n, rep, 2, 1), System: s.Get(n, rep, 3, 1), AltCode: s.Get(n, rep, 4, 1), AltText: s.Get(n, rep, 5, 1), AltSystem: s.Get(n, rep, 6, 1)}
}

// XPN is a person name.
type XPN struct{ Family, Given, Middle, Suffix, Prefix, Use string }

// XPN reads repetition rep of field n as an XPN.
func (s Segment) XPN(n, rep int) XPN {
	return XPN{Family: s.Get(n, rep, 1, 1), Given: s.Get(n, rep, 2, 1), Middle: s.Get(n, rep, 3, 1), Suffix: s.Get(n, rep, 4, 1), Prefix: s.Get(n, rep, 5, 1), Use: s.Get(n, rep, 7, 1)}
}

// XAD is an address.
type XAD struct{ Street, Other, City, State, Postcode, Country, Type string }

// XAD reads repetition rep of field n as an XAD.
func (s Segment) XAD(n, rep int) XAD {
	return XAD{Street: s.Get(n, rep, 1, 1), Other: s.Get(n, rep, 2, 1), City: s.Get(n, rep, 3, 1), State: s.Get(n, rep, 4, 1), Postcode: s.Get(n, rep, 5, 1), Country: s.Get(n, rep, 6, 1), Type: s.Get(n, rep, 7, 1)}
}

// XTN is a telecom number: the number (XTN-1, or XTN-12 in v2.5+),
// use code and equipment type.
type XTN struct{ Number, Use, Equipment, Email string }

// XTN reads repetition rep of field n as an XTN.
func (s Segment) XTN(n, rep int) XTN {
	x := XTN{Number: s.Get(n, rep, 1, 1), Use: s.Get(n, rep, 2, 1), Equipment: s.Get(n, rep, 3, 1), Email: s.Get(n, rep, 4, 1)}
	if x.Number == "" {
		x.Number = s.Get(n, rep, 12, 1)
	}
	return x
}

// MSH is the message header.
type MSH struct{ Segment }

// MSH returns the header segment.
func (m *Message) MSH() MSH { s, _ := m.First("MSH"); return MSH{s} }

// SendingApplication is MSH-3.
func (h MSH) SendingApplication() string { return h.Field(3) }

// SendingFacility is MSH-4.
func (h MSH) SendingFacility() string { return h.Field(4) }

// ReceivingApplication is MSH-5.
func (h MSH) ReceivingApplication() string { return h.Field(5) }

// ReceivingFacility is MSH-6.
func (h MSH) ReceivingFacility() string { return h.Field(6) }

// MessageCode is MSH-9.1.
func (h MSH) MessageCode() string { return h.Get(9, 1, 1, 1) }

// TriggerEvent is MSH-9.2.
func (h MSH) TriggerEvent() string { return h.Get(9, 1, 2, 1) }

// MessageStructure is MSH-9.3.
func (h MSH) MessageStructure() string { return h.Get(9, 1, 3, 1) }

// ControlID is MSH-10.
func (h MSH) ControlID() string { return h.Field(10) }

// ProcessingID is MSH-11.
func (h MSH) ProcessingID() string { return h.Field(11) }

// Version is MSH-12.
func (h MSH) Version() string { return h.Field(12) }

// AcceptAckType is MSH-15.
func (h MSH) AcceptAckType() string { return h.Field(15) }

// ApplicationAckType is MSH-16.
func (h MSH) ApplicationAckType() string { return h.Field(16) }

// CountryCode is MSH-17.
func (h MSH) CountryCode() string { return h.Field(17) }

// CharacterSet is MSH-18.
func (h MSH) CharacterSet() string { return h.Field(18) }

// Timestamp is MSH-7.
func (h MSH) Timestamp() (time.Time, Precision, error) { return h.Time(7) }

// EVN is the event type segment.
type EVN struct{ Segment }

// EVN returns the first EVN segment.
func (m *Message) EVN() (EVN, bool) { s, ok := m.First("EVN"); return EVN{s}, ok }

// EventType is EVN-1.
func (e EVN) EventType() string { return e.Field(1) }

// ReasonCode is EVN-4.
func (e EVN) ReasonCode() CWE { return e.CWE(4, 1) }

// Recorded is EVN-2 as a time with its precision.
func (e EVN) Recorded() (time.Time, Precision, error) { return e.Time(2) }

// Operator is EVN-5 (the first repetition).
func (e EVN) Operator() XCN { return e.XCN(5, 1) }

// EventOccurred is EVN-6 as a time with its precision.
func (e EVN) EventOccurred() (time.Time, Precision, error) { return e.Time(6) }

// PID is the patient identification segment.
type PID struct{ Segment }

// PID returns the first PID segment.
func (m *Message) PID() (PID, bool) { s, ok := m.First("PID"); return PID{s}, ok }

// Identifiers returns every PID-3 repetition.
func (p PID) Identifiers() []CX {
	n := p.Repetitions(3)
	out := make([]CX, 0, n)
	for r := 1; r <= n; r++ {
		out = append(out, p.CX(3, r))
	}
	return out
}

// NHSNumber returns the PID-3 identifier whose assigning authority is NHS
// (the ITK form 9990000018^^^NHS^NH and the older ^^^NHS), or "". It
// returns the digits as written, unchecked: call Valid on the result. Like
// every nhsid.NHSNumber it prints masked.
func (p PID) NHSNumber() nhsid.NHSNumber {
	for r := 1; r <= p.Repetitions(3); r++ {
		if cx := p.CX(3, r); cx.AssigningAuthority == "NHS" && (cx.TypeCode == "NH" || cx.TypeCode == "") {
			return nhsid.NHSNumber(cx.ID)
		}
	}
	return ""
}

// Name is PID-5 (the first repetition).
func (p PID) Name() XPN { return p.XPN(5, 1) }

// Names counts the repetitions of PID-5.
func (p PID) Names() int { return p.Repetitions(5) }

// BirthDate is PID-7 as a time with its precision.
func (p PID) BirthDate() (time.Time, Precision, error) { return p.Time(7) }

// Sex is PID-8.
func (p PID) Sex() string { return p.Field(8) }

// Address is PID-11 (the first repetition).
func (p PID) Address() XAD { return p.XAD(11, 1) }

// HomePhone is PID-13, repetition rep.
func (p PID) HomePhone(rep int) XTN { return p.XTN(13, rep) }

// BusinessPhone is PID-14, repetition rep.
func (p PID) BusinessPhone(rep int) XTN { return p.XTN(14, rep) }

// MaritalStatus is PID-16.
func (p PID) MaritalStatus() string { return p.Field(16) }

// EthnicGroup is PID-22.
func (p PID) EthnicGroup() string { return p.Field(22) }

// DeathDate is PID-29 as a time with its precision.
func (p PID) DeathDate() (time.Time, Precision, error) { return p.Time(29) }

// DeathIndicator is PID-30.
func (p PID) DeathIndicator() string { return p.Field(30) }

// TraceStatus is PID-32.
func (p PID) TraceStatus() string { return p.Field(32) }

// LastUpdated is PID-33 as a time with its precision.
func (p PID) LastUpdated() (time.Time, Precision, error) { return p.Time(33) }

// PD1 is the additional demographics segment; NHS feeds carry the
// registered GP practice (PD1-3) and GP (PD1-4).
type PD1 struct{ Segment }

// PD1 returns the first PD1 segment.
func (m *Message) PD1() (PD1, bool) { s, ok := m.First("PD1"); return PD1{s}, ok }

// PracticeODS is the registered practice's ODS code (PD1-3.3).
func (p PD1) PracticeODS() string { return p.Get(3, 1, 3, 1) }

// PracticeName is PD1-3.1.
func (p PD1) PracticeName() string { return p.Get(3, 1, 1, 1) }

// GP is PD1-4 (the first repetition).
func (p PD1) GP() XCN { return p.XCN(4, 1) }

// NK1 is a next of kin.
type NK1 struct{ Segment }

// NK1s returns every NK1 segment.
func (m *Message) NK1s() []NK1 {
	segs := m.SegmentsNamed("NK1")
	out := make([]NK1, len(segs))
	for i, s := range segs {
		out[i] = NK1{s}
	}
	return out
}

// Name is NK1-2 (the first repetition).
func (k NK1) Name() XPN { return k.XPN(2, 1) }

// Relationship is NK1-3.
func (k NK1) Relationship() CWE { return k.CWE(3, 1) }

// Address is NK1-4 (the first repetition).
func (k NK1) Address() XAD { return k.XAD(4, 1) }

// Phone is NK1-5.
func (k NK1) Phone() XTN { return k.XTN(5, 1) }

// PV1 is the patient visit segment.
type PV1 struct{ Segment }

// PV1 returns the first PV1 segment.
func (m *Message) PV1() (PV1, bool) { s, ok := m.First("PV1"); return PV1{s}, ok }

// PatientClass is PV1-2.
func (v PV1) PatientClass() string { return v.Field(2) }

// PointOfCare is PV1-3.1.
func (v PV1) PointOfCare() string { return v.Get(3, 1, 1, 1) }

// Room is PV1-3.2.
func (v PV1) Room() string { return v.Get(3, 1, 2, 1) }

// Bed is PV1-3.3.
func (v PV1) Bed() string { return v.Get(3, 1, 3, 1) }

// Facility is PV1-3.4.
func (v PV1) Facility() string { return v.Get(3, 1, 4, 1) }

// AssignedLocation is PV1-3.
func (v PV1) AssignedLocation() PL { return v.PL(3, 1) }

// PriorLocation is PV1-6.
func (v PV1) PriorLocation() PL { return v.PL(6, 1) }

// TemporaryLocation is PV1-11.
func (v PV1) TemporaryLocation() PL { return v.PL(11, 1) }

// ServicingFacility is PV1-39.1.
func (v PV1) ServicingFacility() string { return v.Get(39, 1, 1, 1) }

// AdmissionType is PV1-4.
func (v PV1) AdmissionType() string { return v.Field(4) }

// Attending is PV1-7 (the first repetition).
func (v PV1) Attending() XCN { return v.XCN(7, 1) }

// Referring is PV1-8 (the first repetition).
func (v PV1) Referring() XCN { return v.XCN(8, 1) }

// Consulting is PV1-9 (the first repetition).
func (v PV1) Consulting() XCN { return v.XCN(9, 1) }

// HospitalService is PV1-10.
func (v PV1) HospitalService() string { return v.Field(10) }

// AdmitSource is PV1-14.
func (v PV1) AdmitSource() string { return v.Field(14) }

// VisitNumber is PV1-19.
func (v PV1) VisitNumber() CX { return v.CX(19, 1) }

// DischargeDisposition is PV1-36.
func (v PV1) DischargeDisposition() string { return v.Field(36) }

// DischargedTo is PV1-37.
func (v PV1) DischargedTo() string { return v.Field(37) }

// Admitted is PV1-44 as a time with its precision.
func (v PV1) Admitted() (time.Time, Precision, error) { return v.Time(44) }

// Discharged is PV1-45 as a time with its precision.
func (v PV1) Discharged() (time.Time, Precision, error) { return v.Time(45) }

// PV2 is additional visit information.
type PV2 struct{ Segment }

// PV2 returns the first PV2 segment.
func (m *Message) PV2() (PV2, bool) { s, ok := m.First("PV2"); return PV2{s}, ok }

// AdmitReason is PV2-3.
func (v PV2) AdmitReason() CWE { return v.CWE(3, 1) }

// ExpectedAdmit is PV2-8 as a time with its precision.
func (v PV2) ExpectedAdmit() (time.Time, Precision, error) { return v.Time(8) }

// ExpectedDischarge is PV2-9 as a time with its precision.
func (v PV2) ExpectedDischarge() (time.Time, Precision, error) { return v.Time(9) }

// AL1 is an allergy.
type AL1 struct{ Segment }

// AL1s returns every AL1 segment.
func (m *Message) AL1s() []AL1 {
	segs := m.SegmentsNamed("AL1")
	out := make([]AL1, len(segs))
	for i, s := range segs {
		out[i] = AL1{s}
	}
	return out
}

// Type is AL1-2.
func (a AL1) Type() string { return a.Field(2) }

// Allergen is AL1-3.
func (a AL1) Allergen() CWE { return a.CWE(3, 1) }

// Severity is AL1-4.
func (a AL1) Severity() string { return a.Field(4) }

// Reaction is AL1-5.
func (a AL1) Reaction() string { return a.Field(5) }

// DG1 is a diagnosis.
type DG1 struct{ Segment }

// DG1s returns every DG1 segment.
func (m *Message) DG1s() []DG1 {
	segs := m.SegmentsNamed("DG1")
	out := make([]DG1, len(segs))
	for i, s := range segs {
		out[i] = DG1{s}
	}
	return out
}

// Code is DG1-3.
func (d DG1) Code() CWE { return d.CWE(3, 1) }

// Type is DG1-6.
func (d DG1) Type() string { return d.Field(6) }

// ORC is a common order.
type ORC struct{ Segment }

// ORC returns the first ORC segment.
func (m *Message) ORC() (ORC, bool) { s, ok := m.First("ORC"); return ORC{s}, ok }

// Control is ORC-1.
func (o ORC) Control() string { return o.Field(1) }

// PlacerOrder is ORC-2.
func (o ORC) PlacerOrder() string { return o.Field(2) }

// FillerOrder is ORC-3.
func (o ORC) FillerOrder() string { return o.Field(3) }

// Status is ORC-5.
func (o ORC) Status() string { return o.Field(5) }

// OrderingProvider is ORC-12 (the first repetition).
func (o ORC) OrderingProvider() XCN { return o.XCN(12, 1) }

// OBR is an observation request (the report header of an ORU).
type OBR struct{ Segment }

// OBRs returns every OBR segment.
func (m *Message) OBRs() []OBR {
	segs := m.SegmentsNamed("OBR")
	out := make([]OBR, len(segs))
	for i, s := range segs {
		out[i] = OBR{s}
	}
	return out
}

// PlacerOrder is OBR-2.
func (o OBR) PlacerOrder() string { return o.Field(2) }

// FillerOrder is OBR-3.
func (o OBR) FillerOrder() string { return o.Field(3) }

// Service is OBR-4.
func (o OBR) Service() CWE { return o.CWE(4, 1) }

// Observed is OBR-7 as a time with its precision.
func (o OBR) Observed() (time.Time, Precision, error) { return o.Time(7) }

// OrderingProvider is OBR-16 (the first repetition).
func (o OBR) OrderingProvider() XCN { return o.XCN(16, 1) }

// ResultsReported is OBR-22 as a time with its precision.
func (o OBR) ResultsReported() (time.Time, Precision, error) { return o.Time(22) }

// DiagnosticService is OBR-24.
func (o OBR) DiagnosticService() string { return o.Field(24) }

// ResultStatus is OBR-25.
func (o OBR) ResultStatus() string { return o.Field(25) }

// OBX is one observation.
type OBX struct{ Segment }

// OBXs returns every OBX segment.
func (m *Message) OBXs() []OBX {
	segs := m.SegmentsNamed("OBX")
	out := make([]OBX, len(segs))
	for i, s := range segs {
		out[i] = OBX{s}
	}
	return out
}

// SetID is OBX-1.
func (o OBX) SetID() string { return o.Field(1) }

// ValueType is OBX-2.
func (o OBX) ValueType() string { return o.Field(2) }

// Identifier is OBX-3.
func (o OBX) Identifier() CWE { return o.CWE(3, 1) }

// SubID is OBX-4.
func (o OBX) SubID() string { return o.Field(4) }

// Units is OBX-6.
func (o OBX) Units() CWE { return o.CWE(6, 1) }

// ReferenceRange is OBX-7.
func (o OBX) ReferenceRange() string { return o.Field(7) }

// Status is OBX-11.
func (o OBX) Status() string { return o.Field(11) }

// Value returns OBX-5's repetition rep as text. For coded values (CE, CWE)
// it is the code; use CodedValue for the rest.
func (o OBX) Value(rep int) string { return o.Get(5, rep, 1, 1) }

// ValueCount is how many repetitions OBX-5 has.
func (o OBX) ValueCount() int { return o.Repetitions(5) }

// CodedValue reads OBX-5's repetition rep as a CWE.
func (o OBX) CodedValue(rep int) CWE { return o.CWE(5, rep) }

// RawValue returns OBX-5 exactly as written, for values (base64 ED,
// formatted text) the caller decodes itself.
func (o OBX) RawValue() string { return o.RawField(5) }

// AbnormalFlags returns OBX-8's repetitions.
func (o OBX) AbnormalFlags() []string {
	n := o.Repetitions(8)
	out := make([]string, 0, n)
	for r := 1; r <= n; r++ {
		out = append(out, o.Get(8, r, 1, 1))
	}
	return out
}

// Observed is OBX-14 as a time with its precision.
func (o OBX) Observed() (time.Time, Precision, error) { return o.Time(14) }

// NTE is a note.
type NTE struct{ Segment }

// Comment is NTE-3.
func (n NTE) Comment() string { return n.Field(3) }

// NTEs returns every NTE segment.
func (m *Message) NTEs() []NTE {
	segs := m.SegmentsNamed("NTE")
	out := make([]NTE, len(segs))
	for i, s := range segs {
		out[i] = NTE{s}
	}
	return out
}

// MRG is the merge segment of A34/A40: the identifiers being retired.
type MRG struct{ Segment }

// MRG returns the first MRG segment.
func (m *Message) MRG() (MRG, bool) { s, ok := m.First("MRG"); return MRG{s}, ok }

// PriorIdentifiers returns every MRG-1 repetition.
func (g MRG) PriorIdentifiers() []CX {
	n := g.Repetitions(1)
	out := make([]CX, 0, n)
	for r := 1; r <= n; r++ {
		out = append(out, g.CX(1, r))
	}
	return out
}

// PriorVisit is MRG-5.
func (g MRG) PriorVisit() CX { return g.CX(5, 1) }

// MSA is the acknowledgement segment.
type MSA struct{ Segment }

// MSA returns the first MSA segment.
func (m *Message) MSA() (MSA, bool) { s, ok := m.First("MSA"); return MSA{s}, ok }

// Code is MSA-1.
func (a MSA) Code() string { return a.Field(1) }

// ControlID is MSA-2.
func (a MSA) ControlID() string { return a.Field(2) }

// Text is MSA-3.
func (a MSA) Text() string { return a.Field(3) }

// ERR is an error segment.
type ERR struct{ Segment }

// ERRs returns every ERR segment.
func (m *Message) ERRs() []ERR {
	segs := m.SegmentsNamed("ERR")
	out := make([]ERR, len(segs))
	for i, s := range segs {
		out[i] = ERR{s}
	}
	return out
}

// Location is where the error is: ERR-2 (v2.5+: segment, sequence,
// field) or, in a message before v2.5, ERR-1 (ELD: segment, sequence,
// field, code&text), as "PID-3"; "" when neither is sent.
func (e ERR) Location() string {
	seg, field := e.Get(2, 1, 1, 1), e.Get(2, 1, 3, 1)
	if seg == "" {
		seg, field = e.Get(1, 1, 1, 1), e.Get(1, 1, 3, 1)
	}
	if seg == "" {
		return ""
	}
	if field == "" {
		return seg
	}
	return seg + "-" + field
}

// LegacyCode is the error code of ERR-1 (ELD-4, HL7 table 0357) in a
// message before v2.5: code and text.
func (e ERR) LegacyCode() CWE {
	return CWE{Code: e.Get(1, 1, 4, 1), Text: e.Get(1, 1, 4, 2), System: e.Get(1, 1, 4, 3)}
}

// Code is ERR-3.
func (e ERR) Code() CWE { return e.CWE(3, 1) }

// Severity is ERR-4.
func (e ERR) Severity() string { return e.Field(4) }

// Diagnostic is ERR-8.
func (e ERR) Diagnostic() string { return e.Field(8) }

// SPM is a specimen (v2.5+).
type SPM struct{ Segment }

// ID is SPM-2.1.
func (s SPM) ID() string { return s.Get(2, 1, 1, 1) }

// Type is SPM-4.
func (s SPM) Type() CWE { return s.CWE(4, 1) }

// Collected is SPM-17 as a time with its precision.
func (s SPM) Collected() (time.Time, Precision, error) { return s.Time(17) }

// Received is SPM-18 as a time with its precision.
func (s SPM) Received() (time.Time, Precision, error) { return s.Time(18) }

// IsNull reports whether a value is HL7's explicit null, `""`: the sender
// says the value is to be deleted, which is not the same as sending no
// value at all (empty).
func IsNull(v string) bool { return v == `""` }
