package snomed

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"
)

// The search index side file, <store>.search: a header (the magic, the
// identity of the store it indexes, and one {offset, length} pair of
// little-endian uint64 per section), the sections in searchSections order,
// each a little-endian array starting at a multiple of 8 bytes, and the
// magic again. PrepareSearch maps it and views each section in place, as
// Open does the store.
const searchMagic = "nhskit-search-01"

const (
	ssDescs = iota
	ssNorms
	ssWordOff
	ssWords
	ssPostOff
	ssPosts
	ssFirstOff
	ssFirst
	ssByNorm
	numSearchSections
)

const searchHeaderSize = len(searchMagic) + 24 + numSearchSections*16

// SearchIndexPath is where Import writes a store's search index (and
// PrepareSearch looks for it): storePath + ".search".
func SearchIndexPath(storePath string) string { return storePath + ".search" }

// storeIdentity ties a side file to one store file: its size, modification
// time and a hash of its header (which holds every section's offset and
// length).
func storeIdentity(path string, header []byte) ([3]uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return [3]uint64{}, err
	}
	h := fnv.New64a()
	h.Write(header)
	return [3]uint64{uint64(fi.Size()), uint64(fi.ModTime().UnixNano()), h.Sum64()}, nil
}

var errSearchFile = errors.New("snomed: search index file does not match the store")

// loadSearch maps the side file if it was written for this store.
func (s *Store) loadSearch() error {
	if s.path == "" || s.ident == ([3]uint64{}) {
		return errSearchFile
	}
	f, err := os.Open(SearchIndexPath(s.path))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	b, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return err
	}
	if err := s.decodeSearch(b); err != nil {
		unmap()
		s.search.reset()
		return err
	}
	s.search.unmap = unmap
	return nil
}

func searchView[T any](b []byte, i int) ([]T, error) {
	h := b[len(searchMagic)+24+i*16:]
	off, n := binary.LittleEndian.Uint64(h), binary.LittleEndian.Uint64(h[8:])
	var zero T
	size := uint64(unsafe.Sizeof(zero))
	if off%8 != 0 || off > uint64(len(b)) || n > uint64(len(b))-off || n%size != 0 {
		return nil, errSearchFile
	}
	if n == 0 {
		return nil, nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[off])), n/size), nil
}

// checkOff32 reports whether off is an offsets array into m records:
// never falling, ending at most at m.
func checkOff32(off []uint32, m int) bool {
	if len(off) == 0 || off[0] != 0 || uint64(off[len(off)-1]) > uint64(m) {
		return false
	}
	for i := 1; i < len(off); i++ {
		if off[i-1] > off[i] {
			return false
		}
	}
	return true
}

// decodeSearch views the side file b and checks its header, identity,
// bounds and offsets; handles and posting entries are checked on use.
func (s *Store) decodeSearch(b []byte) error {
	if len(b) < searchHeaderSize+len(searchMagic) || string(b[:len(searchMagic)]) != searchMagic || string(b[len(b)-len(searchMagic):]) != searchMagic {
		return errSearchFile
	}
	if uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
		return errSearchFile // a mapping is page-aligned; a copy made by mapFile is too
	}
	for i := range 3 {
		if binary.LittleEndian.Uint64(b[len(searchMagic)+8*i:]) != s.ident[i] {
			return errSearchFile
		}
	}
	ix := &s.search
	var err error
	pick := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	pick(func() (e error) { ix.descs, e = searchView[handle](b, ssDescs); return })
	pick(func() error { n, e := searchView[byte](b, ssNorms); ix.norms = bytesString(n); return e })
	pick(func() (e error) { ix.wordOff, e = searchView[uint32](b, ssWordOff); return })
	pick(func() error { w, e := searchView[byte](b, ssWords); ix.words = bytesString(w); return e })
	pick(func() (e error) { ix.postOff, e = searchView[uint32](b, ssPostOff); return })
	pick(func() (e error) { ix.posts, e = searchView[int32](b, ssPosts); return })
	pick(func() (e error) { ix.firstOff, e = searchView[uint32](b, ssFirstOff); return })
	pick(func() (e error) { ix.first, e = searchView[int32](b, ssFirst); return })
	pick(func() (e error) { ix.byNorm, e = searchView[int32](b, ssByNorm); return })
	if err != nil {
		return err
	}
	n := len(ix.wordOff)
	if !checkOff32(ix.wordOff, len(ix.words)) || len(ix.postOff) != n || len(ix.firstOff) != n ||
		!checkOff32(ix.postOff, len(ix.posts)) || !checkOff32(ix.firstOff, len(ix.first)) || len(ix.byNorm) != len(ix.descs) {
		return errSearchFile
	}
	return nil
}

// reset drops the index's tables (not its once).
func (ix *searchIndex) reset() {
	ix.descs, ix.norms, ix.wordOff, ix.words, ix.postOff, ix.posts, ix.firstOff, ix.first, ix.byNorm, ix.unmap = nil, "", nil, "", nil, nil, nil, nil, nil, nil
}

// writeSearch writes the in-memory index to path (atomically: a temporary
// file renamed into place).
func (s *Store) writeSearch(path string) (err error) {
	ix := &s.search
	f, err := os.CreateTemp(filepath.Dir(path), tempSearch+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	off := uint64(searchHeaderSize)
	if _, err = w.Write(make([]byte, searchHeaderSize)); err != nil {
		return err
	}
	var secs [numSearchSections][2]uint64
	put := func(i int, b []byte) {
		if err != nil {
			return
		}
		if p := (8 - off%8) % 8; p > 0 {
			_, err = w.Write(make([]byte, p))
			off += p
		}
		secs[i] = [2]uint64{off, uint64(len(b))}
		_, err = w.Write(b)
		off += uint64(len(b))
	}
	put(ssDescs, asBytes(ix.descs))
	put(ssNorms, []byte(ix.norms))
	put(ssWordOff, asBytes(ix.wordOff))
	put(ssWords, []byte(ix.words))
	put(ssPostOff, asBytes(ix.postOff))
	put(ssPosts, asBytes(ix.posts))
	put(ssFirstOff, asBytes(ix.firstOff))
	put(ssFirst, asBytes(ix.first))
	put(ssByNorm, asBytes(ix.byNorm))
	if err != nil {
		return err
	}
	if _, err = w.WriteString(searchMagic); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	hdr := append(make([]byte, 0, searchHeaderSize), searchMagic...)
	for _, v := range s.ident {
		hdr = binary.LittleEndian.AppendUint64(hdr, v)
	}
	for _, sec := range secs {
		hdr = binary.LittleEndian.AppendUint64(hdr, sec[0])
		hdr = binary.LittleEndian.AppendUint64(hdr, sec[1])
	}
	if _, err = f.WriteAt(hdr, 0); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
