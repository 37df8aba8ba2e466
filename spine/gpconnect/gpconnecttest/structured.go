package gpconnecttest

import (
	"encoding/json"
	"net/http"

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

func (s *Server) structuredRecord(w http.ResponseWriter, r *http.Request, _ string) {
	var p gpconnect.Parameters
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&p); err != nil || p.ResourceType != "Parameters" {
		writeError(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "body is not a Parameters resource")
		return
	}
	for _, par := range p.Parameter {
		parts, ok := knownAreas[par.Name]
		if !ok {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", "unknown parameter "+par.Name)
			return
		}
		for _, part := range par.Part {
			if !contains(parts, part.Name) {
				writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", "unknown part "+part.Name+" of "+par.Name)
				return
			}
		}
	}
	nhsParam := p.Get("patientNHSNumber")
	if nhsParam == nil || nhsParam.ValueIdentifier == nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", "patientNHSNumber is required")
		return
	}
	if nhsParam.ValueIdentifier.System != gpconnect.SystemNHSNumber {
		writeError(w, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_SYSTEM", "Invalid identifier system", "patientNHSNumber system must be "+gpconnect.SystemNHSNumber)
		return
	}
	nhs := nhsid.NHSNumber(nhsParam.ValueIdentifier.Value)
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
	writeJSON(w, http.StatusOK, s.record(pat, &p))
}

// record builds a small synthetic structured record: the patient, the
// practice, the GP, and for each requested area a List with its items.
func (s *Server) record(p *patient, params *gpconnect.Parameters) map[string]any {
	subject := map[string]string{"reference": "Patient/" + p.res.ID}
	entries := []any{p.res, s.org, s.practitioner["1"]}
	list := func(code, display, title string, items ...map[string]any) {
		refs := make([]any, 0, len(items))
		for _, it := range items {
			refs = append(refs, map[string]any{"item": map[string]string{"reference": it["resourceType"].(string) + "/" + it["id"].(string)}})
		}
		l := map[string]any{
			"resourceType": "List", "id": "list-" + code, "status": "current", "mode": "snapshot",
			"title":   title,
			"code":    map[string]any{"coding": []any{map[string]string{"system": "http://snomed.info/sct", "code": code, "display": display}}},
			"subject": subject,
			"entry":   refs,
		}
		if len(items) == 0 {
			l["emptyReason"] = map[string]any{"coding": []any{map[string]string{"system": "http://hl7.org/fhir/special-values", "code": "no-content-recorded", "display": "No content recorded"}}}
		}
		entries = append(entries, l)
		for _, it := range items {
			entries = append(entries, it)
		}
	}
	snomed := func(code, display string) map[string]any {
		return map[string]any{"coding": []any{map[string]string{"system": "http://snomed.info/sct", "code": code, "display": display}}}
	}
	if params.Get("includeAllergies") != nil {
		list("886921000000105", "Allergies and adverse reaction", "Allergies and adverse reactions", map[string]any{
			"resourceType": "AllergyIntolerance", "id": "allergy-1", "clinicalStatus": "active", "verificationStatus": "confirmed",
			"code": snomed("91936005", "Allergy to penicillin"), "patient": subject, "assertedDate": "2015-03-02",
		})
	}
	if params.Get("includeMedication") != nil {
		list("933361000000108", "Medications and medical devices", "Medications and medical devices",
			map[string]any{"resourceType": "Medication", "id": "med-1", "code": snomed("322236009", "Paracetamol 500mg tablets")},
			map[string]any{"resourceType": "MedicationStatement", "id": "medstmt-1", "status": "active", "subject": subject,
				"medicationReference": map[string]string{"reference": "Medication/med-1"}, "taken": "unk",
				"effectivePeriod": map[string]string{"start": "2024-01-10"}},
		)
	}
	if params.Get("includeProblems") != nil {
		list("717711000000103", "Problems", "Problems", map[string]any{
			"resourceType": "Condition", "id": "problem-1", "clinicalStatus": "active", "subject": subject,
			"code": snomed("38341003", "Hypertensive disorder"), "assertedDate": "2019-06-14",
		})
	}
	if params.Get("includeImmunisations") != nil {
		list("1102181000000102", "Immunisations", "Immunisations", map[string]any{
			"resourceType": "Immunization", "id": "imm-1", "status": "completed", "notGiven": false, "primarySource": true,
			"patient": subject, "date": "2023-10-05", "vaccineCode": snomed("1324681000000101", "Influenza vaccination"),
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
	if params.Get("includeUncategorisedData") != nil {
		list("826501000000100", "Miscellaneous record", "Miscellaneous record")
	}
	es := make([]any, 0, len(entries))
	for _, e := range entries {
		es = append(es, map[string]any{"resource": e})
	}
	return map[string]any{
		"resourceType": "Bundle",
		"meta":         map[string]any{"profile": []string{"https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"}},
		"type":         "collection",
		"entry":        es,
	}
}
