package snomed

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// The store file (format 11) is used in place: Open maps it and views each
// table as a Go slice, so it builds nothing and reads only what queries
// touch.
//
//	header   magic (16 bytes), then numSections × {offset, length uint64}
//	sections each a little-endian array of fixed-width records, starting
//	         at a multiple of 8 bytes from the start of the file
//	trailer  magic again: a truncated file fails here
//
// Strings live in one section and are referenced as {offset, length}.
// Open checks what a lookup could index out of range with one linear pass
// over the offset and ordinal arrays; string and acceptability references
// are checked on use.

// Record layouts: explicit padding keeps them the same on every platform.
type (
	strRef struct{ Off, Len uint32 }

	conceptRec struct {
		Module, DefinitionStatus ID
		EffectiveTime            int32
		Active                   uint8
		_                        [3]uint8
	}

	descRec struct {
		ID, Type, Case ID
		Term, Lang     strRef
		AccOff         uint32 // acceptability: Acc[AccOff:AccOff+AccLen]
		AccLen         uint16
		Active         uint8
		_              uint8
	}

	concRec struct {
		Type  ID
		Value strRef
		Group int32
		_     int32
	}

	mapRec struct {
		Refset, Correlation, Category ID
		Rule, Advice, Target          strRef
		Group, Priority               int32
	}

	// slot is an entry of the id -> ordinal hash table; Ord < 0 is empty.
	// It also carries what the hottest lookups read next, so that they
	// touch one cache line fewer: the concept's ancestor range
	// (Anc[AncOff:AncOff+AncLen], the same as the AncOff table's) for IsA,
	// and its en-GB preferred synonym (Strings[PrefOff:PrefOff+PrefLen],
	// the same as PrefGB's) for PreferredTerm. A length that does not fit
	// 16 bits is spill: the reader falls back to the per-ordinal tables.
	slot struct {
		Key     ID
		Ord     int32
		AncOff  uint32
		PrefOff uint32
		AncLen  uint16
		PrefLen uint16
	}
)

var noStr = strRef{Off: math.MaxUint32}

// spill marks a slot length that did not fit: look in the per-ordinal table.
const spill = math.MaxUint16

// Sections, in file order.
const (
	secIDs = iota
	secConcepts
	secParOff
	secPar
	secAncOff
	secAnc
	secDescCount
	secChildOff
	secChild
	secRelsToOff
	secRelsTo
	secPrefGB
	secPrefUS
	secFSN
	secDescOff
	secDescs
	secAcc
	secRelOff
	secRels
	secConcOff
	secConc
	secMemKeys
	secMemOff
	secMem
	secAssocKeys
	secAssocOff
	secAssoc
	secInactKeys
	secInactVals
	secMapKeys
	secMapOff
	secMaps
	secWarnings
	secSlots
	secStrings
	secInner // closuretables.go
	secEdges
	secMemOrdOff
	secMemOrd
	secModules // memberrows.go
	secMapMeta
	secAssocMeta
	secRowKeys
	secRowOff
	secRows
	numSections
)

const headerSize = len(magic) + numSections*16

// littleEndian: the tables are viewed in place, so the host must share
// the file's byte order.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// golden spreads SCTIDs, whose low digits are a partition and a check
// digit, over the hash table (Fibonacci hashing).
const golden = 0x9E3779B97F4A7C15

// hashSlots builds the id -> ordinal table: a power of two at least 1.5
// times the ids, so linear probes stay short.
func hashSlots(ids []ID) ([]slot, uint) {
	size := 1
	for size < len(ids)+len(ids)/2+1 {
		size <<= 1
	}
	shift := uint(64 - bits.TrailingZeros(uint(size)))
	t := make([]slot, size)
	for i := range t {
		t[i].Ord = -1
	}
	mask := uint64(size - 1)
	for o, id := range ids {
		h := (uint64(id) * golden) >> shift & mask
		for t[h].Ord >= 0 {
			h = (h + 1) & mask
		}
		t[h] = slot{Key: id, Ord: int32(o)}
	}
	return t, shift
}

// strTab assigns string offsets in the order strings are added and spools
// the strings to a side file, so that Import can drop each table's strings
// once the table is written; short repeated strings (language codes, map
// rules) are stored once.
type strTab struct {
	w      *bufio.Writer
	size   uint64
	intern map[string]strRef
	err    error
}

func (t *strTab) add(s string) strRef {
	if len(s) <= 64 {
		if r, ok := t.intern[s]; ok {
			return r
		}
	}
	r := t.addTerm(s)
	if len(s) <= 64 && len(t.intern) < 1<<16 {
		t.intern[strings.Clone(s)] = r
	}
	return r
}

// addBytes is add of bytes, which it copies; it allocates only for a
// string it interns.
func (t *strTab) addBytes(b []byte) strRef {
	if len(b) <= 64 {
		if r, ok := t.intern[string(b)]; ok {
			return r
		}
	}
	r := t.addTermBytes(b)
	if len(b) <= 64 && len(t.intern) < 1<<16 {
		t.intern[string(b)] = r
	}
	return r
}

// addTermBytes is addTerm of bytes.
func (t *strTab) addTermBytes(b []byte) strRef {
	r := strRef{Off: uint32(t.size), Len: uint32(len(b))}
	if t.size+uint64(len(b)) >= math.MaxUint32 {
		t.err = errTooBig
	}
	if t.err == nil {
		_, t.err = t.w.Write(b)
	}
	t.size += uint64(len(b))
	return r
}

// addTerm adds a term, which rarely repeats, without interning it.
func (t *strTab) addTerm(s string) strRef {
	r := strRef{Off: uint32(t.size), Len: uint32(len(s))}
	if t.size+uint64(len(s)) >= math.MaxUint32 {
		t.err = errTooBig
	}
	if t.err == nil {
		_, t.err = t.w.WriteString(s)
	}
	t.size += uint64(len(s))
	return r
}

var errTooBig = errors.New("snomed: strings exceed the store format's 4 GiB")

// asBytes views a slice of fixed-width records as its bytes.
func asBytes[T any](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// storeWriter writes a store to a temporary file section by section, as
// Import finishes each table, so that Import can free the table; finish
// appends the strings, writes the header and renames the file into place.
type storeWriter struct {
	f, side *os.File
	w       *bufio.Writer
	off     uint64
	sec     [numSections][2]uint64
	st      strTab
	slots   []slot // from hierarchy until descriptions write them
	err     error
}

// Prefixes of Import's temporary files.
const (
	tempImport  = ".snomed-import-"
	tempStrings = ".snomed-strings-"
	tempSearch  = ".snomed-search-"
)

// staleAge is how old a temporary file must be to be removed when the
// process that wrote it cannot be told (no process id in its name, or a
// system where processes cannot be probed).
const staleAge = 24 * time.Hour

// removeStale removes the temporary files that an import killed before it
// could clean up left in dir: those of a process that no longer runs.
func removeStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, tempImport)
		if !ok {
			if rest, ok = strings.CutPrefix(name, tempStrings); !ok {
				if rest, ok = strings.CutPrefix(name, tempSearch); !ok {
					continue
				}
			}
		}
		p := filepath.Join(dir, name)
		pidText, _, hasPID := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if hasPID && err == nil && pid > 0 {
			if pid == os.Getpid() {
				continue
			}
			if alive, known := processAlive(pid); known {
				if !alive {
					os.Remove(p)
				}
				continue
			}
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) >= staleAge {
			os.Remove(p)
		}
	}
}

func newStoreWriter(path string) (*storeWriter, error) {
	if !littleEndian {
		return nil, errors.New("snomed: the store format needs a little-endian host")
	}
	dir := filepath.Dir(path)
	removeStale(dir)
	// The importing process's id is in the names, so that a later import
	// can tell the files of a killed one from those of a running one.
	pid := strconv.Itoa(os.Getpid())
	f, err := os.CreateTemp(dir, tempImport+pid+"-*")
	if err != nil {
		return nil, err
	}
	side, err := os.CreateTemp(dir, tempStrings+pid+"-*")
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	w := &storeWriter{f: f, side: side, w: bufio.NewWriterSize(f, 1<<20)}
	w.st = strTab{w: bufio.NewWriterSize(side, 1<<20), intern: map[string]strRef{}}
	w.raw(make([]byte, headerSize)) // the header, written last
	w.pad()
	return w, nil
}

func (w *storeWriter) raw(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
		w.off += uint64(len(b))
	}
}

func (w *storeWriter) pad() {
	if p := (8 - w.off%8) % 8; p > 0 {
		w.raw(make([]byte, p))
	}
}

// begin and end bracket a section written in pieces.
func (w *storeWriter) begin(i int) { w.sec[i][0] = w.off }
func (w *storeWriter) end(i int) {
	w.sec[i][1] = w.off - w.sec[i][0]
	w.pad()
}

func put[T any](w *storeWriter, i int, v []T) {
	w.begin(i)
	w.raw(asBytes(v))
	w.end(i)
}

// abort removes the temporary files (after finish, only the side file,
// already gone).
func (w *storeWriter) abort() {
	w.side.Close()
	os.Remove(w.side.Name())
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

// finish appends the strings and the trailer, writes the header, and
// renames the file to path.
func (w *storeWriter) finish(path string) error {
	if w.err == nil {
		w.err = w.st.err
	}
	if w.err == nil {
		w.err = w.st.w.Flush()
	}
	if w.err == nil {
		_, w.err = w.side.Seek(0, io.SeekStart)
	}
	if w.err == nil {
		w.begin(secStrings)
		var n int64
		n, w.err = io.Copy(w.w, w.side)
		w.off += uint64(n)
		if w.err == nil && uint64(n) != w.st.size {
			w.err = io.ErrShortWrite
		}
		w.sec[secStrings][1] = w.off - w.sec[secStrings][0]
	}
	w.raw([]byte(magic))
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err == nil {
		hdr := make([]byte, 0, headerSize)
		hdr = append(hdr, magic...)
		for _, s := range w.sec {
			hdr = binary.LittleEndian.AppendUint64(hdr, s[0])
			hdr = binary.LittleEndian.AppendUint64(hdr, s[1])
		}
		_, w.err = w.f.WriteAt(hdr, 0)
	}
	if w.err == nil {
		w.err = w.f.Chmod(0o644) // CreateTemp makes 0600; a store is readable like the release
	}
	if w.err == nil {
		w.err = w.f.Sync()
	}
	if cerr := w.f.Close(); w.err == nil {
		w.err = cerr
	}
	if w.err != nil {
		return fmt.Errorf("snomed: writing store: %w", w.err)
	}
	if err := os.Rename(w.f.Name(), path); err != nil {
		return err
	}
	w.f = nil
	return nil
}

// csr flattens per-ordinal lists.
func csr[T any](lists [][]T) ([]int32, []T) {
	off := make([]int32, len(lists)+1)
	n := 0
	for i, l := range lists {
		n += len(l)
		off[i+1] = int32(n)
	}
	flat := make([]T, 0, n)
	for _, l := range lists {
		flat = append(flat, l...)
	}
	return off, flat
}

// keyed flattens a map by ascending key.
func keyed[V any](m map[ID][]V) ([]ID, []int32, []V) {
	keys := sortedKeys(m)
	lists := make([][]V, len(keys))
	for i, k := range keys {
		lists[i] = m[k]
	}
	off, flat := csr(lists)
	return keys, off, flat
}

func sortedKeys[V any](m map[ID]V) []ID {
	keys := make([]ID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hierarchy writes the concepts, the id hash table and the IS-A tables.
func (w *storeWriter) hierarchy(d *release) error {
	if len(d.IDs) > math.MaxInt32/2 {
		return errTooBig
	}
	n := len(d.IDs)
	put(w, secIDs, d.IDs)
	cs := make([]conceptRec, n)
	for i, c := range d.Concepts {
		cs[i] = conceptRec{Module: c.Module, DefinitionStatus: c.DefinitionStatus, EffectiveTime: int32(c.EffectiveTime)}
		if c.Active {
			cs[i].Active = 1
		}
	}
	put(w, secConcepts, cs)
	// The hash table is written with the descriptions, once the preferred
	// terms its slots carry are known.
	w.slots, _ = hashSlots(d.IDs)
	for i := range w.slots {
		e := &w.slots[i]
		if e.Ord < 0 {
			continue
		}
		e.AncOff, e.AncLen = uint32(d.AncOff[e.Ord]), spill
		if n := d.AncOff[e.Ord+1] - d.AncOff[e.Ord]; n < spill {
			e.AncLen = uint16(n)
		}
		e.PrefOff, e.PrefLen = noStr.Off, 0
	}
	off, flat := csr(d.Parents)
	put(w, secParOff, off)
	put(w, secPar, flat)
	put(w, secAncOff, d.AncOff)
	put(w, secAnc, d.Anc)
	put(w, secDescCount, d.DescCount)
	childOff, child := children(d.Parents)
	put(w, secChildOff, childOff)
	put(w, secChild, child)
	return w.err
}

// children inverts the parents lists into a CSR of children, ascending by
// ordinal within each concept.
func children(parents [][]int32) (off, child []int32) {
	n := len(parents)
	off = make([]int32, n+1)
	for _, ps := range parents {
		for _, p := range ps {
			off[p+1]++
		}
	}
	for i := range n {
		off[i+1] += off[i]
	}
	child = make([]int32, off[n])
	fill := slices.Clone(off[:n])
	for i, ps := range parents {
		for _, p := range ps {
			child[fill[p]] = int32(i)
			fill[p]++
		}
	}
	return off, child
}

// relationships writes the attribute relationships and, by destination,
// their sources.
func (w *storeWriter) relationships(d *release) error {
	n := len(d.IDs)
	off, rels := csr(d.Rels)
	put(w, secRelOff, off)
	put(w, secRels, rels)
	// Sources by destination, each source once per destination: a
	// relationship list is sorted by group first, so a source's rows to one
	// destination need not be adjacent; last[dest] remembers the last
	// source counted.
	last := make([]int32, n)
	for i := range last {
		last[i] = -1
	}
	relsOff := make([]int32, n+1)
	for i, rs := range d.Rels {
		for _, r := range rs {
			if last[r.Dest] != int32(i) {
				last[r.Dest] = int32(i)
				relsOff[r.Dest+1]++
			}
		}
	}
	for i := range n {
		relsOff[i+1] += relsOff[i]
	}
	relsTo := make([]int32, relsOff[n])
	fill := slices.Clone(relsOff[:n])
	for i := range last {
		last[i] = -1
	}
	for i, rs := range d.Rels {
		for _, r := range rs {
			if last[r.Dest] != int32(i) {
				last[r.Dest] = int32(i)
				relsTo[fill[r.Dest]] = int32(i)
				fill[r.Dest]++
			}
		}
	}
	put(w, secRelsToOff, relsOff)
	put(w, secRelsTo, relsTo)
	return w.err
}

// descriptions writes the descriptions, their acceptability and the
// precomputed preferred terms.
func (w *storeWriter) descriptions(d *release) error {
	n := len(d.IDs)
	recs := make([]descRec, len(d.Descs))
	for i, x := range d.Descs {
		recs[i] = descRec{ID: x.id, Type: x.typ, Case: x.cs, Term: x.term, Lang: x.lang, AccOff: x.accOff, AccLen: x.accLen}
		if x.active {
			recs[i].Active = 1
		}
	}
	put(w, secDescs, recs)
	recs = nil
	put(w, secDescOff, d.DescOff)
	put(w, secAcc, d.Accs)
	pick := func(refsets []ID, typ ID) []strRef {
		out := make([]strRef, n)
		for o := range n {
			out[o] = noStr
			if k := d.preferredIndex(int32(o), refsets, typ); k >= 0 {
				out[o] = d.Descs[d.DescOff[o]+k].term
			}
		}
		return out
	}
	gb := pick(enGB, synonymType)
	put(w, secPrefGB, gb)
	for i := range w.slots {
		e := &w.slots[i]
		if e.Ord < 0 {
			continue
		}
		r := gb[e.Ord]
		e.PrefOff, e.PrefLen = r.Off, spill
		if r.Len < spill {
			e.PrefLen = uint16(r.Len)
		}
	}
	put(w, secSlots, w.slots)
	w.slots = nil
	put(w, secPrefUS, pick(enUS, synonymType))
	put(w, secFSN, pick(enGB, fsnType))
	return w.err
}

// content writes concrete values, reference sets, history, maps and
// warnings.
func (w *storeWriter) content(d *release) error {
	n := len(d.IDs)
	concOff := make([]int32, n+1)
	var conc []concRec
	for o, cs := range d.Concrete {
		for _, c := range cs {
			conc = append(conc, concRec{Type: c.Type, Value: w.st.add(c.Value), Group: c.Group})
		}
		concOff[o+1] = int32(len(conc))
	}
	put(w, secConcOff, concOff)
	put(w, secConc, conc)
	keys, off, mem := keyed(d.Members)
	put(w, secMemKeys, keys)
	put(w, secMemOff, off)
	put(w, secMem, mem)
	keys, off, assoc := keyed(d.Assoc)
	put(w, secAssocKeys, keys)
	put(w, secAssocOff, off)
	put(w, secAssoc, assoc)
	keys = sortedKeys(d.Inactivation)
	vals := make([]ID, len(keys))
	for i, k := range keys {
		vals[i] = d.Inactivation[k]
	}
	put(w, secInactKeys, keys)
	put(w, secInactVals, vals)
	keys, off, ms := keyed(d.Maps)
	recs := make([]mapRec, len(ms))
	for i, m := range ms {
		recs[i] = mapRec{Refset: m.Refset, Correlation: m.Correlation, Category: m.Category, Rule: w.st.add(m.Rule), Advice: w.st.add(m.Advice), Target: w.st.add(m.Target), Group: int32(m.Group), Priority: int32(m.Priority)}
	}
	put(w, secMapKeys, keys)
	put(w, secMapOff, off)
	put(w, secMaps, recs)
	warn := make([]strRef, len(d.Warnings))
	for i, s := range d.Warnings {
		warn[i] = w.st.add(s)
	}
	put(w, secWarnings, warn)
	return w.err
}

var errCorrupt = errors.New("corrupt store")

// view returns section i as a slice of T, checking that it lies inside b,
// is aligned and holds whole records.
func view[T any](b []byte, i int) ([]T, error) {
	h := b[len(magic)+i*16:]
	off, n := binary.LittleEndian.Uint64(h), binary.LittleEndian.Uint64(h[8:])
	var zero T
	size := uint64(unsafe.Sizeof(zero))
	if off%8 != 0 || off > uint64(len(b)) || n > uint64(len(b))-off || n%size != 0 {
		return nil, errCorrupt
	}
	if n == 0 {
		return nil, nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[off])), n/size), nil
}

// checkOff reports whether off is a CSR offsets array for lists ordinals
// into a flat array of m records: n+1 entries from 0 to m, never falling.
func checkOff(off []int32, n, m int) bool {
	if len(off) != n+1 || off[0] != 0 || int(off[n]) != m {
		return false
	}
	for i := range n {
		if off[i] > off[i+1] {
			return false
		}
	}
	return true
}

// checkOrds reports whether every ordinal in x is below n.
func checkOrds(x []int32, n int) bool {
	bad := false
	for _, v := range x {
		bad = bad || uint32(v) >= uint32(n) // no branch per element: this runs over every ancestor list
	}
	return !bad
}

// decode views the store file b (which must stay mapped while s is used)
// and checks it cheaply enough for Open.
func decode(b []byte, s *Store) error {
	if len(b) < headerSize+len(magic) || string(b[:len(magic)]) != magic || string(b[len(b)-len(magic):]) != magic || !littleEndian {
		return errCorrupt
	}
	if uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
		// A mapping is page-aligned; a byte slice from elsewhere may not be.
		a := make([]uint64, (len(b)+7)/8)
		c := unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), len(b))
		copy(c, b)
		b = c
	}
	d := &s.d
	var err error
	get := func(dst any, i int) {
		if err != nil {
			return
		}
		switch p := dst.(type) {
		case *[]ID:
			*p, err = view[ID](b, i)
		case *[]int32:
			*p, err = view[int32](b, i)
		case *[]conceptRec:
			*p, err = view[conceptRec](b, i)
		case *[]strRef:
			*p, err = view[strRef](b, i)
		case *[]descRec:
			*p, err = view[descRec](b, i)
		case *[]langAcc:
			*p, err = view[langAcc](b, i)
		case *[]rel:
			*p, err = view[rel](b, i)
		case *[]concRec:
			*p, err = view[concRec](b, i)
		case *[]Association:
			*p, err = view[Association](b, i)
		case *[]mapRec:
			*p, err = view[mapRec](b, i)
		case *[]slot:
			*p, err = view[slot](b, i)
		case *[]rowMeta:
			*p, err = view[rowMeta](b, i)
		case *[]rowRec:
			*p, err = view[rowRec](b, i)
		}
	}
	get(&d.IDs, secIDs)
	get(&d.Concepts, secConcepts)
	get(&d.ParOff, secParOff)
	get(&d.Par, secPar)
	get(&d.AncOff, secAncOff)
	get(&d.Anc, secAnc)
	get(&d.DescCount, secDescCount)
	get(&s.childOff, secChildOff)
	get(&s.child, secChild)
	get(&s.relsOff, secRelsToOff)
	get(&s.relsTo, secRelsTo)
	get(&d.PrefGB, secPrefGB)
	get(&d.PrefUS, secPrefUS)
	get(&d.FSN, secFSN)
	get(&d.DescOff, secDescOff)
	get(&d.Descs, secDescs)
	get(&d.Acc, secAcc)
	get(&d.RelOff, secRelOff)
	get(&d.Rels, secRels)
	get(&d.ConcOff, secConcOff)
	get(&d.Conc, secConc)
	get(&d.MemKeys, secMemKeys)
	get(&d.MemOff, secMemOff)
	get(&d.Mem, secMem)
	get(&d.AssocKeys, secAssocKeys)
	get(&d.AssocOff, secAssocOff)
	get(&d.Assoc, secAssoc)
	get(&d.InactKeys, secInactKeys)
	get(&d.InactVals, secInactVals)
	get(&d.MapKeys, secMapKeys)
	get(&d.MapOff, secMapOff)
	get(&d.Maps, secMaps)
	get(&d.Warnings, secWarnings)
	get(&s.slots, secSlots)
	if err != nil {
		return err
	}
	strs, err := view[byte](b, secStrings)
	if err != nil {
		return err
	}
	d.Strings = bytesString(strs)

	n := len(d.IDs)
	ok := len(d.Concepts) == n && len(d.DescCount) == n && len(d.PrefGB) == n && len(d.PrefUS) == n && len(d.FSN) == n &&
		slices.IsSorted(d.IDs) &&
		checkOff(d.ParOff, n, len(d.Par)) && checkOrds(d.Par, n) &&
		checkOff(d.AncOff, n, len(d.Anc)) && checkOrds(d.Anc, n) &&
		checkOff(s.childOff, n, len(s.child)) && checkOrds(s.child, n) &&
		checkOff(s.relsOff, n, len(s.relsTo)) && checkOrds(s.relsTo, n) &&
		checkOff(d.DescOff, n, len(d.Descs)) &&
		checkOff(d.RelOff, n, len(d.Rels)) && checkRels(d.Rels, n) &&
		checkOff(d.ConcOff, n, len(d.Conc)) &&
		checkOff(d.MemOff, len(d.MemKeys), len(d.Mem)) &&
		checkOff(d.AssocOff, len(d.AssocKeys), len(d.Assoc)) &&
		len(d.InactKeys) == len(d.InactVals) &&
		checkOff(d.MapOff, len(d.MapKeys), len(d.Maps))
	size := len(s.slots)
	ok = ok && size > n && size&(size-1) == 0
	if !ok {
		return errCorrupt
	}
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	if err := decodeClosureTables(b, d); err != nil {
		return err
	}
	return decodeMemberRows(b, d)
}

// checkRels reports whether every relationship's type and destination
// are ordinals below n.
func checkRels(rs []rel, n int) bool {
	bad := false
	for _, r := range rs {
		bad = bad || uint32(r.Type) >= uint32(n) || uint32(r.Dest) >= uint32(n)
	}
	return !bad
}

// str returns the string r refers to; a reference out of range (a damaged
// file) gives "".
func (d *data) str(r strRef) (string, bool) {
	end := uint64(r.Off) + uint64(r.Len)
	if end > uint64(len(d.Strings)) {
		return "", false
	}
	return d.Strings[r.Off:end], true
}

// acc returns a description's acceptability rows, none if out of range.
func (d *data) acc(x *descRec) []langAcc {
	end := uint64(x.AccOff) + uint64(x.AccLen)
	if end > uint64(len(d.Acc)) {
		return nil
	}
	return d.Acc[x.AccOff:end]
}

// keyRange returns the CSR range of key in sorted keys, or (0, 0).
func keyRange(keys []ID, off []int32, key ID) (int32, int32) {
	i, ok := slices.BinarySearch(keys, key)
	if !ok {
		return 0, 0
	}
	return off[i], off[i+1]
}
