package snomed

import (
	"os"
	"testing"
	"unsafe"
)

// FuzzSearchIndex: whatever a search index side file holds after its
// magic and store identity, decodeSearch refuses it or the searches over
// it do not panic. The file is given to decodeSearch as the mapping would
// (8-byte aligned), without the disk.
func FuzzSearchIndex(f *testing.F) {
	b := tinyStore(f)
	s := &Store{}
	if err := decode(b, s); err != nil {
		f.Fatal(err)
	}
	s.search.once.Do(s.buildSearch)
	s.ident = [3]uint64{1, 2, 3}
	dir := f.TempDir()
	if err := s.writeSearch(dir + "/s.search"); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(dir + "/s.search")
	if err != nil {
		f.Fatal(err)
	}
	const identEnd = len(searchMagic) + 24
	f.Add(good[identEnd:])
	f.Add(good[identEnd : len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, rest []byte) {
		n := identEnd + len(rest)
		words := make([]uint64, (n+7)/8)
		buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), n)
		copy(buf, good[:identEnd])
		copy(buf[identEnd:], rest)
		s.search.reset()
		if s.decodeSearch(buf) != nil {
			return
		}
		for _, q := range []string{"a", "ab c", "e", "zzz", "1"} {
			s.Search(q, SearchOptions{Limit: 5})
			s.Search(q, SearchOptions{Limit: 5, Locale: "en-US", IncludeInactive: true, ExcludeFSN: true})
			s.SearchCount(q, SearchOptions{IncludeInactive: true})
		}
	})
}
