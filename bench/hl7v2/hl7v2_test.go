// Package hl7v2 benchmarks nhskit/hl7v2 against the Go peers
// github.com/google/simhospital/pkg/hl7 and github.com/kardianos/hl7 (which
// decodes into generated v2.4 structs) on a realistic NHS ADT^A01
// (testdata/adt_a01.hl7, 781 bytes): parse, then read the same ten fields.
package hl7v2

import (
	"bytes"
	"os"
	"testing"
	"time"

	sim "github.com/google/simhospital/pkg/hl7"
	kar "github.com/kardianos/hl7"
	"github.com/kardianos/hl7/h240"

	"github.com/nhskit/nhskit/hl7v2"
)

var (
	sink      string
	sinkBytes []byte
)

func load(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/adt_a01.hl7")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

var tenPaths = []string{"MSH-9.1", "MSH-9.2", "MSH-10", "PID-3.1", "PID-5.1", "PID-5.2", "PID-7", "PID-8", "PV1-2", "PV1-3.1"}

func BenchmarkParseRead10_nhskit(b *testing.B) {
	data := load(b)
	paths := make([]hl7v2.Path, len(tenPaths))
	for i, p := range tenPaths {
		paths[i], _ = hl7v2.ParsePath(p)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := hl7v2.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			sink = m.GetPath(p)
		}
	}
}

func BenchmarkParseRead10StringPaths_nhskit(b *testing.B) {
	data := load(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := hl7v2.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range tenPaths {
			sink = m.Get(p)
		}
	}
}

func str[T ~string](v *T) string {
	if v == nil {
		return ""
	}
	return string(*v)
}

func BenchmarkParseRead10_simhospital(b *testing.B) {
	data := load(b)
	opts := sim.NewParseMessageOptions()
	opts.TimezoneLoc = time.UTC
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := sim.ParseMessageWithOptions(data, opts)
		if err != nil {
			b.Fatal(err)
		}
		msh, err := m.MSH()
		if err != nil {
			b.Fatal(err)
		}
		pid, err := m.PID()
		if err != nil {
			b.Fatal(err)
		}
		pv1, err := m.PV1()
		if err != nil {
			b.Fatal(err)
		}
		sink = str(msh.MessageType.MessageCode)
		sink = str(msh.MessageType.TriggerEvent)
		sink = str(msh.MessageControlID)
		sink = str(pid.PatientIdentifierList[0].IDNumber)
		sink = str(pid.PatientName[0].FamilyName.Surname)
		sink = str(pid.PatientName[0].GivenName)
		sink = pid.DateTimeOfBirth.Time.String()
		sink = str(pid.AdministrativeSex)
		sink = str(pv1.PatientClass)
		sink = str(pv1.AssignedPatientLocation.PointOfCare)
	}
}

func BenchmarkParseRead10_kardianos(b *testing.B) {
	data := load(b)
	d := kar.NewDecoder(h240.Registry, nil)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := d.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		m, ok := v.(h240.ADT_A01)
		if !ok {
			b.Fatalf("decoded %T", v)
		}
		sink = m.MSH.MessageType.MessageType
		sink = m.MSH.MessageType.TriggerEvent
		sink = m.MSH.MessageControlID
		sink = m.PID.PatientIdentifierList[0].ID
		sink = m.PID.PatientName[0].FamilyName
		sink = m.PID.PatientName[0].GivenName
		sink = m.PID.DateTimeOfBirth.String()
		sink = m.PID.AdministrativeSex
		sink = m.PV1.PatientClass
		sink = m.PV1.AssignedPatientLocation.PointOfCare
	}
}

// BenchmarkParseOnly_kardianos splits the message into typed segments
// without grouping them into the trigger structure.
func BenchmarkParseOnly_kardianos(b *testing.B) {
	data := load(b)
	d := kar.NewDecoder(h240.Registry, nil)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		list, err := d.DecodeList(data)
		if err != nil {
			b.Fatal(err)
		}
		if len(list) == 0 {
			b.Fatal("no segments")
		}
	}
}

func BenchmarkEncodeUnchanged_nhskit(b *testing.B) {
	data := load(b)
	m, err := hl7v2.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = m.Encode()
	}
}

func BenchmarkMemcopy_baseline(b *testing.B) {
	data := load(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c := bytes.Clone(data)
		sink = string(c[:1])
	}
}

func BenchmarkParseOnly_nhskit(b *testing.B) {
	data := load(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := hl7v2.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		sink = m.Raw()[:1]
	}
}

func BenchmarkParseOnly_simhospital(b *testing.B) {
	data := load(b)
	opts := sim.NewParseMessageOptions()
	opts.TimezoneLoc = time.UTC
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := sim.ParseMessageWithOptions(data, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(m.Segments) == 0 {
			b.Fatal("no segments")
		}
	}
}

// BenchmarkReaderStream_nhskit streams 100 MB of ADT^A01 messages (the
// issue's file size) through the batch reader, parsing each and reading its
// control id.
func BenchmarkReaderStream_nhskit(b *testing.B) {
	one := load(b)
	var buf bytes.Buffer
	for buf.Len() < 100_000_000 {
		buf.Write(one)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := hl7v2.NewReader(bytes.NewReader(data))
		n := 0
		for r.Next() {
			sink = r.Message().Get("MSH-10")
			n++
		}
		if r.Err() != nil || n == 0 {
			b.Fatal(r.Err())
		}
	}
}
