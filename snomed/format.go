package snomed

import (
	"bufio"
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// The store file: the magic line, then each table as little-endian
// varint-prefixed arrays. Terms and other strings are one blob per table
// that Open slices without copying each term. The magic names the format
// version; Open refuses any other.

type encoder struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
	err error
}

func (e *encoder) uint(v uint64) {
	if e.err == nil {
		n := binary.PutUvarint(e.buf[:], v)
		_, e.err = e.w.Write(e.buf[:n])
	}
}

func (e *encoder) int(v int64) {
	if e.err == nil {
		n := binary.PutVarint(e.buf[:], v)
		_, e.err = e.w.Write(e.buf[:n])
	}
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *encoder) int32s(v []int32) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.int(int64(x))
	}
}

func (e *encoder) ids(v []ID) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.uint(uint64(x))
	}
}

func sortedKeys[V any](m map[ID]V) []ID {
	keys := make([]ID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (d *data) encode(w *bufio.Writer) error {
	e := &encoder{w: w}
	e.str(magic)
	e.ids(d.IDs)
	for _, c := range d.Concepts {
		b := uint64(0)
		if c.Active {
			b = 1
		}
		e.uint(b)
		e.uint(uint64(c.Module))
		e.uint(uint64(c.DefinitionStatus))
		e.uint(uint64(c.EffectiveTime))
	}
	total := func(n int) { e.uint(uint64(n)) }
	np := 0
	for _, p := range d.Parents {
		np += len(p)
	}
	total(np)
	for _, p := range d.Parents {
		e.int32s(p)
	}
	e.int32s(d.AncOff)
	e.int32s(d.Anc)
	e.int32s(d.DescCount)
	e.int32s(d.PrefGB)
	e.int32s(d.PrefUS)
	e.int32s(d.FSN)
	nd, na := 0, 0
	for _, ds := range d.Descs {
		nd += len(ds)
		for _, x := range ds {
			na += len(x.Acc)
		}
	}
	total(nd)
	total(na)
	for _, ds := range d.Descs {
		e.uint(uint64(len(ds)))
		for _, x := range ds {
			e.uint(uint64(x.ID))
			e.str(x.Term)
			e.uint(uint64(x.Type))
			b := uint64(0)
			if x.Active {
				b = 1
			}
			e.uint(b)
			e.str(x.Lang)
			e.uint(uint64(x.Case))
			e.uint(uint64(len(x.Acc)))
			for _, a := range x.Acc {
				e.uint(uint64(a.Refset))
				e.uint(uint64(a.Acc))
			}
		}
	}
	nr := 0
	for _, rs := range d.Rels {
		nr += len(rs)
	}
	total(nr)
	for _, rs := range d.Rels {
		e.uint(uint64(len(rs)))
		for _, r := range rs {
			e.int(int64(r.Group))
			e.int(int64(r.Type))
			e.int(int64(r.Dest))
		}
	}
	for _, cs := range d.Concrete {
		e.uint(uint64(len(cs)))
		for _, c := range cs {
			e.int(int64(c.Group))
			e.uint(uint64(c.Type))
			e.str(c.Value)
		}
	}
	keys := sortedKeys(d.Members)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.uint(uint64(k))
		e.ids(d.Members[k])
	}
	keys = sortedKeys(d.Assoc)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.uint(uint64(k))
		e.uint(uint64(len(d.Assoc[k])))
		for _, a := range d.Assoc[k] {
			e.uint(uint64(a.Refset))
			e.uint(uint64(a.Target))
		}
	}
	keys = sortedKeys(d.Inactivation)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.uint(uint64(k))
		e.uint(uint64(d.Inactivation[k]))
	}
	keys = sortedKeys(d.Maps)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.uint(uint64(k))
		e.uint(uint64(len(d.Maps[k])))
		for _, m := range d.Maps[k] {
			e.uint(uint64(m.Refset))
			e.int(int64(m.Group))
			e.int(int64(m.Priority))
			e.str(m.Rule)
			e.str(m.Advice)
			e.str(m.Target)
			e.uint(uint64(m.Correlation))
			e.uint(uint64(m.Category))
		}
	}
	e.uint(uint64(len(d.Warnings)))
	for _, w := range d.Warnings {
		e.str(w)
	}
	e.str(magic) // trailer: a truncated file fails here
	return e.err
}

// decoder reads from the whole file in memory; every length is checked
// against what is left, so a damaged file is an error, never a panic or a
// huge allocation.
type decoder struct {
	b   string // the whole file: strings are sliced from it, not copied
	off int
	err error
}

// uvarint decodes like binary.Uvarint, from a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -1
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

var errCorrupt = errors.New("corrupt store")

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.off = len(d.b)
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	ux, n := uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.off += n
	x := int64(ux >> 1) // zig-zag, as binary.PutVarint writes
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) int32() int32 {
	v := d.int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail()
		return 0
	}
	return int32(v)
}

// count reads a length, each element taking at least min bytes.
func (d *decoder) count(min int) int {
	n := d.uint()
	if n > uint64(len(d.b)-d.off)/uint64(min) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count(1)
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) int32s() []int32 {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = d.int32()
	}
	return out
}

// ord reads an ordinal below n.
func (d *decoder) ord(n int) int32 {
	v := d.int32()
	if v < 0 || int(v) >= n {
		d.fail()
		return 0
	}
	return v
}

func (d *decoder) ids() []ID {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	out := make([]ID, n)
	for i := range out {
		out[i] = ID(d.uint())
	}
	return out
}

func decode(b string, dst *data) error {
	d := &decoder{b: b}
	if d.str() != magic {
		return errCorrupt
	}
	dst.Magic = magic
	dst.IDs = d.ids()
	n := len(dst.IDs)
	if !slices.IsSorted(dst.IDs) {
		return errCorrupt
	}
	if n > (len(b)-d.off)/4 {
		return errCorrupt
	}
	dst.Concepts = make([]Concept, n)
	for i := range dst.Concepts {
		c := &dst.Concepts[i]
		c.ID = dst.IDs[i]
		c.Active = d.uint() == 1
		c.Module = ID(d.uint())
		c.DefinitionStatus = ID(d.uint())
		c.EffectiveTime = int(d.uint())
	}
	// Each per-concept table is preceded by its total, so that it is
	// decoded into one backing array rather than millions of small ones.
	dst.Parents = make([][]int32, n)
	pall := make([]int32, d.count(1))
	for i := range dst.Parents {
		k := d.count(1)
		if k > len(pall) {
			return errCorrupt
		}
		if k > 0 {
			p := pall[:k:k]
			pall = pall[k:]
			for j := range k {
				p[j] = d.ord(n)
			}
			dst.Parents[i] = p
		}
	}
	dst.AncOff = d.int32s()
	dst.Anc = d.int32s()
	dst.DescCount = d.int32s()
	dst.PrefGB, dst.PrefUS, dst.FSN = d.int32s(), d.int32s(), d.int32s()
	if d.err == nil && (len(dst.DescCount) != n || len(dst.PrefGB) != n || len(dst.PrefUS) != n || len(dst.FSN) != n) {
		return errCorrupt
	}
	if d.err == nil && len(dst.AncOff) != n+1 {
		return errCorrupt
	}
	for i := 0; d.err == nil && i < n; i++ {
		if dst.AncOff[i] < 0 || dst.AncOff[i] > dst.AncOff[i+1] || int(dst.AncOff[i+1]) > len(dst.Anc) {
			return errCorrupt
		}
	}
	for _, a := range dst.Anc {
		if a < 0 || int(a) >= n {
			return errCorrupt
		}
	}
	dst.Descs = make([][]description, n)
	dall := make([]description, d.count(6))
	aall := make([]langAcc, d.count(2))
	for i := 0; i < n && d.err == nil; i++ {
		k := d.count(6)
		if k == 0 {
			continue
		}
		if k > len(dall) {
			return errCorrupt
		}
		ds := dall[:k:k]
		dall = dall[k:]
		for j := range ds {
			x := &ds[j]
			x.ID = ID(d.uint())
			x.Term = d.str()
			x.Type = ID(d.uint())
			x.Active = d.uint() == 1
			x.Lang = d.str()
			x.Case = ID(d.uint())
			if m := d.count(2); m > 0 {
				if m > len(aall) {
					return errCorrupt
				}
				x.Acc = aall[:m:m]
				aall = aall[m:]
				for a := range x.Acc {
					x.Acc[a] = langAcc{Refset: ID(d.uint()), Acc: ID(d.uint())}
				}
			}
		}
		dst.Descs[i] = ds
	}
	dst.Rels = make([][]rel, n)
	rall := make([]rel, d.count(3))
	for i := 0; i < n && d.err == nil; i++ {
		if k := d.count(3); k > 0 {
			if k > len(rall) {
				return errCorrupt
			}
			rs := rall[:k:k]
			rall = rall[k:]
			for j := range rs {
				rs[j] = rel{Group: d.int32(), Type: d.ord(n), Dest: d.ord(n)}
			}
			dst.Rels[i] = rs
		}
	}
	dst.Concrete = make([][]concrete, n)
	for i := 0; i < n && d.err == nil; i++ {
		if k := d.count(3); k > 0 {
			cs := make([]concrete, k)
			for j := range cs {
				cs[j] = concrete{Group: d.int32(), Type: ID(d.uint()), Value: d.str()}
			}
			dst.Concrete[i] = cs
		}
	}
	k := d.count(2)
	dst.Members = make(map[ID][]ID, k)
	for range k {
		key := ID(d.uint())
		dst.Members[key] = d.ids()
	}
	k = d.count(2)
	dst.Assoc = make(map[ID][]Association, k)
	for range k {
		key := ID(d.uint())
		m := d.count(2)
		as := make([]Association, m)
		for j := range as {
			as[j] = Association{Refset: ID(d.uint()), Target: ID(d.uint())}
		}
		dst.Assoc[key] = as
	}
	k = d.count(2)
	dst.Inactivation = make(map[ID]ID, k)
	for range k {
		key := ID(d.uint())
		dst.Inactivation[key] = ID(d.uint())
	}
	k = d.count(2)
	dst.Maps = make(map[ID][]MapEntry, k)
	for range k {
		key := ID(d.uint())
		m := d.count(8)
		ms := make([]MapEntry, m)
		for j := range ms {
			ms[j] = MapEntry{Refset: ID(d.uint()), Group: int(d.int()), Priority: int(d.int()), Rule: d.str(), Advice: d.str(), Target: d.str(), Correlation: ID(d.uint()), Category: ID(d.uint())}
		}
		dst.Maps[key] = ms
	}
	k = d.count(1)
	for range k {
		dst.Warnings = append(dst.Warnings, d.str())
	}
	if d.str() != magic || d.err != nil || d.off != len(b) {
		return errCorrupt
	}
	return nil
}
