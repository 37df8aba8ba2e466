package snomed

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nhskit/nhskit/snomed/rf2"
)

// relFile returns the bytes of a synthetic release's relationship file
// and its row count (the shared release's, generated once).
func relFile(b *testing.B) ([]byte, int) {
	b.Helper()
	_, _, dir := setup(b)
	paths, _ := filepath.Glob(filepath.Join(dir, "Snapshot", "Terminology", "sct2_Relationship_Snapshot_*"))
	if len(paths) != 1 {
		b.Fatalf("relationship file: %v", paths)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	return data, bytes.Count(data, []byte{'\n'}) - 1
}

// BenchmarkRF2Rows reads a relationship file and checks every row, per
// row: snomed/rf2 (every id's check digit and partition, the date, flag
// and group, without allocating) beside encoding/csv with ReuseRecord
// and strconv (ids parsed as integers, no check digit: less work than
// rf2 does).
func BenchmarkRF2Rows(b *testing.B) {
	data, rows := relFile(b)
	b.Run("rf2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := rf2.NewReader(bytes.NewReader(data), "rel.txt")
			if err != nil {
				b.Fatal(err)
			}
			for r.Next() {
				if _, err := r.SCTID(0, rf2.PartRelationship); err != nil {
					b.Fatal(err)
				}
				for _, c := range [...]int{3, 4, 5, 7, 8, 9} {
					if _, err := r.SCTID(c, rf2.PartConcept); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.EffectiveTime(1); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Active(2); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Int(6); err != nil {
					b.Fatal(err)
				}
			}
			if err := r.Err(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.Comma, r.LazyQuotes, r.ReuseRecord = '\t', true, true
			if _, err := r.Read(); err != nil { // header
				b.Fatal(err)
			}
			for {
				f, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range [...]int{0, 3, 4, 5, 7, 8, 9} {
					if _, err := strconv.ParseUint(f[c], 10, 64); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := strconv.Atoi(f[1]); err != nil || len(f[1]) != 8 {
					b.Fatal("effectiveTime", err)
				}
				if f[2] != "0" && f[2] != "1" {
					b.Fatal("active")
				}
				if _, err := strconv.Atoi(f[6]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
	})
}
