package fhir

import (
	"errors"
	"fmt"
	"strings"
)

// UK Core extension URLs and code systems used by the typed helpers below
// (UK Core STU 2.0.0 StructureDefinitions and CodeSystems).
const (
	ExtNHSNumberVerificationStatus = UKCoreBase + "Extension-UKCore-NHSNumberVerificationStatus"
	ExtEthnicCategory              = UKCoreBase + "Extension-UKCore-EthnicCategory"
	ExtBirthSex                    = UKCoreBase + "Extension-UKCore-BirthSex"
	ExtResidentialStatus           = UKCoreBase + "Extension-UKCore-ResidentialStatus"
	ExtNHSCommunication            = UKCoreBase + "Extension-UKCore-NHSCommunication"
	ExtDeathNotificationStatus     = UKCoreBase + "Extension-UKCore-DeathNotificationStatus"
	ExtContactPreference           = UKCoreBase + "Extension-UKCore-ContactPreference"

	CSNHSNumberVerificationStatus = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	CSEthnicCategoryEngland       = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
	CSResidentialStatus           = "https://fhir.hl7.org.uk/CodeSystem/UKCore-ResidentialStatus"
	CSDeathNotificationStatus     = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus"

	// Practitioner identifier systems.
	GMCNumberSystem        = "https://fhir.hl7.org.uk/Id/gmc-number"
	GMPNumberSystem        = "https://fhir.hl7.org.uk/Id/gmp-number"
	SDSUserIDSystem        = "https://fhir.nhs.uk/Id/sds-user-id"
	SDSRoleProfileIDSystem = "https://fhir.nhs.uk/Id/sds-role-profile-id"

	// ProfilePatient is the UK Core Patient profile.
	ProfilePatient = UKCoreBase + "UKCore-Patient"
)

// NHS number verification status codes (UKCore-NHSNumberVerificationStatusEngland).
const (
	NHSNumberVerified        = "01" // number present and verified
	NHSNumberNotTraced       = "02" // number present but not traced
	NHSNumberTraceRequired   = "03"
	NHSNumberNoMatch         = "04" // trace attempted, no or multiple match
	NHSNumberTraceToResolve  = "05"
	NHSNumberTraceInProgress = "06"
	NHSNumberNotPresent      = "07" // not present and trace not required
	NHSNumberTracePostponed  = "08" // baby under six weeks old
)

var verificationDisplay = map[string]string{
	"01": "Number present and verified",
	"02": "Number present but not traced",
	"03": "Trace required",
	"04": "Trace attempted - No match or multiple match found",
	"05": "Trace needs to be resolved - (NHS number or patient detail conflict)",
	"06": "Trace in progress",
	"07": "Number not present and trace not required",
	"08": "Trace postponed (baby under six weeks old)",
}

// sameExtension reports whether url names the UK Core extension want, in
// the current base or the older https://fhir.nhs.uk/R4 base PDS sends.
func sameExtension(url, want string) bool {
	if url == want {
		return true
	}
	short, ok := strings.CutPrefix(want, UKCoreBase)
	return ok && strings.HasPrefix(url, ukCoreR4Base) && url[len(ukCoreR4Base):] == short
}

// FindExtension returns the first extension with the URL (either UK Core
// base), or nil.
func FindExtension(exts []Extension, url string) *Extension {
	for i := range exts {
		if sameExtension(exts[i].URL.Value, url) {
			return &exts[i]
		}
	}
	return nil
}

// SetExtension replaces the extension with the URL, or adds it.
func SetExtension(exts *[]Extension, ext Extension) {
	for i := range *exts {
		if sameExtension((*exts)[i].URL.Value, ext.URL.Value) {
			(*exts)[i] = ext
			return
		}
	}
	*exts = append(*exts, ext)
}

// SubExtension returns a complex extension's part by its url (e.g.
// "interpreterRequired"), or nil.
func (e *Extension) SubExtension(url string) *Extension {
	for i := range e.Extension {
		if e.Extension[i].URL.Value == url {
			return &e.Extension[i]
		}
	}
	return nil
}

func firstCoding(v Value) (Coding, bool) {
	if cc, ok := v.(*CodeableConcept); ok && len(cc.Coding) > 0 {
		return cc.Coding[0], true
	}
	return Coding{}, false
}

func codedExtension(url, system, code, display string) Extension {
	c := Coding{System: URI{Value: system}, Code: Code{Value: code}}
	if display != "" {
		c.Display = String{Value: display}
	}
	return Extension{URL: URI{Value: url}, Value: &CodeableConcept{Coding: []Coding{c}}}
}

// NHSNumber returns the patient's NHS number identifier, if any.
func (p *Patient) NHSNumber() (NHSNumber, bool) {
	if id := p.nhsIdentifier(); id != nil {
		return NHSNumber(id.Value.Value), true
	}
	return "", false
}

func (p *Patient) nhsIdentifier() *Identifier {
	for i := range p.Identifier {
		if p.Identifier[i].System.Value == NHSNumberSystem && p.Identifier[i].Value.Value != "" {
			return &p.Identifier[i]
		}
	}
	return nil
}

// NHSNumberVerificationStatus returns the verification status code (01–08)
// carried on the NHS number identifier.
func (p *Patient) NHSNumberVerificationStatus() (string, bool) {
	id := p.nhsIdentifier()
	if id == nil {
		return "", false
	}
	ext := FindExtension(id.Extension, ExtNHSNumberVerificationStatus)
	if ext == nil {
		return "", false
	}
	c, ok := firstCoding(ext.Value)
	return c.Code.Value, ok
}

// ErrCode is returned by the UK Core setters for a code outside the value
// set the extension binds (or an invalid identifier); nothing is changed.
var ErrCode = errors.New("fhir: code outside the value set")

// SetNHSNumber sets the NHS number identifier with its verification status
// (one of the NHSNumberVerified… codes, 01–08; "" for none). It refuses a
// number that fails the modulus 11 check and a status outside the value
// set.
func (p *Patient) SetNHSNumber(n NHSNumber, status string) error {
	if !n.Valid() {
		return fmt.Errorf("%w: nhs number %s is not valid", ErrCode, n.Masked())
	}
	if _, ok := verificationDisplay[status]; status != "" && !ok {
		return fmt.Errorf("%w: nhs number verification status %q is not one of 01–08", ErrCode, clip(status))
	}
	id := p.nhsIdentifier()
	if id == nil {
		p.Identifier = append(p.Identifier, Identifier{})
		id = &p.Identifier[len(p.Identifier)-1]
	}
	id.System = URI{Value: NHSNumberSystem}
	id.Value = String{Value: string(n)}
	if status != "" {
		SetExtension(&id.Extension, codedExtension(ExtNHSNumberVerificationStatus, CSNHSNumberVerificationStatus, status, verificationDisplay[status]))
	}
	return nil
}

// EthnicCategory returns the ethnic category coding.
func (p *Patient) EthnicCategory() (Coding, bool) {
	if ext := FindExtension(p.Extension, ExtEthnicCategory); ext != nil {
		return firstCoding(ext.Value)
	}
	return Coding{}, false
}

// SetEthnicCategory sets the ethnic category, a code of
// UKCore-EthnicCategoryEngland (A–Z less I, O, Q, T–Y, and 99); any other
// code is ErrCode.
func (p *Patient) SetEthnicCategory(code, display string) error {
	if !strings.Contains(" A B C D E F G H J K L M N P R S Z 99 ", " "+code+" ") || code == "" {
		return fmt.Errorf("%w: ethnic category %q is not in UKCore-EthnicCategoryEngland", ErrCode, clip(code))
	}
	SetExtension(&p.Extension, codedExtension(ExtEthnicCategory, CSEthnicCategoryEngland, code, display))
	return nil
}

// BirthSex returns the birth sex coding.
func (p *Patient) BirthSex() (Coding, bool) {
	if ext := FindExtension(p.Extension, ExtBirthSex); ext != nil {
		return firstCoding(ext.Value)
	}
	return Coding{}, false
}

// Code systems of UK Core's BirthSex value set.
const (
	CSV3AdministrativeGender = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender"
	CSV3NullFlavor           = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
)

// SetBirthSex sets the birth sex: M, F or UN of v3-AdministrativeGender,
// or UNK (unknown) of v3-NullFlavor, UK Core's required BirthSex value set;
// any other code is ErrCode.
func (p *Patient) SetBirthSex(code string) error {
	var ext Extension
	switch code {
	case "M":
		ext = codedExtension(ExtBirthSex, CSV3AdministrativeGender, code, "Male")
	case "F":
		ext = codedExtension(ExtBirthSex, CSV3AdministrativeGender, code, "Female")
	case "UN":
		ext = codedExtension(ExtBirthSex, CSV3AdministrativeGender, code, "Undifferentiated")
	case "UNK":
		ext = codedExtension(ExtBirthSex, CSV3NullFlavor, code, "Unknown")
	default:
		return fmt.Errorf("%w: birth sex %q is not M, F, UN or UNK", ErrCode, clip(code))
	}
	SetExtension(&p.Extension, ext)
	return nil
}

// ResidentialStatus returns the residential status coding.
func (p *Patient) ResidentialStatus() (Coding, bool) {
	if ext := FindExtension(p.Extension, ExtResidentialStatus); ext != nil {
		return firstCoding(ext.Value)
	}
	return Coding{}, false
}

// SetResidentialStatus sets the residential status: H (UK resident) or O
// (overseas resident) of UKCore-ResidentialStatus; any other code is
// ErrCode.
func (p *Patient) SetResidentialStatus(code, display string) error {
	if code != "H" && code != "O" {
		return fmt.Errorf("%w: residential status %q is not H or O", ErrCode, clip(code))
	}
	SetExtension(&p.Extension, codedExtension(ExtResidentialStatus, CSResidentialStatus, code, display))
	return nil
}

// InterpreterRequired reports the interpreterRequired part of the
// NHSCommunication extension; ok is false when it is absent.
func (p *Patient) InterpreterRequired() (required, ok bool) {
	for i := range p.Extension {
		ext := &p.Extension[i]
		if !sameExtension(ext.URL.Value, ExtNHSCommunication) {
			continue
		}
		if part := ext.SubExtension("interpreterRequired"); part != nil {
			if b, isBool := part.Value.(*Boolean); isBool && b.Set {
				return b.Value, true
			}
		}
	}
	return false, false
}

// DeathNotificationStatus returns the death notification status coding
// (1 informal, 2 formal – challenge pending, U removed).
func (p *Patient) DeathNotificationStatus() (Coding, bool) {
	if ext := FindExtension(p.Extension, ExtDeathNotificationStatus); ext != nil {
		if part := ext.SubExtension("deathNotificationStatus"); part != nil {
			return firstCoding(part.Value)
		}
	}
	return Coding{}, false
}

// ContactPreference returns the preferred contact method coding.
func (p *Patient) ContactPreference() (Coding, bool) {
	if ext := FindExtension(p.Extension, ExtContactPreference); ext != nil {
		if part := ext.SubExtension("PreferredContactMethod"); part != nil {
			return firstCoding(part.Value)
		}
	}
	return Coding{}, false
}

// CSPreferredContactMethod is UK Core's preferred contact method code system.
const CSPreferredContactMethod = "https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod"

// complexExtension is an extension holding one part (a sub-extension).
func complexExtension(url, part string, v Value) Extension {
	return Extension{URL: URI{Value: url}, Extension: []Extension{{URL: URI{Value: part}, Value: v}}}
}

// SetInterpreterRequired sets the interpreterRequired part of the
// NHSCommunication extension, keeping its other parts.
func (p *Patient) SetInterpreterRequired(required bool) error {
	for i := range p.Extension {
		ext := &p.Extension[i]
		if !sameExtension(ext.URL.Value, ExtNHSCommunication) {
			continue
		}
		if part := ext.SubExtension("interpreterRequired"); part != nil {
			part.Value = &Boolean{Value: required, Set: true}
			return nil
		}
		ext.Extension = append(ext.Extension, Extension{URL: URI{Value: "interpreterRequired"}, Value: &Boolean{Value: required, Set: true}})
		return nil
	}
	p.Extension = append(p.Extension, complexExtension(ExtNHSCommunication, "interpreterRequired", &Boolean{Value: required, Set: true}))
	return nil
}

// SetDeathNotificationStatus sets the death notification status: 1
// (informal), 2 (formal, challenge pending) or U (removed) of
// UKCore-DeathNotificationStatus; any other code is ErrCode.
func (p *Patient) SetDeathNotificationStatus(code string) error {
	display := map[string]string{"1": "Informal - death notice received via an update from a local NHS Organisation such as GP or Trust", "2": "Formal - death notice received from Registrar of Deaths", "U": "Removed"}[code]
	if display == "" {
		return fmt.Errorf("%w: death notification status %q is not 1, 2 or U", ErrCode, clip(code))
	}
	c := &CodeableConcept{Coding: []Coding{{System: URI{Value: CSDeathNotificationStatus}, Code: Code{Value: code}, Display: String{Value: display}}}}
	SetExtension(&p.Extension, complexExtension(ExtDeathNotificationStatus, "deathNotificationStatus", c))
	return nil
}

// SetContactPreference sets the preferred contact method, a code 1–9 of
// UKCore-PreferredContactMethod; any other code is ErrCode.
func (p *Patient) SetContactPreference(code, display string) error {
	if len(code) != 1 || code[0] < '1' || code[0] > '9' {
		return fmt.Errorf("%w: preferred contact method %q is not 1–9", ErrCode, clip(code))
	}
	c := &CodeableConcept{Coding: []Coding{{System: URI{Value: CSPreferredContactMethod}, Code: Code{Value: code}, Display: String{Value: display}}}}
	SetExtension(&p.Extension, complexExtension(ExtContactPreference, "PreferredContactMethod", c))
	return nil
}

// Restricted reports whether the resource carries the "R" (restricted)
// confidentiality label PDS uses for sensitive patients.
func Restricted(m *Meta) bool {
	if m == nil {
		return false
	}
	for _, s := range m.Security {
		if s.Code.Value == "R" && s.System.Value == "http://terminology.hl7.org/CodeSystem/v3-Confidentiality" {
			return true
		}
	}
	return false
}

// GPPracticeODS returns the ODS code of the patient's registered GP
// practice (generalPractitioner by identifier).
func (p *Patient) GPPracticeODS() (string, bool) {
	for _, r := range p.GeneralPractitioner {
		if r.Identifier != nil && r.Identifier.System.Value == ODSOrganizationCodeSystem && r.Identifier.Value.Value != "" {
			return r.Identifier.Value.Value, true
		}
	}
	return "", false
}

// IdentifierValue returns the value of the first identifier with the system.
func IdentifierValue(ids []Identifier, system string) (string, bool) {
	for _, id := range ids {
		if id.System.Value == system && id.Value.Value != "" {
			return id.Value.Value, true
		}
	}
	return "", false
}
