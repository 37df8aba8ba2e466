package gpconnecttest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
)

// knownAreas are the structured record's top-level parameters and their
// permitted parts.
var knownAreas = map[string][]string{
	"patientNHSNumber":         nil,
	"includeAllergies":         {"includeResolvedAllergies"},
	"includeMedication":        {"includePrescriptionIssues", "medicationSearchFromDate"},
	"includeConsultations":     {"consultationSearchPeriod", "includeNumberOfMostRecent"},
	"includeProblems":          {"filterStatus", "filterSignificance"},
	"includeImmunisations":     {"includeNotGiven", "includeStatus"},
	"includeUncategorisedData": {"uncategorisedDataSearchPeriod"},
	"includeInvestigations":    {"investigationSearchPeriod"},
	"includeReferrals":         {"referralSearchPeriod"},
	"includeDiaryEntries":      {"diaryEntriesSearchDate"},
}

// notWithConsultations and notWithProblems are the part parameters the
// specification refuses alongside consultations or problems.
var (
	notWithConsultations = []string{"medicationSearchFromDate", "uncategorisedDataSearchPeriod", "filterSignificance", "filterStatus", "referralSearchPeriod", "diaryEntriesSearchDate", "includeNotGiven", "includeStatus"}
	notWithProblems      = []string{"medicationSearchFromDate", "uncategorisedDataSearchPeriod", "referralSearchPeriod", "diaryEntriesSearchDate", "includeNotGiven", "includeStatus"}
)

// checkParameters applies the operation's rules to p and returns the Spine
// code and diagnostics of the first breach, or "".
func checkParameters(p *stu3.Parameters, today string) (code, why string) {
	invalidParam := func(format string, args ...any) (string, string) {
		return "INVALID_PARAMETER", fmt.Sprintf(format, args...)
	}
	parts := map[string]bool{}
	areas := 0
	for _, par := range p.Parameter {
		allowed, ok := knownAreas[par.Name.Value]
		if !ok {
			return "INVALID_RESOURCE", "unknown parameter " + par.Name.Value
		}
		if par.Name.Value != "patientNHSNumber" {
			areas++
		}
		for _, part := range par.Part {
			if !contains(allowed, part.Name.Value) {
				return "INVALID_RESOURCE", "unknown part " + part.Name.Value + " of " + par.Name.Value
			}
			switch part.Value.(type) {
			case *stu3.Boolean, *stu3.PositiveInt, *stu3.Period, *stu3.Date, *stu3.Code, *stu3.Identifier:
			default:
				return invalidParam("part %s of %s has no value", part.Name.Value, par.Name.Value)
			}
			parts[part.Name.Value] = true
		}
	}
	if areas == 0 {
		return invalidParam("no clinical area is requested")
	}
	if a := p.Get("includeAllergies"); a != nil && a.PartNamed("includeResolvedAllergies") == nil {
		return invalidParam("includeAllergies needs includeResolvedAllergies")
	}
	wholeDate := func(name, v string, notAfterToday, notBeforeToday bool) (string, string) {
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return invalidParam("%s must be a whole date (YYYY-MM-DD)", name)
		}
		if notAfterToday && v > today {
			return invalidParam("%s is after today", name)
		}
		if notBeforeToday && v < today {
			return invalidParam("%s is before today", name)
		}
		return "", ""
	}
	for _, par := range p.Parameter {
		for _, part := range par.Part {
			name := part.Name.Value
			var date, code string
			switch v := part.Value.(type) {
			case *stu3.Date:
				date = v.Value
			case *stu3.Code:
				code = v.Value
			}
			period, _ := part.Value.(*stu3.Period)
			mostRecent, _ := part.Value.(*stu3.PositiveInt)
			switch {
			case period != nil:
				for _, d := range []string{period.Start.Value, period.End.Value} {
					if d == "" {
						continue
					}
					if code, why := wholeDate(name, d, true, false); code != "" {
						return code, why
					}
				}
				if s, e := period.Start.Value, period.End.Value; s != "" && e != "" && s > e {
					return invalidParam("%s starts after it ends", name)
				}
			case name == "medicationSearchFromDate":
				if code, why := wholeDate(name, date, true, false); code != "" {
					return code, why
				}
			case name == "diaryEntriesSearchDate":
				if code, why := wholeDate(name, date, false, true); code != "" {
					return code, why
				}
			case name == "filterStatus" && code != "active" && code != "inactive":
				return invalidParam("filterStatus must be active or inactive")
			case name == "filterSignificance" && code != "major" && code != "minor":
				return invalidParam("filterSignificance must be major or minor")
			case name == "includeNumberOfMostRecent" && (mostRecent == nil || mostRecent.Value < 1):
				return invalidParam("includeNumberOfMostRecent must be a positive integer")
			}
		}
	}
	if parts["consultationSearchPeriod"] && parts["includeNumberOfMostRecent"] {
		return "INVALID_RESOURCE", "consultationSearchPeriod and includeNumberOfMostRecent cannot be sent together"
	}
	if p.Get("includeConsultations") != nil {
		for _, name := range notWithConsultations {
			if parts[name] {
				return invalidParam("%s is not permitted with includeConsultations", name)
			}
		}
	}
	if p.Get("includeProblems") != nil {
		for _, name := range notWithProblems {
			if parts[name] {
				return invalidParam("%s is not permitted with includeProblems", name)
			}
		}
	}
	return "", ""
}

func (s *Server) structuredRecord(w http.ResponseWriter, r *http.Request, _ string) {
	p, ok := decodeParameters(w, r)
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "body is not a Parameters resource")
		return
	}
	if code, why := checkParameters(p, s.cfg.now().In(London).Format(time.DateOnly)); code != "" {
		display := "Submitted parameter is not valid."
		if code == "INVALID_RESOURCE" {
			display = "Submitted resource is not valid."
		}
		writeError(w, http.StatusUnprocessableEntity, "invalid", code, display, why)
		return
	}
	var nhsIdent *stu3.Identifier
	if nhsParam := p.Get("patientNHSNumber"); nhsParam != nil {
		nhsIdent, _ = nhsParam.Value.(*stu3.Identifier)
	}
	if nhsIdent == nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", "patientNHSNumber is required")
		return
	}
	if nhsIdent.System.Value != gpconnect.SystemNHSNumber {
		writeError(w, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_SYSTEM", "Invalid identifier system", "patientNHSNumber system must be "+gpconnect.SystemNHSNumber)
		return
	}
	nhs := nhsid.NHSNumber(nhsIdent.Value.Value)
	if !nhs.Valid() {
		writeError(w, http.StatusBadRequest, "value", "INVALID_NHS_NUMBER", "Invalid NHS number", "NHS number fails the modulus 11 check")
		return
	}
	s.mu.Lock()
	id, ok := s.byNHS[nhs]
	var pat *patient
	if ok {
		pat = s.patients[id]
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "Patient record not found", "no patient with that NHS number at this practice")
		return
	}
	if !pat.consent {
		writeError(w, http.StatusForbidden, "forbidden", "NO_PATIENT_CONSENT", "No patient consent to share", "the patient has dissented from sharing their record")
		return
	}
	rec, err := s.record(pat, p)
	if err == nil {
		var body []byte
		if body, err = stu3.Marshal(rec); err == nil {
			writeBody(w, http.StatusOK, body)
			return
		}
	}
	http.Error(w, "encoding failed", http.StatusInternalServerError)
}

// record builds a small synthetic structured record, typed by fhir/stu3:
// the patient, the practice, the GP, and for each requested area a List
// with its items.
func (s *Server) record(p *patient, params *stu3.Parameters) (*stu3.Bundle, error) {
	str := func(v string) stu3.String { return stu3.String{Value: v} }
	code := func(v string) stu3.Code { return stu3.Code{Value: v} }
	dateTime := func(v string) stu3.DateTime { return stu3.DateTime{Value: v} }
	ref := func(v string) *stu3.Reference { return &stu3.Reference{Reference: str(v)} }
	snomed := func(c, display string) *stu3.CodeableConcept {
		return &stu3.CodeableConcept{Coding: []stu3.Coding{{System: stu3.URI{Value: "http://snomed.info/sct"}, Code: code(c), Display: str(display)}}}
	}
	subject := "Patient/" + p.res.ID.Value
	b := &stu3.Bundle{
		Meta: &stu3.Meta{Profile: []stu3.URI{{Value: "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"}}},
		Type: code("collection"),
	}
	add := func(rs ...stu3.Resource) {
		for _, r := range rs {
			b.Entry = append(b.Entry, stu3.BundleEntry{Resource: r})
		}
	}
	// The patient, practice and GP the fake serves elsewhere.
	patient, org, gp := p.res, *s.org, *s.practitioner["1"]
	add(&patient, &org, &gp)
	list := func(c, display, title string, items ...stu3.Resource) {
		l := &stu3.List{
			ID: stu3.ID{Value: "list-" + c}, Status: code("current"), Mode: code("snapshot"), Title: str(title),
			Code: snomed(c, display), Subject: ref(subject),
		}
		for _, it := range items {
			l.Entry = append(l.Entry, stu3.ListEntry{Item: ref(it.ResourceType() + "/" + stu3.ResourceID(it))})
		}
		if len(items) == 0 {
			l.EmptyReason = &stu3.CodeableConcept{Coding: []stu3.Coding{{System: stu3.URI{Value: "http://hl7.org/fhir/special-values"}, Code: code("no-content-recorded"), Display: str("No content recorded")}}}
		}
		add(l)
		add(items...)
	}
	if params.Get("includeAllergies") != nil {
		list("886921000000105", "Allergies and adverse reaction", "Allergies and adverse reactions", &stu3.AllergyIntolerance{
			ID: stu3.ID{Value: "allergy-1"}, ClinicalStatus: code("active"), VerificationStatus: code("confirmed"),
			Code: snomed("91936005", "Allergy to penicillin"), Patient: ref(subject), AssertedDate: dateTime("2015-03-02"),
		})
	}
	if params.Get("includeMedication") != nil {
		list("933361000000108", "Medications and medical devices", "Medications and medical devices",
			&stu3.Medication{ID: stu3.ID{Value: "med-1"}, Code: snomed("322236009", "Paracetamol 500mg tablets")},
			&stu3.MedicationStatement{ID: stu3.ID{Value: "medstmt-1"}, Status: code("active"), Subject: ref(subject),
				Medication: ref("Medication/med-1"), Taken: code("unk"),
				Effective: &stu3.Period{Start: dateTime("2024-01-10")}},
		)
	}
	if params.Get("includeProblems") != nil {
		list("717711000000103", "Problems", "Problems", &stu3.Condition{
			ID: stu3.ID{Value: "problem-1"}, ClinicalStatus: code("active"), Subject: ref(subject),
			Code: snomed("38341003", "Hypertensive disorder"), AssertedDate: dateTime("2019-06-14"),
		})
	}
	if params.Get("includeImmunisations") != nil {
		list("1102181000000102", "Immunisations", "Immunisations", &stu3.Immunization{
			ID: stu3.ID{Value: "imm-1"}, Status: code("completed"), NotGiven: stu3.Boolean{Set: true}, PrimarySource: stu3.Boolean{Value: true, Set: true},
			Patient: ref(subject), Date: dateTime("2023-10-05"), VaccineCode: snomed("1324681000000101", "Influenza vaccination"),
		})
	}
	if params.Get("includeConsultations") != nil {
		list("1149501000000101", "Consultations", "Consultations")
	}
	if params.Get("includeInvestigations") != nil {
		list("887191000000108", "Investigations and results", "Investigations and results")
	}
	if params.Get("includeReferrals") != nil {
		list("792931000000107", "Outbound referral", "Outbound referral")
	}
	if params.Get("includeDiaryEntries") != nil {
		add(&stu3.List{
			ID: stu3.ID{Value: "list-diary"}, Status: code("current"), Mode: code("snapshot"), Title: str("Diary entries"),
			Code: &stu3.CodeableConcept{Text: str("Diary entries")}, Subject: ref(subject),
			Entry: []stu3.ListEntry{{Item: ref("ProcedureRequest/diary-1")}},
		}, &stu3.ProcedureRequest{
			ID: stu3.ID{Value: "diary-1"}, Status: code("active"), Intent: code("plan"), Subject: ref(subject),
			Code:       snomed("390906007", "Follow-up encounter"),
			Occurrence: &stu3.DateTime{Value: s.cfg.now().In(London).AddDate(0, 3, 0).Format(time.DateOnly)},
			AuthoredOn: dateTime("2024-01-10"),
		})
	}
	if params.Get("includeUncategorisedData") != nil {
		list("826501000000100", "Miscellaneous record", "Miscellaneous record")
	}
	return b, nil
}

// structuredMetadata is the Access Record Structured CapabilityStatement:
// the getstructuredrecord operation and its OperationDefinition.
func (s *Server) structuredMetadata(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "CapabilityStatement",
		"version":      "1.6.0",
		"name":         "GP Connect - Access Record Structured",
		"status":       "active",
		"date":         "2026-11-01",
		"kind":         "instance",
		"fhirVersion":  "3.0.1",
		"format":       []string{"application/fhir+json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"operation": []any{map[string]any{
				"name":       "gpc.getstructuredrecord",
				"definition": map[string]string{"reference": "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1"},
			}},
		}},
	})
}
