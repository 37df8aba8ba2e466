package ecl_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// world is the naive model: plain maps from the generator's record, and
// set comprehensions over every concept. It shares no code with the
// evaluator.
type world struct {
	rel   *snomedtest.Release
	all   []uint64 // active concepts
	anc   map[uint64]map[uint64]bool
	descs map[uint64][]desc
}

type desc struct {
	term   string
	fsn    bool
	gb, us bool // preferred or acceptable in each dialect
	// preferred in each dialect
	gbPref, usPref bool
	// in the UK clinical language refset, and preferred there
	uk, ukPref bool
}

func newWorld(rel *snomedtest.Release) *world {
	w := &world{rel: rel, anc: map[uint64]map[uint64]bool{}, descs: map[uint64][]desc{}}
	var walk func(c uint64) map[uint64]bool
	walk = func(c uint64) map[uint64]bool {
		if a, ok := w.anc[c]; ok {
			return a
		}
		a := map[uint64]bool{}
		for _, p := range rel.Parents[c] {
			a[p] = true
			for x := range walk(p) {
				a[x] = true
			}
		}
		w.anc[c] = a
		return a
	}
	for _, c := range rel.Concepts {
		if rel.Active[c] {
			w.all = append(w.all, c)
			walk(c)
		}
		// The UK clinical refset holds every description of an active
		// concept as en-GB does, except that a concept with a UK term
		// prefers its NOS synonym there and takes the main one as
		// acceptable.
		inUK := rel.Active[c]
		_, ukTerm := rel.UKTerms[c]
		w.descs[c] = append(w.descs[c], desc{term: rel.FSNs[c], fsn: true, gb: true, us: true, gbPref: true, usPref: true, uk: inUK, ukPref: inUK})
		same := rel.USTerms[c] == rel.Terms[c]
		w.descs[c] = append(w.descs[c], desc{term: rel.Terms[c], gb: true, us: true, gbPref: true, usPref: same, uk: inUK, ukPref: inUK && !ukTerm})
		if !same {
			w.descs[c] = append(w.descs[c], desc{term: rel.USTerms[c], gb: true, us: true, usPref: true, uk: inUK})
		}
		w.descs[c] = append(w.descs[c], desc{term: rel.Terms[c] + " NOS", gb: true, us: true, uk: inUK, ukPref: inUK && ukTerm})
	}
	slices.Sort(w.all)
	return w
}

func (w *world) where(pred func(c uint64) bool) []snomed.ID {
	var out []snomed.ID
	for _, c := range w.all {
		if pred(c) {
			out = append(out, snomed.ID(c))
		}
	}
	return out
}

func (w *world) isA(c, x uint64) bool { return c == x || w.anc[c][x] }

func (w *world) parentOf(c, x uint64) bool { return slices.Contains(w.rel.Parents[c], x) }

func ids(xs []snomed.ID) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	}
	return b.String()
}

// importRelease imports the release in dir and opens the store, closed
// when the test ends.
func importRelease(t *testing.T, dir string, opts ...snomed.ImportOption) *snomed.Store {
	t.Helper()
	path := filepath.Join(dir, "store.db")
	require.NoError(t, snomed.Import(context.Background(), dir, path, opts...))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 400, Seed: 11})
	require.NoError(t, err)
	s := importRelease(t, dir)
	w := newWorld(rel)

	// Sample concepts at several depths, with children and attributes.
	var picks []uint64
	for _, c := range w.all[1:] {
		if len(picks) < 7 && len(rel.Attributes[c]) > 0 && len(s.Children(snomed.ID(c))) > 0 {
			picks = append(picks, c)
		}
	}
	require.Len(t, picks, 7)
	const FS, AM, CA, LAT = snomedtest.FindingSite, snomedtest.Morphology, snomedtest.CausativeAgent, snomedtest.Laterality
	hasAttr := func(c uint64, typ uint64, group int, dest func(uint64) bool) int {
		n := 0
		for _, a := range rel.Attributes[c] {
			if a.Type == typ && (group < 0 || a.Group == group) && dest(a.Dest) {
				n++
			}
		}
		return n
	}
	type tc struct {
		expr string
		want []snomed.ID
	}
	var cases []tc
	add := func(expr string, pred func(c uint64) bool) { cases = append(cases, tc{expr, w.where(pred)}) }
	for i, x := range picks {
		y := picks[(i+1)%len(picks)]
		z := picks[(i+2)%len(picks)]
		X, Y, Z := strconv.FormatUint(x, 10), strconv.FormatUint(y, 10), strconv.FormatUint(z, 10)
		add(X, func(c uint64) bool { return c == x })
		add(X+" |"+rel.Terms[x]+"|", func(c uint64) bool { return c == x })
		add("< "+X, func(c uint64) bool { return c != x && w.isA(c, x) })
		add("<< "+X, func(c uint64) bool { return w.isA(c, x) })
		add("descendantOrSelfOf "+X, func(c uint64) bool { return w.isA(c, x) })
		add("<! "+X, func(c uint64) bool { return w.parentOf(c, x) })
		add("<<! "+X, func(c uint64) bool { return c == x || w.parentOf(c, x) })
		add("> "+X, func(c uint64) bool { return c != x && w.isA(x, c) })
		add(">> "+X, func(c uint64) bool { return w.isA(x, c) })
		add(">! "+X, func(c uint64) bool { return w.parentOf(x, c) })
		add("parentOrSelfOf "+X, func(c uint64) bool { return c == x || w.parentOf(x, c) })
		add("<< "+X+" OR << "+Y, func(c uint64) bool { return w.isA(c, x) || w.isA(c, y) })
		add("<< "+X+" AND << "+Y, func(c uint64) bool { return w.isA(c, x) && w.isA(c, y) })
		add("<< "+X+" , > "+Y, func(c uint64) bool { return w.isA(c, x) && c != y && w.isA(y, c) })
		// Closures of a set: a few members by bitset walks, many by one
		// traversal.
		add("< ("+X+" OR "+Y+" OR "+Z+")", func(c uint64) bool {
			return c != x && w.isA(c, x) || c != y && w.isA(c, y) || c != z && w.isA(c, z)
		})
		add("> ("+X+" OR "+Y+")", func(c uint64) bool { return c != x && w.isA(x, c) || c != y && w.isA(y, c) })
		add("<< (< "+Y+")", func(c uint64) bool { return w.isA(c, y) && c != y })
		add(">> (< "+Y+")", func(c uint64) bool {
			for _, d := range w.all {
				if d != y && w.isA(d, y) && w.isA(d, c) {
					return true
				}
			}
			return false
		})
		add("(<< "+X+" OR << "+Y+") MINUS << "+Z, func(c uint64) bool { return (w.isA(c, x) || w.isA(c, y)) && !w.isA(c, z) })
		add("<< "+X+" MINUS (< "+X+" AND << "+Y+")", func(c uint64) bool { return w.isA(c, x) && !(c != x && w.isA(c, y)) })
		add("* : 363698007 = << "+X, func(c uint64) bool { return hasAttr(c, FS, -1, func(d uint64) bool { return w.isA(d, x) }) > 0 })
		add("<< "+Y+" : 363698007 = *", func(c uint64) bool { return w.isA(c, y) && hasAttr(c, FS, -1, func(uint64) bool { return true }) > 0 })
		// A wildcard attribute name or value stands for every active
		// concept, tested per relationship rather than listed.
		anyAttr := func(c uint64, dest func(uint64) bool) bool {
			for _, a := range rel.Attributes[c] {
				if dest(a.Dest) {
					return true
				}
			}
			return false
		}
		add("<< "+Y+" : * = << "+X, func(c uint64) bool { return w.isA(c, y) && anyAttr(c, func(d uint64) bool { return w.isA(d, x) }) })
		add("< "+Y+" : [0..0] * = *", func(c uint64) bool { return c != y && w.isA(c, y) && len(rel.Attributes[c]) == 0 })
		add("* : R * = << "+X, func(c uint64) bool {
			for _, d := range w.all {
				if w.isA(d, x) && anyAttr(d, func(v uint64) bool { return v == c }) {
					return true
				}
			}
			return false
		})
		add("* : 363698007 != << "+X, func(c uint64) bool {
			return hasAttr(c, FS, -1, func(d uint64) bool { return !w.isA(d, x) }) > 0
		})
		add("* : [2..*] 363698007 = *", func(c uint64) bool { return hasAttr(c, FS, -1, func(uint64) bool { return true }) >= 2 })
		add("<< "+X+" : [0..0] 246075003 = *", func(c uint64) bool { return w.isA(c, x) && hasAttr(c, CA, -1, func(uint64) bool { return true }) == 0 })
		add("* : [1..1] 116676008 = << "+Z, func(c uint64) bool { return hasAttr(c, AM, -1, func(d uint64) bool { return w.isA(d, z) }) == 1 })
		add("* : 363698007 = << "+X+", 116676008 = *", func(c uint64) bool {
			return hasAttr(c, FS, -1, func(d uint64) bool { return w.isA(d, x) }) > 0 && hasAttr(c, AM, -1, func(uint64) bool { return true }) > 0
		})
		add("* : 363698007 = << "+X+" OR 272741003 = *", func(c uint64) bool {
			return hasAttr(c, FS, -1, func(d uint64) bool { return w.isA(d, x) }) > 0 || hasAttr(c, LAT, -1, func(uint64) bool { return true }) > 0
		})
		add("* : { 363698007 = *, 246075003 = * }", func(c uint64) bool {
			for g := 1; g <= 3; g++ {
				if hasAttr(c, FS, g, func(uint64) bool { return true }) > 0 && hasAttr(c, CA, g, func(uint64) bool { return true }) > 0 {
					return true
				}
			}
			return false
		})
		// Refinements whose small value sets narrow the candidates
		// through the index by destination, and ones that must not.
		add("* : 363698007 = << "+X+" OR 116676008 = << "+Z, func(c uint64) bool {
			return hasAttr(c, FS, -1, func(d uint64) bool { return w.isA(d, x) }) > 0 || hasAttr(c, AM, -1, func(d uint64) bool { return w.isA(d, z) }) > 0
		})
		add("<< "+Y+" : [0..1] 363698007 = << "+X, func(c uint64) bool {
			return w.isA(c, y) && hasAttr(c, FS, -1, func(d uint64) bool { return w.isA(d, x) }) <= 1
		})
		add("* : [0..0] { 363698007 = << "+X+" }", func(c uint64) bool {
			for g := 0; g <= 3; g++ {
				if hasAttr(c, FS, g, func(d uint64) bool { return w.isA(d, x) }) > 0 {
					return false
				}
			}
			return true
		})
		add("* : { 363698007 = << "+X+", 116676008 = * } OR R 363698007 = "+X, func(c uint64) bool {
			for g := 0; g <= 3; g++ {
				if hasAttr(c, FS, g, func(d uint64) bool { return w.isA(d, x) }) > 0 && hasAttr(c, AM, g, func(uint64) bool { return true }) > 0 {
					return true
				}
			}
			for _, a := range rel.Attributes[x] {
				if a.Type == FS && a.Dest == c {
					return true
				}
			}
			return false
		})
		add("* : [2..2] { 363698007 = * }", func(c uint64) bool {
			n := 0
			for g := 1; g <= 3; g++ {
				if hasAttr(c, FS, g, func(uint64) bool { return true }) > 0 {
					n++
				}
			}
			return n == 2
		})
		add("* : R 363698007 = << "+X, func(c uint64) bool {
			for _, src := range w.all {
				for _, a := range rel.Attributes[src] {
					if a.Type == FS && a.Dest == c && w.isA(src, x) {
						return true
					}
				}
			}
			return false
		})
		dotted := map[uint64]bool{}
		for _, c := range w.all {
			if w.isA(c, x) {
				for _, a := range rel.Attributes[c] {
					if a.Type == FS {
						dotted[a.Dest] = true
					}
				}
			}
		}
		add("<< "+X+" . 363698007", func(c uint64) bool { return dotted[c] })
		add("!!> (<< "+X+")", func(c uint64) bool { return c == x })
		add("!!< (<< "+X+")", func(c uint64) bool {
			if !w.isA(c, x) {
				return false
			}
			for _, o := range w.all {
				if o != c && w.isA(o, c) {
					return false
				}
			}
			return true
		})
		word := strings.Fields(rel.Terms[x])[0]
		termHas := func(c uint64, pred func(desc) bool) bool {
			for _, d := range w.descs[c] {
				if pred(d) {
					return true
				}
			}
			return false
		}
		wordPrefix := func(term, p string) bool {
			for _, tw := range strings.FieldsFunc(strings.ToLower(term), func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
				if strings.HasPrefix(tw, strings.ToLower(p)) { // matching ignores case
					return true
				}
			}
			return false
		}
		add("<< "+Y+" {{ term = \""+word[:3]+"\" }}", func(c uint64) bool {
			return w.isA(c, y) && termHas(c, func(d desc) bool { return wordPrefix(d.term, word[:3]) })
		})
		add("* {{ D term = wild:\"*"+word+"*\", type = fsn }}", func(c uint64) bool {
			return termHas(c, func(d desc) bool { return d.fsn && strings.Contains(strings.ToLower(d.term), strings.ToLower(word)) })
		})
		add("<< "+X+" {{ term != \""+word+"\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return !wordPrefix(d.term, word) })
		})
		add("<< "+X+" {{ C definitionStatus = primitive }}", func(c uint64) bool { return w.isA(c, x) && !w.rel.Defined[c] })
		add("<< "+X+" {{ C definitionStatus = defined }}", func(c uint64) bool { return w.isA(c, x) && w.rel.Defined[c] })
		add("* {{ C definitionStatus = defined, active = true }}", func(c uint64) bool { return w.rel.Active[c] && w.rel.Defined[c] })
		add("<< "+X+" {{ dialect = en-us, term = \"us\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.us && wordPrefix(d.term, "us") })
		})
		// Acceptability sets: the NOS synonym is only acceptable, the
		// US spelling preferred in en-US and acceptable in en-GB.
		add("<< "+X+" {{ dialect = en-gb (prefer), term = \"nos\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.gbPref && wordPrefix(d.term, "nos") })
		})
		add("<< "+X+" {{ D dialect = en-gb (accept), term = \"nos\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.gb && !d.gbPref && wordPrefix(d.term, "nos") })
		})
		add("<< "+X+" {{ D dialect = (en-gb (accept) en-us (prefer)), term = \"us\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool {
				return (d.gb && !d.gbPref || d.usPref) && wordPrefix(d.term, "us")
			})
		})
		add("<< "+X+" {{ D dialectId = 900000000000509007 |US English| (900000000000548007 |Preferred|), type = syn }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.usPref && !d.fsn })
		})
		add("<< "+X+" {{ D dialect = en-us (prefer accept), term != \"nos\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.us && !wordPrefix(d.term, "nos") })
		})
		// Language reference set filters (Snow Owl's extensions), each
		// holding for one description with the other filters.
		add("<< "+X+" {{ preferredIn = 999001261000000100 }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.ukPref })
		})
		add("<< "+X+" {{ D acceptableIn = 999001261000000100 |UK clinical|, term != \"nos\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.uk && !d.ukPref && !wordPrefix(d.term, "nos") })
		})
		add("<< "+X+" {{ acceptableIn = (900000000000509007 900000000000508004), type = syn }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return !d.fsn && (d.us && !d.usPref || d.gb && !d.gbPref) })
		})
		add("<< "+X+" {{ languageRefSetId = (900000000000509007 999001261000000100), term = \"nos\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return (d.us || d.uk) && wordPrefix(d.term, "nos") })
		})
		add("<< "+X+" {{ languageRefsetId = 999001261000000100 }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return d.uk })
		})
		add("<< "+X+" {{ preferredIn != 900000000000508004, term = \"us\" }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool { return !d.gbPref && wordPrefix(d.term, "us") })
		})
		// The semantic tag is the bracketed end of the fully specified
		// name; other descriptions have none, so != holds for them neither.
		tagOf := func(d desc) (string, bool) {
			if !d.fsn {
				return "", false
			}
			i := strings.LastIndex(d.term, " (")
			if i < 0 || !strings.HasSuffix(d.term, ")") {
				return "", false
			}
			return d.term[i+2 : len(d.term)-1], true
		}
		for _, tag := range []string{"disorder", "Disorder", "SNOMED RT+CTV3"} {
			add("<< "+X+" {{ semanticTag = \""+tag+"\" }}", func(c uint64) bool {
				return w.isA(c, x) && termHas(c, func(d desc) bool { t, ok := tagOf(d); return ok && t == tag })
			})
			add("* {{ semanticTag != \""+tag+"\", term = \""+word[:2]+"\" }}", func(c uint64) bool {
				return termHas(c, func(d desc) bool { t, ok := tagOf(d); return ok && t != tag && wordPrefix(d.term, word[:2]) })
			})
		}
		// A term set mixes search types word by word.
		add("<< "+X+" {{ term = (\"zzzz\" wild:\"*"+word+"*\") }}", func(c uint64) bool {
			return w.isA(c, x) && termHas(c, func(d desc) bool {
				return wordPrefix(d.term, "zzzz") || strings.Contains(strings.ToLower(d.term), strings.ToLower(word))
			})
		})
	}
	// Member-of, concrete values, history, wildcard.
	SR := strconv.FormatUint(rel.SimpleRefset, 10)
	member := func(c uint64) bool { return slices.Contains(rel.Members, c) }
	add("* {{ semanticTag = \"SNOMED RT+CTV3\" }}", func(c uint64) bool { return c == snomedtest.Root })
	add("^ "+SR, member)
	add("memberOf "+SR, member)
	add("^ [referencedComponentId] "+SR, member)
	add("<< ^ "+SR, func(c uint64) bool {
		for _, m := range rel.Members {
			if w.isA(c, m) {
				return true
			}
		}
		return false
	})
	// The other closures of a member-of, read from the store's member
	// ordinals.
	anyMember := func(f func(c, m uint64) bool) func(uint64) bool {
		return func(c uint64) bool {
			return slices.ContainsFunc(rel.Members, func(m uint64) bool { return f(c, m) })
		}
	}
	add("< ^ "+SR, anyMember(func(c, m uint64) bool { return c != m && w.isA(c, m) }))
	add(">> ^ "+SR, anyMember(func(c, m uint64) bool { return w.isA(m, c) }))
	add("> ^ "+SR, anyMember(func(c, m uint64) bool { return c != m && w.isA(m, c) }))
	add("^ "+SR+" AND << "+strconv.FormatUint(picks[0], 10), func(c uint64) bool { return member(c) && w.isA(c, picks[0]) })
	// Member filters on the ICD-10 map's rows: every filter holds for
	// one row.
	var mapped []uint64
	for c := range rel.ICD10 {
		mapped = append(mapped, c)
	}
	slices.Sort(mapped)
	rowHas := func(c uint64, pred func(r snomedtest.MapRow) bool) bool {
		for _, r := range rel.ICD10[c] {
			if pred(r) {
				return true
			}
		}
		return false
	}
	for _, c := range mapped[:min(3, len(mapped))] {
		target := rel.ICD10[c][0].Target
		add(`^ 447562003 {{ M mapTarget = "`+target+`" }}`, func(c uint64) bool {
			return rowHas(c, func(r snomedtest.MapRow) bool { return r.Target == target })
		})
		add(`^ 447562003 {{ M mapTarget = wild:"`+target[:1]+`*", mapGroup = #1 }}`, func(c uint64) bool {
			return rowHas(c, func(r snomedtest.MapRow) bool {
				return strings.HasPrefix(strings.ToLower(r.Target), strings.ToLower(target[:1])) && r.Group == 1
			})
		})
		add(`^ 447562003 {{ M mapPriority <= #1, mapTarget != "`+target+`" }}`, func(c uint64) bool {
			return rowHas(c, func(r snomedtest.MapRow) bool { return r.Priority <= 1 && r.Target != target })
		})
	}
	add(`^ 447562003 {{ M mapGroup = #2 }}`, func(c uint64) bool {
		return rowHas(c, func(r snomedtest.MapRow) bool { return r.Group == 2 })
	})
	add("*", func(uint64) bool { return true })
	add("< *", func(c uint64) bool { return c != snomedtest.Root })
	concrete := func(pred func(float64) bool) func(c uint64) bool {
		return func(c uint64) bool {
			for _, a := range rel.Concrete[c] {
				f, _ := strconv.ParseFloat(strings.TrimPrefix(a.Value, "#"), 64)
				if pred(f) {
					return true
				}
			}
			return false
		}
	}
	add("* : 1142135004 >= #250", concrete(func(f float64) bool { return f >= 250 }))
	add("* : 1142135004 < #100", concrete(func(f float64) bool { return f < 100 }))
	add("* : 1142135004 = #250", concrete(func(f float64) bool { return f == 250 }))
	add("* : 1142135004 != #250", concrete(func(f float64) bool { return f != 250 }))
	add("* : 1142135004 > #10.5", concrete(func(f float64) bool { return f > 10.5 }))
	for c, assocs := range rel.Associations {
		if assocs[0].Refset != snomedtest.ReplacedBy {
			continue
		}
		target := assocs[0].Target
		T := strconv.FormatUint(target, 10)
		var min, mod []snomed.ID
		mod = append(mod, snomed.ID(target))
		min = append(min, snomed.ID(target))
		maxi := []snomed.ID{snomed.ID(target)} // every association the generator writes is one of MAX's
		for o, as := range rel.Associations {
			for _, a := range as {
				if a.Target != target {
					continue
				}
				if a.Refset == snomedtest.SameAs {
					min = append(min, snomed.ID(o))
				}
				if a.Refset == snomedtest.SameAs || a.Refset == snomedtest.ReplacedBy {
					mod = append(mod, snomed.ID(o))
				}
				maxi = append(maxi, snomed.ID(o))
			}
		}
		slices.Sort(min)
		slices.Sort(mod)
		slices.Sort(maxi)
		cases = append(cases, tc{T + " {{ +HISTORY-MIN }}", slices.Compact(min)}, tc{T + " {{ +HISTORY-MOD }}", slices.Compact(mod)}, tc{T + " {{ +HISTORY-MAX }}", slices.Compact(maxi)})
		_ = c
		if len(cases) > 250 {
			break
		}
	}
	require.GreaterOrEqual(t, len(cases), 150)
	for _, c := range cases {
		got, err := ecl.Evaluate(s, c.expr)
		require.NoError(t, err, c.expr)
		if len(c.want) == 0 {
			assert.Empty(t, got, c.expr)
			continue
		}
		if !assert.Equal(t, ids(c.want), ids(got), c.expr) {
			continue
		}
		// The printed form parses back to the same result.
		e, err := ecl.Parse(c.expr)
		require.NoError(t, err)
		again, err := ecl.Evaluate(s, e.String())
		require.NoError(t, err, e.String())
		assert.Equal(t, ids(got), ids(again), "%s re-printed as %s", c.expr, e.String())
	}
	t.Logf("%d expressions", len(cases))
	// The reference model, written from the specification apart from the
	// evaluator, agrees on every case it models, and models most.
	model := newRefModel(w)
	modelled := 0
	for _, c := range cases {
		e, err := ecl.Parse(c.expr)
		require.NoError(t, err)
		want, err := model.eval(e)
		if errors.Is(err, errNotModelled) {
			continue
		}
		require.NoError(t, err, c.expr)
		modelled++
		got, err := ecl.EvaluateExpr(s, e)
		require.NoError(t, err, c.expr)
		assert.Equal(t, ids(modelIDs(want)), ids(got), "model: %s", c.expr)
	}
	t.Logf("%d expressions modelled", modelled)
	assert.GreaterOrEqual(t, modelled*100, len(cases)*75, "the model covers at least 3 in 4 cases")
	// Contains, Count and EvaluateSet agree with Evaluate on the store
	// (every 5th expression, each tested against every concept).
	for i := 0; i < len(cases); i += 5 {
		checkAPI(t, s, cases[i].expr)
	}

	_, err = ecl.Evaluate(s, "<< 123456001")
	assert.ErrorIs(t, err, ecl.ErrUnknownConcept)
	plan, err := ecl.Explain(s, "<< "+strconv.FormatUint(picks[0], 10)+" : 363698007 = *")
	require.NoError(t, err)
	assert.Contains(t, plan, "363698007")
}

func TestSyntaxErrors(t *testing.T) {
	for _, tt := range []struct {
		expr   string
		offset int
		msg    string
	}{
		{"", 0, "want a concept id"},
		{"<< 404684003 AND", 16, "want a concept id"},
		{"<< 404684003 AND << 19829001 OR << 1234567008", 29, "OR after AND needs brackets"},
		{"<< 404684003 MINUS 1234567008 MINUS 2345678001", 30, "needs brackets"},
		{"<< 404684003 : 363698007", 24, "want a comparison"},
		{"<< 404684003 : [1..] 363698007 = *", 19, "cardinality maximum"},
		{"<< 404684003 : [3..1] 363698007 = *", 20, "below its minimum"},
		{"(<< 404684003", 13, "want )"},
		{"<< 0404684003", 3, "no leading zero"},
		{"<< 123", 3, "6 to 18 digits"},
		{"<< 404684003 |Clinical finding", 14, "unterminated |term|"},
		{"<< 404684003 {{ term = \"x }}", 23, "unterminated string"},
		{"<< 404684003 {{ colour = red }}", 16, "unknown D filter"},
		{"<< 404684003 {{ + HISTORY-ALL }}", 18, "want HISTORY"},
		{"<< 404684003 : 363698007 < 19829001", 27, "compares numbers"},
		{"<< 404684003 : 1142135004 = #abc", 29, "want a number"},
		{"http://snomed.info/sct#404684003", 0, "want a concept id"},
		{"<< 404684003 {{ term = wild \"x\" }}", 28, "want : after wild"},
		{"<< 404684003 {{ term = wild:heart }}", 28, "want a quoted term"},
		{"<< 404684003 {{ dialect = en-gb () }}", 32, "acceptability set needs"},
		{"<< 404684003 {{ language = en (prefer) }}", 30, "want , or }}"},
		{"<< 404684003 {{ semanticTag = disorder }}", 16, "one quoted tag"},
		{"<< 404684003 {{ semanticTag = (\"disorder\" \"finding\") }}", 16, "one quoted tag"},
		{"<< 404684003 {{ semanticTag < \"disorder\" }}", 16, "takes = or !="},
		{"<< 404684003 {{ + HISTORY-MIN }} {{ term = \"x\" }}", 33, "must be the last"},
		{"<< 404684003 : 1142135004 = #1.", 29, "needs digits after it"},
		{"<< 404684003 {{ preferredIn = en-gb }}", 30, "want a concept id"},
		{"<< 404684003 {{ acceptableIn >= 900000000000508004 }}", 16, "takes = or !="},
		{"<< 404684003 {{ M mapTarget = \"x\" }}", 13, "need a member-of"},
		{"^ 447562003 {{ M mapGroup = 1 }}", 28, "6 to 18 digits"},
		{"^ 447562003 {{ M mapTarget < \"J\" }}", 17, "takes = or !="},
		{"^ 447562003 {{ M mapGroup = # }}", 29, "want a number after #"},
		{"^ [referencedComponentId 447562003", 25, "want , or ]"},
		{"^ [] 447562003", 3, "want a reference set field name"},
		{"<< 404684003 {{ dialect = xx-yy-zz () }}", 35, "acceptability set needs"},
		{strings.Repeat("(", 100) + "404684003" + strings.Repeat(")", 100), 0, "nesting deeper"},
	} {
		_, err := ecl.Parse(tt.expr)
		var se *ecl.SyntaxError
		require.True(t, errors.As(err, &se), "%q: %v", tt.expr, err)
		assert.ErrorIs(t, err, ecl.ErrSyntax)
		assert.Contains(t, se.Msg, tt.msg, tt.expr)
		if !strings.Contains(tt.msg, "nesting") {
			assert.Equal(t, tt.offset, se.Offset, "%q: %s", tt.expr, se.Msg)
		}
	}
	_, err := ecl.Parse("<< 73211009 |Diabetes| : 363698007 = << 113331007 {{ M mapTarget = \"E11\" }}")
	assert.ErrorIs(t, err, ecl.ErrSyntax)
}

func TestParsePrint(t *testing.T) {
	for in, want := range map[string]string{
		"<<404684003|Clinical finding|:363698007=<<39057004":                                      "<< 404684003 |Clinical finding| : 363698007 = << 39057004",
		"descendantOf 404684003 AND ancestorOrSelfOf 19829001":                                    "< 404684003 AND >> 19829001",
		"< 19829001 : [1..*] { 363698007 = << 39057004, 116676008 = * }":                          "< 19829001 : [1..*] { 363698007 = << 39057004 AND 116676008 = * }",
		"^ 447562003 /* a map */":                                                                 "^ 447562003",
		"* : R 363698007 = 39057004":                                                              "* : R 363698007 = 39057004",
		"<< 404684003 {{ D term = \"heart\", language = en }}":                                    `<< 404684003 {{ D term = "heart", language = en }}`,
		"404684003 {{ +HISTORY-MIN }}":                                                            "404684003 {{ + HISTORY-MIN }}",
		"!!> (<< 404684003)":                                                                      "!!> (<< 404684003)",
		"<< 404684003 . 363698007":                                                                "<< 404684003 . 363698007",
		"* : 1142135004 >= #250":                                                                  "* : 1142135004 >= #250",
		"<< 404684003 {{ dialect = en-gb (prefer) }}":                                             "<< 404684003 {{ D dialect = en-gb (prefer) }}",
		"<< 404684003 {{ dialect = ( en-gb(accept)  en-us ) }}":                                   "<< 404684003 {{ D dialect = (en-gb (accept) en-us) }}",
		"<< 404684003 {{ dialectId = 900000000000508004 |GB| (900000000000548007 |Preferred|) }}": "<< 404684003 {{ D dialectId = 900000000000508004 |GB| (900000000000548007) }}",
		"<< 404684003 {{ term = (\"heart\" wild:\"card*\") }}":                                    `<< 404684003 {{ D term = ("heart" wild:"card*") }}`,
		"<< 404684003 {{ term = match:\"heart\" }}":                                               `<< 404684003 {{ D term = "heart" }}`,
		"<< 404684003 {{ semanticTag = \"disorder\", preferredIn = 999001261000000100 |UK| }}":    `<< 404684003 {{ D semanticTag = "disorder", preferredIn = 999001261000000100 }}`,
		"<< 404684003 {{ D acceptableIn != (900000000000508004 900000000000509007) }}":            "<< 404684003 {{ D acceptableIn != (900000000000508004 900000000000509007) }}",
	} {
		e, err := ecl.Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, e.String(), in)
		again, err := ecl.Parse(e.String())
		require.NoError(t, err, e.String())
		assert.Equal(t, e.String(), again.String())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"<< 404684003 : 363698007 = << 39057004", "(<< 1 OR << 2) MINUS 3", "^ 447562003 {{ term = \"x\" }}", "* : [0..1] { R 363698007 != * }", "<< 404684003 . 363698007 . 116676008",
		"^ [targetComponentId] 900000000000527005 {{ M referencedComponentId = << 67415000 {{ C active = 1 }} }}", "<< LOINC#54486-6 |x|",
		"<< 195967001 {{ + HISTORY (900000000000527005) }}", "< 64572001 {{ dialect = (en-gb en-us) (prefer), term = wild:\"a\\*b\" }}",
		"top (< 1 . 2)", "< 1 : [1 to many] 2 NOT = 3", "< 1 {{ C effectiveTime != (\"20200131\" \"\") }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ecl.Parse(s)
		if err != nil {
			var se *ecl.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error of type %T", s, err)
			}
			return
		}
		printed := e.String()
		again, err := ecl.Parse(printed)
		if err != nil {
			t.Fatalf("%q printed as %q does not parse: %v", s, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("printing is not stable: %q then %q", printed, again.String())
		}
	})
}

var _ = fmt.Sprint
