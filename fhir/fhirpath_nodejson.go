package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// A Node tree straight from FHIR JSON without encoding/json's map[string]any:
// one pass parses the document into flat tables (jdoc), a second builds the
// Nodes from them by the very rules of jsonNode (same children, order,
// types and values), with Nodes and child lists cut from a few large
// blocks. NodeOf uses it on Marshal's output; NodeFromJSON keeps
// encoding/json, whose errors it reports.

// jval is one JSON value: an object's members are mems[a:a+n], an array's
// items are items[a:a+n].
type jval struct {
	kind byte // 'o', 'a', 's' string, 'n' number, 'b' true/false, 'z' null
	s    string
	a, n int32
}

type jmem struct {
	key string
	val int32 // index in vals
}

type jdoc struct {
	src   string
	pos   int
	vals  []jval
	mems  []jmem
	items []int32
	// stacks for the object or array being read
	memStack  []jmem
	itemStack []int32
	depth     int
}

func (d *jdoc) err(msg string) error {
	return fmt.Errorf("%w: json at offset %d: %s", ErrFHIRPath, d.pos, msg)
}

func (d *jdoc) ws() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value reads one value and gives its index in vals.
func (d *jdoc) value() (int32, error) {
	d.ws()
	if d.pos >= len(d.src) {
		return 0, d.err("unexpected end")
	}
	i := int32(len(d.vals))
	switch c := d.src[d.pos]; {
	case c == '{':
		d.depth++
		if d.depth > 10000 {
			return 0, d.err("nested too deeply")
		}
		d.vals = append(d.vals, jval{kind: 'o'})
		d.pos++
		base := len(d.memStack)
		d.ws()
		if d.pos < len(d.src) && d.src[d.pos] == '}' {
			d.pos++
		} else {
			for {
				d.ws()
				if d.pos >= len(d.src) || d.src[d.pos] != '"' {
					return 0, d.err("want a member name")
				}
				k, err := d.str()
				if err != nil {
					return 0, err
				}
				d.ws()
				if d.pos >= len(d.src) || d.src[d.pos] != ':' {
					return 0, d.err("want ':'")
				}
				d.pos++
				v, err := d.value()
				if err != nil {
					return 0, err
				}
				d.memStack = append(d.memStack, jmem{k, v})
				d.ws()
				if d.pos < len(d.src) && d.src[d.pos] == ',' {
					d.pos++
					continue
				}
				if d.pos < len(d.src) && d.src[d.pos] == '}' {
					d.pos++
					break
				}
				return 0, d.err("want ',' or '}'")
			}
		}
		d.vals[i].a, d.vals[i].n = int32(len(d.mems)), int32(len(d.memStack)-base)
		d.mems = append(d.mems, d.memStack[base:]...)
		d.memStack = d.memStack[:base]
		d.depth--
	case c == '[':
		d.depth++
		if d.depth > 10000 {
			return 0, d.err("nested too deeply")
		}
		d.vals = append(d.vals, jval{kind: 'a'})
		d.pos++
		base := len(d.itemStack)
		d.ws()
		if d.pos < len(d.src) && d.src[d.pos] == ']' {
			d.pos++
		} else {
			for {
				v, err := d.value()
				if err != nil {
					return 0, err
				}
				d.itemStack = append(d.itemStack, v)
				d.ws()
				if d.pos < len(d.src) && d.src[d.pos] == ',' {
					d.pos++
					continue
				}
				if d.pos < len(d.src) && d.src[d.pos] == ']' {
					d.pos++
					break
				}
				return 0, d.err("want ',' or ']'")
			}
		}
		d.vals[i].a, d.vals[i].n = int32(len(d.items)), int32(len(d.itemStack)-base)
		d.items = append(d.items, d.itemStack[base:]...)
		d.itemStack = d.itemStack[:base]
		d.depth--
	case c == '"':
		s, err := d.str()
		if err != nil {
			return 0, err
		}
		d.vals = append(d.vals, jval{kind: 's', s: s})
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(d.src)-d.pos >= len(lit) && d.src[d.pos:d.pos+len(lit)] == lit {
				d.pos += len(lit)
				if lit == "null" {
					d.vals = append(d.vals, jval{kind: 'z'})
				} else {
					d.vals = append(d.vals, jval{kind: 'b', s: lit})
				}
				return i, nil
			}
		}
		return 0, d.err("bad literal")
	case c == '-' || c >= '0' && c <= '9':
		start := d.pos
		for d.pos < len(d.src) {
			c := d.src[d.pos]
			if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
				d.pos++
				continue
			}
			break
		}
		num := d.src[start:d.pos]
		if !json.Valid([]byte(num)) {
			return 0, d.err("bad number")
		}
		d.vals = append(d.vals, jval{kind: 'n', s: num})
	default:
		return 0, d.err("unexpected character")
	}
	return i, nil
}

// str reads a string at d.pos (on the opening quote). Plain ASCII and
// valid UTF-8 without escapes is a substring of the source, one-character
// escapes are undone by unescapeSimple; anything else
// is unquoted by encoding/json, so invalid bytes become U+FFFD as there.
func (d *jdoc) str() (string, error) {
	start := d.pos
	d.pos++
	plain := true
	for d.pos < len(d.src) {
		c := d.src[d.pos]
		switch {
		case c == '"':
			d.pos++
			s := d.src[start+1 : d.pos-1]
			if plain && utf8.ValidString(s) {
				return s, nil
			}
			if u, ok := unescapeSimple(s); ok {
				return u, nil
			}
			var out string
			if err := json.Unmarshal([]byte(d.src[start:d.pos]), &out); err != nil {
				return "", d.err("bad string")
			}
			return out, nil
		case c == '\\':
			plain = false
			d.pos += 2
		case c < 0x20:
			return "", d.err("control character in string")
		default:
			d.pos++
		}
	}
	return "", d.err("unterminated string")
}

// unescapeSimple undoes the one-character escapes (\" \\ \/ \b \f \n
// \r \t) of valid UTF-8 text as encoding/json does; ok=false for \u
// escapes or invalid UTF-8, left to encoding/json.
func unescapeSimple(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			return "", false
		}
	}
	return b.String(), true
}

// member gives the value of the last member named key of object o, or -1.
func (d *jdoc) member(o jval, key string) int32 {
	for i := o.a + o.n - 1; i >= o.a; i-- {
		if d.mems[i].key == key {
			return d.mems[i].val
		}
	}
	return -1
}

// memberExt is member(o, "_"+key).
func (d *jdoc) memberExt(o jval, key string) int32 {
	for i := o.a + o.n - 1; i >= o.a; i-- {
		if k := d.mems[i].key; len(k) == len(key)+1 && k[0] == '_' && k[1:] == key {
			return d.mems[i].val
		}
	}
	return -1
}

// list is asList: an array's items, a single value, or none for null or
// a missing member.
func (d *jdoc) list(v int32, one *[1]int32) []int32 {
	if v < 0 {
		return nil
	}
	switch x := d.vals[v]; x.kind {
	case 'z':
		return nil
	case 'a':
		return d.items[x.a : x.a+x.n]
	}
	one[0] = v
	return one[:]
}

// nodeBuilder hands out Nodes and child lists from blocks.
type nodeBuilder struct {
	d     *jdoc
	nodes []Node
	ptrs  []*Node
	keys  []jkey
	// counts of this build, to size the blocks of the next (pooled)
	nNodes, nPtrs int
	// lazy leaves primitive values to Node.value: only for a tree one
	// goroutine uses
	lazy bool
}

type jkey struct {
	name string
	info keyInfo
}

func (b *nodeBuilder) node() *Node {
	if len(b.nodes) == cap(b.nodes) {
		b.nodes = make([]Node, 0, 128)
	}
	b.nNodes++
	b.nodes = append(b.nodes, Node{})
	return &b.nodes[len(b.nodes)-1]
}

func (b *nodeBuilder) kidList(n int) []*Node {
	b.nPtrs += n
	if n > cap(b.ptrs)-len(b.ptrs) {
		c := 256
		if n > c {
			c = n
		}
		b.ptrs = make([]*Node, 0, c)
	}
	s := b.ptrs[len(b.ptrs) : len(b.ptrs) : len(b.ptrs)+n]
	b.ptrs = b.ptrs[:len(b.ptrs)+n]
	return s
}

// nodeState is the memory of one build. ValidateProfiles takes one from
// a pool, so its tree lives only until it returns.
type nodeState struct {
	d     jdoc
	b     nodeBuilder
	block []Node
	ptrs  []*Node
	tb    typedBuilder
}

var nodeStates = sync.Pool{New: func() any { return new(nodeState) }}

// maxPooledNodes bounds the memory a pooled nodeState keeps.
const maxPooledNodes = 1 << 14

// marshalString is Marshal giving a string: one copy of the encoder's
// buffer, which the tree's strings then share.
func marshalString(r Resource) (string, error) {
	if r == nil {
		return "", errors.New("fhir: marshal of a nil resource")
	}
	e := encoders.Get().(*encoder)
	e.Reset(e.Buf[:0])
	r.encodeJSON(e)
	out := string(e.Buf)
	if cap(e.Buf) <= 1<<20 { // keep small buffers only
		encoders.Put(e)
	}
	return out, nil
}

// nodeFromJSONFast builds the tree NodeFromJSON builds.
func nodeFromJSONFast(data []byte) (*Node, error) {
	var st nodeState
	return st.build(string(data), false)
}

// build parses src and builds its tree in st's blocks, which it sizes for
// the next build.
func (st *nodeState) build(src string, lazy bool) (*Node, error) {
	d := &st.d
	d.src, d.pos, d.depth = src, 0, 0
	if cap(d.vals) == 0 {
		// a FHIR document has roughly one value per 12 bytes
		d.vals = make([]jval, 0, len(src)/12+8)
		d.mems = make([]jmem, 0, len(src)/16+8)
	}
	d.vals, d.mems, d.items, d.memStack, d.itemStack = d.vals[:0], d.mems[:0], d.items[:0], d.memStack[:0], d.itemStack[:0]
	root, err := d.value()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.pos != len(d.src) {
		return nil, d.err("data after the resource")
	}
	o := d.vals[root]
	if o.kind != 'o' {
		return nil, fmt.Errorf("%w: json: not an object", ErrFHIRPath)
	}
	rt := ""
	if v := d.member(o, "resourceType"); v >= 0 && d.vals[v].kind == 's' {
		rt = d.vals[v].s
	}
	if rt == "" {
		return nil, fmt.Errorf("%w: json: no resourceType", ErrFHIRPath)
	}
	if st.block == nil {
		st.block = make([]Node, 0, len(src)/40+8)
	}
	st.b = nodeBuilder{d: d, nodes: st.block[:0], ptrs: st.ptrs[:0], keys: st.b.keys[:0], lazy: lazy}
	b := &st.b
	n := b.node()
	b.object(n, rt, rt, o, nil)
	if b.nNodes > cap(st.block) && b.nNodes <= maxPooledNodes {
		st.block = make([]Node, 0, b.nNodes)
	}
	if b.nPtrs > cap(st.ptrs) && b.nPtrs <= maxPooledNodes {
		st.ptrs = make([]*Node, 0, b.nPtrs)
	}
	return n, nil
}

// release puts st back in the pool unless it grew too large; the tree it
// built must no longer be used.
func (st *nodeState) release() {
	if cap(st.d.vals) > 4*maxPooledNodes || cap(st.d.mems) > 4*maxPooledNodes {
		return
	}
	st.d.src = ""
	st.b.d = nil
	nodeStates.Put(st)
}

// object fills n from object o as jsonNode does.
func (b *nodeBuilder) object(n *Node, name, typ string, o jval, parent *Node) {
	d := b.d
	ti := nodeTypeInfo(typ)
	marker := resourceTypeMarks(ti)
	if v := d.member(o, "resourceType"); marker && v >= 0 && d.vals[v].kind == 's' && d.vals[v].s != "" {
		typ = d.vals[v].s
		ti = nodeTypeInfo(typ)
	}
	n.Name, n.Type, n.parent = name, typ, parent
	base := len(b.keys)
	defer func() { b.keys = b.keys[:base] }()
	for i := o.a; i < o.a+o.n; i++ {
		k := d.mems[i].key
		if k == "resourceType" && marker || k == "fhir_comments" {
			continue
		}
		if len(k) > 0 && k[0] == '_' {
			if d.member(o, k[1:]) >= 0 {
				continue
			}
			k = k[1:]
		}
		dup := false
		for _, have := range b.keys[base:] {
			if have.name == k {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		b.keys = append(b.keys, jkey{k, keyLookup(ti, k)})
	}
	keys := b.keys[base:]
	// insertion sort: Marshal writes elements in definition order already
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keyLess(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	var one, oneX [1]int32
	total := 0
	for _, k := range keys {
		c := len(d.list(d.member(o, k.name), &one))
		if x := len(d.list(d.memberExt(o, k.name), &oneX)); x > c {
			c = x
		}
		total += c
	}
	if total == 0 {
		return
	}
	n.kids = b.kidList(total)
	for ki := range keys {
		k := keys[ki].name
		e, et := keys[ki].info.e, keys[ki].info.et
		cname := k
		if e != nil {
			cname = e.Name
		}
		vals := d.list(d.member(o, k), &one)
		exts := d.list(d.memberExt(o, k), &oneX)
		cnt := len(vals)
		if len(exts) > cnt {
			cnt = len(exts)
		}
		for i := 0; i < cnt; i++ {
			v, x := int32(-1), int32(-1)
			if i < len(vals) {
				v = vals[i]
			}
			if i < len(exts) {
				x = exts[i]
			}
			c := b.node()
			if v >= 0 && d.vals[v].kind == 'o' {
				t := et
				if t == "" {
					t = "Element"
				}
				b.object(c, cname, t, d.vals[v], n)
			} else {
				s, jt := "", ""
				if v >= 0 {
					s, jt = jsonScalarOf(d.vals[v])
				}
				t := et
				if t == "" || t == "Element" {
					t = jt
				}
				if t == "" {
					t = "string"
				}
				c.Name, c.Type, c.parent = cname, t, n
				if v >= 0 && d.vals[v].kind != 'z' {
					c.raw = s
					if b.lazy {
						c.lazy = true
					} else {
						c.val = primitiveOrText(t, s)
					}
				}
				if x >= 0 && d.vals[x].kind == 'o' {
					var ext Node
					b.object(&ext, cname, t, d.vals[x], n)
					c.kids = ext.kids
					for _, kk := range c.kids {
						kk.parent = c
					}
				}
			}
			c.index = i
			n.kids = append(n.kids, c)
		}
	}
}

func jsonScalarOf(v jval) (string, string) {
	switch v.kind {
	case 's':
		return v.s, "string"
	case 'n':
		for i := 0; i < len(v.s); i++ {
			if c := v.s[i]; c == '.' || c == 'e' || c == 'E' {
				return v.s, "decimal"
			}
		}
		return v.s, "integer"
	case 'b':
		return v.s, "boolean"
	}
	return "", ""
}

// keyInfo is what elemFor and keyOrder give for a key of a type, cached:
// the tables never change.
type keyInfo struct {
	e     *elemInfo
	et    string
	order int
}

type keyOf struct {
	ti  *typeInfo
	key string
}

var (
	keyOnce  sync.Once
	keyTable map[keyOf]keyInfo
)

// keyLookup gives elemFor and keyOrder of a key, from a table of every
// element name and typed choice name of the model (built once by calling
// them), or by calling them for any other key.
func keyLookup(ti *typeInfo, k string) keyInfo {
	keyOnce.Do(func() {
		keyTable = map[keyOf]keyInfo{}
		add := func(ti *typeInfo, k string) {
			e, et := elemFor(ti, k)
			keyTable[keyOf{ti, k}] = keyInfo{e, et, keyOrder(ti, k)}
		}
		tis := []*typeInfo{primitiveElement}
		for _, ti := range typeTable {
			tis = append(tis, ti)
		}
		for _, ti := range tis {
			for i := range ti.Elems {
				e := &ti.Elems[i]
				if !e.Choice {
					add(ti, e.Name)
					continue
				}
				for _, t := range e.Types {
					if t != "" {
						add(ti, e.Name+string(upperASCII(t[0]))+t[1:])
					}
				}
			}
		}
	})
	if ki, ok := keyTable[keyOf{ti, k}]; ok {
		return ki
	}
	e, et := elemFor(ti, k)
	return keyInfo{e, et, keyOrder(ti, k)}
}

// keyOrder is the position of the element a key stands for in its type's
// definition (jsonNode's order), unknown keys last.
func keyOrder(ti *typeInfo, k string) int {
	if ti != nil {
		base := k
		if e, _ := elemFor(ti, k); e != nil {
			base = e.Name
		}
		for i := range ti.Elems {
			if ti.Elems[i].Name == base {
				return i
			}
		}
	}
	return 1 << 20
}

func keyLess(a, b jkey) bool {
	if a.info.order != b.info.order {
		return a.info.order < b.info.order
	}
	return a.name < b.name
}
