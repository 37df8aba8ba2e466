package ecl

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed"
)

// ErrUnknownDialect is returned for a dialect alias that names no
// language reference set this package knows.
var ErrUnknownDialect = errors.New("ecl: unknown dialect alias")

// dialectAliases maps the dialect aliases of the specification's
// Appendix C (as Hermes lists them, com.eldrix.hermes.impl.language) and
// the example's en-au to their language reference sets.
var dialectAliases = map[string]snomed.ID{
	"en-gb":           gbLanguageRefset,
	"en-us":           usLanguageRefset,
	"en-au":           32570271000036106,
	"en-ca":           19491000087109,
	"en-ie":           21000220103,
	"en-nz":           271000210107,
	"en-int-gmdn":     608771002,
	"en-nhs-clinical": ukClinicalRefset,
	"en-nhs-dmd":      999000671000001103,
	"en-nhs-pharmacy": 999000691000001104,
	"en-uk-drug":      999000681000001101,
	"en-uk-ext":       999001251000000103,
	"es":              448879004,
	"es-ar":           450828004,
	"es-uy":           5641000179103,
	"et-ee":           71000181105,
	"de":              722130004,
	"fr":              722131000,
	"fr-be":           21000172104,
	"fr-ca":           20581000087109,
	"ja":              722129009,
	"nl-be":           31000172101,
	"nl-nl":           31000146106,
	"nb-no":           61000202103,
	"nn-no":           91000202106,
	"sv-se":           46011000052107,
	"zh":              722128001,
}

// DialectRefset returns the language reference set of a dialect alias
// (case-insensitive); en-x-<id> names a reference set by its id.
func DialectRefset(alias string) (snomed.ID, bool) {
	a := strings.ToLower(alias)
	if id, ok := dialectAliases[a]; ok {
		return id, true
	}
	if rest, ok := strings.CutPrefix(a, "en-x-"); ok && isSCTID(rest) {
		v, err := strconv.ParseUint(rest, 10, 64)
		return snomed.ID(v), err == nil
	}
	return 0, false
}

// isSCTID reports whether w is written as a SNOMED CT id: 6 to 18
// digits, the first not zero.
func isSCTID(w string) bool {
	if len(w) < 6 || len(w) > 18 || w[0] == '0' {
		return false
	}
	for i := range len(w) {
		if !isDigit(w[i]) {
			return false
		}
	}
	return true
}

// cfilter is a filter with its values resolved to ids.
type cfilter struct {
	Filter
	ids []snomed.ID // ascending
	// dialects pairs each language reference set with the
	// acceptabilities that count (preferred or acceptable by default).
	dialects []dialect
	b        *bool // active
}

type dialect struct {
	refset snomed.ID
	accept []snomed.ID
}

// valueIDs resolves a filter's id values: a bare concept as itself (it
// may be metadata the source holds no concept for), any other
// sub-expression by evaluation.
func (ev *evaluator) valueIDs(f Filter) ([]snomed.ID, error) {
	if f.Value == nil {
		ids := parseIDs(f.Words)
		return sortedUnique(ids), nil
	}
	if s, ok := f.Value.(*Sub); ok && s.Op == Self && !s.MemberOf && !s.Wildcard && s.Nested == nil && s.Alt == nil && len(s.Filters) == 0 && s.History == "" {
		return []snomed.ID{s.Concept}, nil
	}
	return ev.expr(f.Value)
}

func acceptIDs(words []string) ([]snomed.ID, error) {
	if len(words) == 0 {
		return []snomed.ID{preferred, acceptable}, nil
	}
	var out []snomed.ID
	for _, a := range words {
		switch strings.ToLower(a) {
		case "prefer":
			out = append(out, preferred)
		case "accept":
			out = append(out, acceptable)
		default:
			ids := parseIDs([]string{a})
			if len(ids) == 0 {
				return nil, fmt.Errorf("%w: acceptability %q", ErrSyntax, a)
			}
			out = append(out, ids[0])
		}
	}
	return out, nil
}

func (ev *evaluator) compileFilter(f Filter) (cfilter, error) {
	c := cfilter{Filter: f}
	var err error
	switch f.Name {
	case "type":
		for _, w := range f.Words {
			c.ids = append(c.ids, map[string]snomed.ID{"syn": synonymType, "fsn": fsnType, "def": definitionType}[strings.ToLower(w)])
		}
	case "definitionStatus":
		for _, w := range f.Words {
			c.ids = append(c.ids, map[string]snomed.ID{"primitive": primitive, "defined": fullyDefined}[strings.ToLower(w)])
		}
	case "active":
		if f.Kind == 'M' && len(f.Words) == 0 {
			break
		}
		b, err := boolWord(firstWord(f))
		if err != nil {
			return c, err
		}
		c.b = &b
	case "dialect":
		for i, w := range f.Words {
			refset, ok := DialectRefset(w)
			if !ok {
				return c, fmt.Errorf("%w: %q (known: the aliases of the specification's Appendix C, or en-x-<refset id>)", ErrUnknownDialect, w)
			}
			var acc []string
			if i < len(f.Accept) {
				acc = f.Accept[i]
			}
			ids, err := acceptIDs(acc)
			if err != nil {
				return c, err
			}
			c.dialects = append(c.dialects, dialect{refset, ids})
		}
	case "dialectId":
		if f.Value != nil {
			refsets, err := ev.valueIDs(f)
			if err != nil {
				return c, err
			}
			var acc []string
			if len(f.Accept) > 0 {
				acc = f.Accept[0]
			}
			ids, err := acceptIDs(acc)
			if err != nil {
				return c, err
			}
			for _, r := range refsets {
				c.dialects = append(c.dialects, dialect{r, ids})
			}
			break
		}
		for i, w := range f.Words {
			var acc []string
			if i < len(f.Accept) {
				acc = f.Accept[i]
			}
			ids, err := acceptIDs(acc)
			if err != nil {
				return c, err
			}
			c.dialects = append(c.dialects, dialect{parseIDs([]string{w})[0], ids})
		}
	case "term", "language", "semanticTag", "effectiveTime":
	default:
		if f.Kind == 'M' && (f.Quoted || len(f.Words) > 0 && (strings.HasPrefix(f.Words[0], "#") || f.Words[0] == "true" || f.Words[0] == "false")) {
			break
		}
		if c.ids, err = ev.valueIDs(f); err != nil {
			return c, err
		}
	}
	slices.Sort(c.ids)
	return c, nil
}

// filter keeps the concepts that pass every filter block: each
// description block holds for one active description (a different one
// for each block, specification 6.8), concept filters for the concept.
func (ev *evaluator) filter(set []snomed.ID, fs []Filter) ([]snomed.ID, error) {
	var blocks [][]cfilter
	var conc []cfilter
	last := -1
	for _, f := range fs {
		if f.Kind == 'M' {
			continue
		}
		c, err := ev.compileFilter(f)
		if err != nil {
			return nil, err
		}
		if f.Kind == 'C' {
			conc = append(conc, c)
			continue
		}
		if f.Block != last {
			blocks = append(blocks, nil)
			last = f.Block
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], c)
	}
	if len(blocks) == 0 && len(conc) == 0 {
		return set, nil
	}
	var out []snomed.ID
	for _, c := range set {
		if err := ev.tick(); err != nil {
			return nil, err
		}
		ok, err := ev.passes(c, conc, blocks)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// passes tests one concept against compiled concept filters and
// description filter blocks.
func (ev *evaluator) passes(id snomed.ID, conc []cfilter, blocks [][]cfilter) (bool, error) {
	if len(conc) > 0 {
		c, known := ev.s.Concept(id)
		if !known {
			return false, nil
		}
		for _, f := range conc {
			ok, err := conceptMatches(c, f)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	if len(blocks) == 0 {
		return true, nil
	}
	descs := ev.s.Descriptions(id)
	for _, block := range blocks {
		found := false
		for _, d := range descs {
			if !d.Active && !hasCompiled(block, "active") {
				continue
			}
			m, err := descriptionMatches(d, block)
			if err != nil {
				return false, err
			}
			if m {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

func hasCompiled(fs []cfilter, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

func parseIDs(words []string) []snomed.ID {
	var out []snomed.ID
	for _, w := range words {
		if v, err := strconv.ParseUint(w, 10, 64); err == nil {
			out = append(out, snomed.ID(v))
		}
	}
	return out
}

// firstWord is a filter's only value: "" for a hand-built filter with
// none (not a boolean, no concept's tag), rather than a panic.
func firstWord(f Filter) string {
	if len(f.Words) == 0 {
		return ""
	}
	return f.Words[0]
}

func boolWord(w string) (bool, error) {
	switch strings.ToLower(w) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean", ErrSyntax, w)
}

func compareInt(a int, op string, b int) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// timeMatches compares an effective time (0 for none) with the filter's
// times: = holds for any of them, != for none of them, an ordering for
// any. "" is no effective time.
func timeMatches(t int, f Filter) (bool, error) {
	if len(f.Words) == 0 {
		return false, fmt.Errorf("%w: effectiveTime without a value", ErrSyntax)
	}
	any := false
	for _, w := range f.Words {
		v := 0
		if w != "" {
			var err error
			if v, err = strconv.Atoi(w); err != nil {
				return false, fmt.Errorf("%w: effectiveTime %q is not YYYYMMDD", ErrSyntax, w)
			}
		}
		op := f.Op
		if op == "!=" {
			op = "="
		}
		if (v == 0 || t == 0) && op != "=" {
			continue // no order between a time and none
		}
		any = any || compareInt(t, op, v)
	}
	if f.Op == "!=" {
		return !any, nil
	}
	return any, nil
}

func conceptMatches(c snomed.Concept, f cfilter) (bool, error) {
	var ok bool
	switch f.Name {
	case "definitionStatus", "definitionStatusId":
		ok = contains(f.ids, c.DefinitionStatus)
	case "moduleId":
		ok = contains(f.ids, c.Module)
	case "id":
		ok = contains(f.ids, c.ID)
	case "active":
		if f.b == nil {
			return false, fmt.Errorf("%w: active without a value", ErrSyntax)
		}
		ok = c.Active == *f.b
	case "effectiveTime":
		return timeMatches(c.EffectiveTime, f.Filter)
	default:
		return false, fmt.Errorf("%w: concept filter %s", ErrUnsupported, f.Name)
	}
	if f.Op == "!=" {
		ok = !ok
	}
	return ok, nil
}

func descriptionMatches(d snomed.Description, fs []cfilter) (bool, error) {
	for _, f := range fs {
		var ok bool
		switch f.Name {
		case "term":
			for i, w := range f.Words {
				kind := ""
				if i < len(f.Matches) {
					kind = f.Matches[i]
				}
				if termMatches(d.Term, w, kind) {
					ok = true
					break
				}
			}
		case "language":
			for _, w := range f.Words {
				ok = ok || strings.EqualFold(d.LanguageCode, w)
			}
		case "type", "typeId":
			ok = contains(f.ids, d.Type)
		case "dialect", "dialectId":
			for _, x := range f.dialects {
				if acc, in := d.Acceptability[x.refset]; in && slices.Contains(x.accept, acc) {
					ok = true
					break
				}
			}
		case "active":
			if f.b == nil {
				return false, fmt.Errorf("%w: active without a value", ErrSyntax)
			}
			ok = d.Active == *f.b
		case "id":
			ok = contains(f.ids, d.ID)
		case "preferredIn", "acceptableIn", "languageRefSetId":
			for _, refset := range f.ids {
				acc, in := d.Acceptability[refset]
				switch f.Name {
				case "preferredIn":
					in = in && acc == preferred
				case "acceptableIn":
					in = in && acc == acceptable
				}
				ok = ok || in
			}
		case "semanticTag":
			// Only a fully specified name has a semantic tag: = and !=
			// both hold for none of the other descriptions.
			tag, has := semanticTag(d)
			if !has {
				return false, nil
			}
			ok = tag == firstWord(f.Filter)
		case "moduleId", "effectiveTime":
			return false, fmt.Errorf("%w: description %s filters (the store keeps no description module or time)", ErrUnsupported, f.Name)
		default:
			return false, fmt.Errorf("%w: description filter %s", ErrUnsupported, f.Name)
		}
		if f.Op == "!=" {
			ok = !ok
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// semanticTag returns the text in the brackets that end a fully specified
// name: "disorder" for "Asthma (disorder)".
func semanticTag(d snomed.Description) (string, bool) {
	if d.Type != fsnType || !strings.HasSuffix(d.Term, ")") {
		return "", false
	}
	open := strings.LastIndexByte(d.Term, '(')
	if open < 0 {
		return "", false
	}
	return d.Term[open+1 : len(d.Term)-1], true
}

// termMatches: "match" (the default) needs every word of the filter to
// begin a word of the term, case-insensitively; "wild" is a whole-term
// pattern, case-insensitive, where * matches any run of characters and
// \* a star.
func termMatches(term, pattern, kind string) bool {
	t := strings.ToLower(term)
	p := strings.ToLower(pattern)
	if kind == "wild" {
		return wildMatch(t, p)
	}
	words := strings.FieldsFunc(t, isTermSeparator)
	for _, pw := range strings.FieldsFunc(p, isTermSeparator) {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, pw) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func isTermSeparator(r rune) bool {
	return r == ' ' || r == '\t' || r == '-' || r == ',' || r == '(' || r == ')' || r == '/'
}

// wildParts splits a wild pattern at its unescaped stars, unescaping the
// rest.
func wildParts(p string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		case p[i] == '*':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(p[i])
		}
	}
	return append(parts, b.String())
}

func wildMatch(s, p string) bool {
	parts := wildParts(p)
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		k := strings.Index(s, part)
		if k < 0 {
			return false
		}
		s = s[k+len(part):]
	}
	return true
}

// memberRow is one active member row of a reference set, with the
// fields the source keeps.
type memberRow struct {
	ref    snomed.ID
	target snomed.ID // association reference sets
	isLink bool
	m      *snomed.MapEntry // map reference sets
	// From a RowSource: the row's own module, time and status.
	hasMeta bool
	module  snomed.ID
	et      int
	active  bool
}

// MemberRow is one reference set row as a RowSource keeps it: the
// columns every reference set has, and those of the pattern that member
// filters read (snomed.MemberRow).
type MemberRow = snomed.MemberRow

// RowSource is a Source that keeps whole reference set rows, inactive
// ones too. Member filters over it test each row on every column the
// specification names (moduleId, effectiveTime, active, and the
// pattern's), so {{ M moduleId = X, mapTarget = "J45" }} asks for one
// row with both; without it, moduleId and effectiveTime member filters
// are ErrUnsupported. *snomed.Store is a RowSource (format 11 keeps each
// row's module, time and status, for every reference set but the
// language ones, whose members are descriptions).
type RowSource interface {
	// MemberRows returns the rows of refset whose referencedComponentId
	// is id, active or not.
	MemberRows(refset, id snomed.ID) []MemberRow
	// RowMembers returns the referenced components of every row of
	// refset, active or not, ascending.
	RowMembers(refset snomed.ID) []snomed.ID
}

// blockAsksActive reports whether a member filter block has an active
// filter: such a block is tested against inactive rows too, others
// against active rows only.
func blockAsksActive(block []cfilter) bool {
	for _, f := range block {
		if f.Name == "active" {
			return true
		}
	}
	return false
}

// memberFilter keeps the members of refset with, for each member filter
// block, a row that passes every filter of the block.
func (ev *evaluator) memberFilter(refset snomed.ID, members []snomed.ID, fs []Filter) ([]snomed.ID, error) {
	var blocks [][]cfilter
	last := -1
	for _, f := range fs {
		if f.Kind != 'M' {
			continue
		}
		c, err := ev.compileFilter(f)
		if err != nil {
			return nil, err
		}
		if f.Block != last {
			blocks = append(blocks, nil)
			last = f.Block
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], c)
	}
	if rs, ok := ev.s.(RowSource); ok {
		return ev.rowFilter(rs, refset, members, blocks)
	}
	maps, _ := ev.s.(mapSource)
	var out []snomed.ID
	for _, m := range members {
		if err := ev.tick(); err != nil {
			return nil, err
		}
		var rows []memberRow
		if maps != nil {
			for _, e := range maps.Maps(m, refset) {
				if e.Refset == refset {
					rows = append(rows, memberRow{ref: m, m: &e})
				}
			}
		}
		if len(rows) == 0 {
			for _, a := range ev.s.Associations(m) {
				if a.Refset == refset {
					rows = append(rows, memberRow{ref: m, target: a.Target, isLink: true})
				}
			}
		}
		if len(rows) == 0 {
			rows = []memberRow{{ref: m}}
		}
		keep := true
		for _, block := range blocks {
			found := false
			for _, r := range rows {
				ok, err := rowMatches(r, block)
				if err != nil {
					return nil, err
				}
				if ok {
					found = true
					break
				}
			}
			if !found {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, m)
		}
	}
	return out, nil
}

// rowFilter is memberFilter over a RowSource: each block needs one row
// that passes all its filters, among the member's active rows, or among
// all its rows when the block has an active filter (as Snowstorm, which
// keeps inactive members, reads {{ M active = 0 }}). The members tested
// are the active ones given, and the inactive ones when a block asks.
func (ev *evaluator) rowFilter(rs RowSource, refset snomed.ID, members []snomed.ID, blocks [][]cfilter) ([]snomed.ID, error) {
	anyActive := false
	for _, b := range blocks {
		anyActive = anyActive || blockAsksActive(b)
	}
	if anyActive {
		members = ev.onlyConcepts(rs.RowMembers(refset))
	}
	var out []snomed.ID
	for _, m := range members {
		if err := ev.tick(); err != nil {
			return nil, err
		}
		rows := rs.MemberRows(refset, m)
		keep := len(rows) > 0
		for _, block := range blocks {
			all := blockAsksActive(block)
			found := false
			for _, r := range rows {
				if !r.Active && !all {
					continue
				}
				mr := memberRow{ref: m, target: r.Target, isLink: r.Target != 0, m: r.Map, hasMeta: true, module: r.Module, et: r.EffectiveTime, active: r.Active}
				ok, err := rowMatches(mr, block)
				if err != nil {
					return nil, err
				}
				if ok {
					found = true
					break
				}
			}
			if !found {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, m)
		}
	}
	return out, nil
}

// rowMatches tests one member row against a block of member filters.
// String fields take typed search terms with the term filter's default
// match (the specification's mapTarget = "J45" matches J45.9).
func rowMatches(r memberRow, fs []cfilter) (bool, error) {
	for _, f := range fs {
		var ok bool
		unsupported := func() (bool, error) {
			return false, fmt.Errorf("%w: member filter on %s (the store keeps no such field of this reference set)", ErrUnsupported, f.Name)
		}
		switch f.Name {
		case "referencedComponentId":
			ok = contains(f.ids, r.ref)
		case "targetComponentId":
			if !r.isLink {
				return unsupported()
			}
			ok = contains(f.ids, r.target)
		case "active":
			if f.b == nil {
				return false, fmt.Errorf("%w: active without a value", ErrSyntax)
			}
			if r.hasMeta {
				ok = r.active == *f.b
			} else {
				ok = *f.b // the source lists active members only
			}
		case "moduleId":
			if !r.hasMeta {
				return unsupported()
			}
			ok = contains(f.ids, r.module)
		case "effectiveTime":
			if !r.hasMeta {
				return unsupported()
			}
			ok, err := timeMatches(r.et, f.Filter)
			if err != nil || !ok {
				return false, err
			}
			continue // timeMatches applies != itself
		case "mapTarget", "mapRule", "mapAdvice":
			if r.m == nil {
				return unsupported()
			}
			v := map[string]string{"mapTarget": r.m.Target, "mapRule": r.m.Rule, "mapAdvice": r.m.Advice}[f.Name]
			for i, w := range f.Words {
				if termMatches(v, w, f.Matches[i]) {
					ok = true
					break
				}
			}
		case "mapGroup", "mapPriority":
			if r.m == nil {
				return unsupported()
			}
			v := r.m.Group
			if f.Name == "mapPriority" {
				v = r.m.Priority
			}
			for _, w := range f.Words {
				n, err := strconv.Atoi(strings.TrimPrefix(w, "#"))
				if err != nil || !strings.HasPrefix(w, "#") {
					return false, fmt.Errorf("%w: member filter %s compares #integers", ErrSyntax, f.Name)
				}
				ok = ok || compareInt(v, f.Op, n)
			}
			if !ok {
				return false, nil
			}
			continue
		case "correlationId", "mapCategoryId":
			if r.m == nil {
				return unsupported()
			}
			v := r.m.Correlation
			if f.Name == "mapCategoryId" {
				v = r.m.Category
			}
			ok = contains(f.ids, v)
		default:
			return unsupported()
		}
		if f.Op == "!=" {
			ok = !ok
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
