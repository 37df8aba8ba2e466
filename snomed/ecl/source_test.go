package ecl_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// mem is a hand-made Source: a tiny hierarchy with grouped attributes,
// concrete values, a reference set, dialect-specific descriptions and an
// inactive concept. The expected answers in TestSource are worked out by
// hand from the table below, not computed.
type mem struct {
	concepts map[snomed.ID]snomed.Concept
	parents  map[snomed.ID][]snomed.ID
	rels     []snomed.Relationship
	concrete []snomed.ConcreteValue
	descs    map[snomed.ID][]snomed.Description
	assoc    map[snomed.ID][]snomed.Association
	refsets  map[snomed.ID][]snomed.ID
}

const (
	root        = 138875005
	finding     = 404684003
	disease     = 64572001
	heartDis    = 56265001
	mi          = 22298006
	asthma      = 195967001
	body        = 123037004
	heart       = 80891009
	lung        = 39607008
	morph       = 49755003
	infarct     = 55641003
	product     = 373873005
	para        = 322236009
	ibu         = 329653008
	attribute   = 246061005
	site        = 363698007
	morphology  = 116676008
	strength    = 1142135004
	form        = 1142139005
	oldMI       = 155388006
	laterality  = 723264001
	ukModule    = 999000011000000103
	coreModule  = 900000000000207008
	primitive   = 900000000000074008
	defined     = 900000000000073002
	gb          = 900000000000508004
	us          = 900000000000509007
	pref        = 900000000000548007
	acc         = 900000000000549004
	fsnType     = 900000000000003001
	synType     = 900000000000013009
	sameAsAssoc = 900000000000527005
)

func newMem() *mem {
	m := &mem{concepts: map[snomed.ID]snomed.Concept{}, parents: map[snomed.ID][]snomed.ID{}, descs: map[snomed.ID][]snomed.Description{}, assoc: map[snomed.ID][]snomed.Association{}, refsets: map[snomed.ID][]snomed.ID{}}
	add := func(id snomed.ID, et int, parents ...snomed.ID) {
		m.concepts[id] = snomed.Concept{ID: id, Active: true, Module: coreModule, DefinitionStatus: primitive, EffectiveTime: et}
		m.parents[id] = parents
	}
	add(root, 20020131)
	add(finding, 20020131, root)
	add(disease, 20020131, finding)
	add(heartDis, 20210731, disease)
	add(mi, 20190131, heartDis)
	add(asthma, 20020131, disease)
	add(body, 20020131, root)
	add(heart, 20020131, body)
	add(lung, 20020131, body)
	add(morph, 20020131, root)
	add(infarct, 20020131, morph)
	add(product, 20020131, root)
	add(para, 20020131, product)
	add(ibu, 20020131, product)
	add(attribute, 20020131, root)
	add(site, 20020131, attribute)
	add(morphology, 20020131, attribute)
	add(strength, 20020131, attribute)
	add(form, 20020131, attribute)
	add(laterality, 20020131, root)
	c := m.concepts[heartDis]
	c.Module = ukModule
	m.concepts[heartDis] = c
	c = m.concepts[mi]
	c.DefinitionStatus = defined
	m.concepts[mi] = c
	m.concepts[oldMI] = snomed.Concept{ID: oldMI, Module: coreModule, DefinitionStatus: primitive, EffectiveTime: 20200131}
	m.assoc[oldMI] = []snomed.Association{{Refset: sameAsAssoc, Target: mi}}
	m.refsets[sameAsAssoc] = []snomed.ID{oldMI} // the association's row is a member
	// Heart disease: site in group 1, morphology in group 2 (so a group
	// asking for both does not match it); MI: both in group 1.
	m.rels = []snomed.Relationship{
		{Source: heartDis, Type: site, Destination: heart, Group: 1},
		{Source: heartDis, Type: morphology, Destination: infarct, Group: 2},
		{Source: mi, Type: site, Destination: heart, Group: 1},
		{Source: mi, Type: morphology, Destination: infarct, Group: 1},
		{Source: asthma, Type: site, Destination: lung, Group: 0},
	}
	m.concrete = []snomed.ConcreteValue{
		{Source: para, Type: strength, Group: 1, Value: "#500"},
		{Source: para, Type: form, Group: 0, Value: `"tablet"`},
		{Source: ibu, Type: strength, Group: 1, Value: "#400"},
	}
	m.refsets[laterality] = []snomed.ID{lung, heart}
	d := func(id, concept snomed.ID, term string, typ snomed.ID, active bool, gbAcc, usAcc snomed.ID) {
		acc := map[snomed.ID]snomed.ID{}
		if gbAcc != 0 {
			acc[gb] = gbAcc
		}
		if usAcc != 0 {
			acc[us] = usAcc
		}
		m.descs[concept] = append(m.descs[concept], snomed.Description{ID: id, Concept: concept, Term: term, Type: typ, LanguageCode: "en", Active: active, Acceptability: acc})
	}
	d(1001, mi, "Myocardial infarction (disorder)", fsnType, true, pref, pref)
	d(1002, mi, "Heart attack", synType, true, pref, acc)
	d(1003, mi, "Myocardial infarction", synType, true, acc, pref)
	d(1004, heartDis, "Heart disease", synType, true, pref, pref)
	d(1005, asthma, "Asthma", synType, true, pref, pref)
	d(1006, asthma, "Asthmatic thing", synType, false, acc, acc)
	return m
}

func (m *mem) Concept(id snomed.ID) (snomed.Concept, bool) { c, ok := m.concepts[id]; return c, ok }

func (m *mem) Concepts() []snomed.ID {
	var out []snomed.ID
	for id := range m.concepts {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (m *mem) ActiveConcepts() []snomed.ID {
	var out []snomed.ID
	for _, id := range m.Concepts() {
		if m.concepts[id].Active {
			out = append(out, id)
		}
	}
	return out
}

func (m *mem) Parents(id snomed.ID) []snomed.ID {
	return slices.Sorted(slices.Values(m.parents[id]))
}

func (m *mem) Children(id snomed.ID) []snomed.ID {
	var out []snomed.ID
	for c, ps := range m.parents {
		if slices.Contains(ps, id) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func (m *mem) Ancestors(id snomed.ID) []snomed.ID {
	var out []snomed.ID
	for _, c := range m.ActiveConcepts() {
		if c != id && m.IsA(id, c) {
			out = append(out, c)
		}
	}
	return out
}

func (m *mem) Descendants(id snomed.ID) []snomed.ID {
	var out []snomed.ID
	for _, c := range m.ActiveConcepts() {
		if c != id && m.IsA(c, id) {
			out = append(out, c)
		}
	}
	return out
}

func (m *mem) IsA(a, b snomed.ID) bool {
	if a == b {
		return true
	}
	for _, p := range m.parents[a] {
		if m.IsA(p, b) {
			return true
		}
	}
	return false
}

func (m *mem) Relationships(id snomed.ID) []snomed.Relationship {
	var out []snomed.Relationship
	for _, r := range m.rels {
		if r.Source == id {
			out = append(out, r)
		}
	}
	return out
}

func (m *mem) RelationshipsTo(dest snomed.ID) []snomed.Relationship {
	var out []snomed.Relationship
	for _, r := range m.rels {
		if r.Destination == dest {
			out = append(out, r)
		}
	}
	return out
}

func (m *mem) ConcreteValues(id snomed.ID) []snomed.ConcreteValue {
	var out []snomed.ConcreteValue
	for _, v := range m.concrete {
		if v.Source == id {
			out = append(out, v)
		}
	}
	return out
}

func (m *mem) Descriptions(id snomed.ID) []snomed.Description { return m.descs[id] }
func (m *mem) Associations(id snomed.ID) []snomed.Association { return m.assoc[id] }
func (m *mem) RefsetMembers(r snomed.ID) []snomed.ID {
	return slices.Sorted(slices.Values(m.refsets[r]))
}
func (m *mem) IsRefset(r snomed.ID) bool { return len(m.refsets[r]) > 0 }
func (m *mem) Refsets() []snomed.ID {
	var out []snomed.ID
	for r := range m.refsets {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func TestSource(t *testing.T) {
	m := newMem()
	for _, tt := range []struct {
		expr string
		want []snomed.ID
	}{
		{"<< 64572001", []snomed.ID{mi, heartDis, disease, asthma}},
		{"< 64572001 : 363698007 = 80891009", []snomed.ID{mi, heartDis}},
		{"< 56265001 : 363698007 = 80891009", []snomed.ID{mi}},
		{"<< 56265001 : 363698007 = 80891009", []snomed.ID{mi, heartDis}},
		{"* : 363698007 = << 123037004", []snomed.ID{mi, heartDis, asthma}},
		{"<< 123037004 : 363698007 = << 123037004", nil},
		{"<< 404684003 : 363698007 = 80891009, 116676008 = 55641003", []snomed.ID{mi, heartDis}},
		{"<< 404684003 : { 363698007 = 80891009, 116676008 = 55641003 }", []snomed.ID{mi}},
		{"<< 404684003 : [0..0] { 363698007 = 80891009, 116676008 = 55641003 }", []snomed.ID{disease, heartDis, asthma, finding}},
		{"<< 404684003 : [0..0] 363698007 = *", []snomed.ID{disease, finding}},
		{"<< 404684003 : 363698007 != 80891009", []snomed.ID{asthma}},
		{"* : R 363698007 = 22298006", []snomed.ID{heart}},
		{"* : R 363698007 = << 64572001", []snomed.ID{lung, heart}},
		{"<< 404684003 . 363698007", []snomed.ID{lung, heart}},
		{"<< 404684003 . 116676008", []snomed.ID{infarct}},
		{"<< 373873005 : 1142135004 >= #450", []snomed.ID{para}},
		{"< 373873005 : 1142135004 < #450", []snomed.ID{ibu}},
		{"< 373873005 : 1142135004 != #500", []snomed.ID{ibu}},
		{`* : 1142139005 = "tablet"`, []snomed.ID{para}},
		{`* : 1142139005 != "tablet"`, nil},
		{"^ 723264001", []snomed.ID{lung, heart}},
		{"<< 123037004 MINUS ^ 723264001", []snomed.ID{body}},
		{">> ^ 723264001", []snomed.ID{lung, heart, body, root}},
		{"< (64572001 OR 80891009 OR 39607008)", []snomed.ID{heartDis, mi, asthma}},
		{"> (22298006 OR 195967001)", []snomed.ID{heartDis, disease, finding, root}},
		{"22298006 {{ +HISTORY-MIN }}", []snomed.ID{mi, oldMI}},
		{"<< 64572001 {{ term = \"heart att\" }}", []snomed.ID{mi}},
		{"<< 64572001 {{ dialect = en-us (prefer), term = \"heart\" }}", []snomed.ID{heartDis}},
		{"<< 64572001 {{ dialect = en-us (accept), term = \"heart\" }}", []snomed.ID{mi}},
		{"<< 64572001 {{ type = fsn }}", []snomed.ID{mi}},
		{"<< 64572001 {{ term = \"asthmatic\" }}", nil},
		{"<< 64572001 {{ C definitionStatus = defined }}", []snomed.ID{mi}},
		{"<< 64572001 {{ C moduleId = 999000011000000103 }}", []snomed.ID{heartDis}},
		{"<< 64572001 {{ C effectiveTime >= \"20190101\" }}", []snomed.ID{mi, heartDis}},
		{">! 22298006", []snomed.ID{heartDis}},
		{">> 22298006", []snomed.ID{mi, heartDis, disease, finding, root}},
		{"!!< (<< 64572001)", []snomed.ID{mi, asthma}},
		{"!!> (<< 64572001)", []snomed.ID{disease}},
		{"!!> (<! 404684003 OR <! 123037004 OR 22298006)", []snomed.ID{disease, lung, heart}},
		{"!!< (<! 404684003 OR <! 123037004 OR 22298006)", []snomed.ID{mi, lung, heart}},
		{"!!< *", []snomed.ID{mi, asthma, lung, heart, infarct, para, ibu, site, morphology, strength, form, laterality}},
		{"<! 404684003 OR <! 123037004", []snomed.ID{lung, disease, heart}},
		{"(<< 404684003 OR << 123037004) MINUS (<< 404684003 : 363698007 = *)", []snomed.ID{lung, body, disease, heart, finding}},
	} {
		e, err := ecl.Parse(tt.expr)
		require.NoError(t, err, tt.expr)
		got, err := ecl.EvaluateSource(m, e)
		require.NoError(t, err, tt.expr)
		want := slices.Sorted(slices.Values(tt.want))
		if len(want) == 0 {
			assert.Empty(t, got, tt.expr)
			continue
		}
		assert.Equal(t, want, got, tt.expr)
	}
	// Hand-built filters without a value fail or match nothing; they do
	// not panic.
	for _, f := range []ecl.Filter{{Kind: 'D', Name: "semanticTag", Op: "="}, {Kind: 'D', Name: "active", Op: "="}, {Kind: 'C', Name: "active", Op: "="}} {
		got, err := ecl.EvaluateSource(m, &ecl.Sub{Op: ecl.DescendantOrSelfOf, Concept: 64572001, Filters: []ecl.Filter{f}})
		if f.Name == "active" {
			assert.ErrorIs(t, err, ecl.ErrSyntax, f.Name)
		} else {
			assert.NoError(t, err)
			assert.Empty(t, got)
		}
	}
	_, err := ecl.EvaluateSource(m, &ecl.Compound{Op: "OR"})
	assert.ErrorIs(t, err, ecl.ErrSyntax)
	for _, bad := range []string{"<< 999999001", "<< 999999001 : 363698007 = 80891009", "< 155388006 : 363698007 = 80891009"} {
		e, _ := ecl.Parse(bad)
		_, err := ecl.EvaluateSource(m, e)
		if bad == "< 155388006 : 363698007 = 80891009" {
			// An inactive focus concept is known: no descendants, no error.
			assert.NoError(t, err, bad)
			continue
		}
		assert.ErrorIs(t, err, ecl.ErrUnknownConcept, bad)
	}
}
