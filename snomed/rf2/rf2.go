package rf2

import (
	"bufio"
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

// Reader streams the rows of one RF2 file.
type Reader struct {
	File    string
	Columns []string // from the header row
	sc      *bufio.Scanner
	line    int
	row     []string
	err     error
	index   map[string]int
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
// Blank lines are skipped.
func (r *Reader) Next() bool {
	for r.err == nil && r.sc.Scan() {
		r.line++
		text := strings.TrimSuffix(r.sc.Text(), "\r")
		if text == "" {
			continue
		}
		r.row = strings.Split(text, "\t")
		if len(r.row) != len(r.Columns) {
			r.err = &ParseError{File: r.File, Line: r.line, Err: fmt.Errorf("%w: %d, want %d", ErrColumns, len(r.row), len(r.Columns))}
			return false
		}
		if !utf8.ValidString(text) {
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
	for i, f := range r.row {
		for off := 0; off < len(f); {
			c, size := utf8.DecodeRuneInString(f[off:])
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
func CheckUUID(s string) error {
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
	id, p, err := ParseSCTID(s)
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
func (r *Reader) SCTID(i int, want Partition) (uint64, error) {
	id, err := CheckSCTID(r.row[i], want)
	if err != nil {
		return 0, &ParseError{File: r.File, Line: r.line, Column: r.Columns[i], Err: err}
	}
	return id, nil
}

// Row returns the current row's fields (valid until the next Next).
func (r *Reader) Row() []string { return r.row }

// Line is the current row's line number.
func (r *Reader) Line() int { return r.line }

// Err returns the first error.
func (r *Reader) Err() error { return r.err }

// Errorf makes a ParseError at the current row.
func (r *Reader) Errorf(column string, err error) error {
	return &ParseError{File: r.File, Line: r.line, Column: column, Err: err}
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
func ParseSCTID(s string) (uint64, Partition, error) {
	if len(s) < 6 || len(s) > 18 || s[0] == '0' {
		return 0, 0, fmt.Errorf("%w: length %d", ErrSCTID, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, fmt.Errorf("%w: not digits", ErrSCTID)
		}
	}
	if VerhoeffCheck(s[:len(s)-1]) != s[len(s)-1] {
		return 0, 0, fmt.Errorf("%w: check digit", ErrSCTID)
	}
	var p Partition
	switch s[len(s)-3 : len(s)-1] {
	case "00", "10":
		p = PartConcept
	case "01", "11":
		p = PartDescription
	case "02", "12":
		p = PartRelationship
	default:
		return 0, 0, fmt.Errorf("%w: unknown partition %s", ErrSCTID, s[len(s)-3:len(s)-1])
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrSCTID, err)
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
