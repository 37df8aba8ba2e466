package snomed

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed/rf2"
)

// countLines counts the lines of files, an upper bound on their rows.
func countLines(files []string) (int, error) {
	n := 0
	buf := make([]byte, 1<<20)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return 0, err
		}
		for {
			k, err := fh.Read(buf)
			n += bytes.Count(buf[:k], []byte{'\n'})
			if err == io.EOF {
				break
			}
			if err != nil {
				fh.Close()
				return 0, err
			}
		}
		fh.Close()
	}
	return n + len(files), nil // a last line may lack its newline
}

// relRow is one inferred relationship row, parsed as it is read: a UK
// Monolith holds about ten million, so rows are kept as 48-byte values
// rather than as strings.
type relRow struct {
	id, src, dst, typ ID
	et                int32
	group             int32
	line              int32
	file              int16 // index into the file list
	active            bool
}

// readRelationships reads the inferred rows of the relationship files and
// keeps, per id, the row with the latest effectiveTime. Stated rows are
// dropped as they are read: a row's characteristic type never changes
// under the same id.
func readRelationships(ctx context.Context, files []string, cfg *importConfig) ([]relRow, []string, error) {
	lines, err := countLines(files)
	if err != nil {
		return nil, nil, err
	}
	out := make([]relRow, 0, lines) // sized once: growing by copies would hold two arrays of millions of rows
	names := make([]string, len(files))
	for fi, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, nil, err
		}
		rows, name, err := readRelFile(ctx, fh, filepath.Base(f), int16(fi), out, cfg)
		fh.Close()
		if err != nil {
			return nil, nil, err
		}
		out, names[fi] = rows, name
	}
	// Latest effectiveTime first within an id, then keep the first of each.
	slices.SortFunc(out, func(a, b relRow) int {
		if a.id != b.id {
			return compareID(a.id, b.id)
		}
		return int(b.et - a.et)
	})
	w := 0
	for i := range out {
		if i > 0 && out[i].id == out[w-1].id {
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w], names, nil
}

func readRelFile(ctx context.Context, fh *os.File, name string, fi int16, out []relRow, cfg *importConfig) ([]relRow, string, error) {
	r, err := rf2.NewReader(bufio.NewReaderSize(fh, 1<<20), name)
	if err != nil {
		return nil, "", err
	}
	if err := r.Expect(relColumns...); err != nil {
		return nil, "", err
	}
	// id effectiveTime active moduleId sourceId destinationId relationshipGroup typeId characteristicTypeId modifierId
	inferred := []byte(strconv.FormatUint(uint64(inferredChar), 10))
	n := 0
	for r.Next() {
		n++
		if n%100000 == 0 && ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		// Every row is checked, stated ones too, though only inferred
		// ones are kept.
		row := relRow{file: fi, line: int32(r.Line())}
		v, err := r.SCTID(0, rf2.PartRelationship)
		if err != nil {
			return nil, "", err
		}
		row.id = ID(v)
		for _, c := range [...]int{3, 8, 9} { // moduleId, characteristicTypeId, modifierId
			if _, err := r.SCTID(c, rf2.PartConcept); err != nil {
				return nil, "", err
			}
		}
		if v, err = r.SCTID(4, rf2.PartConcept); err != nil {
			return nil, "", err
		}
		row.src = ID(v)
		if v, err = r.SCTID(5, rf2.PartConcept); err != nil {
			return nil, "", err
		}
		row.dst = ID(v)
		if v, err = r.SCTID(7, rf2.PartConcept); err != nil {
			return nil, "", err
		}
		row.typ = ID(v)
		et, err := r.EffectiveTime(1)
		if err != nil {
			return nil, "", err
		}
		row.et = int32(et)
		if row.active, err = r.Active(2); err != nil {
			return nil, "", err
		}
		g, err := r.Int(6)
		if err != nil {
			return nil, "", err
		}
		row.group = int32(g)
		if !bytes.Equal(r.Field(8), inferred) {
			continue
		}
		out = append(out, row)
	}
	if err := r.Err(); err != nil {
		return nil, "", err
	}
	if cfg.progress != nil {
		cfg.progress(Progress{Phase: "read", File: name, Rows: n})
	}
	return out, name, nil
}

// langRow is one language reference set row, parsed as it is read.
type langRow struct {
	key                 [16]byte // the member's UUID
	refset, desc, accID ID
	et                  int32
	active              bool
}

// memberKey turns a reference set member id (a UUID, checked by the
// reader) into its 16 bytes without allocating; anything else is hashed.
func memberKey(s []byte) [16]byte {
	var k [16]byte
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		bad := byte(0)
		j := 0
		for i := 0; i < 36; i += 2 {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				i--
				continue
			}
			hi, lo := unhex[s[i]], unhex[s[i+1]]
			bad |= hi | lo
			k[j] = hi<<4 | lo&0xf
			j++
		}
		if bad&0xf0 == 0 {
			return k
		}
	}
	sum := sha256.Sum256(s)
	copy(k[:], sum[:16])
	return k
}

// unhex maps a hexadecimal digit to its value and anything else to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// readLanguage reads the language reference set files, keeping per member
// the row with the latest effectiveTime.
func readLanguage(ctx context.Context, files []string, cfg *importConfig) ([]langRow, error) {
	lines, err := countLines(files)
	if err != nil {
		return nil, err
	}
	out := make([]langRow, 0, lines) // sized once: growing by copies would hold two arrays of millions of rows
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		out, err = readLangFile(ctx, fh, filepath.Base(f), out, cfg)
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b langRow) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return int(b.et - a.et)
	})
	w := 0
	for i := range out {
		if i > 0 && out[i].key == out[w-1].key {
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w], nil
}

func readLangFile(ctx context.Context, fh *os.File, name string, out []langRow, cfg *importConfig) ([]langRow, error) {
	r, err := rf2.NewReader(bufio.NewReaderSize(fh, 1<<20), name)
	if err != nil {
		return nil, err
	}
	if err := r.Expect(langColumns...); err != nil {
		return nil, err
	}
	// id effectiveTime active moduleId refsetId referencedComponentId acceptabilityId
	idx := []int{0, 1, 2, 4, 5, 6}
	n := 0
	for r.Next() {
		n++
		if n%100000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := rf2.CheckUUIDBytes(r.Field(0)); err != nil {
			return nil, r.Errorf("id", err)
		}
		if _, err := r.SCTID(3, rf2.PartConcept); err != nil {
			return nil, err
		}
		row := langRow{key: memberKey(r.Field(idx[0]))}
		et, err := r.EffectiveTime(idx[1])
		if err != nil {
			return nil, err
		}
		row.et = int32(et)
		if row.active, err = r.Active(idx[2]); err != nil {
			return nil, err
		}
		v, err := r.SCTID(idx[3], rf2.PartConcept)
		if err != nil {
			return nil, err
		}
		row.refset = ID(v)
		if v, err = r.SCTID(idx[4], rf2.PartDescription); err != nil {
			return nil, err
		}
		row.desc = ID(v)
		if v, err = r.SCTID(idx[5], rf2.PartConcept); err != nil {
			return nil, err
		}
		row.accID = ID(v)
		out = append(out, row)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if cfg.progress != nil {
		cfg.progress(Progress{Phase: "read", File: name, Rows: n})
	}
	return out, nil
}

// descRow is one description (or text definition) row, parsed as it is
// read, its term and language code written to the store's string table
// at once: a UK Monolith's terms then never sit in memory. (A row that a
// later one for the same id replaces leaves its term unused in the file.)
type descRow struct {
	id, concept, typ, cs ID
	term, lang           strRef
	et                   int32
	line                 int32
	ord                  int32  // the concept's ordinal, set after reading
	accOff               uint32 // acceptability: Accs[accOff:accOff+accLen]
	accLen               uint16
	file                 int16
	active               bool
}

// readDescriptions reads description and text definition files, keeping
// per id the row with the latest effectiveTime.
func readDescriptions(ctx context.Context, files []string, st *strTab, cfg *importConfig) ([]descRow, []string, error) {
	lines, err := countLines(files)
	if err != nil {
		return nil, nil, err
	}
	out := make([]descRow, 0, lines) // sized once: growing by copies would hold two arrays of millions of rows
	names := make([]string, len(files))
	for fi, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, nil, err
		}
		names[fi] = filepath.Base(f)
		out, err = readDescFile(ctx, fh, names[fi], int16(fi), out, st, cfg)
		fh.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	slices.SortFunc(out, func(a, b descRow) int {
		if a.id != b.id {
			return compareID(a.id, b.id)
		}
		return int(b.et - a.et)
	})
	w := 0
	for i := range out {
		if i > 0 && out[i].id == out[w-1].id {
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w], names, nil
}

func readDescFile(ctx context.Context, fh *os.File, name string, fi int16, out []descRow, st *strTab, cfg *importConfig) ([]descRow, error) {
	r, err := rf2.NewReader(bufio.NewReaderSize(fh, 1<<20), name)
	if err != nil {
		return nil, err
	}
	if err := r.Expect(descColumns...); err != nil {
		return nil, err
	}
	// id effectiveTime active conceptId languageCode typeId term caseSignificanceId
	idx := []int{0, 1, 2, 4, 5, 6, 7, 8}
	n := 0
	for r.Next() {
		n++
		if n%100000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		id, err := r.SCTID(idx[0], rf2.PartDescription)
		if err != nil {
			return nil, err
		}
		if _, err := r.SCTID(3, rf2.PartConcept); err != nil {
			return nil, err
		}
		row := descRow{id: ID(id), file: fi, line: int32(r.Line())}
		et, err := r.EffectiveTime(idx[1])
		if err != nil {
			return nil, err
		}
		row.et = int32(et)
		if row.active, err = r.Active(idx[2]); err != nil {
			return nil, err
		}
		v, err := r.SCTID(idx[3], rf2.PartConcept)
		if err != nil {
			return nil, err
		}
		row.concept = ID(v)
		if v, err = r.SCTID(idx[5], rf2.PartConcept); err != nil {
			return nil, err
		}
		row.typ = ID(v)
		if v, err = r.SCTID(idx[7], rf2.PartConcept); err != nil {
			return nil, err
		}
		row.cs = ID(v)
		row.lang = st.addBytes(r.Field(idx[4]))
		row.term = st.addTermBytes(r.Field(idx[6]))
		out = append(out, row)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if cfg.progress != nil {
		cfg.progress(Progress{Phase: "read", File: name, Rows: n})
	}
	return out, nil
}

// refRow is one row of any other reference set, parsed as it is read: the
// six common columns as values, the pattern's own columns kept as the
// rest of the line.
type refRow struct {
	key          [16]byte
	refset, comp ID
	module       ID
	rest         string // the columns after referencedComponentId, tab-separated
	et           int32
	line         int32
	file         int16
	active       bool
}

// refFile is a reference set file's name and header.
type refFile struct {
	name string
	cols []string // the pattern's own columns, after referencedComponentId
}

// readRefsets reads reference set files of any pattern, keeping per member
// the row with the latest effectiveTime.
func readRefsets(ctx context.Context, files []string, cfg *importConfig) ([]refRow, []refFile, error) {
	var out []refRow
	meta := make([]refFile, len(files))
	for fi, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, nil, err
		}
		out, meta[fi], err = readRefFile(ctx, fh, filepath.Base(f), int16(fi), out, cfg)
		fh.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	slices.SortFunc(out, func(a, b refRow) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return int(b.et - a.et)
	})
	w := 0
	for i := range out {
		if i > 0 && out[i].key == out[w-1].key {
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w], meta, nil
}

var refCommon = []string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId"}

// The columns of each RF2 file kind, in order (the RF2 specification's
// release file formats): a file whose header differs is refused.
var (
	conceptColumns  = []string{"id", "effectiveTime", "active", "moduleId", "definitionStatusId"}
	descColumns     = []string{"id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term", "caseSignificanceId"}
	relColumns      = []string{"id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"}
	concreteColumns = []string{"id", "effectiveTime", "active", "moduleId", "sourceId", "value", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"}
	langColumns     = []string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId", "acceptabilityId"}
)

func readRefFile(ctx context.Context, fh *os.File, name string, fi int16, out []refRow, cfg *importConfig) ([]refRow, refFile, error) {
	meta := refFile{name: name}
	r, err := rf2.NewReader(bufio.NewReaderSize(fh, 1<<20), name)
	if err != nil {
		return nil, meta, err
	}
	if len(r.Columns) < len(refCommon) {
		return nil, meta, &rf2.ParseError{File: name, Line: 1, Err: rf2.ErrHeader}
	}
	for i, c := range refCommon {
		if r.Columns[i] != c {
			return nil, meta, &rf2.ParseError{File: name, Line: 1, Column: c, Err: rf2.ErrHeader}
		}
	}
	meta.cols = r.Columns[len(refCommon):]
	var idCols []int
	for i, c := range meta.cols {
		if strings.HasSuffix(c, "Id") {
			idCols = append(idCols, len(refCommon)+i)
		}
	}
	n := 0
	for r.Next() {
		n++
		if n%100000 == 0 && ctx.Err() != nil {
			return nil, meta, ctx.Err()
		}
		if err := rf2.CheckUUIDBytes(r.Field(0)); err != nil {
			return nil, meta, r.Errorf("id", err)
		}
		module, err := r.SCTID(3, rf2.PartConcept)
		if err != nil {
			return nil, meta, err
		}
		// Every other id column of the pattern holds an SCTID (or
		// nothing).
		for _, i := range idCols {
			if len(r.Field(i)) != 0 {
				if _, err := r.SCTID(i, 0); err != nil {
					return nil, meta, err
				}
			}
		}
		row := refRow{key: memberKey(r.Field(0)), module: ID(module), file: fi, line: int32(r.Line())}
		et, err := r.EffectiveTime(1)
		if err != nil {
			return nil, meta, err
		}
		row.et = int32(et)
		if row.active, err = r.Active(2); err != nil {
			return nil, meta, err
		}
		v, err := r.SCTID(4, rf2.PartConcept)
		if err != nil {
			return nil, meta, err
		}
		row.refset = ID(v)
		if v, err = r.SCTID(5, 0); err != nil {
			return nil, meta, err
		}
		row.comp = ID(v)
		if len(r.Columns) > len(refCommon) {
			// The pattern's own columns, as written (one string that the
			// row keeps).
			line := r.Bytes()
			for range len(refCommon) {
				line = line[bytes.IndexByte(line, '\t')+1:]
			}
			row.rest = string(line)
		}
		out = append(out, row)
	}
	if err := r.Err(); err != nil {
		return nil, meta, err
	}
	if cfg.progress != nil {
		cfg.progress(Progress{Phase: "read", File: name, Rows: n})
	}
	return out, meta, nil
}
