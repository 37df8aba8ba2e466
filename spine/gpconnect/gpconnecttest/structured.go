package gpconnecttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

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
func checkParameters(p *gpconnect.Parameters, today string) (code, why string) {
	invalidParam := func(format string, args ...any) (string, string) {
		return "INVALID_PARAMETER", fmt.Sprintf(format, args...)
	}
	parts := map[string]bool{}
	areas := 0
	for _, par := range p.Parameter {
		allowed, ok := knownAreas[par.Name]
		if !ok {
			return "INVALID_RESOURCE", "unknown parameter " + par.Name
		}
		if par.Name != "patientNHSNumber" {
			areas++
		}
		for _, part := range par.Part {
			if !contains(allowed, part.Name) {
				return "INVALID_RESOURCE", "unknown part " + part.Name + " of " + par.Name
			}
			if part.ValueBoolean == nil && part.ValuePositiveInt == nil && part.ValuePeriod == nil &&
				part.ValueDate == "" && part.ValueCode == "" && part.ValueIdentifier == nil {
				return invalidParam("part %s of %s has no value", part.Name, par.Name)
			}
			parts[part.Name] = true
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
			switch {
			case part.ValuePeriod != nil:
				for _, d := range []string{part.ValuePeriod.Start, part.ValuePeriod.End} {
					if d == "" {
						continue
					}
					if code, why := wholeDate(part.Name, d, true, false); code != "" {
						return code, why
					}
				}
				if s, e := part.ValuePeriod.Start, part.ValuePeriod.End; s != "" && e != "" && s > e {
					return invalidParam("%s starts after it ends", part.Name)
				}
			case part.Name == "medicationSearchFromDate":
				if code, why := wholeDate(part.Name, part.ValueDate, true, false); code != "" {
					return code, why
				}
			case part.Name == "diaryEntriesSearchDate":
				if code, why := wholeDate(part.Name, part.ValueDate, false, true); code != "" {
					return code, why
				}
			case part.Name == "filterStatus" && part.ValueCode != "active" && part.ValueCode != "inactive":
				return invalidParam("filterStatus must be active or inactive")
			case part.Name == "filterSignificance" && part.ValueCode != "major" && part.ValueCode != "minor":
				return invalidParam("filterSignificance must be major or minor")
			case part.Name == "includeNumberOfMostRecent" && (part.ValuePositiveInt == nil || *part.ValuePositiveInt < 1):
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
	var p gpconnect.Parameters
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&p); err != nil || p.ResourceType != "Parameters" {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "body is not a Parameters resource")
		return
	}
	if code, why := checkParameters(&p, s.cfg.now().In(London).Format(time.DateOnly)); code != "" {
		display := "Submitted parameter is not valid."
		if code == "INVALID_RESOURCE" {
			display = "Submitted resource is not valid."
		}
		writeError(w, http.StatusUnprocessableEntity, "invalid", code, display, why)
		return
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
	if params.Get("includeDiaryEntries") != nil {
		entries = append(entries, map[string]any{
			"resourceType": "List", "id": "list-diary", "status": "current", "mode": "snapshot",
			"title": "Diary entries", "code": map[string]any{"text": "Diary entries"}, "subject": subject,
			"entry": []any{map[string]any{"item": map[string]string{"reference": "ProcedureRequest/diary-1"}}},
		}, map[string]any{
			"resourceType": "ProcedureRequest", "id": "diary-1", "status": "active", "intent": "plan", "subject": subject,
			"code":               snomed("390906007", "Follow-up encounter"),
			"occurrenceDateTime": s.cfg.now().In(London).AddDate(0, 3, 0).Format(time.DateOnly),
			"authoredOn":         "2024-01-10",
		})
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
