package fhir

import (
	"fmt"
	"strconv"
	"sync/atomic"
)

// union merges two collections without duplicates.
func union(l, r []any) []any {
	out := make([]any, 0, len(l)+len(r))
	var set itemSet
	for _, v := range [][]any{l, r} {
		for _, x := range v {
			if set.insert(x) {
				out = append(out, x)
			}
		}
	}
	return out
}

// itemSet answers containsItem for a collection it is given item by
// item, so that union, distinct, intersect, exclude, subsetOf and repeat
// take time in proportion to their items rather than to its square. Each
// item is filed under the hashes itemHashes gives it (one or two), which
// every item equal to it shares; a lookup compares, with eqItem, only the
// items filed under the same hash and the few items that have none.
type itemSet struct {
	all     []any
	head    map[uint64]int32 // a hash's newest entry, as 1 + its index in entries
	entries []itemEntry
	others  []any // the items without a hash
	// compared counts the items has and insert compared with eqItem,
	// which bounds repeat()'s work
	compared int
}

// itemEntry files all[item] under one hash; next chains the entries of
// the same hash (1 + index, 0 at the end).
type itemEntry struct {
	item, next int32
}

func newItemSet(items []any) *itemSet {
	s := &itemSet{}
	for _, x := range items {
		s.add(x)
	}
	return s
}

// add adds x, equal to an item already in or not.
func (s *itemSet) add(x any) {
	h, n := itemHashes(x)
	s.file(x, h, n)
}

// has reports whether an item equal to x (eqItem) has been added.
func (s *itemSet) has(x any) bool {
	h, n := itemHashes(x)
	return s.find(x, h, n)
}

// insert adds x unless an item equal to it has been added, and reports
// whether it did.
func (s *itemSet) insert(x any) bool {
	h, n := itemHashes(x)
	if s.find(x, h, n) {
		return false
	}
	s.file(x, h, n)
	return true
}

func (s *itemSet) file(x any, h [2]uint64, n int) {
	s.all = append(s.all, x)
	if n == 0 {
		s.others = append(s.others, x)
		return
	}
	if s.head == nil {
		s.head = map[uint64]int32{}
	}
	for _, k := range h[:n] {
		s.entries = append(s.entries, itemEntry{item: int32(len(s.all) - 1), next: s.head[k]})
		s.head[k] = int32(len(s.entries))
	}
}

// testHookCheckItemSet, set by the fuzz tests, makes every lookup of an
// itemSet also compare the item with every item, and panic when the two
// answers differ.
var testHookCheckItemSet atomic.Bool

func (s *itemSet) find(x any, h [2]uint64, n int) bool {
	found := s.lookup(x, h, n)
	if testHookCheckItemSet.Load() && found != containsItem(s.all, x) {
		panic(fmt.Sprintf("fhir: itemSet found %v for a %T, comparing with every item finds %v", found, x, !found))
	}
	return found
}

func (s *itemSet) lookup(x any, h [2]uint64, n int) bool {
	if n == 0 {
		// x has no hash, so any item may equal it
		s.compared += len(s.all)
		return containsItem(s.all, x)
	}
	for _, k := range h[:n] {
		for e := s.head[k]; e != 0; e = s.entries[e-1].next {
			s.compared++
			if eq, _ := eqItem(s.all[s.entries[e-1].item], x); eq {
				return true
			}
		}
	}
	s.compared += len(s.others)
	return containsItem(s.others, x)
}

// itemHashes gives the hashes an item is filed under: any two items
// eqItem finds equal share one (a hash never decides equality; it only
// picks the items to compare). n=0 for an item of a kind not hashed (a
// type), which is compared with every item.
//
// FHIRPath equality is kept to, kind by kind:
//   - strings and booleans: by value; integers and decimals together, by
//     the exact number (1 = 1.0);
//   - dates and times: by value at their precision, in UTC when the zone
//     is given (cmpTemporal's answer is unknown, so not equal, when the
//     precisions differ or only one zone is known from the hour down);
//   - quantities: by quantityHash;
//   - a complex element: by structHash, its children's names and values;
//     a Quantity element is equal to other quantities by its value and
//     to other elements by its children, so it has both hashes.
func itemHashes(x any) (h [2]uint64, n int) {
	v := sysVal(x)
	if node, ok := v.(*Node); ok {
		if q, ok := quantityOf(node); ok {
			if h[0], ok = quantityHash(q); ok {
				n = 1
			}
		}
		h[n] = structHash(node)
		return h, n + 1
	}
	if q, ok := v.(FPQuantity); ok {
		h[0], ok = quantityHash(q)
		if !ok {
			return h, 0
		}
		return h, 1
	}
	var ok bool
	if h[0], ok = valueHash(v); !ok {
		return h, 0
	}
	return h, 1
}

// valueHash hashes a primitive value: a string, boolean, number or date
// and time; ok=false for any other.
func valueHash(v any) (uint64, bool) {
	switch y := v.(type) {
	case string:
		return hashString(hashByte(fnvOffset, 's'), y), true
	case bool:
		if y {
			return hashByte(fnvOffset, 't'), true
		}
		return hashByte(fnvOffset, 'f'), true
	case int64:
		var buf [24]byte
		return hashBytes(hashByte(fnvOffset, 'n'), strconv.AppendInt(buf[:0], y, 10)), true
	case FPDecimal:
		if y.R == nil {
			return 0, false
		}
		if y.R.IsInt() && y.R.Num().IsInt64() {
			// as for an int64: the same text RatString gives
			return valueHash(y.R.Num().Int64())
		}
		return hashString(hashByte(fnvOffset, 'n'), y.R.RatString()), true
	case FPTemporal:
		return temporalHash(y), true
	}
	return 0, false
}

// temporalHash hashes a date, dateTime or time by what cmpTemporal
// compares: dates and dateTimes apart from times, the precision (seconds
// and milliseconds are one) and the parts down to it, in UTC when the
// zone is known and the time has an hour.
func temporalHash(t FPTemporal) uint64 {
	h := fnvOffset
	if t.Kind == 't' {
		h = hashByte(h, 't')
	} else {
		h = hashByte(h, 'd')
	}
	t = t.utc()
	p := t.Prec
	if p == precMilli {
		p = precSecond
	}
	h = hashByte(h, byte(p))
	parts := t.parts()
	for i := 0; i < p && i < len(parts); i++ {
		v := parts[i]
		if i == precSecond-1 {
			v = parts[5]*1000 + parts[6]
		}
		h = hashUint(h, uint64(v))
	}
	return h
}

// quantityHash hashes a quantity by what cmpQuantity finds equal: a
// calendar year or month by its keyword's unit and value (they equal only
// each other); a unit UCUM can convert by its dimension and value in
// base units (1 'm' = 100 'cm', 1 'week' = 7 'd'); any other unit by its
// text and value. ok=false for a quantity without a value.
func quantityHash(q FPQuantity) (uint64, bool) {
	if q.Value.R == nil {
		return 0, false
	}
	h := fnvOffset
	switch c := calendarUnits[q.Unit]; {
	case c == "year" || c == "month":
		h = hashString(hashByte(h, 'k'), c)
		return hashString(h, q.Value.R.RatString()), true
	}
	if r, dim, ok := q.canon(); ok {
		h = hashByte(h, 'c')
		for _, d := range dim {
			h = hashUint(h, uint64(d))
		}
		return hashString(h, r.RatString()), true
	}
	h = hashString(hashByte(h, 'u'), q.Unit)
	h = hashByte(h, 0)
	return hashString(h, q.Value.R.RatString()), true
}

// structHash hashes a complex element (one without a value) by what
// eqItem compares: its children's names, in order, and each child's
// value, or its own children. A child with a value child of its own (a
// Quantity; an Extension too) is given one fixed hash, because a Quantity
// equals another with other children (1000 'mg', 1 'g') and an element
// with the same children as a Quantity equals it; a child whose value is
// of a kind not hashed is given another.
func structHash(n *Node) uint64 {
	h := hashByte(fnvOffset, '{')
	for _, k := range n.kids {
		h = hashString(h, k.Name)
		h = hashByte(h, 0)
		var c uint64
		switch {
		case k.hasVal():
			var ok bool
			if c, ok = valueHash(k.value()); !ok {
				c = 1
			}
		case hasValueChild(k):
			c = 2
		default:
			c = structHash(k)
		}
		h = hashUint(h, c)
	}
	return hashByte(h, '}')
}

func hasValueChild(n *Node) bool {
	v := n.first("value")
	return v != nil && v.hasVal()
}

// FNV-1a, 64 bits.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func hashByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = hashByte(h, s[i])
	}
	return h
}

func hashBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = hashByte(h, c)
	}
	return h
}

func hashUint(h uint64, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h = hashByte(h, byte(v>>(8*i)))
	}
	return h
}
