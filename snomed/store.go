package snomed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/nhskit/nhskit/snomed/rf2"
)

// ID is a SNOMED CT identifier.
type ID uint64

// Well-known ids.
const (
	RootConcept      ID = 138875005
	IsAType          ID = 116680003
	inferredChar     ID = 900000000000011006
	fsnType          ID = 900000000000003001
	synonymType      ID = 900000000000013009
	preferredAcc     ID = 900000000000548007
	gbLanguageRefset ID = 900000000000508004
	usLanguageRefset ID = 900000000000509007
	ukClinicalLang   ID = 999001261000000100 // NHS realm language (clinical part)
	ukPharmacyLang   ID = 999000691000001104 // NHS realm language (pharmacy part)
	ukDMDLang        ID = 999000671000001103 // NHS dm+d realm language
	ukDrugExtLang    ID = 999000681000001101 // UK Drug Extension GB English
	ukExtLang        ID = 999001251000000103 // UK Extension GB English
)

// Errors.
var (
	ErrCycle = errors.New("snomed: the inferred IS-A hierarchy has a cycle")
	// ErrMissingFile is a release without Relationship or Description
	// Snapshot files (see AllowIncomplete).
	ErrMissingFile = errors.New("snomed: release file missing")
	// ErrInactiveParent is an active concept whose only IS-A parents
	// are inactive.
	ErrInactiveParent = errors.New("snomed: active concept whose only parents are inactive")
	ErrUnknown        = errors.New("snomed: relationship refers to an unknown concept")
	ErrFormat         = errors.New("snomed: not a store file")
	ErrNoFiles        = errors.New("snomed: no RF2 Snapshot concept file found")
)

// Concept is a concept's core attributes.
type Concept struct {
	ID               ID
	Active           bool
	Module           ID
	DefinitionStatus ID
	EffectiveTime    int // YYYYMMDD
}

// langAcc is a description's acceptability in one language reference set.
type langAcc struct{ Refset, Acc ID }

// release is what Import gathers before writing the store: per-concept
// lists and maps, flattened into the file's tables by encode (format.go).
type release struct {
	IDs      []ID // sorted; the ordinal of a concept is its index
	Concepts []Concept
	Parents  [][]int32
	AncOff   []int32 // ancestors of ordinal i: Anc[AncOff[i]:AncOff[i+1]], sorted
	Anc      []int32
	// DescCount is each ordinal's number of descendants, counted from the
	// ancestor lists at import.
	DescCount []int32
	// Descriptions, sorted by concept ordinal then id: those of ordinal i
	// are Descs[DescOff[i]:DescOff[i+1]]; their terms are already in the
	// store's string table, their acceptability in Accs.
	Descs   []descRow
	DescOff []int32
	Accs    []langAcc
	// Attribute relationships, concrete values, reference sets, history
	// and maps (content.go).
	Rels         [][]rel      // per source ordinal, sorted by group, type, destination
	Concrete     [][]concrete // per source ordinal
	Members      map[ID][]ID  // refset -> active referenced components, ascending
	Assoc        map[ID][]Association
	Inactivation map[ID]ID // component -> inactivation reason (value id)
	Maps         map[ID][]MapEntry
	Warnings     []string // rows skipped that real releases are known to carry
	// Each row's module, time and status (memberrows.go): of the rows in
	// Assoc and Maps (in step with them), and of every other row of a
	// reference set other than a language one whose member is a concept.
	AssocMeta map[ID][]rowMeta
	MapMeta   map[ID][]rowMeta
	Rows      map[ID][]rowRec // refset -> rows, by ordinal
	Modules   []ID            // rowMeta.Mod indexes this
}

// data is the store file's tables, each a view of the mapping (format.go).
// Per-concept lists are CSR: the list of ordinal i is X[XOff[i]:XOff[i+1]].
// Keyed tables (members, associations, inactivation, maps) are sorted keys
// searched by binary search, with CSR values.
type data struct {
	IDs       []ID // sorted; the ordinal of a concept is its index
	Concepts  []conceptRec
	ParOff    []int32
	Par       []int32
	AncOff    []int32 // ancestors of ordinal i: Anc[AncOff[i]:AncOff[i+1]], sorted
	Anc       []int32
	DescCount []int32 // each ordinal's number of descendants
	// The en-GB and en-US preferred synonym and en-GB fully specified name
	// of each ordinal, straight into the string table (noStr if none).
	PrefGB, PrefUS, FSN []strRef
	DescOff             []int32
	Descs               []descRec // per concept, ascending id
	Acc                 []langAcc
	RelOff              []int32
	Rels                []rel // per source, sorted by group, type, destination
	ConcOff             []int32
	Conc                []concRec
	MemKeys             []ID // refsets, ascending
	MemOff              []int32
	Mem                 []ID // each refset's active referenced components, ascending
	AssocKeys           []ID
	AssocOff            []int32
	Assoc               []Association
	InactKeys           []ID
	InactVals           []ID
	MapKeys             []ID
	MapOff              []int32
	Maps                []mapRec
	Warnings            []strRef
	Strings             string // every string, referenced by strRef

	// For closures of many concepts (closuretables.go).
	Inner             []uint64
	Edges             []edge
	MemOrdOff, MemOrd []int32

	// Reference set rows' module, time and status (memberrows.go).
	Modules   []ID
	MapMeta   []rowMeta // in step with Maps
	AssocMeta []rowMeta // in step with Assoc
	RowKeys   []ID      // refsets, ascending
	RowOff    []int32
	Rows      []rowRec
}

const magic = magicPrefix + "11" // format version: bumped whenever the layout changes (format.go)

const magicPrefix = "nhskit-snomed-"

// otherVersion reports the format version of a store file written by
// another version of this package.
func otherVersion(b []byte) (string, bool) {
	if len(b) < len(magic) || string(b[:len(magicPrefix)]) != magicPrefix || string(b[:len(magic)]) == magic {
		return "", false
	}
	v := strings.TrimRight(string(b[len(magicPrefix):len(magic)]), "\n") // formats before 10 padded the magic
	if v == "" {
		return "", false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return v, true
}

// Store is an opened SNOMED CT store. It is safe for concurrent readers.
type Store struct {
	d        data
	childOff []int32 // children of ordinal i: child[childOff[i]:childOff[i+1]] (CSR)
	child    []int32
	relsOff  []int32 // sources with a relationship to ordinal i: relsTo[relsOff[i]:relsOff[i+1]] (CSR)
	relsTo   []int32
	slots    []slot // id -> ordinal, open addressing written by Import
	shift    uint   // 64 - log2(len(slots))
	search   searchIndex
	// activeMem caches, per reference set, the ordinals of its members
	// that are active concepts (ECL's << ^ R and >> ^ R start there).
	activeMem sync.Map
	// memClosure caches the closures of reference sets' members
	// (closurecache.go), withAnc how many concepts have ancestors.
	memClosure  sync.Map
	memClosureN atomic.Int32
	withAnc     struct {
		once sync.Once
		n    int
	}
	unmap func() error // releases the file mapping
	path  string       // the store file, for its search index side file
	ident [3]uint64    // storeIdentity, which the side file must match
}

// Progress reports an import's advance.
type Progress struct {
	Phase string // "read", "hierarchy", "write"
	File  string
	Rows  int
}

// ImportOption configures Import.
type ImportOption func(*importConfig)

type importConfig struct {
	progress   func(Progress)
	incomplete bool
}

// AllowIncomplete lets Import accept a release without Relationship or
// Description files (a flat hierarchy, concepts without terms), which
// is otherwise an ErrMissingFile error.
func AllowIncomplete() ImportOption { return func(c *importConfig) { c.incomplete = true } }

// WithProgress sets a progress callback.
func WithProgress(fn func(Progress)) ImportOption { return func(c *importConfig) { c.progress = fn } }

type row struct {
	et     int
	fields []string
	file   string
	line   int
	cols   []string // the file's header
}

// readLatest keeps, per id, the row with the latest effectiveTime. The
// files' header must be schema; check validates each row.
func readLatest(ctx context.Context, files []string, cfg *importConfig, keyCol string, schema []string, check func(*rf2.Reader) error) (map[string]row, error) {
	out := map[string]row{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		r, err := rf2.NewReader(bufio.NewReaderSize(fh, 1<<20), filepath.Base(f))
		if err != nil {
			fh.Close()
			return nil, err
		}
		if err := r.Expect(schema...); err != nil {
			fh.Close()
			return nil, err
		}
		ki, ei := r.Col(keyCol), r.Col("effectiveTime")
		n := 0
		for r.Next() {
			n++
			if n%100000 == 0 && ctx.Err() != nil {
				fh.Close()
				return nil, ctx.Err()
			}
			fs := r.Row()
			if err := check(r); err != nil {
				fh.Close()
				return nil, err
			}
			et, err := r.EffectiveTime(ei)
			if err != nil {
				fh.Close()
				return nil, err
			}
			if cur, ok := out[fs[ki]]; ok && cur.et > et {
				continue
			}
			out[fs[ki]] = row{et: et, fields: slices.Clone(fs), file: r.File, line: r.Line(), cols: r.Columns}
		}
		fh.Close()
		if err := r.Err(); err != nil {
			return nil, err
		}
		if cfg.progress != nil {
			cfg.progress(Progress{Phase: "read", File: r.File, Rows: n})
		}
	}
	return out, nil
}

// find lists the Snapshot files under dir whose names begin with prefix
// (e.g. "sct2_Concept_"): the International names (sct2_Concept_Snapshot_INT_…)
// and the UK ones that put a package code before Snapshot
// (sct2_Concept_UKCLSnapshot_GB1000000_…, der2_cRefset_LanguageUKDGSnapshot-en_…).
// Full and Delta files are left out.
func find(dir, prefix string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".txt") {
			return nil
		}
		// The third '_'-separated part names the file's kind and ends in
		// Snapshot (Snapshot-en, UKCLSnapshot, LanguageUKDGSnapshot-en…).
		parts := strings.SplitN(strings.TrimSuffix(name, ".txt"), "_", 4)
		if len(parts) < 3 {
			return nil
		}
		kind, _, _ := strings.Cut(parts[2], "-")
		if strings.HasSuffix(kind, "Snapshot") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// conceptID checks a concept id: Verhoeff check digit and the concept
// partition.
func conceptID(r row, col int, name string) (ID, error) {
	v, part, err := rf2.ParseSCTID(r.fields[col])
	if err == nil && part != rf2.PartConcept {
		err = rf2.ErrPartition
	}
	if err != nil {
		return 0, &rf2.ParseError{File: r.file, Line: r.line, Column: name, Err: err}
	}
	return ID(v), nil
}

// Import reads the RF2 Snapshot files under releaseDir (one package or
// several: where ids repeat the latest effectiveTime wins) and writes a
// store to storePath atomically: a crash leaves no half-written store.
func Import(ctx context.Context, releaseDir, storePath string, opts ...ImportOption) error {
	cfg := &importConfig{}
	for _, o := range opts {
		o(cfg)
	}
	cf, err := find(releaseDir, "sct2_Concept_")
	if err != nil {
		return err
	}
	if len(cf) == 0 {
		return ErrNoFiles
	}
	df, err := find(releaseDir, "sct2_Description_")
	if err != nil {
		return err
	}
	if len(df) == 0 && !cfg.incomplete {
		return fmt.Errorf("%w: no sct2_Description_ Snapshot file under %s", ErrMissingFile, releaseDir)
	}
	tf, err := find(releaseDir, "sct2_TextDefinition_")
	if err != nil {
		return err
	}
	df = append(df, tf...)
	rfiles, err := find(releaseDir, "sct2_Relationship_")
	if err != nil {
		return err
	}
	if len(rfiles) == 0 && !cfg.incomplete {
		return fmt.Errorf("%w: no sct2_Relationship_ Snapshot file under %s (every concept would be a root)", ErrMissingFile, releaseDir)
	}
	lf, err := find(releaseDir, "der2_cRefset_Language")
	if err != nil {
		return err
	}
	concepts, err := readLatest(ctx, cf, cfg, "id", conceptColumns, func(r *rf2.Reader) error {
		for _, i := range []int{0, 3, 4} { // id moduleId definitionStatusId
			if _, err := r.SCTID(i, rf2.PartConcept); err != nil {
				return err
			}
		}
		_, err := r.Active(2) // every row's, not only the latest's
		return err
	})
	if err != nil {
		return err
	}
	var d release
	for _, r := range concepts {
		id, err := conceptID(r, 0, "id")
		if err != nil {
			return err
		}
		mod, _ := strconv.ParseUint(r.fields[3], 10, 64)
		def, _ := strconv.ParseUint(r.fields[4], 10, 64)
		if r.fields[2] != "0" && r.fields[2] != "1" {
			return &rf2.ParseError{File: r.file, Line: r.line, Column: "active", Err: rf2.ErrActive}
		}
		d.Concepts = append(d.Concepts, Concept{ID: id, Active: r.fields[2] == "1", Module: ID(mod), DefinitionStatus: ID(def), EffectiveTime: r.et})
	}
	sort.Slice(d.Concepts, func(i, j int) bool { return d.Concepts[i].ID < d.Concepts[j].ID })
	d.IDs = make([]ID, len(d.Concepts))
	for i, c := range d.Concepts {
		d.IDs[i] = c.ID
	}
	ord := func(id ID) (int32, bool) {
		i, ok := slices.BinarySearch(d.IDs, id)
		return int32(i), ok
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rels, relFiles, err := readRelationships(ctx, rfiles, cfg)
	if err != nil {
		return err
	}
	d.Parents = make([][]int32, len(d.IDs))
	// An active concept's active IS-A to an inactive concept, by row: an
	// error when the concept has no active parent otherwise.
	toInactive := map[int32]relRow{}
	for _, r := range rels {
		if !r.active || r.typ != IsAType {
			continue
		}
		s, ok1 := ord(r.src)
		t, ok2 := ord(r.dst)
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: %s:%d: %d IS-A %d", ErrUnknown, relFiles[r.file], r.line, r.src, r.dst)
		}
		if !d.Concepts[s].Active {
			continue
		}
		if !d.Concepts[t].Active {
			toInactive[s] = r
			continue
		}
		d.Parents[s] = append(d.Parents[s], t)
	}
	for s, r := range toInactive {
		if len(d.Parents[s]) == 0 {
			return &rf2.ParseError{File: relFiles[r.file], Line: int(r.line), Column: "destinationId",
				Err: fmt.Errorf("%w: %d IS-A %d only", ErrInactiveParent, r.src, r.dst)}
		}
	}
	for i := range d.Parents {
		slices.Sort(d.Parents[i])
		d.Parents[i] = slices.Compact(d.Parents[i])
	}
	// Attributes before the closure, so that the millions of relationship
	// rows are dropped before the ancestor lists are built.
	if err := d.attributes(rels, relFiles); err != nil {
		return err
	}
	rels = nil
	if cfg.progress != nil {
		cfg.progress(Progress{Phase: "hierarchy"})
	}
	if err := d.closure(); err != nil {
		var ce *CycleError
		if errors.As(err, &ce) && len(ce.Chain) > 1 {
			// Found again, on the error path only: the rows are gone.
			if again, names, rerr := readRelationships(ctx, rfiles, cfg); rerr == nil {
				for _, r := range again {
					if r.active && r.typ == IsAType && r.src == ce.Chain[0] && r.dst == ce.Chain[1] {
						ce.File, ce.Line = names[r.file], int(r.line)
						break
					}
				}
			}
		}
		return err
	}
	// Each table is written as soon as it is final and then dropped: the
	// tables of a UK Monolith do not all fit in memory at once cheaply.
	w, err := newStoreWriter(storePath)
	if err != nil {
		return err
	}
	defer w.abort()
	if err := w.hierarchy(&d); err != nil {
		return err
	}
	if err := w.closureTables(&d); err != nil {
		return err
	}
	d.Parents, d.AncOff, d.Anc, d.DescCount = nil, nil, nil, nil
	if err := w.relationships(&d); err != nil {
		return err
	}
	d.Rels = nil
	// Language rows first, kept active and sorted by description, so that
	// descriptions (sorted by id) pick up their acceptability by a merge
	// rather than through a map of millions of small slices.
	langs, err := readLanguage(ctx, lf, cfg)
	if err != nil {
		return err
	}
	type activeLang struct{ desc, refset, acc ID }
	nactive := 0
	for _, r := range langs {
		if r.active {
			nactive++
		}
	}
	active := make([]activeLang, 0, nactive)
	for _, r := range langs {
		if r.active {
			active = append(active, activeLang{r.desc, r.refset, r.accID})
		}
	}
	langs = nil
	slices.SortFunc(active, func(a, b activeLang) int {
		if a.desc != b.desc {
			return compareID(a.desc, b.desc)
		}
		return compareID(a.refset, b.refset)
	})
	d.Members = map[ID][]ID{}
	per := map[ID]int{}
	for _, a := range active {
		per[a.refset]++
	}
	for r, k := range per {
		d.Members[r] = make([]ID, 0, k)
	}
	// The merge below needs only each row's description: keeping that
	// beside Accs rather than the whole row saves a third.
	d.Accs = make([]langAcc, len(active)) // in description order: each description's rows are a run
	accDesc := make([]ID, len(active))
	for i, a := range active {
		d.Accs[i] = langAcc{Refset: a.refset, Acc: a.acc}
		accDesc[i] = a.desc
		d.Members[a.refset] = append(d.Members[a.refset], a.desc)
	}
	active = nil
	descs, descFiles, err := readDescriptions(ctx, df, &w.st, cfg)
	if err != nil {
		return err
	}
	li := 0
	for i := range descs { // ascending id, as readDescriptions returns them
		r := &descs[i]
		o, ok := ord(r.concept)
		if !ok {
			return fmt.Errorf("%w: %s:%d: description %d of %d", ErrUnknown, descFiles[r.file], r.line, r.id, r.concept)
		}
		r.ord = o
		for li < len(accDesc) && accDesc[li] < r.id {
			li++
		}
		start := li
		for li < len(accDesc) && accDesc[li] == r.id {
			li++
		}
		if li-start > math.MaxUint16 {
			return fmt.Errorf("snomed: %s:%d: description %d has more than 65535 language rows", descFiles[r.file], r.line, r.id)
		}
		r.accOff, r.accLen = uint32(start), uint16(li-start)
	}
	accDesc = nil
	// By concept, in place: a stable sort keeps each concept's
	// descriptions in id order.
	slices.SortStableFunc(descs, func(a, b descRow) int { return int(a.ord - b.ord) })
	d.Descs = descs
	descs = nil
	d.DescOff = make([]int32, len(d.IDs)+1)
	for _, r := range d.Descs {
		d.DescOff[r.ord+1]++
	}
	for i := range len(d.IDs) {
		d.DescOff[i+1] += d.DescOff[i]
	}
	if err := w.descriptions(&d); err != nil {
		return err
	}
	d.Descs, d.DescOff, d.Accs = nil, nil, nil
	if err := d.importContent(ctx, releaseDir, cfg); err != nil {
		return err
	}
	if cfg.progress != nil {
		cfg.progress(Progress{Phase: "write"})
	}
	if err := w.memberOrdinals(&d); err != nil {
		return err
	}
	if err := w.content(&d); err != nil {
		return err
	}
	if err := w.memberRows(&d); err != nil {
		return err
	}
	return w.finish(storePath)
}

func compareID(a, b ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CycleError is an IS-A cycle: each concept of Chain IS-A the next, the
// last being the first; File and Line name the row of the first IS-A.
type CycleError struct {
	Chain []ID
	File  string
	Line  int
}

func (e *CycleError) Error() string {
	ids := make([]string, len(e.Chain))
	for i, c := range e.Chain {
		ids[i] = strconv.FormatUint(uint64(c), 10)
	}
	where := ""
	if e.File != "" {
		where = fmt.Sprintf(" (%s line %d has the first IS-A)", e.File, e.Line)
	}
	return fmt.Sprintf("%v%s: %s", ErrCycle, where, strings.Join(ids, " → "))
}

// Unwrap returns ErrCycle.
func (e *CycleError) Unwrap() error { return ErrCycle }

// closure computes every concept's ancestors in topological order,
// failing on a cycle.
func (d *release) closure() error {
	n := len(d.IDs)
	state := make([]uint8, n) // 0 new, 1 in progress, 2 done
	anc := make([][]int32, n)
	var path []int32 // the concepts in progress, child first
	var visit func(i int32) error
	visit = func(i int32) error {
		switch state[i] {
		case 1:
			// The cycle is the part of the path from i's first visit; it is
			// named by its concepts so that the rows can be found.
			start := slices.Index(path, i)
			chain := make([]ID, 0, len(path)-start+1)
			for _, o := range append(path[start:], i) {
				chain = append(chain, d.IDs[o])
			}
			return &CycleError{Chain: chain}
		case 2:
			return nil
		}
		state[i] = 1
		path = append(path, i)
		var set []int32
		for _, p := range d.Parents[i] {
			if err := visit(p); err != nil {
				return err
			}
			set = append(set, p)
			set = append(set, anc[p]...)
		}
		path = path[:len(path)-1]
		slices.Sort(set)
		anc[i] = slices.Clone(slices.Compact(set)) // exact size: the lists hold tens of millions of ordinals
		state[i] = 2
		return nil
	}
	for i := range n {
		if err := visit(int32(i)); err != nil {
			return err
		}
	}
	d.AncOff = make([]int32, n+1)
	d.DescCount = make([]int32, n)
	for i := range n {
		d.AncOff[i+1] = d.AncOff[i] + int32(len(anc[i]))
	}
	d.Anc = make([]int32, 0, d.AncOff[n])
	for i := range n {
		d.Anc = append(d.Anc, anc[i]...)
		for _, a := range anc[i] {
			d.DescCount[a]++
		}
		anc[i] = nil
	}
	return nil
}

// Open maps a store written by Import. Strings the Store returns are
// copies, so they stay valid after Close. Import replaces a store by
// rename, so an open Store keeps reading the file it opened; a store file
// must not be truncated or rewritten in place while open (reading a mapped
// page that is gone faults).
func Open(storePath string) (*Store, error) {
	f, err := os.Open(storePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, err
	}
	s := &Store{unmap: unmap, path: storePath}
	if v, ok := otherVersion(b); ok {
		unmap()
		return nil, fmt.Errorf("%w: %s is store format %s, and this version of snomed reads format %s only: import the release again", ErrFormat, filepath.Base(storePath), v, magic[len(magicPrefix):])
	}
	if err := decode(b, s); err != nil {
		unmap()
		return nil, fmt.Errorf("%w: %s", ErrFormat, filepath.Base(storePath))
	}
	if id, err := storeIdentity(storePath, b[:headerSize]); err == nil {
		s.ident = id
	}
	return s, nil
}

// Close releases the store's file mapping. A Store must not be used after
// Close; there is no finalizer, so a Store that is never closed keeps its
// mapping until the process exits.
func (s *Store) Close() error {
	if s.unmap == nil {
		return nil
	}
	err := s.unmap()
	if s.search.unmap != nil {
		if e := s.search.unmap(); err == nil {
			err = e
		}
	}
	s.search.reset()
	s.unmap, s.d, s.slots, s.child, s.childOff, s.relsTo, s.relsOff = nil, data{}, nil, nil, nil, nil, nil
	return err
}

// bytesString views b as a string without copying: b is a read-only
// mapping that outlives every string sliced from it until Close.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// lookup finds a concept's hash slot: a linear probe of the table Import
// wrote, bounded so that a damaged table cannot loop; nil if the id is
// absent or its ordinal out of range.
func (s *Store) lookup(id ID) *slot {
	t := s.slots
	if len(t) == 0 {
		return nil
	}
	mask := uint64(len(t) - 1)
	h := (uint64(id) * golden) >> s.shift & mask
	for range t {
		e := &t[h]
		if e.Ord < 0 {
			return nil
		}
		if e.Key == id {
			if uint32(e.Ord) < uint32(len(s.d.IDs)) {
				return e
			}
			return nil
		}
		h = (h + 1) & mask
	}
	return nil
}

// ord finds a concept's ordinal.
func (s *Store) ord(id ID) (int32, bool) {
	if e := s.lookup(id); e != nil {
		return e.Ord, true
	}
	return 0, false
}

// anc returns the ancestors of e's concept from the range its slot
// carries; a range a damaged file puts outside Anc gives none (Open does
// not check the slots: that would fault in the whole table).
func (s *Store) anc(e *slot) []int32 {
	if e.AncLen == spill {
		return s.d.Anc[s.d.AncOff[e.Ord]:s.d.AncOff[e.Ord+1]]
	}
	end := uint64(e.AncOff) + uint64(e.AncLen)
	if end > uint64(len(s.d.Anc)) {
		return nil
	}
	return s.d.Anc[e.AncOff:end]
}

// Len is the number of concepts, active or not.
func (s *Store) Len() int { return len(s.d.IDs) }

// Concept returns a concept's attributes.
func (s *Store) Concept(id ID) (Concept, bool) {
	o, ok := s.ord(id)
	if !ok {
		return Concept{}, false
	}
	c := &s.d.Concepts[o]
	return Concept{ID: id, Active: c.Active == 1, Module: c.Module, DefinitionStatus: c.DefinitionStatus, EffectiveTime: int(c.EffectiveTime)}, true
}

// IsA reports whether a is b or descends from b by inferred IS-A.
func (s *Store) IsA(a, b ID) bool {
	t := s.slots
	if len(t) == 0 {
		return false
	}
	// Both home slots are loaded before either probe branches, so that
	// their cache misses overlap; a key found elsewhere (a collision)
	// takes the full probe.
	mask := uint64(len(t) - 1)
	ea := &t[(uint64(a)*golden)>>s.shift&mask]
	eb := &t[(uint64(b)*golden)>>s.shift&mask]
	n := uint32(len(s.d.IDs))
	if ea.Key != a || uint32(ea.Ord) >= n {
		if ea = s.lookup(a); ea == nil {
			return false
		}
	}
	if a == b {
		return true
	}
	if eb.Key != b || uint32(eb.Ord) >= n {
		if eb = s.lookup(b); eb == nil {
			return false
		}
	}
	_, found := slices.BinarySearch(s.anc(ea), eb.Ord)
	return found
}

func (s *Store) ids(ords []int32) []ID {
	out := make([]ID, len(ords))
	for i, o := range ords {
		out[i] = s.d.IDs[o]
	}
	slices.Sort(out)
	return out
}

// Parents returns a concept's direct inferred parents, ascending.
func (s *Store) Parents(id ID) []ID {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	return s.ids(s.d.Par[s.d.ParOff[o]:s.d.ParOff[o+1]])
}

// Children returns a concept's direct inferred children, ascending.
func (s *Store) Children(id ID) []ID {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	return s.ids(s.child[s.childOff[o]:s.childOff[o+1]])
}

// Ancestors returns every concept id subsumes, ascending (itself excluded).
func (s *Store) Ancestors(id ID) []ID {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	return s.ids(s.d.Anc[s.d.AncOff[o]:s.d.AncOff[o+1]])
}

// Descendants returns every concept subsumed by id, ascending (itself
// excluded).
func (s *Store) Descendants(id ID) []ID { return s.DescendantSet(id).IDs() }

// DescendantCount is the number of concepts subsumed by id (itself
// excluded), precomputed at import.
func (s *Store) DescendantCount(id ID) int {
	if o, ok := s.ord(id); ok {
		return int(s.d.DescCount[o])
	}
	return 0
}

// EachDescendant calls fn for every concept subsumed by id, ascending,
// until fn returns false.
func (s *Store) EachDescendant(id ID, fn func(ID) bool) { s.DescendantSet(id).Each(fn) }

// DescendantSet returns the concepts subsumed by id (itself excluded) as a
// set: a walk of the children over dense ordinals into a bitset, or for
// a large part of the store one pass over the edges (closure.go).
func (s *Store) DescendantSet(id ID) Set {
	x := Set{s: s, bits: make([]uint64, (len(s.d.IDs)+63)/64)}
	if o, ok := s.ord(id); ok {
		x.n = s.descendantBits(o, x.bits)
	}
	return x
}

// AncestorSet returns the concepts that subsume id (itself excluded) as a
// set.
func (s *Store) AncestorSet(id ID) Set {
	x := Set{s: s, bits: make([]uint64, (len(s.d.IDs)+63)/64)}
	if o, ok := s.ord(id); ok {
		for _, a := range s.d.Anc[s.d.AncOff[o]:s.d.AncOff[o+1]] {
			x.bits[a>>6] |= 1 << (a & 63)
		}
		x.n = int(s.d.AncOff[o+1] - s.d.AncOff[o])
	}
	return x
}

// Set is a set of a store's concepts, a bitset over its ordinals (which
// follow id order). The zero Set is empty.
type Set struct {
	s    *Store
	bits []uint64
	n    int
}

// Len is the number of concepts in the set.
func (x Set) Len() int { return x.n }

// Has reports whether id is in the set.
func (x Set) Has(id ID) bool {
	if x.s == nil {
		return false
	}
	o, ok := x.s.ord(id)
	return ok && x.bits[o>>6]&(1<<(o&63)) != 0
}

// Each calls fn for every concept in the set, ascending, until fn returns
// false.
func (x Set) Each(fn func(ID) bool) {
	for w, word := range x.bits {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &= word - 1
			if !fn(x.s.d.IDs[w<<6+b]) {
				return
			}
		}
	}
}

// IDs lists the set, ascending.
func (x Set) IDs() []ID {
	if x.n == 0 {
		return nil
	}
	out := make([]ID, 0, x.n)
	x.Each(func(id ID) bool { out = append(out, id); return true })
	return out
}

// languageRefsets maps a BCP-47 tag to the language reference sets that
// decide its preferred terms, in order. "en-GB" (and plain "en") consults
// the NHS realm refsets first, then the UK extension and the International
// GB English refset; "en-US" the US English refset. A private-use tag
// "en-x-<refset id>" (e.g. "en-x-999001261000000100") names one refset.
// languageRefsets returns a locale's language reference sets, in order,
// and whether the locale is known: "" (en-GB), en, en-GB, en-US, or
// <lang>-x-<language refset id>.
func languageRefsets(locale string) ([]ID, bool) {
	switch {
	case locale == "" || strings.EqualFold(locale, "en-GB") || strings.EqualFold(locale, "en"):
		return enGB, true
	case strings.EqualFold(locale, "en-US"):
		return enUS, true
	}
	l := strings.ToLower(locale)
	if i := strings.Index(l, "-x-"); i >= 0 {
		if v, err := strconv.ParseUint(l[i+3:], 10, 64); err == nil {
			return []ID{ID(v)}, true
		}
	}
	return nil, false
}

// KnownLocale reports whether PreferredTerm and Search know a locale.
func KnownLocale(locale string) bool {
	_, ok := languageRefsets(locale)
	return ok
}

var (
	enGB = []ID{ukClinicalLang, ukPharmacyLang, ukDMDLang, ukDrugExtLang, ukExtLang, gbLanguageRefset}
	enUS = []ID{usLanguageRefset}
)

// PreferredTerm returns the preferred synonym of a concept for a locale
// ("en-GB", "en-US", or "en-x-<language refset id>"): the first language
// reference set in the locale's order that prefers one of the concept's
// active synonyms decides. An unknown locale answers ok = false.
func (s *Store) PreferredTerm(id ID, locale string) (string, bool) {
	return s.preferred(id, locale, synonymType)
}

// FullySpecifiedName returns the concept's preferred fully specified name.
func (s *Store) FullySpecifiedName(id ID) (string, bool) {
	return s.preferred(id, "en-GB", fsnType)
}

func (s *Store) preferred(id ID, locale string, typ ID) (string, bool) {
	e := s.lookup(id)
	if e == nil {
		return "", false
	}
	o := e.Ord
	refsets := enGB
	if locale != "en-GB" {
		var known bool
		if refsets, known = languageRefsets(locale); !known {
			return "", false
		}
	}
	var r strRef
	switch {
	case typ == synonymType && &refsets[0] == &enGB[0]:
		// From the slot, already in cache.
		r = strRef{Off: e.PrefOff, Len: uint32(e.PrefLen)}
		if e.PrefLen == spill {
			r = s.d.PrefGB[o]
		}
	case typ == synonymType && &refsets[0] == &enUS[0]:
		r = s.d.PrefUS[o]
	case typ == fsnType && &refsets[0] == &enGB[0]:
		r = s.d.FSN[o]
	default:
		k := s.preferredIndex(o, refsets, typ)
		if k < 0 {
			return "", false
		}
		r = s.d.Descs[k].Term
	}
	t, ok := s.d.str(r)
	if !ok {
		return "", false
	}
	return strings.Clone(t), true
}

// descs returns the descriptions of ordinal o.
func (s *Store) descs(o int32) []descRec { return s.d.Descs[s.d.DescOff[o]:s.d.DescOff[o+1]] }

// preferredIndex returns the index in Descs of the active description of
// ordinal o of type typ that the first of refsets prefers, or -1.
func (s *Store) preferredIndex(o int32, refsets []ID, typ ID) int {
	best, k := len(refsets), -1
	lo := int(s.d.DescOff[o])
	for i, x := range s.descs(o) {
		if x.Active == 0 || x.Type != typ {
			continue
		}
		for _, a := range s.d.acc(&x) {
			if a.Acc != preferredAcc {
				continue
			}
			for r := 0; r < best; r++ {
				if refsets[r] == a.Refset {
					best, k = r, lo+i
					break
				}
			}
		}
	}
	return k
}

// preferredIndex returns the index in Descs[o] of the active description
// of type typ that the first of refsets prefers, or -1.
func (d *release) preferredIndex(o int32, refsets []ID, typ ID) int32 {
	best, k := len(refsets), int32(-1)
	ds := d.Descs[d.DescOff[o]:d.DescOff[o+1]]
	for i := range ds {
		x := &ds[i]
		if !x.active || x.typ != typ {
			continue
		}
		for _, a := range d.Accs[x.accOff : x.accOff+uint32(x.accLen)] {
			if a.Acc != preferredAcc {
				continue
			}
			for r := 0; r < best; r++ {
				if refsets[r] == a.Refset {
					best, k = r, int32(i)
					break
				}
			}
		}
	}
	return k
}
