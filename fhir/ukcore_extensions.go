package fhir

import "strings"

// UK Core extensions: URL and the type of value each takes ("complex" when
// it holds nested extensions instead). Facts from the UK Core STU 2.0.0
// extension StructureDefinitions (Extension.value[x] of each differential),
// https://simplifier.net/hl7fhirukcorer4 and NHS England's
// FHIR-R4-UKCORE-STAGING-MAIN repository.

// UKCoreBase is the canonical base of UK Core profiles and extensions.
const UKCoreBase = "https://fhir.hl7.org.uk/StructureDefinition/"

// ukCoreR4Base is the older base PDS and other national services still
// send ("https://fhir.nhs.uk/R4/StructureDefinition/Extension-UKCore-…").
const ukCoreR4Base = "https://fhir.nhs.uk/R4/StructureDefinition/"

type extensionDef struct {
	name    string
	types   []string
	complex bool
}

var ukCoreExtensions = map[string]extensionDef{
	"Extension-UKCore-ActualProblem":                         {name: "Extension-UKCore-ActualProblem", types: []string{"Reference"}},
	"Extension-UKCore-AdditionalContact":                     {name: "Extension-UKCore-AdditionalContact", types: []string{"Reference"}},
	"Extension-UKCore-AddressKey":                            {name: "Extension-UKCore-AddressKey", complex: true},
	"Extension-UKCore-AdmissionMethod":                       {name: "Extension-UKCore-AdmissionMethod", types: []string{"CodeableConcept"}},
	"Extension-UKCore-AllergyIntoleranceEnd":                 {name: "Extension-UKCore-AllergyIntoleranceEnd", complex: true},
	"Extension-UKCore-AnaestheticIssues":                     {name: "Extension-UKCore-AnaestheticIssues", types: []string{"CodeableConcept", "Reference"}},
	"Extension-UKCore-AssociatedEncounter":                   {name: "Extension-UKCore-AssociatedEncounter", types: []string{"Reference"}},
	"Extension-UKCore-BirthSex":                              {name: "Extension-UKCore-BirthSex", types: []string{"CodeableConcept"}},
	"Extension-UKCore-BodySiteReference":                     {name: "Extension-UKCore-BodySiteReference", types: []string{"Reference"}},
	"Extension-UKCore-BookingOrganization":                   {name: "Extension-UKCore-BookingOrganization", types: []string{"Reference"}},
	"Extension-UKCore-CareSettingType":                       {name: "Extension-UKCore-CareSettingType", types: []string{"CodeableConcept"}},
	"Extension-UKCore-ClinicalSetting":                       {name: "Extension-UKCore-ClinicalSetting", types: []string{"CodeableConcept"}},
	"Extension-UKCore-CodingSCTDescDisplay":                  {name: "Extension-UKCore-CodingSCTDescDisplay", types: []string{"string"}},
	"Extension-UKCore-CodingSCTDescId":                       {name: "Extension-UKCore-CodingSCTDescId", complex: true},
	"extension-Condition.bodyStructure":                      {name: "extension-Condition.bodyStructure", types: []string{"Reference"}},
	"Extension-UKCore-ConditionEpisode":                      {name: "Extension-UKCore-ConditionEpisode", types: []string{"CodeableConcept"}},
	"Extension-UKCore-ContactPreference":                     {name: "Extension-UKCore-ContactPreference", complex: true},
	"Extension-UKCore-ContactRank":                           {name: "Extension-UKCore-ContactRank", types: []string{"positiveInt"}},
	"Extension-UKCore-CopyCorrespondenceIndicator":           {name: "Extension-UKCore-CopyCorrespondenceIndicator", types: []string{"boolean"}},
	"Extension-UKCore-Coverage":                              {name: "Extension-UKCore-Coverage", types: []string{"CodeableConcept"}},
	"Extension-UKCore-CuffSize":                              {name: "Extension-UKCore-CuffSize", types: []string{"CodeableConcept"}},
	"Extension-UKCore-DeathNotificationStatus":               {name: "Extension-UKCore-DeathNotificationStatus", complex: true},
	"Extension-UKCore-DeliveryChannel":                       {name: "Extension-UKCore-DeliveryChannel", types: []string{"CodeableConcept"}},
	"Extension-UKCore-DeviceReference":                       {name: "Extension-UKCore-DeviceReference", types: []string{"Reference"}},
	"extension-DiagnosticReport.composition":                 {name: "extension-DiagnosticReport.composition", types: []string{"Reference"}},
	"extension-DiagnosticReport.media.link":                  {name: "extension-DiagnosticReport.media.link", types: []string{"Reference"}},
	"extension-DiagnosticReport.note":                        {name: "extension-DiagnosticReport.note", types: []string{"Annotation"}},
	"extension-DiagnosticReport.supportingInfo":              {name: "extension-DiagnosticReport.supportingInfo", complex: true},
	"Extension-UKCore-DischargeMethod":                       {name: "Extension-UKCore-DischargeMethod", types: []string{"CodeableConcept"}},
	"Extension-UKCore-EffectivePeriod":                       {name: "Extension-UKCore-EffectivePeriod", types: []string{"Period"}},
	"Extension-UKCore-EmergencyCareDischargeStatus":          {name: "Extension-UKCore-EmergencyCareDischargeStatus", types: []string{"CodeableConcept"}},
	"Extension-UKCore-EncounterTransport":                    {name: "Extension-UKCore-EncounterTransport", complex: true},
	"Extension-UKCore-EthnicCategory":                        {name: "Extension-UKCore-EthnicCategory", types: []string{"CodeableConcept"}},
	"Extension-UKCore-Evidence":                              {name: "Extension-UKCore-Evidence", types: []string{"Reference"}},
	"extension-FamilyMemberHistory.participant":              {name: "extension-FamilyMemberHistory.participant", complex: true},
	"Extension-UKCore-LegalStatus":                           {name: "Extension-UKCore-LegalStatus", complex: true},
	"Extension-UKCore-ListWarningCode":                       {name: "Extension-UKCore-ListWarningCode", types: []string{"CodeableConcept"}},
	"Extension-UKCore-MainLocation":                          {name: "Extension-UKCore-MainLocation", types: []string{"Reference"}},
	"Extension-UKCore-MedicalApplianceSupplier":              {name: "Extension-UKCore-MedicalApplianceSupplier", types: []string{"Reference"}},
	"Extension-UKCore-MedicationChangeSummary":               {name: "Extension-UKCore-MedicationChangeSummary", complex: true},
	"Extension-UKCore-MedicationDosageLastChanged":           {name: "Extension-UKCore-MedicationDosageLastChanged", types: []string{"dateTime"}},
	"Extension-UKCore-MedicationPrescribingAgency":           {name: "Extension-UKCore-MedicationPrescribingAgency", types: []string{"CodeableConcept"}},
	"Extension-UKCore-MedicationPrescribingOrganization":     {name: "Extension-UKCore-MedicationPrescribingOrganization", types: []string{"CodeableConcept"}},
	"Extension-UKCore-MedicationPrescribingOrganizationType": {name: "Extension-UKCore-MedicationPrescribingOrganizationType", types: []string{"CodeableConcept"}},
	"Extension-UKCore-MedicationQuantityText":                {name: "Extension-UKCore-MedicationQuantityText", types: []string{"string"}},
	"Extension-UKCore-MedicationRepeatInformation":           {name: "Extension-UKCore-MedicationRepeatInformation", complex: true},
	"Extension-UKCore-MedicationStatementLastIssueDate":      {name: "Extension-UKCore-MedicationStatementLastIssueDate", types: []string{"dateTime"}},
	"Extension-UKCore-MedicationTradeFamily":                 {name: "Extension-UKCore-MedicationTradeFamily", types: []string{"CodeableConcept"}},
	"Extension-UKCore-MessageHeaderInstruction":              {name: "Extension-UKCore-MessageHeaderInstruction", types: []string{"Coding"}},
	"Extension-UKCore-NHSCommunication":                      {name: "Extension-UKCore-NHSCommunication", complex: true},
	"Extension-UKCore-NHSNumberUnavailableReason":            {name: "Extension-UKCore-NHSNumberUnavailableReason", types: []string{"CodeableConcept"}},
	"Extension-UKCore-NHSNumberVerificationStatus":           {name: "Extension-UKCore-NHSNumberVerificationStatus", types: []string{"CodeableConcept"}},
	"Extension-UKCore-NominatedPharmacy":                     {name: "Extension-UKCore-NominatedPharmacy", types: []string{"Reference"}},
	"extension-Observation.bodyStructure":                    {name: "extension-Observation.bodyStructure", types: []string{"Reference"}},
	"extension-Observation.triggeredBy":                      {name: "extension-Observation.triggeredBy", complex: true},
	"Extension-UKCore-OtherContactSystem":                    {name: "Extension-UKCore-OtherContactSystem", types: []string{"CodeableConcept"}},
	"Extension-UKCore-OutcomeOfAttendance":                   {name: "Extension-UKCore-OutcomeOfAttendance", types: []string{"CodeableConcept"}},
	"Extension-UKCore-OverseasVisitorChargingCategory":       {name: "Extension-UKCore-OverseasVisitorChargingCategory", types: []string{"CodeableConcept"}},
	"Extension-UKCore-ParentPresent":                         {name: "Extension-UKCore-ParentPresent", types: []string{"boolean"}},
	"extension-Patient.fetalStatus":                          {name: "extension-Patient.fetalStatus", types: []string{"code"}},
	"Extension-UKCore-PharmacistVerifiedIndicator":           {name: "Extension-UKCore-PharmacistVerifiedIndicator", types: []string{"boolean"}},
	"Extension-UKCore-PreferredDispenserOrganization":        {name: "Extension-UKCore-PreferredDispenserOrganization", types: []string{"Reference"}},
	"Extension-UKCore-PrescriptionType":                      {name: "Extension-UKCore-PrescriptionType", types: []string{"CodeableConcept"}},
	"Extension-UKCore-PriorityReason":                        {name: "Extension-UKCore-PriorityReason", types: []string{"CodeableConcept"}},
	"Extension-UKCore-ProblemSignificance":                   {name: "Extension-UKCore-ProblemSignificance", types: []string{"code"}},
	"Extension-UKCore-Recorder":                              {name: "Extension-UKCore-Recorder", types: []string{"Reference"}},
	"Extension-UKCore-RecordingSetting":                      {name: "Extension-UKCore-RecordingSetting", types: []string{"CodeableConcept"}},
	"Extension-UKCore-RelatedClinicalContent":                {name: "Extension-UKCore-RelatedClinicalContent", types: []string{"Reference"}},
	"Extension-UKCore-RelatedProblemHeader":                  {name: "Extension-UKCore-RelatedProblemHeader", complex: true},
	"Extension-UKCore-ReligiousAffiliation":                  {name: "Extension-UKCore-ReligiousAffiliation", types: []string{"CodeableConcept"}},
	"Extension-UKCore-ResidentialStatus":                     {name: "Extension-UKCore-ResidentialStatus", types: []string{"CodeableConcept"}},
	"Extension-UKCore-SampleCategory":                        {name: "Extension-UKCore-SampleCategory", types: []string{"CodeableConcept"}},
	"Extension-UKCore-ServiceRequestMethod":                  {name: "Extension-UKCore-ServiceRequestMethod", types: []string{"CodeableConcept"}},
	"Extension-UKCore-SourceOfServiceRequest":                {name: "Extension-UKCore-SourceOfServiceRequest", types: []string{"CodeableConcept"}},
	"extension-Specimen.collection.collector":                {name: "extension-Specimen.collection.collector", types: []string{"Reference"}},
	"extension-Specimen.container.device":                    {name: "extension-Specimen.container.device", types: []string{"Reference"}},
	"extension-Specimen.container.location":                  {name: "extension-Specimen.container.location", types: []string{"Reference"}},
	"extension-Subscription.content":                         {name: "extension-Subscription.content", types: []string{"code"}},
	"extension-Subscription.parameter":                       {name: "extension-Subscription.parameter", complex: true},
	"Extension-UKCore-TreatmentCategory":                     {name: "Extension-UKCore-TreatmentCategory", types: []string{"CodeableConcept"}},
	"Extension-UKCore-TypedDateTime":                         {name: "Extension-UKCore-TypedDateTime", complex: true},
	"Extension-UKCore-TypedPeriod":                           {name: "Extension-UKCore-TypedPeriod", complex: true},
	"Extension-UKCore-VaccinationProcedure":                  {name: "Extension-UKCore-VaccinationProcedure", types: []string{"CodeableConcept"}},
}

// lookupExtension finds a UK Core extension by URL, in either base.
func lookupExtension(url string) (extensionDef, bool) {
	var short string
	switch {
	case strings.HasPrefix(url, UKCoreBase):
		short = url[len(UKCoreBase):]
	case strings.HasPrefix(url, ukCoreR4Base):
		short = url[len(ukCoreR4Base):]
	default:
		return extensionDef{}, false
	}
	d, ok := ukCoreExtensions[short]
	return d, ok
}

func isUKCoreExtensionURL(url string) bool {
	return strings.HasPrefix(url, UKCoreBase+"Extension-") || strings.HasPrefix(url, ukCoreR4Base+"Extension-")
}
