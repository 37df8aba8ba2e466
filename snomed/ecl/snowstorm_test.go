package ecl_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// The scenario of Snowstorm's ECL test class (IHTSDO/snowstorm,
// src/test/java/org/snomed/snowstorm/ecl/ECLQueryServiceTest.java): 34
// concepts, grouped and ungrouped attributes, two reference sets. The
// expected answers are that class's assertions; the ids are its test
// constants.
const (
	ssRoot          = 138875005
	ssIsA           = 116680003
	ssModelComp     = 900000000000441003
	ssAttr          = 410662002
	ssObjAttr       = 762705008
	ssSite          = 363698007
	ssMorph         = 116676008
	ssProcSite      = 363704007
	ssProcSiteDir   = 405813007
	ssLaterality    = 272741003
	ssRight         = 24028007
	ssBody          = 123037004
	ssHeart         = 80891009
	ssSkin          = 39937001
	ssThorax        = 51185008
	ssPulmValve     = 39057004
	ssRightVent     = 53085002
	ssLeftFoot      = 22335008
	ssRightFoot     = 7769000
	ssStenosis      = 415582006
	ssHypertrophy   = 56246009
	ssHemorrhage    = 50960005
	ssFinding       = 404684003
	ssDisorder      = 64572001
	ssBleeding      = 131148009
	ssBleedingSkin  = 297968009
	ssFallot        = 204306007
	ssFallotWrong   = 999204306007
	ssProcedure     = 71388002
	ssHeartOp       = 64915003
	ssChestImaging  = 413815006
	ssAmpLeft       = 180030006
	ssAmpRight      = 723312009
	ssAmpBoth       = 723311002
	ssMRCMDomain    = 723604009
	ssSimpleRefset  = 446609009
	ssNonExistent   = 12345001
	ssNumConcepts   = 34
	ssExpectedLeafs = "723312009 297968009 50960005 24028007 22335008 39057004 180030006 64915003 413815006 272741003 999204306007 7769000 723311002 204306007 116680003 363698007 116676008 56246009 53085002 39937001 405813007 80891009 415582006 51185008"
)

func snowstormWorld() *mem {
	m := &mem{concepts: map[snomed.ID]snomed.Concept{}, parents: map[snomed.ID][]snomed.ID{}, descs: map[snomed.ID][]snomed.Description{}, assoc: map[snomed.ID][]snomed.Association{}, refsets: map[snomed.ID][]snomed.ID{}}
	add := func(id snomed.ID, parent snomed.ID, rels ...snomed.Relationship) {
		m.concepts[id] = snomed.Concept{ID: id, Active: true, Module: coreModule, DefinitionStatus: primitive}
		if parent != 0 {
			m.parents[id] = []snomed.ID{parent}
		}
		for _, r := range rels {
			r.Source = id
			m.rels = append(m.rels, r)
		}
	}
	rel := func(typ, dest snomed.ID, group int) snomed.Relationship {
		return snomed.Relationship{Type: typ, Destination: dest, Group: group}
	}
	add(ssRoot, 0)
	add(ssIsA, ssRoot)
	add(ssModelComp, ssRoot)
	add(ssAttr, ssModelComp)
	add(ssObjAttr, ssAttr)
	add(ssSite, ssObjAttr)
	add(ssMorph, ssObjAttr)
	add(ssProcSite, ssObjAttr)
	add(ssProcSiteDir, ssProcSite)
	add(ssLaterality, ssObjAttr)
	add(ssRight, ssRoot)
	add(ssBody, ssRoot)
	add(ssHeart, ssBody)
	add(ssSkin, ssBody)
	add(ssThorax, ssBody)
	add(ssPulmValve, ssBody)
	add(ssRightVent, ssBody, rel(ssLaterality, ssRight, 0))
	add(ssLeftFoot, ssBody)
	add(ssRightFoot, ssBody)
	add(ssStenosis, ssBody)
	add(ssHypertrophy, ssBody)
	add(ssHemorrhage, ssBody)
	add(ssFinding, ssRoot)
	add(ssDisorder, ssFinding)
	add(ssBleeding, ssFinding, rel(ssMorph, ssHemorrhage, 0))
	add(ssBleedingSkin, ssBleeding, rel(ssMorph, ssHemorrhage, 0), rel(ssSite, ssSkin, 0))
	add(ssFallot, ssDisorder, rel(ssSite, ssPulmValve, 1), rel(ssMorph, ssStenosis, 1), rel(ssSite, ssRightVent, 2), rel(ssMorph, ssHypertrophy, 2))
	add(ssFallotWrong, ssDisorder, rel(ssSite, ssPulmValve, 1), rel(ssMorph, ssStenosis, 2), rel(ssSite, ssRightVent, 2), rel(ssMorph, ssHypertrophy, 1))
	add(ssProcedure, ssRoot)
	add(ssHeartOp, ssProcedure, rel(ssProcSite, ssHeart, 0))
	add(ssChestImaging, ssProcedure, rel(ssProcSiteDir, ssThorax, 0))
	add(ssAmpLeft, ssProcedure, rel(ssProcSite, ssLeftFoot, 1))
	add(ssAmpRight, ssProcedure, rel(ssProcSite, ssRightFoot, 1))
	add(ssAmpBoth, ssProcedure, rel(ssProcSite, ssLeftFoot, 1), rel(ssProcSite, ssRightFoot, 2))
	m.refsets[ssMRCMDomain] = []snomed.ID{ssFinding, ssBody}
	m.refsets[ssSimpleRefset] = []snomed.ID{ssBody}
	return m
}

func idList(xs ...snomed.ID) []snomed.ID {
	out := append([]snomed.ID(nil), xs...)
	return sortedIDs(out)
}

func sortedIDs(xs []snomed.ID) []snomed.ID {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs
}

func TestSnowstormScenario(t *testing.T) {
	m := snowstormWorld()
	require.Len(t, m.Concepts(), ssNumConcepts)
	all := m.Concepts()
	var allButRoot []snomed.ID
	for _, c := range all {
		if c != ssRoot {
			allButRoot = append(allButRoot, c)
		}
	}
	var leafs []snomed.ID
	for _, w := range strings.Fields(ssExpectedLeafs) {
		v, _ := strconv.ParseUint(w, 10, 64)
		leafs = append(leafs, snomed.ID(v))
	}
	id := func(x snomed.ID) string { return strconv.FormatUint(uint64(x), 10) }
	const (
		FS, AM, PS, BS = "363698007", "116676008", "363704007", "123037004"
	)
	for _, tt := range []struct {
		name, expr string
		want       []snomed.ID
	}{
		{"self", id(ssRoot), idList(ssRoot)},
		{"descendants of root", "<" + id(ssRoot), allButRoot},
		{"descendants or self of root", "<<" + id(ssRoot), all},
		{"descendants or self of wildcard", "<<*", all},
		{"descendants of wildcard", "<*", allButRoot},
		{"ancestors", ">" + id(ssDisorder), idList(ssRoot, ssFinding)},
		{"ancestors or self", ">>" + id(ssDisorder), idList(ssRoot, ssFinding, ssDisorder)},
		{"ancestors or self of an attribute", ">>" + id(ssProcSiteDir), idList(ssProcSiteDir, ssProcSite, ssObjAttr, ssAttr, ssModelComp, ssRoot)},
		{"parents of root", ">!" + id(ssRoot), nil},
		{"parents", ">!" + id(ssBleeding), idList(ssFinding)},
		{"children of root", "<!" + id(ssRoot), idList(ssModelComp, ssRight, ssBody, ssFinding, ssProcedure, ssIsA)},
		{"children", "<!" + id(ssFinding), idList(ssBleeding, ssDisorder)},
		{"children of a leaf", "<!" + id(ssBleedingSkin), nil},
		{"member of", "^" + id(ssMRCMDomain), idList(ssFinding, ssBody)},
		{"member of simple", "^" + id(ssSimpleRefset), idList(ssBody)},
		{"member of any", "^*", idList(ssFinding, ssBody)},
		{"attribute type not used", "*:" + id(ssFinding) + "=*", nil},
		{"attribute type", "*:" + AM + "=*", idList(ssBleeding, ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"attribute type on self", id(ssBleeding) + ":" + AM + "=*", idList(ssBleeding)},
		{"attribute subtype", "<<" + id(ssProcedure) + ":<" + PS + "=*", idList(ssChestImaging)},
		{"attribute subtype or self", "<<" + id(ssProcedure) + ":<<" + PS + "=*", idList(ssHeartOp, ssChestImaging, ssAmpLeft, ssAmpRight, ssAmpBoth)},
		{"value equals", "*:" + AM + "=" + id(ssHemorrhage), idList(ssBleeding, ssBleedingSkin)},
		{"value not equals", "*:" + AM + "!=" + id(ssHemorrhage), idList(ssFallot, ssFallotWrong)},
		{"value descendant or self", "*:" + AM + "= <<" + id(ssRoot), idList(ssBleeding, ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"value below body", "*:" + FS + "= <<" + BS, idList(ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"value never used", "*:" + AM + "=" + id(ssFinding), nil},
		{"attribute conjunction", "*:" + AM + "=" + id(ssHemorrhage) + " , " + FS + "=*", idList(ssBleedingSkin)},
		{"attribute disjunction", "*:" + AM + "=" + id(ssHemorrhage) + " OR " + FS + "=*", idList(ssBleedingSkin, ssBleeding, ssFallot, ssFallotWrong)},
		{"focus conjunction", "<" + id(ssRoot) + " AND <" + id(ssFinding), idList(ssDisorder, ssBleeding, ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"focus conjunction with self", "<" + id(ssRoot) + " AND " + id(ssFinding), idList(ssFinding)},
		{"focus conjunction of two", "<" + id(ssDisorder) + " AND <" + id(ssFinding), idList(ssFallot, ssFallotWrong)},
		{"focus disjunction", id(ssRoot) + " OR " + id(ssFinding), idList(ssRoot, ssFinding)},
		{"focus disjunction mixed", id(ssHemorrhage) + " OR <<" + id(ssFinding), idList(ssHemorrhage, ssFinding, ssDisorder, ssBleeding, ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"focus disjunction same", id(ssHemorrhage) + " OR " + id(ssHemorrhage), idList(ssHemorrhage)},
		{"exclusion", "<<" + id(ssFinding) + " MINUS <<" + id(ssDisorder), idList(ssFinding, ssBleeding, ssBleedingSkin)},
		{"exclusion of self", id(ssHemorrhage) + " MINUS " + id(ssHemorrhage), nil},
		{"conjunction with disjunction", "<" + id(ssRoot) + " AND (<<" + id(ssBleeding) + " OR " + id(ssRoot) + ")", idList(ssBleeding, ssBleedingSkin)},
		{"without grouping", "<404684003 : 363698007 = <<39057004, 116676008 = <<415582006, 363698007 = <<53085002, 116676008 = <<56246009", idList(ssFallot, ssFallotWrong)},
		{"with grouping", "<404684003 : { 363698007 = <<39057004, 116676008 = <<415582006 }, { 363698007 = <<53085002, 116676008 = <<56246009 }", idList(ssFallot)},
		// Group 0 is no group: Bleeding (skin)'s ungrouped finding site and
		// morphology satisfy no { }.
		{"group", "<404684003: { 363698007 = * }", idList(ssFallot, ssFallotWrong)},
		{"no group", "<404684003: [0..0]{ 363698007 = * }", idList(ssDisorder, ssBleeding, ssBleedingSkin)},
		{"one group", "<404684003: [1..1]{ 363698007 = * }", nil},
		{"one or two groups", "<404684003: [1..2]{ 363698007 = * }", idList(ssFallot, ssFallotWrong)},
		{"three groups", "<404684003: [3..*]{ 363698007 = * }", nil},
		{"group disjunction", "<404684003: { 363698007 = * } OR { 116676008 = * }", idList(ssFallot, ssFallotWrong)},
		{"group disjunction of sites", "< 71388002: { 363704007 = 22335008 } OR { 363704007 = 7769000 }", idList(ssAmpLeft, ssAmpRight, ssAmpBoth)},
		{"reverse", "*:R " + FS + " = <" + id(ssDisorder), idList(ssRightVent, ssPulmValve)},
		{"dotted", "<" + id(ssDisorder) + "." + FS, idList(ssRightVent, ssPulmValve)},
		{"dotted empty", "<" + id(ssRightVent) + ".272741003", nil},
		{"dotted finding sites", "<" + id(ssFinding) + "." + FS, idList(ssRightVent, ssPulmValve, ssSkin)},
		{"dotted twice", "<" + id(ssFinding) + "." + FS + ".272741003", idList(ssRight)},
		{"conjunction with dotted", "<" + BS + " AND (<" + id(ssDisorder) + "." + FS + ")", idList(ssRightVent, ssPulmValve)},
		{"cardinality 0..*", "<<" + id(ssFinding) + ":[0..*]" + FS + "=*", idList(ssFinding, ssDisorder, ssBleeding, ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"cardinality 0..2", "<<" + id(ssFinding) + ":[0..2]" + FS + "=*", idList(ssFinding, ssDisorder, ssBleeding, ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"cardinality 1..2", "<<" + id(ssFinding) + ":[1..2]" + FS + "=*", idList(ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"cardinality 1..1", "<<" + id(ssFinding) + ":[1..1]" + FS + "=*", idList(ssBleedingSkin)},
		{"cardinality 0..1", "<<" + id(ssFinding) + ":[0..1]" + FS + "=*", idList(ssBleedingSkin, ssFinding, ssDisorder, ssBleeding)},
		{"cardinality 0..0", "<<" + id(ssFinding) + ":[0..0]" + FS + "=*", idList(ssFinding, ssDisorder, ssBleeding)},
		{"cardinality with value", "<<" + id(ssFinding) + ":[1..2]" + FS + "= <<" + BS, idList(ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"cardinality none of", "<<" + id(ssFinding) + ":[1..2]" + FS + "= <<" + BS + ",[0..0]" + AM + "= <<" + id(ssStenosis), idList(ssBleedingSkin)},
		{"cardinality at most one", "<<" + id(ssFinding) + ":[1..2]" + FS + "= <<" + BS + ",[0..1]" + AM + "= <<" + id(ssStenosis), idList(ssBleedingSkin, ssFallot, ssFallotWrong)},
		{"cardinality at least one", "<<" + id(ssFinding) + ":[1..2]" + FS + "= <<" + BS + ",[1..*]" + AM + "= <<" + id(ssStenosis), idList(ssFallot, ssFallotWrong)},
		{"cardinality in a group", "<<" + id(ssFinding) + ":{[1..1]" + FS + " != <<" + id(ssPulmValve) + ",[1..*]" + AM + "= <<" + id(ssStenosis) + "}", idList(ssFallotWrong)},
		{"none outside", "<<" + id(ssFinding) + ":[0..0]" + FS + " != <<" + BS + ",[1..*]" + AM + "= <<" + id(ssStenosis), idList(ssFallot, ssFallotWrong)},
		{"ancestors of wildcard", ">*", idList(123037004, 71388002, 410662002, 138875005, 131148009, 363704007, 762705008, 64572001, 900000000000441003, 404684003)},
		{"parents of wildcard", ">!*", idList(123037004, 71388002, 410662002, 138875005, 131148009, 363704007, 762705008, 64572001, 900000000000441003, 404684003)},
		{"leaves", "* MINUS >*", sortedIDs(leafs)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ecl.EvaluateSource(m, mustParse(t, tt.expr))
			require.NoError(t, err, tt.expr)
			assert.Equal(t, ids(tt.want), ids(got), tt.expr)
		})
	}
	// Snowstorm answers the empty set for an unknown concept in a
	// refinement; nhskit reports it, as it does for every unknown
	// concept an expression names (see the package doc).
	for _, expr := range []string{id(ssBleeding) + ":" + id(ssNonExistent) + "=*", "*:" + AM + "=" + id(ssNonExistent)} {
		_, err := ecl.EvaluateSource(m, mustParse(t, expr))
		assert.ErrorIs(t, err, ecl.ErrUnknownConcept, expr)
	}
}

func mustParse(t *testing.T, expr string) ecl.Expr {
	t.Helper()
	e, err := ecl.Parse(expr)
	require.NoError(t, err, expr)
	return e
}
