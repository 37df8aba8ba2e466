package gpconnecttest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
)

// pdsRecord is what the fake's stand-in for PDS holds about a person, for
// verifying a registration.
type pdsRecord struct {
	family, given, birthDate string
	sensitive                bool
}

// AddPDSRecord adds a person to the demographics the fake checks a
// registration against, as a provider traces PDS before registering (by
// default the synthetic population every fake of this module serves).
// birthDate is YYYY-MM-DD.
func (s *Server) AddPDSRecord(nhs nhsid.NHSNumber, family, given, birthDate string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pds[nhs] = pdsRecord{family: family, given: given, birthDate: birthDate}
}

// registrationElements are the Patient elements a registration may
// carry; nhsCommunication is an extension.
var registrationElements = []string{"resourceType", "meta", "identifier", "name", "gender", "birthDate", "address", "telecom", "extension"}

// oneSegment reports whether rest is prefix followed by one non-empty path
// segment.
func oneSegment(rest, prefix string) bool {
	id, ok := strings.CutPrefix(rest, prefix)
	return ok && id != "" && !strings.Contains(id, "/")
}

func lastSegment(rest string) string { return rest[strings.LastIndexByte(rest, '/')+1:] }

func (s *Server) readPatient(w http.ResponseWriter, r *http.Request, rest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.patients[lastSegment(rest)]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "Patient record not found", "no patient with that id")
		return
	}
	w.Header().Set("ETag", gpconnect.ETag(p.res.Meta.VersionID.Value))
	writeResource(w, http.StatusOK, &p.res)
}

func (s *Server) readPractitioner(w http.ResponseWriter, r *http.Request, rest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.practitioner[lastSegment(rest)]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "PRACTITIONER_NOT_FOUND", "Practitioner record not found", "no practitioner with that id")
		return
	}
	writeResource(w, http.StatusOK, p)
}

func (s *Server) readOrganization(w http.ResponseWriter, r *http.Request, rest string) {
	if lastSegment(rest) != s.org.ID.Value {
		writeError(w, http.StatusNotFound, "not-found", "ORGANISATION_NOT_FOUND", "Organisation record not found", "no organisation with that id")
		return
	}
	writeResource(w, http.StatusOK, s.org)
}

func (s *Server) readLocation(w http.ResponseWriter, r *http.Request, rest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.locations[lastSegment(rest)]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "NO_RECORD_FOUND", "No record found", "no location with that id")
		return
	}
	writeResource(w, http.StatusOK, l)
}

// identifierParam reads the single identifier=system|value search
// parameter, answering 400 as a provider does when it is missing, repeated
// or of another system.
func identifierParam(w http.ResponseWriter, r *http.Request, system string) (string, bool) {
	ids := r.URL.Query()["identifier"]
	if len(ids) != 1 {
		writeError(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "exactly one identifier parameter is required")
		return "", false
	}
	sys, value, _ := strings.Cut(ids[0], "|")
	if sys != system {
		writeError(w, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_SYSTEM", "Invalid identifier system", "identifier system must be "+system)
		return "", false
	}
	if value == "" {
		writeError(w, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_VALUE", "Invalid identifier value", "identifier value is empty")
		return "", false
	}
	return value, true
}

func (s *Server) searchPractitioner(w http.ResponseWriter, r *http.Request, _ string) {
	value, ok := identifierParam(w, r, gpconnect.SystemSDSUserID)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []stu3.Resource
	for _, id := range sortedKeys(keysOf(s.practitioner)) {
		p := s.practitioner[id]
		for _, ident := range p.Identifier {
			if ident.System.Value == gpconnect.SystemSDSUserID && ident.Value.Value == value {
				found = append(found, p)
			}
		}
	}
	writeResource(w, http.StatusOK, bundle(found...))
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func (s *Server) searchOrganization(w http.ResponseWriter, r *http.Request, _ string) {
	value, ok := identifierParam(w, r, gpconnect.SystemODSCode)
	if !ok {
		return
	}
	if !nhsid.ODSCode(value).Valid() {
		writeError(w, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_VALUE", "Invalid identifier value", "not an ODS code")
		return
	}
	if value == s.ODSCode {
		writeResource(w, http.StatusOK, bundle(s.org))
		return
	}
	writeResource(w, http.StatusOK, bundle())
}

// registerPatient is $gpc.registerpatient: the patient is verified against
// the fake's PDS (birth date exact, or two of its three parts with the
// first three letters of the family name and the given name's initial)
// and registered as a temporary patient.
func (s *Server) registerPatient(w http.ResponseWriter, r *http.Request, _ string) {
	invalid := func(why string) {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", why)
	}
	params, ok := decodeParameters(w, r)
	if !ok {
		invalid("body is not a Parameters resource")
		return
	}
	reg := params.Get("registerPatient")
	if len(params.Parameter) != 1 || reg == nil || reg.Resource == nil {
		invalid("the only parameter is registerPatient, holding a Patient")
		return
	}
	p, ok := reg.Resource.(*stu3.Patient)
	var elements map[string]json.RawMessage
	if ok {
		raw, err := stu3.Marshal(p)
		ok = err == nil && json.Unmarshal(raw, &elements) == nil
	}
	if !ok {
		invalid("registerPatient is not a Patient")
		return
	}
	for k := range elements {
		if !contains(registrationElements, k) {
			invalid("Patient." + k + " must not be sent to registration")
			return
		}
	}
	official := 0
	var name stu3.HumanName
	for _, n := range p.Name {
		if n.Use.Value == "official" {
			official++
			name = n
		}
	}
	if official != 1 || name.Family.Value == "" || len(name.Given) == 0 {
		invalid("exactly one official name with family and given is required")
		return
	}
	if _, err := time.Parse(time.DateOnly, p.BirthDate.Value); err != nil {
		invalid("birthDate (YYYY-MM-DD) is required")
		return
	}
	nhs := p.NHSNumber()
	if nhs == "" {
		invalid("the NHS number identifier is required")
		return
	}
	if !nhs.Valid() {
		writeError(w, http.StatusBadRequest, "value", "INVALID_NHS_NUMBER", "Invalid NHS number", "NHS number fails the modulus 11 check")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.pds[nhs]
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "value", "INVALID_PATIENT_DEMOGRAPHICS", "Invalid patient demographics", "the NHS number is not found on PDS")
		return
	case rec.sensitive:
		writeError(w, http.StatusBadRequest, "value", "INVALID_PATIENT_DEMOGRAPHICS", "Invalid patient demographics", "the patient is sensitive")
		return
	case !verified(rec, name, p.BirthDate.Value):
		writeError(w, http.StatusBadRequest, "value", "INVALID_PATIENT_DEMOGRAPHICS", "Invalid patient demographics", "the demographics do not verify against PDS")
		return
	}
	if _, ok := s.byNHS[nhs]; ok {
		writeError(w, http.StatusConflict, "duplicate", "DUPLICATE_REJECTED", "Create would lead to creation of a duplicate resource", "the patient is already registered")
		return
	}
	id := s.addPatient(nhs, name.Family.Value, name.Given[0].Value, p.BirthDate.Value)
	pat := &s.patients[id].res
	pat.Meta.Profile = []stu3.URI{uri(gpconnect.ProfilePatient)}
	if p.Gender.Value != "" {
		pat.Gender = p.Gender
	}
	pat.Address, pat.Telecom = p.Address, p.Telecom
	writeResource(w, http.StatusOK, bundle(pat))
}

// verified applies the registration's PDS verification rule.
func verified(rec pdsRecord, name stu3.HumanName, birthDate string) bool {
	if birthDate == rec.birthDate {
		return true
	}
	a, b := strings.Split(birthDate, "-"), strings.Split(rec.birthDate, "-")
	same := 0
	for i := range a {
		if i < len(b) && a[i] == b[i] {
			same++
		}
	}
	prefix := func(s string, n int) string {
		s = strings.ToUpper(s)
		if len(s) > n {
			return s[:n]
		}
		return s
	}
	return same >= 2 && len(rec.family) >= 3 && prefix(name.Family.Value, 3) == prefix(rec.family, 3) &&
		rec.given != "" && prefix(name.Given[0].Value, 1) == prefix(rec.given, 1)
}

// decodeParameters decodes a Parameters body with fhir/stu3's codec.
func decodeParameters(w http.ResponseWriter, r *http.Request) (*stu3.Parameters, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return nil, false
	}
	res, err := stu3.Unmarshal(body)
	p, ok := res.(*stu3.Parameters)
	return p, err == nil && ok
}
