package fhir

import (
	"strconv"
	"sync"
	"unicode/utf8"
)

// A Node tree straight from the typed model, without encoding it to JSON
// and parsing that back: ValidateProfiles' tree. The generated buildNode
// methods (zz_node.go) walk a value's fields in encodeJSON's order; the
// typedBuilder gives each child the name, type, value text, index and
// place among its siblings that nodeState.build gives it from Marshal's
// output, by the same keyLookup:
//   - a key's children are grouped, and the groups ordered by keyLess, as
//     build sorts an object's keys;
//   - an object (or array item) that ends up with no children is left
//     out, as the encoder takes empty objects out; but the siblings after
//     it keep the index the input gives them (Marshal's output renumbers
//     them), so that issues are located where the input has them, and
//     the builder lists it (empties) when it was empty as given;
//   - a primitive's id and extensions are its children, typed by the
//     table of the primitive's type (none: so unknown, as from JSON).
//
// Whatever it cannot give exactly (unknown elements kept from the input,
// a resource kept as raw JSON, text that is not valid UTF-8, a decimal
// not written as a plain JSON number, a choice value of a type its
// element does not allow, an extension that encodes to nothing) sets bail,
// and the caller builds the tree from Marshal's output instead.
// TestTypedNodeTree compares the two trees over every example.

// nodeType is one generated type: its typeTable entry and, for each of
// its fields (typeTable's element order, which is encodeJSON's), what
// keyLookup gives for its JSON name.
type nodeType struct {
	def    string
	ti     *typeInfo
	own    []fieldInfo
	choice []map[string]choiceAlt // by FHIR type name, for choice fields
	// sorted: the keys of the fields, taken in field order, are in keyLess
	// order (resolveNodeTypes checks it), so a scope of this very type
	// gets its children in order and keeps no key groups
	sorted bool
}

// fieldInfo is a key's keyInfo and the type table of its objects.
type fieldInfo struct {
	keyInfo
	childTi *typeInfo
	name    string // the element's name, when e is set
	// leafName and leafType are what strNode gives a primitive child of
	// this key: its name (the key's, for an unknown one) and type
	leafName, leafType string
}

type choiceAlt struct {
	key string // valueQuantity
	fieldInfo
}

var nodeTypesOnce sync.Once

func resolveNodeTypes() {
	for _, nt := range nodeTypes {
		ti := typeTable[nt.def]
		nt.ti = ti
		nt.own = make([]fieldInfo, len(ti.Elems))
		nt.choice = make([]map[string]choiceAlt, len(ti.Elems))
		// one key of each field at most is present (a choice field has
		// one value), so field order is keyLess order when the orders
		// rise strictly from field to field
		nt.sorted = true
		prev := -1
		for i := range ti.Elems {
			e := &ti.Elems[i]
			if !e.Choice {
				nt.own[i] = fieldOf(keyLookup(ti, e.Name))
				nt.own[i].leafName = nt.own[i].name
				if nt.own[i].leafName == "" {
					nt.own[i].leafName = e.Name
				}
				nt.own[i].leafType = nt.own[i].et
				if t := nt.own[i].leafType; t == "" || t == "Element" {
					nt.own[i].leafType = "string"
				}
				nt.sorted = nt.sorted && nt.own[i].order > prev
				prev = nt.own[i].order
				continue
			}
			m := map[string]choiceAlt{}
			order := -1
			for _, t := range e.Types {
				if t == "" {
					continue
				}
				k := e.Name + string(upperASCII(t[0])) + t[1:]
				m[t] = choiceAlt{k, fieldOf(keyLookup(ti, k))}
				if order < 0 {
					order = m[t].order
				}
				nt.sorted = nt.sorted && m[t].order == order && order > prev
			}
			if order >= 0 {
				prev = order
			}
			nt.choice[i] = m
		}
	}
}

func fieldOf(ki keyInfo) fieldInfo {
	t := ki.et
	if t == "" {
		t = "Element"
	}
	fi := fieldInfo{keyInfo: ki, childTi: typeTable[t]}
	if ki.e != nil {
		fi.name = ki.e.Name
	}
	return fi
}

// nodeScope is the object (or primitive) whose children are being built:
// they are b.stack[kidBase:], in the key groups b.groups[grpBase:].
type nodeScope struct {
	n       *Node
	ti      *typeInfo
	kidBase int
	grpBase int
	// dropBase is b.dropped when the scope opened: an object whose scope
	// ends with no children and none dropped below it was empty as given
	dropBase int
}

// kgroup is one key of an object, as setKids orders them: its children
// start at stack[start].
type kgroup struct {
	key   string // the JSON name, which keyLess compares
	order int32
	start int32
}

// grp is what the children of one key are made with.
type grp struct {
	name  string // the children's name
	et    string
	ti    *typeInfo
	start int // where its children start in stack
}

type typedBuilder struct {
	nb     *nodeBuilder
	stack  []*Node
	groups []kgroup
	order  []int // scratch for reordering groups
	bail   bool

	// With inv set (ValidateProfiles' tree), the builder lists, in the
	// order it makes them, the nodes its invariant and extension walks
	// stop at: resources and elements whose type has invariants
	// (Extension among them). marks holds them while they are all the
	// walks need: unless a node may fail ele-1 (no value and nothing but
	// an id below it) or setKids put children out of the order they were
	// made in, which clear marksOK.
	inv     *invTables
	marks   []nodeMark
	marksOK bool

	// empties are the elements given with nothing in them (JSON {} or an
	// XML element with no value and no children), which the tree leaves
	// out as Marshal does but which fail ele-1 where they stand; dropped
	// counts the objects left out so far
	empties []*Node
	dropped int
	// dropsIn counts, for each open scope where an object was left out,
	// those of each name: the siblings after them keep the index they
	// have in the input, which issue locations give (innermost last)
	dropsIn []dropCount
}

type dropCount struct {
	parent *Node
	name   string
	n      int
}

// dropsBefore is how many objects named name were left out of s so far.
func (b *typedBuilder) dropsBefore(s *Node, name string) int {
	for i := len(b.dropsIn) - 1; i >= 0 && b.dropsIn[i].parent == s; i-- {
		if b.dropsIn[i].name == name {
			return b.dropsIn[i].n
		}
	}
	return 0
}

// closeDrops forgets the counts of the scope of n, which has ended.
func (b *typedBuilder) closeDrops(n *Node) {
	for len(b.dropsIn) > 0 && b.dropsIn[len(b.dropsIn)-1].parent == n {
		b.dropsIn = b.dropsIn[:len(b.dropsIn)-1]
	}
}

// countDrop counts c, left out of its parent's scope.
func (b *typedBuilder) countDrop(c *Node) {
	for i := len(b.dropsIn) - 1; i >= 0 && b.dropsIn[i].parent == c.parent; i-- {
		if b.dropsIn[i].name == c.Name {
			b.dropsIn[i].n++
			return
		}
	}
	b.dropsIn = append(b.dropsIn, dropCount{c.parent, c.Name, 1})
}

// nodeMark is a node the invariant walk stops at; end, for a resource, is
// where the marks of its own elements end.
type nodeMark struct {
	n   *Node
	end int
}

// mark lists c when the invariant walk has work at it.
func (b *typedBuilder) mark(c *Node) {
	typ := c.Type
	if typ == "SimpleQuantity" || typ == "MoneyQuantity" {
		typ = "Quantity"
	}
	if typ == "Extension" || len(b.inv.baseOf(typ)) > 0 {
		b.marks = append(b.marks, nodeMark{n: c})
	}
}

// unmark drops c's mark when c, left empty, is taken out again (its
// descendants, all empty and taken out before it, dropped theirs).
func (b *typedBuilder) unmark(c *Node) {
	if k := len(b.marks) - 1; k >= 0 && b.marks[k].n == c {
		b.marks = b.marks[:k]
	}
}

// info gives keyLookup(s.ti, key) for field i of nt.
func (b *typedBuilder) info(s nodeScope, nt *nodeType, i int, key string) fieldInfo {
	switch {
	case s.ti == nt.ti:
		return nt.own[i]
	case s.ti == nil:
		return unknownKey
	}
	return fieldOf(keyLookup(s.ti, key))
}

// unknownKey is what keyLookup gives for any key of an unknown type.
var unknownKey = fieldInfo{keyInfo: keyInfo{order: 1 << 20}}

func (b *typedBuilder) push(key string, fi *fieldInfo) grp {
	g := grp{name: fi.name, et: fi.et, ti: fi.childTi, start: len(b.stack)}
	if g.name == "" {
		g.name = key
	}
	if fi.et == "" {
		// objects of an unknown key are Elements; typeTable has none
		g.ti = nil
	}
	b.groups = append(b.groups, kgroup{key: key, order: int32(fi.order), start: int32(len(b.stack))})
	return g
}

// group starts the children of field i, named key. The common case, a
// field of the scope's own type, is kept small (and its grp built in
// place; with nt.sorted no key group is kept): the rest is groupOther.
func (b *typedBuilder) group(s nodeScope, nt *nodeType, i int, key string) grp {
	if s.ti != nt.ti || !nt.sorted {
		return b.groupOther(s, nt, i, key)
	}
	fi := &nt.own[i]
	name, ti := fi.name, fi.childTi
	if name == "" {
		name = key
	}
	if fi.et == "" {
		ti = nil
	}
	return grp{name: name, et: fi.et, ti: ti, start: len(b.stack)}
}

//go:noinline
func (b *typedBuilder) groupOther(s nodeScope, nt *nodeType, i int, key string) grp {
	fi := b.info(s, nt, i, key)
	return b.push(key, &fi)
}

// choiceField gives what keyLookup gives, in the scope s, for the key of
// choice field i of nt holding a typ value (alt.key); false when the
// field does not allow typ.
func choiceField(s nodeScope, nt *nodeType, i int, typ string) (alt choiceAlt, ok bool) {
	if alt, ok = nt.choice[i][typ]; !ok {
		return alt, false
	}
	switch {
	case s.ti == nil:
		alt.fieldInfo = unknownKey
	case s.ti != nt.ti:
		alt.fieldInfo = fieldOf(keyLookup(s.ti, alt.key))
	}
	return alt, true
}

// choiceGroup starts the child of choice field i holding a typ value.
func (b *typedBuilder) choiceGroup(s nodeScope, nt *nodeType, i int, typ string) (grp, bool) {
	alt, ok := choiceField(s, nt, i, typ)
	if !ok {
		b.bail = true
		return grp{}, false
	}
	fi := alt.fieldInfo
	switch {
	case s.ti == nt.ti && nt.sorted:
		g := grp{name: fi.name, et: fi.et, ti: fi.childTi, start: len(b.stack)}
		if g.name == "" {
			g.name = alt.key
		}
		if fi.et == "" {
			g.ti = nil
		}
		return g, true
	}
	return b.push(alt.key, &fi), true
}

func (b *typedBuilder) child(s nodeScope, g grp) *Node {
	c := b.nb.node()
	c.Name, c.parent, c.index = g.name, s.n, len(b.stack)-g.start
	if len(b.dropsIn) > 0 {
		c.index += b.dropsBefore(s.n, g.name)
	}
	b.stack = append(b.stack, c)
	return c
}

// obj adds an object of group g; its fields are built in the scope it
// gives, closed by end.
func (b *typedBuilder) obj(s nodeScope, g grp) nodeScope {
	c := b.child(s, g)
	c.Type = g.et
	if c.Type == "" {
		c.Type = "Element"
	}
	if b.inv != nil {
		b.mark(c)
	}
	if c.Type == "Extension" {
		// an extension that ends up empty and taken out leaves the marks:
		// they only say that one may be there
		for p := s.n; p != nil && !p.extBelow; p = p.parent {
			p.extBelow = true
		}
	}
	return nodeScope{n: c, ti: g.ti, kidBase: len(b.stack), grpBase: len(b.groups), dropBase: b.dropped}
}

// str adds a plain JSON string element (an element's id).
func (b *typedBuilder) str(s nodeScope, nt *nodeType, i int, key, v string) {
	gr := b.group(s, nt, i, key)
	c := b.child(s, gr)
	t := gr.et
	if t == "" || t == "Element" {
		t = "string"
	}
	c.Type = t
	b.text(c, v)
}

func (b *typedBuilder) text(c *Node, v string) {
	if !validText(v) {
		b.bail = true
	}
	c.raw, c.lazy = v, true
}

// end gives s's node its children, in keyLess order of their keys; an
// object left with none is taken out, as the encoder takes out {}.
func (b *typedBuilder) end(s nodeScope) {
	kids := b.stack[s.kidBase:]
	if len(kids) == 0 {
		b.groups = b.groups[:s.grpBase]
		if len(b.dropsIn) > 0 {
			b.closeDrops(s.n)
		}
		if s.n.parent != nil && len(b.stack) > 0 && b.stack[len(b.stack)-1] == s.n {
			b.stack = b.stack[:len(b.stack)-1]
			if b.inv != nil {
				b.unmark(s.n)
			}
			if b.dropped == s.dropBase {
				b.empties = append(b.empties, s.n)
			}
			b.dropped++
			b.countDrop(s.n)
		}
		return
	}
	b.setKids(s)
}

func (b *typedBuilder) setKids(s nodeScope) {
	kids := b.stack[s.kidBase:]
	grps := b.groups[s.grpBase:]
	out := b.nb.kidList(len(kids))
	// no key groups: the children came from a sorted type's own fields,
	// in order
	sorted := true
	prev := -1
	for j := range grps {
		if b.groupLen(s, j) == 0 {
			continue
		}
		if prev >= 0 && !groupLess(&grps[prev], &grps[j]) {
			sorted = false
			break
		}
		prev = j
	}
	if sorted {
		out = append(out, kids...)
	} else {
		b.marksOK = false
		b.order = b.order[:0]
		for j := range grps {
			if b.groupLen(s, j) == 0 {
				continue
			}
			b.order = append(b.order, j)
			for k := len(b.order) - 1; k > 0; k-- {
				x, y := &grps[b.order[k]], &grps[b.order[k-1]]
				if !groupLess(x, y) {
					break
				}
				b.order[k], b.order[k-1] = b.order[k-1], b.order[k]
			}
		}
		for _, j := range b.order {
			start := int(grps[j].start)
			out = append(out, b.stack[start:start+b.groupLen(s, j)]...)
		}
	}
	s.n.kids = out
	b.stack = b.stack[:s.kidBase]
	b.groups = b.groups[:s.grpBase]
	if len(b.dropsIn) > 0 {
		b.closeDrops(s.n)
	}
	if b.marksOK && !s.n.hasVal() && s.n.parent != nil && !ele1(s.n) {
		b.marksOK = false // the walk must find it
	}
}

// groupLen is the number of children of group j of scope s.
func (b *typedBuilder) groupLen(s nodeScope, j int) int {
	g := s.grpBase + j
	end := len(b.stack)
	if g+1 < len(b.groups) {
		end = int(b.groups[g+1].start)
	}
	return end - int(b.groups[g].start)
}

// groupLess is keyLess.
func groupLess(a, b *kgroup) bool {
	if a.order != b.order {
		return a.order < b.order
	}
	return a.key < b.key
}

// primNode adds a primitive of group gr: its text, and its id and
// extensions as children.
func primNode[P primitive](b *typedBuilder, s nodeScope, gr grp, p P) {
	hv := p.hasValue()
	el := *p.elem()
	c := b.child(s, gr)
	jt := ""
	if hv {
		var raw string
		raw, jt = b.primText(p)
		c.raw, c.lazy = raw, true
	}
	t := gr.et
	if t == "" || t == "Element" {
		t = jt
	}
	if t == "" {
		t = "string"
	}
	c.Type = t
	if el == nil || el.empty() {
		if !hv {
			// an array's item with nothing in it: ele-1 fails here,
			// which only the full walk sees
			b.marksOK = false
		}
		return
	}
	b.primKids(c, t, el)
}

// strNode is primNode for a primitive whose value is a Go string (string,
// code, uri, dateTime, ...): what primText gives for it is the text
// itself, typed string.
func (b *typedBuilder) strNode(s nodeScope, gr grp, v string, el *Element) {
	c := b.child(s, gr)
	if v != "" {
		if !validText(v) {
			b.bail = true
		}
		c.raw, c.lazy = v, true
	}
	t := gr.et
	if t == "" || t == "Element" {
		t = "string"
	}
	c.Type = t
	if el == nil || el.empty() {
		if v == "" {
			b.marksOK = false // as in primNode
		}
		return
	}
	b.primKids(c, t, el)
}

// leaf is strNode for the field i of nt (key, not repeating) with the
// value v != "": when s is a scope of nt's own sorted type and the value
// has no id or extensions, as is most often so, the child's name and type
// come straight from the field.
func (b *typedBuilder) leaf(s nodeScope, nt *nodeType, i int, key, v string, el *Element) {
	if s.ti != nt.ti || !nt.sorted || someElem(el) {
		b.strNode(s, b.group(s, nt, i, key), v, el)
		return
	}
	fi := &nt.own[i]
	c := b.nb.node()
	c.Name, c.Type, c.parent = fi.leafName, fi.leafType, s.n
	c.raw, c.lazy = v, true
	if !validText(v) {
		b.bail = true
	}
	b.stack = append(b.stack, c)
}

// emptyPrim lists field i of nt (key), a primitive given with an id and
// extension part that holds nothing and no value (JSON "_gender": {}):
// an element with nothing in it, which the tree leaves out.
func (b *typedBuilder) emptyPrim(s nodeScope, nt *nodeType, i int, key string) {
	fi := b.info(s, nt, i, key)
	b.emptyLeaf(s, &fi, key)
}

// emptyItems lists the n items of field i of nt (key), a repeating
// primitive none of whose items holds anything ("_given": [{}]); when
// one does, the others are in the tree, where ele-1 finds them.
func (b *typedBuilder) emptyItems(s nodeScope, nt *nodeType, i int, key string, n int) {
	fi := b.info(s, nt, i, key)
	for j := 0; j < n; j++ {
		b.emptyLeaf(s, &fi, key)
		b.empties[len(b.empties)-1].index = j
	}
}

// emptyChoice is emptyPrim for choice field i holding a typ value.
func (b *typedBuilder) emptyChoice(s nodeScope, nt *nodeType, i int, typ string) {
	if alt, ok := choiceField(s, nt, i, typ); ok { // not ok: choiceGroup's bail covers it
		b.emptyLeaf(s, &alt.fieldInfo, alt.key)
	}
}

// emptyLeaf lists, as a node outside the tree (its parent knows nothing
// of it), the empty element of key fi under s.
func (b *typedBuilder) emptyLeaf(s nodeScope, fi *fieldInfo, key string) {
	c := b.nb.node()
	c.Name, c.Type, c.parent = fi.name, fi.et, s.n
	if c.Name == "" {
		c.Name = key
	}
	b.empties = append(b.empties, c)
}

// emptyLocations gives the FHIRPath locations of the empty elements the
// last build found (nil when none).
func (b *typedBuilder) emptyLocations() []string {
	if len(b.empties) == 0 {
		return nil
	}
	locs := make([]string, len(b.empties))
	for i, e := range b.empties {
		locs[i] = nodeLocation(e)
	}
	return locs
}

// someElem: a primitive's id and extensions are something (not nil nor
// empty).
func someElem(el *Element) bool { return el != nil && !el.empty() }

// primKids gives the primitive c (of type t) its id and extensions as
// children.
func (b *typedBuilder) primKids(c *Node, t string, el *Element) {
	es := nodeScope{n: c, ti: nodeTypeInfo(t), kidBase: len(b.stack), grpBase: len(b.groups), dropBase: b.dropped}
	if el.ID != "" {
		fi := b.keyInfo(es, "id")
		gr := b.push("id", &fi)
		k := b.child(es, gr)
		k.Type = gr.et
		if k.Type == "" || k.Type == "Element" {
			k.Type = "string"
		}
		b.text(k, el.ID)
	}
	if len(el.Extension) > 0 {
		fi := b.keyInfo(es, "extension")
		gr := b.push("extension", &fi)
		for i := range el.Extension {
			x := b.obj(es, gr)
			el.Extension[i].buildNode(b, x)
			b.end(x)
		}
	}
	if len(el.Unknown) > 0 || len(b.stack) == es.kidBase {
		// encodes to an empty object, which the encoder takes out
		b.bail = true
		b.closeDrops(c)
		return
	}
	b.setKids(es)
}

func (b *typedBuilder) keyInfo(s nodeScope, key string) fieldInfo {
	if s.ti == nil {
		return unknownKey
	}
	return fieldOf(keyLookup(s.ti, key))
}

// primText is the text of p's JSON value and the type build gives a
// value of that JSON kind.
func (b *typedBuilder) primText(p primitive) (string, string) {
	switch x := p.(type) {
	case *Boolean:
		if x.Value {
			return "true", "boolean"
		}
		return "false", "boolean"
	case *Integer:
		return strconv.FormatInt(x.Value, 10), "integer"
	case *PositiveInt:
		return strconv.FormatInt(x.Value, 10), "integer"
	case *UnsignedInt:
		return strconv.FormatInt(x.Value, 10), "integer"
	case *Decimal:
		t, ok := plainNumber(x.Raw)
		if !ok {
			b.bail = true
		}
		return x.Raw, t
	}
	s := primString(p)
	if !validText(s) {
		b.bail = true
	}
	return s, "string"
}

// plainNumber: s is -?digits(.digits)? without a leading zero, and the
// type build gives it ("integer" or "decimal").
func plainNumber(s string) (string, bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || s[start] == '0' && i-start > 1 {
		return "", false
	}
	if i == len(s) {
		return "integer", true
	}
	if s[i] != '.' {
		return "", false
	}
	i++
	frac := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return "decimal", i > frac && i == len(s)
}

func buildPrim[P primitive](b *typedBuilder, s nodeScope, nt *nodeType, i int, key string, p P) {
	if !p.hasValue() {
		if el := *p.elem(); el == nil || el.empty() {
			if el != nil {
				b.emptyPrim(s, nt, i, key)
			}
			return
		}
	}
	primNode(b, s, b.group(s, nt, i, key), p)
}

func buildPrimSlice[T any, P primPtr[T]](b *typedBuilder, s nodeScope, nt *nodeType, i int, key string, xs []T) {
	some := false
	for j := range xs {
		p := P(&xs[j])
		if el := *p.elem(); p.hasValue() || el != nil && !el.empty() {
			some = true
			break
		}
	}
	if !some {
		b.emptyItems(s, nt, i, key, len(xs))
		return
	}
	gr := b.group(s, nt, i, key)
	for j := range xs {
		primNode(b, s, gr, P(&xs[j]))
	}
}

func buildChoicePrim[P primitive](b *typedBuilder, s nodeScope, nt *nodeType, i int, typ string, p P) {
	if !p.hasValue() {
		if el := *p.elem(); el == nil || el.empty() {
			if el != nil {
				b.emptyChoice(s, nt, i, typ)
			}
			return
		}
	}
	if gr, ok := b.choiceGroup(s, nt, i, typ); ok {
		primNode(b, s, gr, p)
	}
}

type nodeBuildable interface {
	buildNode(b *typedBuilder, s nodeScope)
}

// resources adds the resources of field i (contained, entry.resource).
func (b *typedBuilder) resources(s nodeScope, nt *nodeType, i int, key string, rs []Resource) {
	gr, started := grp{}, false
	for _, r := range rs {
		if r == nil {
			continue
		}
		x, ok := r.(nodeBuildable)
		if !ok {
			b.bail = true
			return
		}
		if !started {
			gr, started = b.group(s, nt, i, key), true
		}
		c := b.child(s, gr)
		c.Type = r.ResourceType()
		cs := nodeScope{n: c, ti: typeTable[c.Type], kidBase: len(b.stack), grpBase: len(b.groups), dropBase: b.dropped}
		// a resource the walks check on its own (as contained and
		// entry.resource are; entry.response.outcome is walked as data)
		own := b.inv != nil && (c.Name == "contained" || c.Name == "resource")
		m := len(b.marks)
		if own {
			b.marks = append(b.marks, nodeMark{n: c})
		} else if b.inv != nil {
			b.mark(c)
		}
		x.buildNode(b, cs)
		// a resource is never {}: its resourceType is there
		if len(b.stack) > cs.kidBase {
			b.setKids(cs)
		} else {
			b.groups = b.groups[:cs.grpBase]
			b.closeDrops(c)
		}
		if own {
			b.marks[m].end = len(b.marks)
		}
	}
}

// buildTyped builds r's tree in st's blocks (values lazy, as
// build(src, true)); ok=false when it cannot be built exactly so.
func (st *nodeState) buildTyped(r Resource) (*Node, bool) {
	return st.buildTypedMarked(r, nil)
}

// buildTypedMarked is buildTyped that, with inv set, also lists the
// nodes ValidateProfiles' invariant and extension walks stop at
// (st.tb.marks, valid when st.tb.marksOK).
func (st *nodeState) buildTypedMarked(r Resource, inv *invTables) (*Node, bool) {
	x, ok := r.(nodeBuildable)
	if !ok {
		return nil, false
	}
	nodeTypesOnce.Do(resolveNodeTypes)
	if st.block == nil {
		st.block = make([]Node, 0, 256)
	}
	st.b = nodeBuilder{nodes: st.block[:0], ptrs: st.ptrs[:0], keys: st.b.keys[:0], lazy: true}
	tb := &st.tb
	tb.nb, tb.stack, tb.groups, tb.bail = &st.b, tb.stack[:0], tb.groups[:0], false
	clear(tb.marks)
	clear(tb.empties)
	clear(tb.dropsIn)
	tb.empties, tb.dropped, tb.dropsIn = tb.empties[:0], 0, tb.dropsIn[:0]
	tb.inv, tb.marks, tb.marksOK = inv, tb.marks[:0], inv != nil && inv.ele1Only && !inv.primBase
	n := st.b.node()
	rt := r.ResourceType()
	n.Name, n.Type = rt, rt
	s := nodeScope{n: n, ti: typeTable[rt]}
	x.buildNode(tb, s)
	if tb.bail {
		return nil, false
	}
	if len(tb.stack) > 0 {
		tb.setKids(s)
	}
	b := &st.b
	if b.nNodes > cap(st.block) && b.nNodes <= maxPooledNodes {
		st.block = make([]Node, 0, b.nNodes)
	}
	if b.nPtrs > cap(st.ptrs) && b.nPtrs <= maxPooledNodes {
		st.ptrs = make([]*Node, 0, b.nPtrs)
	}
	return n, true
}

var (
	internOnce  sync.Once
	internNames map[string]string
)

// internName gives the element name s as typeTable holds it, which is the
// string the typed builder names nodes with: a path step compared with
// such a node's name then matches by pointer, without comparing bytes.
// A name typeTable does not have is given back as it is.
func internName(s string) string {
	internOnce.Do(func() {
		internNames = map[string]string{}
		for _, ti := range typeTable {
			for i := range ti.Elems {
				if n := ti.Elems[i].Name; internNames[n] == "" {
					internNames[n] = n
				}
			}
		}
	})
	if n, ok := internNames[s]; ok {
		return n
	}
	return s
}

// primString is the value of a primitive held as a Go string.
func primString(p primitive) string {
	switch x := p.(type) {
	case *Base64Binary:
		return x.Value
	case *Canonical:
		return x.Value
	case *Code:
		return x.Value
	case *Date:
		return x.Value
	case *DateTime:
		return x.Value
	case *ID:
		return x.Value
	case *Instant:
		return x.Value
	case *Markdown:
		return x.Value
	case *OID:
		return x.Value
	case *String:
		return x.Value
	case *Time:
		return x.Value
	case *URI:
		return x.Value
	case *URL:
		return x.Value
	case *UUID:
		return x.Value
	case *XHTML:
		return x.Value
	}
	return ""
}

// validText is utf8.ValidString, sixteen bytes at a time while they are
// ASCII (nearly every FHIR string is).
func validText(s string) bool {
	const highs = 0x8080808080808080
	for ; len(s) >= 16; s = s[16:] {
		if (le64(s)|le64(s[8:]))&highs != 0 {
			return utf8.ValidString(s)
		}
	}
	if len(s) >= 8 {
		if (le64(s)|le64(s[len(s)-8:]))&highs != 0 {
			return utf8.ValidString(s)
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}
