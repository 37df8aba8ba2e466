// Package tofhir converts HL7 v2 messages from a trust's feeds into UK Core
// FHIR R4 resources: ADT A01 to A13, A28 and A31 into a Patient and an
// Encounter, A34 and A40 (merge) into the
// update of the surviving Patient and the deactivation of the retired one,
// and ORU^R01, read by its structure, into one Patient per PID with its
// DiagnosticReports, Observations and Specimens, and SIU scheduling
// messages (S12 to S22 and S26) into a UK Core Appointment, S23 and S24
// into a Slot and its Schedule. The result is a
// transaction Bundle and a report of every value and segment that was not
// mapped, so that nothing is dropped silently.
//
// How each trigger lands on the server (FHIR R4 http.html, transaction and
// conditional update rules): the Patient is PUT Patient?identifier=<NHS
// number> (create or update), which suits a PAS that owns the record. Where
// other systems also write the Patient, an A08 or A31 should not replace it
// whole: HL7 v2 says an empty field leaves the value alone and "" deletes
// it, which Result.PatientPresence records per element and
// ApplyPatientUpdate applies to the record read from the server (to PUT
// back with If-Match). The Encounter is PUT
// Encounter?identifier=<visit number> on every trigger, so the A01 creates
// it and the A02 (new location, the prior one completed), A03 (finished),
// A08, A11 (entered-in-error), A12 and A13 (in-progress again) that follow
// change the same Encounter. Without a visit number system in the Mapping
// an Encounter cannot be matched: A01, A04 and A05 create one (and say
// so), other triggers leave it out and say so. A merge PATCHes the retired
// Patient?identifier=<old number> with a FHIRPath Patch (active=false,
// link replaced-by), leaving the rest of that record as it is. HL7's null
// "" maps to absence, which the conditional update clears.
//
// The Mapping holds the tables (identifier systems by assigning authority,
// code systems by HL7 coding system name, units); start from
// DefaultMapping and add a trust's local systems.
//
// # Facts relied on
//
//   - HL7 v2.4/2.5.1 tables: 0001 administrative sex (M F O U A N), 0002
//     marital status, 0004 patient class (I O E P R B), 0078 abnormal flags,
//     0085 observation result status (F C P R S I O X D W U), 0123 result
//     status, 0201 telecom use (PRN ORN WPN NET …), 0202 equipment type (PH
//     CP FX BP Internet), 0203 identifier type (MR, NH, VN), 0074 diagnostic
//     service section (HM, CH, MB …) — https://www.hl7.eu/HL7v2x/v251/.
//   - HL7 v2-to-FHIR mapping guidance (https://build.fhir.org/ig/HL7/v2-to-fhir/):
//     sex codes to administrative-gender, patient class to v3 ActCode
//     encounter classes (IMP, AMB, EMER, PRENC), OBX-8 to v3
//     ObservationInterpretation, OBX-11 to Observation.status, PV1-7/8/9 to
//     participants ATND, REF, CON (v3 ParticipationType).
//   - NHS (ITK HL7 v2 ADT specification, NHS Digital): PID-3 carries the NHS
//     number with authority NHS and type NH; PID-32 is the NHS number trace
//     status NSTS01–NSTS08, the same numbering as UK Core's
//     UKCore-NHSNumberVerificationStatusEngland (01–08); PID-8 may use the
//     NHS Data Dictionary person gender codes 0, 1, 2, 9; PD1-3 is the
//     registered practice with its ODS code in component 3, PD1-4 the GP by
//     GP national code (G + 7 digits, a GMP number); consultants are
//     identified by consultant code (C + the 7-digit GMC number).
//   - UK Core STU 2.0.0 (../shared/ukcore): the admission source binds to
//     UKCore-SourceOfAdmission (codes 19, 29, …), hospitalization.dischargeDisposition
//     to UKCore-DischargeDestination (two digits), the NHS discharge method
//     (one digit) is Extension-UKCore-DischargeMethod on the Encounter and
//     the admission method Extension-UKCore-AdmissionMethod on
//     hospitalization; the ethnic category codes of the NHS Data Dictionary
//     (A–H, J–P, R, S, Z, 99) go in Extension-UKCore-EthnicCategory.
//   - FHIR R4 fhirpatch.html: a FHIRPath Patch is a Parameters resource of
//     "operation" parts (type, path, name, value); "add" sets a
//     non-repeating element only when it is absent and "delete" of a path
//     that finds nothing does nothing, hence delete then add for
//     Patient.active.
//   - FHIR ConceptMap cm-name-use-v2 and the v2-to-FHIR table 0200 map:
//     XPN-7 name type L official, D usual, M maiden, N nickname, S
//     anonymous, TEMP temp, NOUSE and BAD old.
//   - HL7 v2.5.1 chapter 7 (https://www.hl7.eu/HL7v2x/v251/std251/ch07.html),
//     ORU_R01: { PATIENT_RESULT: [ PATIENT: PID [PD1] [{NTE}] [{NK1}]
//     [ VISIT: PV1 [PV2] ] ] { ORDER_OBSERVATION: [ORC] OBR [{NTE}]
//     [{TQ1 [{TQ2}]}] [CTD] [{ OBSERVATION: OBX [{NTE}] }] [{FT1}] [{CTI}]
//     [{ SPECIMEN: SPM [{OBX}] }] } } [DSC].
//   - UK Core (../shared/ukcore): UKCore-DiagnosticReport-Lab has a
//     mandatory category slice "laboratory" fixed to v2-0074 LAB; the
//     report note is Extension-UKCore-DiagnosticReportNote, whose URL is
//     the R5 cross-version extension
//     http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.note
//     (valueAnnotation); UKCore-Patient's identifier:nhsNumber slice is
//     max 1.
//   - UCUM (https://ucum.org): 10*9/L, mmol/L, umol/L, g/L are valid codes
//     as labs write them; mL/min/1.73m2 is mL/min/{1.73_m2}.
//   - SIU (HL7 v2.5.1 chapter 10; hl7v2's doc lists the structure and
//     fields): the Appointment is PUT Appointment?identifier=<filler id>
//     (SCH-2, its namespace given a system in Mapping.AppointmentSystems),
//     so the S12 that creates it and the S13, S14, S15, S17 and S26 that
//     follow change one resource; without a system an S12 is a plain
//     create and later triggers are not sent (both reported). Status:
//     S15 and S16 cancelled, S17 entered-in-error, S26 noshow, otherwise
//     SCH-25 through HL7 table 0278 as the v2-to-FHIR ConceptMap
//     table-hl70278-to-appointmentstatus maps it (Pending pending,
//     Waitlist waitlist, Booked booked, Started checked-in, Complete
//     fulfilled, Cancelled cancelled, Noshow noshow;
//     https://hl7.org/fhir/uv/v2mappings/ConceptMap-table-hl70278-to-appointmentstatus.html),
//     with DC, Deleted and Overbook read as cancelled, entered-in-error and
//     booked. FHIR R4 Appointment invariants: app-3 only proposed or
//     cancelled appointments may lack start and end, app-4 a cancellation
//     reason only on cancelled or noshow ones. UK Core (../shared/ukcore):
//     UKCore-Appointment binds appointmentType to UKCore-AppointmentReasonCode,
//     which includes HL7 table 0276 (SCH-7: ROUTINE, WALKIN, CHECKUP,
//     FOLLOWUP, EMERGENCY; http://terminology.hl7.org/CodeSystem/v2-0276),
//     and adds Extension-UKCore-BookingOrganization (a Reference to an
//     Organization; here MSH-4, the sender's ODS code); its example puts
//     the attending clinician in participant with v3 ParticipationType
//     ATND. The identifier types FILL and PLAC are HL7 table 0203. S23
//     (blocked) gives Slot.status busy-unavailable and S24 (opened) free;
//     the Slot's Schedule has the AIP clinicians and AIL locations as
//     actors (Schedule.actor is 1..*). A PV1 in an SIU is the visit the
//     appointment is for: an Encounter (planned; cancelled for S15, S16
//     and S26; entered-in-error for S17) whose appointment element points
//     at the Appointment, FHIR R4 linking the two from the Encounter.
//
// Identifiers and names never appear in errors or in the Unmapped report.
package tofhir
