package rf2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors wrapped by *ParseError.
var (
	ErrColumns   = errors.New("row has the wrong number of columns")
	ErrHeader    = errors.New("missing or unexpected header")
	ErrSCTID     = errors.New("invalid SCTID")
	ErrActive    = errors.New("active is not 0 or 1")
	ErrTime      = errors.New("effectiveTime is not YYYYMMDD")
	ErrTooLong   = errors.New("line too long")
	ErrPartition = errors.New("SCTID partition does not match the component")
	ErrInteger   = errors.New("not an integer")
	ErrUUID      = errors.New("member id is not a UUID")
	ErrUTF8      = errors.New("invalid UTF-8")
)

// ParseError is a bad row: file, 1-based line and column name.
type ParseError struct {
	File   string
	Line   int
	Column string
	Err    error
}

func (e *ParseError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("rf2: %s:%d: column %s: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("rf2: %s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Reader streams the rows of one RF2 file. It reuses its buffers: the
// fields of a row (Field, Bytes, Row) are valid only until the next call
// to Next, so a caller that keeps one copies it (strings from Row are
// immutable, but the slice holding them is reused).
type Reader struct {
	File    string
	Columns []string // from the header row
	sc      *bufio.Scanner
	line    int
	text    []byte   // the current row, without its line end
	fields  [][]byte // the current row's fields, sub-slices of text
	row     []string // Row's strings of the current row, built on demand
	rowOK   bool
	last    []lastID // per column, the last id checked good
	err     error
	index   map[string]int
}

// lastID is a column's last good SCTID as written, and what it parsed to.
type lastID struct {
	b  [18]byte
	n  uint8
	p  Partition
	id uint64
}

// NewReader reads the header row of r. file names it in errors.
func NewReader(r io.Reader, file string) (*Reader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	rd := &Reader{File: file, sc: sc, index: map[string]int{}}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, &ParseError{File: file, Line: 1, Err: err}
		}
		return nil, &ParseError{File: file, Line: 1, Err: ErrHeader}
	}
	rd.line = 1
	h := strings.TrimSuffix(strings.TrimPrefix(sc.Text(), "\ufeff"), "\r")
	rd.Columns = strings.Split(h, "\t")
	if rd.Columns[0] != "id" {
		return nil, &ParseError{File: file, Line: 1, Err: ErrHeader}
	}
	for i, c := range rd.Columns {
		rd.index[c] = i
	}
	rd.fields = make([][]byte, 0, len(rd.Columns))
	return rd, nil
}

// Col returns the index of a column, or -1.
func (r *Reader) Col(name string) int {
	if i, ok := r.index[name]; ok {
		return i
	}
	return -1
}

// Next reads the next row; false at the end or on an error (see Err).
// Blank lines are skipped. It allocates nothing per row: the row's bytes
// stay in the reader's buffer until the next call.
func (r *Reader) Next() bool {
	r.rowOK = false
	for r.err == nil && r.sc.Scan() {
		r.line++
		text := r.sc.Bytes()
		if n := len(text); n > 0 && text[n-1] == '\r' {
			text = text[:n-1]
		}
		if len(text) == 0 {
			continue
		}
		r.text = text
		r.fields = r.fields[:0]
		for {
			i := bytes.IndexByte(text, '\t')
			if i < 0 {
				r.fields = append(r.fields, text)
				break
			}
			r.fields = append(r.fields, text[:i])
			text = text[i+1:]
		}
		if len(r.fields) != len(r.Columns) {
			r.err = &ParseError{File: r.File, Line: r.line, Err: fmt.Errorf("%w: %d, want %d", ErrColumns, len(r.fields), len(r.Columns))}
			return false
		}
		if !utf8.Valid(r.text) {
			r.err = r.utf8Error()
			return false
		}
		return true
	}
	if r.err == nil {
		if err := r.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = ErrTooLong
			}
			r.err = &ParseError{File: r.File, Line: r.line + 1, Err: err}
		}
	}
	return false
}

// utf8Error names the column and byte offset (within the field) of the
// current row's first invalid UTF-8 sequence.
func (r *Reader) utf8Error() error {
	for i, f := range r.fields {
		for off := 0; off < len(f); {
			c, size := utf8.DecodeRune(f[off:])
			if c == utf8.RuneError && size <= 1 {
				return &ParseError{File: r.File, Line: r.line, Column: r.Columns[i], Err: fmt.Errorf("%w at byte %d of the field", ErrUTF8, off)}
			}
			off += size
		}
	}
	return &ParseError{File: r.File, Line: r.line, Err: ErrUTF8}
}

// Expect checks the header row against a file kind's columns, in order:
// a renamed, missing, extra or swapped column is an error naming the
// first column that differs.
func (r *Reader) Expect(cols ...string) error {
	for i, want := range cols {
		if i >= len(r.Columns) {
			return &ParseError{File: r.File, Line: 1, Column: want, Err: fmt.Errorf("%w: column %d %s is missing", ErrHeader, i+1, want)}
		}
		if r.Columns[i] != want {
			return &ParseError{File: r.File, Line: 1, Column: want, Err: fmt.Errorf("%w: column %d is %q, want %q", ErrHeader, i+1, r.Columns[i], want)}
		}
	}
	if len(r.Columns) > len(cols) {
		return &ParseError{File: r.File, Line: 1, Column: r.Columns[len(cols)], Err: fmt.Errorf("%w: unexpected column %d %q", ErrHeader, len(cols)+1, r.Columns[len(cols)])}
	}
	return nil
}

// CheckUUID checks a reference set member id: a UUID written as 8-4-4-4-12
// hexadecimal digits.
func CheckUUID(s string) error { return checkUUID(s) }

// CheckUUIDBytes is CheckUUID of bytes.
func CheckUUIDBytes(b []byte) error { return checkUUID(b) }

func checkUUID[T string | []byte](s T) error {
	if len(s) != 36 {
		return ErrUUID
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return ErrUUID
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return ErrUUID
			}
		}
	}
	return nil
}

// CheckSCTID parses an SCTID and checks its partition: want 0 accepts
// any component.
func CheckSCTID(s string, want Partition) (uint64, error) {
	id, p, err := parseSCTID(s)
	if err != nil {
		return 0, err
	}
	if want != 0 && p != want {
		return 0, fmt.Errorf("%w: %s is not a %s id", ErrPartition, s, want)
	}
	return id, nil
}

func (p Partition) String() string {
	switch p {
	case PartConcept:
		return "concept"
	case PartDescription:
		return "description"
	case PartRelationship:
		return "relationship"
	}
	return "component"
}

// SCTID checks field i of the current row as an SCTID of partition want
// (0 for any component).
//
// Columns such as moduleId and typeId repeat a few values down a file,
// so the last good id of each column is kept and a field equal to it is
// not checked again.
func (r *Reader) SCTID(i int, want Partition) (uint64, error) {
	f := r.fields[i]
	if r.last == nil {
		r.last = make([]lastID, len(r.Columns))
	}
	l := &r.last[i]
	if l.n != 0 && int(l.n) == len(f) && string(l.b[:l.n]) == string(f) && (want == 0 || want == l.p) {
		return l.id, nil
	}
	id, p, err := parseSCTID(f)
	if err == nil {
		l.n = uint8(copy(l.b[:], f))
		l.id, l.p = id, p
	}
	if err == nil && want != 0 && p != want {
		err = fmt.Errorf("%w: %s is not a %s id", ErrPartition, r.fields[i], want)
	}
	if err != nil {
		return 0, &ParseError{File: r.File, Line: r.line, Column: r.Columns[i], Err: err}
	}
	return id, nil
}

// Field returns field i of the current row as bytes, valid until the next
// call to Next: a caller that keeps it copies it.
func (r *Reader) Field(i int) []byte { return r.fields[i] }

// Bytes returns the current row without its line end, valid until the
// next call to Next.
func (r *Reader) Bytes() []byte { return r.text }

// Row returns the current row's fields as strings. The strings are the
// caller's to keep; the slice is reused by the next row's Row, so keep a
// copy of it (slices.Clone) rather than the slice itself. It allocates
// once per row; Field does not allocate.
func (r *Reader) Row() []string {
	if r.text == nil {
		return nil // before the first row
	}
	if !r.rowOK {
		s := string(r.text)
		r.row = r.row[:0]
		for {
			i := strings.IndexByte(s, '\t')
			if i < 0 {
				r.row = append(r.row, s)
				break
			}
			r.row = append(r.row, s[:i])
			s = s[i+1:]
		}
		r.rowOK = true
	}
	return r.row
}

// Line is the current row's line number.
func (r *Reader) Line() int { return r.line }

// Err returns the first error.
func (r *Reader) Err() error { return r.err }

// Errorf makes a ParseError at the current row.
func (r *Reader) Errorf(column string, err error) error {
	return &ParseError{File: r.File, Line: r.line, Column: column, Err: err}
}

// Active reads field i of the current row as RF2's active flag: "1" or
// "0", anything else an ErrActive error naming the column.
func (r *Reader) Active(i int) (bool, error) {
	if f := r.fields[i]; len(f) == 1 {
		switch f[0] {
		case '1':
			return true, nil
		case '0':
			return false, nil
		}
	}
	return false, r.Errorf(r.Columns[i], ErrActive)
}

// EffectiveTime reads field i of the current row as an effectiveTime,
// YYYYMMDD, returned as the integer it spells; anything else is an
// ErrTime error naming the column.
func (r *Reader) EffectiveTime(i int) (int, error) {
	f := r.fields[i]
	if len(f) != 8 {
		return 0, r.Errorf(r.Columns[i], ErrTime)
	}
	v := 0
	for _, c := range f {
		if c < '0' || c > '9' {
			return 0, r.Errorf(r.Columns[i], ErrTime)
		}
		v = v*10 + int(c-'0')
	}
	return v, nil
}

// Int reads field i of the current row as a non-negative decimal integer
// of at most nine digits; anything else is an ErrInteger error naming the
// column.
func (r *Reader) Int(i int) (int, error) {
	f := r.fields[i]
	if len(f) == 0 || len(f) > 9 {
		return 0, r.Errorf(r.Columns[i], ErrInteger)
	}
	v := 0
	for _, c := range f {
		if c < '0' || c > '9' {
			return 0, r.Errorf(r.Columns[i], ErrInteger)
		}
		v = v*10 + int(c-'0')
	}
	return v, nil
}

// Verhoeff tables.
var (
	vd = [10][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	vp = [8][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
	vinv = [10]uint8{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

// VerhoeffCheck returns the Verhoeff check digit for the digits s.
func VerhoeffCheck(s string) byte {
	c := uint8(0)
	for i := 0; i < len(s); i++ {
		d := s[len(s)-1-i] - '0'
		c = vd[c][vp[(i+1)%8][d]]
	}
	return '0' + vinv[c]
}

// Partition is the kind of component an SCTID names.
type Partition uint8

// Partitions.
const (
	PartConcept Partition = iota + 1
	PartDescription
	PartRelationship
)

// ParseSCTID checks s: 6–18 digits, no leading zero, a valid Verhoeff
// check digit and a known partition; it returns the id and its partition.
func ParseSCTID(s string) (uint64, Partition, error) { return parseSCTID(s) }

// ParseSCTIDBytes is ParseSCTID of bytes; it allocates nothing unless it
// fails.
func ParseSCTIDBytes(b []byte) (uint64, Partition, error) { return parseSCTID(b) }

// vt fuses the two Verhoeff tables: vt[i%8][c][d] is vd[c][vp[i%8][d]],
// one look-up per digit.
var vt = func() (t [8][10][10]uint8) {
	for i := range t {
		for c := range t[i] {
			for d := range t[i][c] {
				t[i][c][d] = vd[c][vp[i][d]]
			}
		}
	}
	return t
}()

// parseSCTID reads the digits, the Verhoeff check (which runs from the
// check digit leftwards: the check digit has position 0 and checks out
// when the product is 0) and the partition in one pass from the right;
// 18 digits never overflow a uint64.
func parseSCTID[T string | []byte](s T) (uint64, Partition, error) {
	n := len(s)
	if n < 6 || n > 18 || s[0] == '0' {
		return 0, 0, fmt.Errorf("%w: length %d", ErrSCTID, n)
	}
	var id uint64
	pow := uint64(1)
	c := uint8(0)
	for i := 0; i < n; i++ {
		d := s[n-1-i] - '0'
		if d > 9 {
			return 0, 0, fmt.Errorf("%w: not digits", ErrSCTID)
		}
		c = vt[i&7][c][d]
		id += uint64(d) * pow
		pow *= 10
	}
	if c != 0 {
		return 0, 0, fmt.Errorf("%w: check digit", ErrSCTID)
	}
	var p Partition
	switch d1, d2 := s[n-3], s[n-2]; {
	case d2 == '0' && (d1 == '0' || d1 == '1'):
		p = PartConcept
	case d2 == '1' && (d1 == '0' || d1 == '1'):
		p = PartDescription
	case d2 == '2' && (d1 == '0' || d1 == '1'):
		p = PartRelationship
	default:
		return 0, 0, fmt.Errorf("%w: unknown partition %c%c", ErrSCTID, d1, d2)
	}
	return id, p, nil
}

// MakeSCTID appends the partition (two digits) and check digit to an item
// number in the short (core) format.
func MakeSCTID(item uint64, p Partition) uint64 {
	s := strconv.FormatUint(item, 10) + []string{"", "00", "01", "02"}[p]
	s += string(VerhoeffCheck(s))
	id, _ := strconv.ParseUint(s, 10, 64)
	return id
}
