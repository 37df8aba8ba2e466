package fhirterm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/rf2"
)

// A hand-made, UK-shaped release: the International core module, the UK
// Clinical Extension module (namespace 1000000) and the UK Drug Extension
// module (namespace 1000001); the GB English, NHS clinical and NHS
// pharmacy language reference sets; a UK ICD-10 complex map with map
// groups, rules and advice; an OPCS-4.10 map; a UK subset; a retired
// concept with its REPLACED BY association. Every answer below is written
// by hand from these rows.

const (
	coreModule   = 900000000000207008
	ukClinModule = 999000011000000103
	ukDrugModule = 999000011000001104

	gbLang       = 900000000000508004
	usLang       = 900000000000509007
	ukClinLang   = 999001261000000100
	ukPharmLang  = 999000691000001104
	preferred    = 900000000000548007
	acceptable   = 900000000000549004
	fsn          = 900000000000003001
	synonym      = 900000000000013009
	isA          = 116680003
	inferred     = 900000000000011006
	existential  = 900000000000451002
	primitive    = 900000000000074008
	defined      = 900000000000073002
	caseInsens   = 900000000000448009
	icd10UK      = 999002271000000101
	opcs410      = 1382401000000109
	correlation  = 447561005
	replacedBy   = 900000000000526001
	inactivation = 900000000000489007
	outdated     = 900000000000483008

	root            = 138875005
	clinicalFinding = 404684003
	disease         = 64572001
	asthma          = 195967001
	childAsthma     = 233678006
	diabetes        = 73211009
	type2Diabetes   = 44054006
	bodyStructure   = 123037004
	lungStructure   = 39607008
	anatomical      = 442083009 // Anatomical or acquired body structure: R4's body-site value set
	findingSite     = 363698007
	procedure       = 71388002
	appendicectomy  = 80146002
	substance       = 105590001
	paracetamol     = 387517004
	refsetRoot      = 900000000000455006
)

// longID makes a long-format (extension) id: item, namespace, partition
// and check digit.
func longID(item uint64, namespace string, partition string) uint64 {
	s := strconv.FormatUint(item, 10) + namespace + partition
	s += string(rf2.VerhoeffCheck(s))
	v, _ := strconv.ParseUint(s, 10, 64)
	return v
}

var (
	retiredAsthma = rf2.MakeSCTID(9100001, rf2.PartConcept) // inactive, REPLACED BY asthma
	asthmaReview  = longID(1001, "1000000", "10")           // UK clinical concept
	ukSubset      = longID(2001, "1000000", "10")           // UK simple refset
	paraTablet    = longID(3001, "1000001", "10")           // UK drug concept
	ukSubsetRows  = []uint64{asthma, childAsthma}
	ukConcepts    = []uint64{asthmaReview, ukSubset}
	drugConcepts  = []uint64{paraTablet}
	allConceptIDs []uint64
)

type concept struct {
	id      uint64
	parents []uint64
	active  bool
	def     uint64
	terms   []term
}

type term struct {
	text string
	typ  uint64
	lang map[uint64]uint64 // language refset -> acceptability
}

func gbus(acc uint64) map[uint64]uint64 { return map[uint64]uint64{gbLang: acc, usLang: acc} }

func ukConceptList() []concept {
	return []concept{
		{root, nil, true, primitive, []term{{"SNOMED CT Concept (SNOMED RT+CTV3)", fsn, gbus(preferred)}, {"SNOMED CT Concept", synonym, gbus(preferred)}}},
		{clinicalFinding, []uint64{root}, true, primitive, []term{{"Clinical finding (finding)", fsn, gbus(preferred)}, {"Clinical finding", synonym, gbus(preferred)}}},
		{disease, []uint64{clinicalFinding}, true, primitive, []term{{"Disease (disorder)", fsn, gbus(preferred)}, {"Disease", synonym, gbus(preferred)}}},
		{asthma, []uint64{disease}, true, primitive, []term{{"Asthma (disorder)", fsn, gbus(preferred)}, {"Asthma", synonym, gbus(preferred)}, {"Bronchial asthma", synonym, gbus(acceptable)}}},
		{childAsthma, []uint64{asthma}, true, defined, []term{{"Childhood asthma (disorder)", fsn, gbus(preferred)}, {"Childhood asthma", synonym, gbus(preferred)}, {"Asthma in childhood", synonym, gbus(acceptable)}}},
		{diabetes, []uint64{disease}, true, primitive, []term{{"Diabetes mellitus (disorder)", fsn, gbus(preferred)}, {"Diabetes mellitus", synonym, gbus(preferred)}}},
		{type2Diabetes, []uint64{diabetes}, true, primitive, []term{{"Type 2 diabetes mellitus (disorder)", fsn, gbus(preferred)}, {"Type 2 diabetes mellitus", synonym, map[uint64]uint64{gbLang: preferred, usLang: preferred, ukClinLang: acceptable}}, {"Diabetes mellitus type 2", synonym, map[uint64]uint64{ukClinLang: preferred, gbLang: acceptable}}}},
		{bodyStructure, []uint64{root}, true, primitive, []term{{"Body structure (body structure)", fsn, gbus(preferred)}, {"Body structure", synonym, gbus(preferred)}}},
		{anatomical, []uint64{bodyStructure}, true, primitive, []term{{"Anatomical or acquired body structure (body structure)", fsn, gbus(preferred)}, {"Anatomical or acquired body structure", synonym, gbus(preferred)}}},
		{lungStructure, []uint64{anatomical}, true, primitive, []term{{"Lung structure (body structure)", fsn, gbus(preferred)}, {"Lung structure", synonym, gbus(preferred)}}},
		{findingSite, []uint64{root}, true, primitive, []term{{"Finding site (attribute)", fsn, gbus(preferred)}, {"Finding site", synonym, gbus(preferred)}}},
		{procedure, []uint64{root}, true, primitive, []term{{"Procedure (procedure)", fsn, gbus(preferred)}, {"Procedure", synonym, gbus(preferred)}}},
		{appendicectomy, []uint64{procedure}, true, primitive, []term{{"Appendectomy (procedure)", fsn, gbus(preferred)}, {"Appendicectomy", synonym, map[uint64]uint64{gbLang: preferred, usLang: acceptable}}, {"Appendectomy", synonym, map[uint64]uint64{usLang: preferred}}}},
		{substance, []uint64{root}, true, primitive, []term{{"Substance (substance)", fsn, gbus(preferred)}, {"Substance", synonym, gbus(preferred)}}},
		{paracetamol, []uint64{substance}, true, primitive, []term{{"Paracetamol (substance)", fsn, gbus(preferred)}, {"Paracetamol", synonym, map[uint64]uint64{gbLang: preferred, ukPharmLang: preferred}}, {"Acetaminophen", synonym, map[uint64]uint64{usLang: preferred, gbLang: acceptable}}}},
		{refsetRoot, []uint64{root}, true, primitive, []term{{"Reference set (foundation metadata concept)", fsn, gbus(preferred)}, {"Reference set", synonym, gbus(preferred)}}},
		{retiredAsthma, nil, false, primitive, []term{{"Asthma attack (disorder)", fsn, gbus(preferred)}, {"Asthma attack", synonym, gbus(preferred)}}},
		{asthmaReview, []uint64{procedure}, true, primitive, []term{{"Asthma annual review (regime/therapy)", fsn, map[uint64]uint64{ukClinLang: preferred}}, {"Asthma annual review", synonym, map[uint64]uint64{ukClinLang: preferred}}}},
		{ukSubset, []uint64{refsetRoot}, true, primitive, []term{{"Asthma simple reference set (foundation metadata concept)", fsn, map[uint64]uint64{ukClinLang: preferred}}, {"Asthma simple reference set", synonym, map[uint64]uint64{ukClinLang: preferred}}}},
		{paraTablet, []uint64{substance}, true, primitive, []term{{"Paracetamol 500mg tablets (product)", fsn, map[uint64]uint64{ukPharmLang: preferred}}, {"Paracetamol 500mg tablets", synonym, map[uint64]uint64{ukPharmLang: preferred}}}},
	}
}

type mapRow struct {
	refset, concept uint64
	group, priority int
	rule, advice    string
	target          string
}

var ukMaps = []mapRow{
	{icd10UK, asthma, 1, 1, "TRUE", "ALWAYS J45.9", "J45.9"},
	{icd10UK, childAsthma, 1, 1, "TRUE", "ALWAYS J45.9", "J45.9"},
	{icd10UK, type2Diabetes, 1, 1, "IFA 77386006 | Pregnancy (finding) |", "IF PREGNANT CHOOSE O24.1", "O24.1"},
	{icd10UK, type2Diabetes, 1, 2, "OTHERWISE TRUE", "ALWAYS E11.9", "E11.9"},
	{icd10UK, type2Diabetes, 2, 1, "TRUE", "ADDITIONAL CODE POSSIBLE", "Y42.3"},
	{icd10UK, disease, 1, 1, "TRUE", "MAP SOURCE CONCEPT CANNOT BE CLASSIFIED WITH AVAILABLE DATA", ""},
	{opcs410, appendicectomy, 1, 1, "TRUE", "ALWAYS H01.9", "H01.9"},
}

// writeUKRelease writes the release under dir.
func writeUKRelease(t testing.TB, dir string) {
	t.Helper()
	files := map[string]*strings.Builder{}
	w := func(path, header string) *strings.Builder {
		b, ok := files[path]
		if !ok {
			b = &strings.Builder{}
			b.WriteString(header + "\r\n")
			files[path] = b
		}
		return b
	}
	const et = "20260401"
	const ukET = "20261001"
	conceptHdr := "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId"
	descHdr := "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId"
	relHdr := "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId"
	langHdr := "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId"
	uuid := 0
	nextUUID := func(kind int) string {
		uuid++
		return fmt.Sprintf("%08x-%04x-4000-8000-%012x", uuid, kind, uuid)
	}
	desc, relSeq := uint64(0), uint64(0)
	allConceptIDs = nil
	for _, c := range ukConceptList() {
		allConceptIDs = append(allConceptIDs, c.id)
		module, pkg, time := uint64(coreModule), "INT", et
		switch {
		case contains(ukConcepts, c.id):
			module, pkg, time = ukClinModule, "UKCL", ukET
		case contains(drugConcepts, c.id):
			module, pkg, time = ukDrugModule, "UKDG", ukET
		}
		base, sfx := "Snapshot", "INT_"+et
		if pkg != "INT" {
			base, sfx = pkg+"Snapshot", map[string]string{"UKCL": "GB1000000_", "UKDG": "GB1000001_"}[pkg]+ukET
		}
		term := filepath.Join(pkg, "Terminology")
		active := 0
		if c.active {
			active = 1
		}
		fmt.Fprintf(w(filepath.Join(term, "sct2_Concept_"+base+"_"+sfx+".txt"), conceptHdr), "%d\t%s\t%d\t%d\t%d\r\n", c.id, time, active, module, c.def)
		for _, p := range c.parents {
			relSeq++
			fmt.Fprintf(w(filepath.Join(term, "sct2_Relationship_"+base+"_"+sfx+".txt"), relHdr), "%d\t%s\t1\t%d\t%d\t%d\t0\t%d\t%d\t%d\r\n", rf2.MakeSCTID(100000+relSeq, rf2.PartRelationship), time, module, c.id, p, isA, inferred, existential)
		}
		for _, tm := range c.terms {
			desc++
			did := rf2.MakeSCTID(100000+desc, rf2.PartDescription)
			fmt.Fprintf(w(filepath.Join(term, "sct2_Description_"+base+"-en_"+sfx+".txt"), descHdr), "%d\t%s\t1\t%d\t%d\ten\t%d\t%s\t%d\r\n", did, time, module, c.id, tm.typ, tm.text, caseInsens)
			for refset, acc := range tm.lang {
				lpkg, lbase, lsfx, lmod := "INT", "LanguageSnapshot-en", "INT_"+et, uint64(coreModule)
				switch refset {
				case ukClinLang:
					lpkg, lbase, lsfx, lmod = "UKCL", "LanguageUKCLSnapshot-en", "GB1000000_"+ukET, ukClinModule
				case ukPharmLang:
					lpkg, lbase, lsfx, lmod = "UKDG", "LanguageUKDGSnapshot-en", "GB1000001_"+ukET, ukDrugModule
				}
				fmt.Fprintf(w(filepath.Join(lpkg, "Refset", "der2_cRefset_"+lbase+"_"+lsfx+".txt"), langHdr), "%s\t%s\t1\t%d\t%d\t%d\t%d\r\n", nextUUID(1), et, lmod, refset, did, acc)
			}
		}
	}
	// Attributes: asthma and childhood asthma have a finding site of lung
	// structure in group 1.
	for _, src := range []uint64{asthma, childAsthma} {
		relSeq++
		fmt.Fprintf(w(filepath.Join("INT", "Terminology", "sct2_Relationship_Snapshot_INT_"+et+".txt"), relHdr), "%d\t%s\t1\t%d\t%d\t%d\t1\t%d\t%d\t%d\r\n", rf2.MakeSCTID(100000+relSeq, rf2.PartRelationship), et, coreModule, src, lungStructure, findingSite, inferred, existential)
	}
	fmt.Fprintf(w(filepath.Join("INT", "Refset", "der2_cRefset_AssociationSnapshot_INT_"+et+".txt"), "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\ttargetComponentId"),
		"%s\t%s\t1\t%d\t%d\t%d\t%d\r\n", nextUUID(2), et, coreModule, replacedBy, retiredAsthma, asthma)
	fmt.Fprintf(w(filepath.Join("INT", "Refset", "der2_cRefset_AttributeValueSnapshot_INT_"+et+".txt"), "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tvalueId"),
		"%s\t%s\t1\t%d\t%d\t%d\t%d\r\n", nextUUID(3), et, coreModule, inactivation, retiredAsthma, outdated)
	for _, m := range ukSubsetRows {
		fmt.Fprintf(w(filepath.Join("UKCL", "Refset", "der2_Refset_SimpleUKCLSnapshot_GB1000000_"+ukET+".txt"), "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId"),
			"%s\t%s\t1\t%d\t%d\t%d\r\n", nextUUID(4), ukET, ukClinModule, ukSubset, m)
	}
	for _, m := range ukMaps {
		fmt.Fprintf(w(filepath.Join("UKCL", "Refset", "der2_iisssciRefset_ExtendedMapUKCLSnapshot_GB1000000_"+ukET+".txt"),
			"id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tmapGroup\tmapPriority\tmapRule\tmapAdvice\tmapTarget\tcorrelationId\tmapBlock"),
			"%s\t%s\t1\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t1\r\n", nextUUID(5), ukET, ukClinModule, m.refset, m.concept, m.group, m.priority, m.rule, m.advice, m.target, correlation)
	}
	for path, b := range files {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func contains(xs []uint64, x uint64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// openUK imports the hand-made release into a temporary store.
func openUK(t testing.TB) *snomed.Store {
	t.Helper()
	dir := t.TempDir()
	writeUKRelease(t, filepath.Join(dir, "rel"))
	path := filepath.Join(dir, "uk.db")
	if err := snomed.Import(context.Background(), filepath.Join(dir, "rel"), path); err != nil {
		t.Fatal(err)
	}
	s, err := snomed.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
