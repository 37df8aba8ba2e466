package ecl_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// memMaps adds the rows of a map reference set to mem.
type memMaps struct {
	*mem
	rows map[snomed.ID][]snomed.MapEntry
}

func (m memMaps) Maps(id, refset snomed.ID) []snomed.MapEntry {
	var out []snomed.MapEntry
	for _, r := range m.rows[id] {
		if refset == 0 || r.Refset == refset {
			out = append(out, r)
		}
	}
	return out
}

const (
	icd10      = 447562003
	swedish    = 46011000052107
	replacedBy = 900000000000526001
)

// semanticsWorld is newMem with a Swedish synonym, a language reference
// set whose members are descriptions, an ICD-10 map and the association
// reference set concepts.
func semanticsWorld() memMaps {
	m := newMem()
	m.descs[mi] = append(m.descs[mi], snomed.Description{ID: 1101, Concept: mi, Term: "Hjärtinfarkt", Type: synType, LanguageCode: "sv", Active: true, Acceptability: map[snomed.ID]snomed.ID{swedish: pref}})
	m.refsets[gb] = []snomed.ID{1001, 1002, 1004}
	m.refsets[icd10] = []snomed.ID{asthma, mi}
	for _, c := range []snomed.ID{sameAsAssoc, replacedBy, icd10, fsnType, defined} {
		m.concepts[c] = snomed.Concept{ID: c, Active: true, Module: coreModule, DefinitionStatus: primitive}
		m.parents[c] = []snomed.ID{root}
	}
	return memMaps{mem: m, rows: map[snomed.ID][]snomed.MapEntry{
		asthma: {{Refset: icd10, Group: 1, Priority: 1, Target: "J45.9"}, {Refset: icd10, Group: 2, Priority: 1, Target: "J45.8"}},
		mi:     {{Refset: icd10, Group: 1, Priority: 1, Target: "I21.9"}},
	}}
}

func TestSemantics(t *testing.T) {
	m := semanticsWorld()
	for _, tt := range []struct {
		why, expr string
		want      []snomed.ID
	}{
		// 6.1: member-of returns concepts; a language reference set's
		// members are descriptions.
		{"member-of returns no descriptions", "^ 900000000000508004", nil},
		{"any member-of returns concepts only", "^ *", []snomed.ID{oldMI, heart, lung, asthma, mi}},
		{"an inactive member is a member", "^ 900000000000527005", []snomed.ID{oldMI}},
		// 6.9: hierarchy operators match active concepts only.
		{"an inactive concept is itself", "155388006", []snomed.ID{oldMI}},
		{"<< of an inactive concept", "<< 155388006", nil},
		{">> of an inactive concept", ">> 155388006", nil},
		{"<<! of an inactive concept", "<<! 155388006", nil},
		{"<< of an inactive member", "<< ^ 900000000000527005", nil},
		{"<< of members keeps active ones", "<< ^ 723264001", []snomed.ID{heart, lung}},
		// 6.8: separate filter blocks may hold for different descriptions.
		{"blocks for different descriptions", `<< 64572001 {{ term = "hjärt", language = sv }} {{ term = "heart", language = en }}`, []snomed.ID{mi}},
		{"one block needs one description", `<< 64572001 {{ term = "hjärt", language = sv, term = "heart" }}`, nil},
		{"dialect alias of Appendix C", "<< 64572001 {{ dialect = sv-se }}", []snomed.ID{mi}},
		{"dialect alias, case-insensitive", "<< 64572001 {{ dialect = SV-SE (prefer) }}", []snomed.ID{mi}},
		{"dialect alias with no descriptions", "<< 64572001 {{ dialect = en-nz }}", nil},
		{"dialect set with one acceptability", "<< 64572001 {{ dialect = (en-gb en-us) (prefer), term = \"myocardial\" }}", []snomed.ID{mi}},
		{"dialectId sub-expression", "<< 64572001 {{ dialectId = 46011000052107 (accept) }}", nil},
		{"typeId sub-expression", "<< 64572001 {{ typeId = << 900000000000003001 }}", []snomed.ID{mi}},
		{"definitionStatusId sub-expression", "<< 64572001 {{ C definitionStatusId = << 900000000000073002 }}", []snomed.ID{mi}},
		{"effective time of none", "<< 64572001 {{ C effectiveTime = \"\" }}", nil},
		// 6.10: a member filter's typed search term defaults to match
		// (the specification's mapTarget = "J45" example).
		{"mapTarget default match", `^ 447562003 {{ M mapTarget = "J45" }}`, []snomed.ID{asthma}},
		{"mapTarget whole code", `^ 447562003 {{ M mapTarget = "J45.9" }}`, []snomed.ID{asthma}},
		{"mapTarget wild", `^ 447562003 {{ M mapTarget = wild:"I2*" }}`, []snomed.ID{mi}},
		{"mapTarget not", `^ 447562003 {{ M mapTarget != "J45" }}`, []snomed.ID{mi}},
		{"mapGroup", `^ 447562003 {{ M mapGroup = #2 }}`, []snomed.ID{asthma}},
		{"one row for a block", `^ 447562003 {{ M mapGroup = #2, mapTarget = "J45.9" }}`, nil},
		{"separate blocks, separate rows", `^ 447562003 {{ M mapGroup = #2 }} {{ M mapTarget = "J45.9" }}`, []snomed.ID{asthma}},
		{"active = 1", "^ 447562003 {{ M active = 1 }}", []snomed.ID{asthma, mi}},
		{"active = false", "^ 447562003 {{ M active = false }}", nil},
		{"nested concept filter", "^ 447562003 {{ M referencedComponentId = << 64572001 {{ C definitionStatus = defined }} }}", []snomed.ID{mi}},
		{"field selection of targets", "^ [targetComponentId] 900000000000527005 {{ M referencedComponentId = 155388006 }}", []snomed.ID{mi}},
		{"field selection of referenced components", "^ [referencedComponentId] 723264001", []snomed.ID{heart, lung}},
		{"history with explicit refsets", "22298006 {{ + HISTORY (900000000000527005) }}", []snomed.ID{mi, oldMI}},
		{"history with another refset", "22298006 {{ + HISTORY (900000000000526001) }}", []snomed.ID{mi}},
		{"string set on a concrete value", `* : 1142139005 = ("capsule" wild:"tab*")`, []snomed.ID{para}},
	} {
		t.Run(tt.why, func(t *testing.T) {
			got, err := ecl.EvaluateSource(m, mustParse(t, tt.expr))
			require.NoError(t, err, tt.expr)
			assert.Equal(t, ids(sortedIDs(tt.want)), ids(got), tt.expr)
		})
	}
	for _, tt := range []struct {
		expr string
		want error
	}{
		{"<< 64572001 {{ dialect = xx-nowhere }}", ecl.ErrUnknownDialect},
		{"<< LOINC#54486-6", ecl.ErrUnsupported},
		{"^ [mapTarget] 447562003", ecl.ErrUnsupported},
		{"^ [referencedComponentId, mapTarget] 447562003", ecl.ErrUnsupported},
		{"^ 447562003 {{ M moduleId = 900000000000207008 }}", ecl.ErrUnsupported},
		{"^ 723264001 {{ M mapTarget = \"x\" }}", ecl.ErrUnsupported},
		{"<< 64572001 : 363698007 = 999999001", ecl.ErrUnknownConcept},
		{"<< 64572001 : 999999001 = *", ecl.ErrUnknownConcept},
		{"<< 999999001", ecl.ErrUnknownConcept},
	} {
		_, err := ecl.EvaluateSource(m, mustParse(t, tt.expr))
		assert.ErrorIs(t, err, tt.want, tt.expr)
	}
}
