package snomedtest

import (
	"bufio"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/nhskit/nhskit/snomed/rf2"
)

// Well-known concept ids used in the generated release (real SNOMED CT
// ids, so code written against them reads naturally).
const (
	Root                      = 138875005
	IsA                       = 116680003
	Inferred           uint64 = 900000000000011006
	Stated             uint64 = 900000000000010007
	Primitive          uint64 = 900000000000074008
	FullyDefined       uint64 = 900000000000073002
	FSN                uint64 = 900000000000003001
	Synonym            uint64 = 900000000000013009
	Preferred          uint64 = 900000000000548007
	Acceptable         uint64 = 900000000000549004
	GBLanguageRefset   uint64 = 900000000000508004
	USLanguageRefset   uint64 = 900000000000509007
	CoreModule         uint64 = 900000000000207008
	ExistentialModifer uint64 = 900000000000451002
	FindingSite               = 363698007
	Morphology                = 116676008 // associated morphology
	CausativeAgent            = 246075003
	Laterality                = 272741003
	// PresentationStrength is a concrete-value attribute (has presentation
	// strength numerator value).
	PresentationStrength = 1142135004

	// Top-level concepts, and one body structure under them, that take the
	// place of generated concepts so that expressions written against the
	// real release (<< 404684003 : 363698007 = << 39057004) mean something.
	ClinicalFinding         = 404684003
	BodyStructure           = 123037004
	Procedure               = 71388002
	Substance               = 105590001
	PulmonaryValveStructure = 39057004

	ReplacedBy           uint64 = 900000000000526001
	SameAs               uint64 = 900000000000527005
	PossiblyEquivalentTo uint64 = 900000000000523009
	InactivationRefset   uint64 = 900000000000489007
	Outdated             uint64 = 900000000000483008
	Duplicate            uint64 = 900000000000482003
	ICD10Refset                 = 447562003
	SimpleMapRefset      uint64 = 900000000000497000 // CTV3 simple map
	MapCorrelation              = 447561005
	MapCategory                 = 447637006

	// UK edition content (written as a second package, the UK Clinical
	// Extension, with UK file names).
	UKClinicalModule       uint64 = 999000011000000103
	UKClinicalLanguage     uint64 = 999001261000000100 // NHS realm language (clinical part)
	UKICD10Refset          uint64 = 999002271000000101
	OPCS410Refset          uint64 = 1382401000000109
	CTV3SimpleMap                 = SimpleMapRefset
	UKEffectiveTime               = "20261001"
	InternationalEffective        = "20260401"
)

// Config sizes a release.
type Config struct {
	Concepts int    // including the root (default 1,000)
	Seed     uint64 // for the random structure
	// Parents is the mean number of IS-A parents of a non-root concept
	// (default 1.9, as in the International release).
	Parents float64
	// InactiveShare is the share of concepts that are inactive (default 0.27).
	InactiveShare float64
}

// realNames are the terms and semantic tags of the real concepts the
// release uses.
var realNames = map[uint64][2]string{
	ClinicalFinding:         {"Clinical finding", "finding"},
	BodyStructure:           {"Body structure", "body structure"},
	Procedure:               {"Procedure", "procedure"},
	Substance:               {"Substance", "substance"},
	PulmonaryValveStructure: {"Pulmonary valve structure", "body structure"},
}

// otherAttributeTypes is the number of attribute types beyond the five
// named constants.
const otherAttributeTypes = 115

// ukSubsets is the number of UK simple reference sets; each active
// concept is in 0 to 6 of them (3.5 on average), for ~15M reference set rows
// in all at UK-Monolith size.
const ukSubsets = 12

// Tiny is a release small enough for unit tests.
var Tiny = Config{Concepts: 300, Seed: 1}

// Release describes what Generate wrote, for tests that compute answers
// independently.
type Release struct {
	Concepts []uint64            // all concept ids; Concepts[0] is the root
	Active   map[uint64]bool     // active concepts
	Defined  map[uint64]bool     // fully defined concepts; the rest are primitive
	Parents  map[uint64][]uint64 // inferred, active IS-A parents
	Terms    map[uint64]string   // en-GB preferred synonym of each concept
	USTerms  map[uint64]string   // en-US preferred synonym
	FSNs     map[uint64]string

	// AttributeTypes are the attribute concepts (children of the root): the
	// five named constants, then 115 others, as the real concept model has
	// about 120.
	AttributeTypes []uint64
	// Attributes are each active concept's active inferred attribute
	// relationships.
	Attributes map[uint64][]Attribute
	// Concrete are concrete values ("#250").
	Concrete map[uint64][]Attribute
	// SimpleRefset is a simple reference set and Members its active members.
	SimpleRefset uint64
	Members      []uint64
	// Associations of inactive concepts (REPLACED BY, SAME AS, POSSIBLY
	// EQUIVALENT TO) and their inactivation reasons.
	Associations map[uint64][]Association
	Inactivation map[uint64]uint64
	// ICD10 are the extended map rows (refset 447562003) of mapped concepts.
	ICD10 map[uint64][]MapRow
	// CTV3 are simple map targets (refset 900000000000497000).
	CTV3 map[uint64]string
	// The UK package: concepts whose en-GB preferred term comes from the
	// NHS clinical language refset (UKTerms, which PreferredTerm "en-GB"
	// returns instead of Terms), UK ICD-10 and OPCS-4.10 map rows,
	// concepts the UK package restates later with the UK module (Restated),
	// and concepts with an older row that must lose (Stale).
	UKTerms  map[uint64]string
	UKICD10  map[uint64][]MapRow
	OPCS     map[uint64][]MapRow
	Restated []uint64
	Stale    []uint64
	// UKSubsets are the UK package's simple reference sets (concepts of the
	// release, children of the root) with their active members, ascending:
	// the real UK edition carries hundreds of such subsets.
	UKSubsets map[uint64][]uint64
}

// Attribute is a relationship to a concept (Dest) or to a value (Value).
type Attribute struct {
	Group int
	Type  uint64
	Dest  uint64
	Value string
}

// Association is a historical association row.
type Association struct{ Refset, Target uint64 }

// MapRow is an extended map row.
type MapRow struct {
	Group, Priority      int
	Rule, Advice, Target string
}

// Generate writes a Snapshot release into dir (creating
// dir/Snapshot/Terminology and dir/Snapshot/Refset/Language) and returns
// its description.
func Generate(dir string, cfg Config) (*Release, error) {
	if cfg.Concepts <= 1 {
		cfg.Concepts = 1000
	}
	if cfg.Parents <= 0 {
		cfg.Parents = 1.9
	}
	if cfg.InactiveShare <= 0 {
		cfg.InactiveShare = 0.27
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	rel := &Release{Active: map[uint64]bool{}, Defined: map[uint64]bool{}, Parents: map[uint64][]uint64{}, Terms: map[uint64]string{}, USTerms: map[uint64]string{}, FSNs: map[uint64]string{},
		Attributes: map[uint64][]Attribute{}, Concrete: map[uint64][]Attribute{}, Associations: map[uint64][]Association{},
		Inactivation: map[uint64]uint64{}, ICD10: map[uint64][]MapRow{}}
	rel.Concepts = append(rel.Concepts, Root)
	rel.Active[Root] = true
	for i := 1; i < cfg.Concepts; i++ {
		id := rf2.MakeSCTID(uint64(1000000+i), rf2.PartConcept)
		rel.Concepts = append(rel.Concepts, id)
		rel.Active[id] = rng.Float64() >= cfg.InactiveShare
	}
	// Each active concept gets a level from 1 to MaxDepth, favouring the
	// middle levels as the real hierarchy does, and takes its parents from
	// the level above (a second one from any shallower level), so the graph
	// is a DAG about as deep as the real one (10–20 levels).
	const maxDepth = 16
	levels := make([][]uint64, maxDepth+1)
	levels[0] = []uint64{Root}
	owed := 0.0
	for _, id := range rel.Concepts[1:] {
		if !rel.Active[id] {
			continue
		}
		// The deepest level with members bounds the new concept's level.
		deepest := 0
		for l := maxDepth; l >= 0; l-- {
			if len(levels[l]) > 0 {
				deepest = l
				break
			}
		}
		lvl := 1 + rng.IntN(min(maxDepth, deepest+1))
		if lvl > 1 && rng.IntN(3) == 0 {
			lvl = 1 + rng.IntN(lvl) // keep upper levels populated
		}
		above := levels[lvl-1]
		first := above[rng.IntN(len(above))]
		rel.Parents[id] = []uint64{first}
		// Level-1 concepts can have only the root, and a second pick may
		// repeat the first, so the second parents owed are carried forward
		// to keep the mean at cfg.Parents.
		owed += cfg.Parents - 1
		if lvl > 1 && owed > rng.Float64() {
			l2 := rng.IntN(lvl)
			second := levels[l2][rng.IntN(len(levels[l2]))]
			if second != first {
				rel.Parents[id] = append(rel.Parents[id], second)
				owed--
			}
		}
		levels[lvl] = append(levels[lvl], id)
	}
	// Real top-level concepts take the place of the first level-1 ones.
	rename := func(old, id uint64) {
		rel.Concepts[slices.Index(rel.Concepts, old)] = id
		rel.Active[id], rel.Parents[id] = rel.Active[old], rel.Parents[old]
		delete(rel.Active, old)
		delete(rel.Parents, old)
		for _, ps := range rel.Parents {
			if i := slices.Index(ps, old); i >= 0 {
				ps[i] = id
			}
		}
		for _, l := range levels {
			if i := slices.Index(l, old); i >= 0 {
				l[i] = id
			}
		}
	}
	for i, id := range []uint64{ClinicalFinding, BodyStructure, Procedure, Substance} {
		if i < len(levels[1]) {
			rename(levels[1][i], id)
		}
	}
	for _, c := range levels[2] {
		if rel.Parents[c][0] == BodyStructure {
			rename(c, PulmonaryValveStructure)
			break
		}
	}
	// Attribute types and a simple reference set are concepts too.
	clinical := slices.Clone(rel.Concepts[1:])
	rel.AttributeTypes = []uint64{FindingSite, Morphology, CausativeAgent, Laterality, PresentationStrength}
	rel.SimpleRefset = rf2.MakeSCTID(uint64(1000000+cfg.Concepts), rf2.PartConcept)
	// The real concept model has about 120 attribute types; beyond the five
	// named ones the release has otherAttributeTypes more, with ids after
	// the reference set's.
	named := len(rel.AttributeTypes)
	for k := range otherAttributeTypes {
		rel.AttributeTypes = append(rel.AttributeTypes, rf2.MakeSCTID(uint64(1000000+cfg.Concepts+1+k), rf2.PartConcept))
	}
	for _, id := range append(slices.Clone(rel.AttributeTypes[:named]), rel.SimpleRefset) {
		rel.Concepts = append(rel.Concepts, id)
		rel.Active[id] = true
		rel.Parents[id] = []uint64{Root}
	}
	for _, id := range rel.AttributeTypes[named:] {
		rel.Concepts = append(rel.Concepts, id)
		rel.Active[id] = true
		rel.Parents[id] = []uint64{Root}
	}
	other := rel.AttributeTypes[named:]
	rel.UKSubsets = map[uint64][]uint64{}
	var subsets []uint64
	for k := range ukSubsets {
		id := rf2.MakeSCTID(uint64(1000000+cfg.Concepts+1+otherAttributeTypes+k), rf2.PartConcept)
		subsets = append(subsets, id)
		rel.UKSubsets[id] = nil
		rel.Concepts = append(rel.Concepts, id)
		rel.Active[id] = true
		rel.Parents[id] = []uint64{Root}
	}
	// A second source keeps the rest of the release the same whatever the
	// number of other attributes.
	rng2 := rand.New(rand.NewPCG(cfg.Seed, 0xa77))
	var activeClinical []uint64
	for _, id := range clinical {
		if rel.Active[id] {
			activeClinical = append(activeClinical, id)
		}
	}
	pick := func() uint64 { return activeClinical[rng.IntN(len(activeClinical))] }
	for _, id := range activeClinical {
		attrs := []Attribute{{Group: 1, Type: FindingSite, Dest: pick()}}
		if rng.IntN(2) == 0 {
			attrs = append(attrs, Attribute{Group: 1, Type: Morphology, Dest: pick()})
		}
		if rng.IntN(3) == 0 {
			attrs = append(attrs, Attribute{Group: 2, Type: CausativeAgent, Dest: pick()}, Attribute{Group: 2, Type: FindingSite, Dest: pick()})
		}
		if rng.IntN(4) == 0 {
			attrs = append(attrs, Attribute{Group: 0, Type: Laterality, Dest: pick()})
		}
		// 0, 1 or 2 ungrouped attributes of the other types (1.1 on
		// average, so ~3.5 per concept in all), the first types far more
		// often than the last, as real attribute use is skewed.
		for n := []int{0, 1, 1, 2, 2}[rng2.IntN(5)] - rng2.IntN(2)*rng2.IntN(2); n > 0; n-- {
			u := rng2.Float64()
			attrs = append(attrs, Attribute{Group: 0, Type: other[int(u*u*float64(len(other)))], Dest: activeClinical[rng2.IntN(len(activeClinical))]})
		}
		rel.Attributes[id] = attrs
		// About a quarter of the concepts with attributes are fully defined,
		// so that primitive and defined concepts interleave in the hierarchy.
		if rng2.IntN(4) == 0 {
			rel.Defined[id] = true
		}
		for k, n := rng2.IntN(len(subsets)), rng2.IntN(7); n > 0; k, n = (k+1+rng2.IntN(2))%len(subsets), n-1 {
			rel.UKSubsets[subsets[k]] = append(rel.UKSubsets[subsets[k]], id)
		}
		if rng.IntN(10) == 0 {
			rel.Concrete[id] = []Attribute{{Group: 1, Type: PresentationStrength, Value: "#" + strconv.Itoa(5*(1+rng.IntN(100)))}}
		}
		if rng.IntN(5) == 0 {
			rel.Members = append(rel.Members, id)
		}
		if rng.IntN(3) == 0 {
			code := fmt.Sprintf("%c%02d.%d", 'A'+rune(rng.IntN(26)), rng.IntN(100), rng.IntN(10))
			rows := []MapRow{{Group: 1, Priority: 1, Rule: "TRUE", Advice: "ALWAYS " + code, Target: code}}
			if rng.IntN(4) == 0 {
				code2 := fmt.Sprintf("Y%02d.%d", rng.IntN(100), rng.IntN(10))
				rows = append(rows, MapRow{Group: 2, Priority: 1, Rule: "TRUE", Advice: "ALWAYS " + code2, Target: code2})
			}
			rel.ICD10[id] = rows
		}
	}
	slices.Sort(rel.Members)
	for k, v := range rel.UKSubsets {
		slices.Sort(v)
		rel.UKSubsets[k] = slices.Compact(v)
	}
	// History: every inactive concept is outdated or a duplicate and is
	// replaced, has possible equivalents, or is the same as another
	// inactive concept that is itself replaced (a chain).
	var inactive []uint64
	for _, id := range clinical {
		if !rel.Active[id] {
			inactive = append(inactive, id)
		}
	}
	for i, id := range inactive {
		switch {
		case i%5 == 4 && i > 0 && len(rel.Associations[inactive[i-1]]) > 0 && rel.Associations[inactive[i-1]][0].Refset == ReplacedBy:
			rel.Associations[id] = []Association{{SameAs, inactive[i-1]}}
			rel.Inactivation[id] = Duplicate
		case i%3 == 1:
			a, b := pick(), pick()
			if a > b {
				a, b = b, a
			}
			if a == b {
				rel.Associations[id] = []Association{{PossiblyEquivalentTo, a}}
			} else {
				rel.Associations[id] = []Association{{PossiblyEquivalentTo, a}, {PossiblyEquivalentTo, b}}
			}
			rel.Inactivation[id] = Outdated
		default:
			rel.Associations[id] = []Association{{ReplacedBy, pick()}}
			rel.Inactivation[id] = Outdated
		}
	}
	words := []string{"chronic", "acute", "left", "right", "upper", "lower", "renal", "cardiac", "pulmonary", "hepatic", "neural", "disorder", "finding", "procedure", "structure", "lesion", "pain", "infection", "colour", "anaemia"}
	for i, id := range rel.Concepts {
		if id == Root {
			rel.Terms[id], rel.USTerms[id], rel.FSNs[id] = "SNOMED CT Concept", "SNOMED CT Concept", "SNOMED CT Concept (SNOMED RT+CTV3)"
			continue
		}
		if n, ok := realNames[id]; ok {
			rel.Terms[id], rel.USTerms[id], rel.FSNs[id] = n[0], n[0], n[0]+" ("+n[1]+")"
			continue
		}
		t := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))] + " " + strconv.Itoa(i)
		rel.Terms[id] = t
		rel.USTerms[id] = t
		if rng.IntN(5) == 0 { // en-GB and en-US differ for some, like "anaemia"/"anemia"
			rel.USTerms[id] = t + " (US)"
		}
		rel.FSNs[id] = t + " (disorder)"
	}

	term := filepath.Join(dir, "Snapshot", "Terminology")
	lang := filepath.Join(dir, "Snapshot", "Refset", "Language")
	for _, d := range []string{term, lang} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	w := func(path string, fn func(*bufio.Writer)) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(f)
		fn(bw)
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	const et = "20260401"
	active := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	err := w(filepath.Join(term, "sct2_Concept_Snapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\r\n")
		for _, id := range rel.Concepts {
			status := Primitive
			if rel.Defined[id] {
				status = FullyDefined
			}
			fmt.Fprintf(b, "%d\t%s\t%s\t%d\t%d\r\n", id, et, active(rel.Active[id]), CoreModule, status)
		}
	})
	if err != nil {
		return nil, err
	}
	descSeq, relSeq := uint64(1000000), uint64(1000000)
	var langRows, ukLang []langRowT
	// A separate stream, so that adding UK content leaves the rest of the
	// release as it was.
	ukRng := rand.New(rand.NewPCG(cfg.Seed, 0x0c0ffee))
	rel.CTV3, rel.UKTerms, rel.UKICD10, rel.OPCS = map[uint64]string{}, map[uint64]string{}, map[uint64][]MapRow{}, map[uint64][]MapRow{}
	for _, c := range rel.Concepts {
		if !rel.Active[c] || c == Root {
			continue
		}
		if ukRng.IntN(7) == 0 {
			rel.UKTerms[c] = rel.Terms[c] + " NOS"
		}
		if ukRng.IntN(4) == 0 {
			rel.CTV3[c] = fmt.Sprintf("X%04X", ukRng.IntN(1<<16))
		}
		switch ukRng.IntN(6) {
		case 0:
			code := fmt.Sprintf("%c%02d%d", 'A'+rune(ukRng.IntN(26)), ukRng.IntN(100), ukRng.IntN(10))
			rel.UKICD10[c] = []MapRow{{Group: 1, Priority: 1, Rule: "TRUE", Advice: "ALWAYS " + code, Target: code}}
		case 1:
			a := fmt.Sprintf("%c%02d%d", 'H'+rune(ukRng.IntN(10)), ukRng.IntN(100), ukRng.IntN(10))
			rel.OPCS[c] = []MapRow{{Group: 1, Priority: 1, Rule: "TRUE", Advice: "ALWAYS " + a, Target: a}}
			if ukRng.IntN(3) == 0 { // a laterality code in a second group
				rel.OPCS[c] = append(rel.OPCS[c], MapRow{Group: 2, Priority: 1, Rule: "TRUE", Advice: "ADDITIONAL CODE POSSIBLE", Target: "Z94.2"})
			}
		}
		switch ukRng.IntN(40) {
		case 0:
			rel.Restated = append(rel.Restated, c)
		case 1:
			rel.Stale = append(rel.Stale, c)
		}
	}
	err = w(filepath.Join(term, "sct2_Description_Snapshot-en_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId\r\n")
		emit := func(concept uint64, typ uint64, text string, gb, us uint64) uint64 {
			descSeq++
			id := rf2.MakeSCTID(descSeq, rf2.PartDescription)
			fmt.Fprintf(b, "%d\t%s\t1\t%d\t%d\ten\t%d\t%s\t900000000000448009\r\n", id, et, CoreModule, concept, typ, text)
			if gb != 0 {
				langRows = append(langRows, langRowT{id, GBLanguageRefset, gb})
			}
			if us != 0 {
				langRows = append(langRows, langRowT{id, USLanguageRefset, us})
			}
			return id
		}
		for _, c := range rel.Concepts {
			fsn := emit(c, FSN, rel.FSNs[c], Preferred, Preferred)
			var main, us uint64
			if rel.USTerms[c] == rel.Terms[c] {
				main = emit(c, Synonym, rel.Terms[c], Preferred, Preferred)
			} else {
				main = emit(c, Synonym, rel.Terms[c], Preferred, Acceptable)
				us = emit(c, Synonym, rel.USTerms[c], Acceptable, Preferred)
			}
			nos := emit(c, Synonym, rel.Terms[c]+" NOS", Acceptable, Acceptable)
			if !rel.Active[c] {
				continue
			}
			// The NHS realm language refset covers every active concept's
			// descriptions as en-GB does, but prefers the UK term where
			// there is one.
			mainAcc, nosAcc := uint64(Preferred), uint64(Acceptable)
			if _, ok := rel.UKTerms[c]; ok {
				mainAcc, nosAcc = Acceptable, Preferred
			}
			ukLang = append(ukLang, langRowT{fsn, UKClinicalLanguage, Preferred}, langRowT{main, UKClinicalLanguage, mainAcc}, langRowT{nos, UKClinicalLanguage, nosAcc})
			if us != 0 {
				ukLang = append(ukLang, langRowT{us, UKClinicalLanguage, Acceptable})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	relRng := rand.New(rand.NewPCG(cfg.Seed, 0x0e1))
	err = w(filepath.Join(term, "sct2_Relationship_Snapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\r\n")
		row := func(active string, src, dst uint64, group int, typ, char uint64) {
			relSeq++
			fmt.Fprintf(b, "%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\r\n", rf2.MakeSCTID(relSeq, rf2.PartRelationship), et, active, CoreModule, src, dst, group, typ, char, ExistentialModifer)
		}
		for _, c := range rel.Concepts {
			for _, p := range rel.Parents[c] {
				row("1", c, p, 0, IsA, Inferred)
			}
			if rel.Active[c] && c != Root {
				// Stated and inactive IS-A rows that must not change the
				// inferred hierarchy.
				row("1", c, Root, 0, IsA, Stated)
				row("0", c, rel.Concepts[rng.IntN(len(rel.Concepts))], 0, IsA, Inferred)
			}
			for _, a := range rel.Attributes[c] {
				row("1", c, a.Dest, a.Group, a.Type, Inferred)
			}
			if len(rel.Attributes[c]) > 0 {
				// Stated and inactive attribute rows must not count.
				row("1", c, pick(), 3, CausativeAgent, Stated)
				row("0", c, pick(), 1, Morphology, Inferred)
				// Real releases carry about as many inactive rows as
				// active ones: one or two more, of the other types.
				for n := 1 + relRng.IntN(2); n > 0; n-- {
					row("0", c, pick(), 0, other[relRng.IntN(len(other))], Inferred)
				}
			}
			if !rel.Active[c] {
				row("0", c, rel.Concepts[relRng.IntN(len(rel.Concepts))], 0, IsA, Inferred) // its former place
			}
		}
	})
	if err != nil {
		return nil, err
	}
	content := filepath.Join(dir, "Snapshot", "Refset", "Content")
	maps := filepath.Join(dir, "Snapshot", "Refset", "Map")
	for _, d := range []string{content, maps} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	member := 0
	uuid := func() string {
		member++
		return fmt.Sprintf("%08x-1111-4000-8000-%012x", member, member)
	}
	err = w(filepath.Join(term, "sct2_RelationshipConcreteValues_Snapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\tsourceId\tvalue\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\r\n")
		for _, c := range rel.Concepts {
			for _, a := range rel.Concrete[c] {
				relSeq++
				fmt.Fprintf(b, "%d\t%s\t1\t%d\t%d\t%s\t%d\t%d\t%d\t%d\r\n", rf2.MakeSCTID(relSeq, rf2.PartRelationship), et, CoreModule, c, a.Value, a.Group, a.Type, Inferred, ExistentialModifer)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	err = w(filepath.Join(content, "der2_Refset_SimpleSnapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\r\n")
		for _, c := range rel.Members {
			fmt.Fprintf(b, "%s\t%s\t1\t%d\t%d\t%d\r\n", uuid(), et, CoreModule, rel.SimpleRefset, c)
		}
		// A retired member that must not count.
		fmt.Fprintf(b, "%s\t%s\t0\t%d\t%d\t%d\r\n", uuid(), et, CoreModule, rel.SimpleRefset, pick())
	})
	if err != nil {
		return nil, err
	}
	err = w(filepath.Join(content, "der2_cRefset_AssociationSnapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\ttargetComponentId\r\n")
		for _, c := range rel.Concepts {
			for _, a := range rel.Associations[c] {
				fmt.Fprintf(b, "%s\t%s\t1\t%d\t%d\t%d\t%d\r\n", uuid(), et, CoreModule, a.Refset, c, a.Target)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	err = w(filepath.Join(content, "der2_cRefset_AttributeValueSnapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tvalueId\r\n")
		for _, c := range rel.Concepts {
			if v, ok := rel.Inactivation[c]; ok {
				fmt.Fprintf(b, "%s\t%s\t1\t%d\t%d\t%d\t%d\r\n", uuid(), et, CoreModule, InactivationRefset, c, v)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	err = w(filepath.Join(maps, "der2_iisssccRefset_ExtendedMapSnapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tmapGroup\tmapPriority\tmapRule\tmapAdvice\tmapTarget\tcorrelationId\tmapCategoryId\r\n")
		for _, c := range rel.Concepts {
			for _, m := range rel.ICD10[c] {
				fmt.Fprintf(b, "%s\t%s\t1\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\r\n", uuid(), et, CoreModule, ICD10Refset, c, m.Group, m.Priority, m.Rule, m.Advice, m.Target, MapCorrelation, MapCategory)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	err = w(filepath.Join(lang, "der2_cRefset_LanguageSnapshot-en_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId\r\n")
		for i, r := range langRows {
			fmt.Fprintf(b, "%08x-0000-4000-8000-%012x\t%s\t1\t%d\t%d\t%d\t%d\r\n", i, i, et, CoreModule, r.refset, r.desc, r.acc)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := writeUK(dir, rel, ukLang, w); err != nil {
		return nil, err
	}
	err = w(filepath.Join(maps, "der2_sRefset_SimpleMapSnapshot_INT_20260401.txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tmapTarget\r\n")
		for _, c := range rel.Concepts {
			if t, ok := rel.CTV3[c]; ok {
				fmt.Fprintf(b, "%s\t%s\t1\t%d\t%d\t%d\t%s\r\n", uuid(), et, CoreModule, CTV3SimpleMap, c, t)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// writeUK writes the UK Clinical Extension package under dir/UK with the UK
// file names (…UKCLSnapshot_GB1000000_…): concept rows restated later with
// the UK module, older rows that must lose, the NHS clinical language
// refset, and the UK ICD-10 and OPCS-4.10 complex maps (with mapBlock).
func writeUK(dir string, rel *Release, ukLang []langRowT, w func(string, func(*bufio.Writer)) error) error {
	term := filepath.Join(dir, "UK", "Snapshot", "Terminology")
	lang := filepath.Join(dir, "UK", "Snapshot", "Refset", "Language")
	mapDir := filepath.Join(dir, "UK", "Snapshot", "Refset", "Map")
	for _, d := range []string{term, lang, mapDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	active := func(c uint64) int {
		if rel.Active[c] {
			return 1
		}
		return 0
	}
	err := w(filepath.Join(term, "sct2_Concept_UKCLSnapshot_GB1000000_"+UKEffectiveTime+".txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\r\n")
		status := func(c uint64, flip bool) uint64 {
			if rel.Defined[c] != flip {
				return FullyDefined
			}
			return Primitive
		}
		for _, c := range rel.Restated {
			fmt.Fprintf(b, "%d\t%s\t%d\t%d\t%d\r\n", c, UKEffectiveTime, active(c), UKClinicalModule, status(c, false))
		}
		for _, c := range rel.Stale { // older than the International row: loses
			fmt.Fprintf(b, "%d\t20200101\t%d\t%d\t%d\r\n", c, 1-active(c), UKClinicalModule, status(c, true))
		}
	})
	if err != nil {
		return err
	}
	err = w(filepath.Join(lang, "der2_cRefset_LanguageUKCLSnapshot-en_GB1000000_"+UKEffectiveTime+".txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId\r\n")
		for i, r := range ukLang {
			fmt.Fprintf(b, "%08x-0000-4000-9000-%012x\t%s\t1\t%d\t%d\t%d\t%d\r\n", i, i, UKEffectiveTime, UKClinicalModule, r.refset, r.desc, r.acc)
		}
	})
	if err != nil {
		return err
	}
	content := filepath.Join(dir, "UK", "Snapshot", "Refset", "Content")
	if err := os.MkdirAll(content, 0o755); err != nil {
		return err
	}
	err = w(filepath.Join(content, "der2_Refset_SimpleUKCLSnapshot_GB1000000_"+UKEffectiveTime+".txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\r\n")
		n := 0
		for _, refset := range slices.Sorted(maps.Keys(rel.UKSubsets)) {
			for _, c := range rel.UKSubsets[refset] {
				n++
				fmt.Fprintf(b, "%08x-3333-4000-9000-%012x\t%s\t1\t%d\t%d\t%d\r\n", n, n, UKEffectiveTime, UKClinicalModule, refset, c)
			}
		}
	})
	if err != nil {
		return err
	}
	n := 0
	return w(filepath.Join(mapDir, "der2_iisssciRefset_ExtendedMapUKCLSnapshot_GB1000000_"+UKEffectiveTime+".txt"), func(b *bufio.Writer) {
		b.WriteString("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tmapGroup\tmapPriority\tmapRule\tmapAdvice\tmapTarget\tcorrelationId\tmapBlock\r\n")
		for _, c := range rel.Concepts {
			for _, set := range []struct {
				refset uint64
				rows   []MapRow
			}{{UKICD10Refset, rel.UKICD10[c]}, {OPCS410Refset, rel.OPCS[c]}} {
				for _, m := range set.rows {
					n++
					fmt.Fprintf(b, "%08x-2222-4000-9000-%012x\t%s\t1\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t1\r\n", n, n, UKEffectiveTime, UKClinicalModule, set.refset, c, m.Group, m.Priority, m.Rule, m.Advice, m.Target, MapCorrelation)
				}
			}
		}
	})
}

type langRowT struct{ desc, refset, acc uint64 }
