package hl7v2

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/tofhir"
)

// Linear-time checks: each benchmark runs the same work at two or three
// sizes, so ns/op should grow in proportion to the size (compare the
// ns/MB column across sizes). Ratios are the figure, not times.

// chunks reads data 512 bytes at a time, as a slow socket or pipe does.
type chunks struct {
	data []byte
	off  int
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.off >= len(c.data) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 512)], c.data[c.off:])
	c.off += n
	return n, nil
}

// bigMessage is one ORU of about size bytes: 1,000-byte OBX segments.
func bigMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("MSH|^~\\&|LAB|RRK|TIE|RRK|20261124||ORU^R01^ORU_R01|BIG|P|2.5.1\rPID|1||9990000018^^^NHS^NH\rOBR|1|||X\r")
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, "OBX|%d|ST|CODE^Text^L||%s||||||F\r", i, strings.Repeat("v", 960))
	}
	return b.Bytes()
}

func BenchmarkReaderLarge(b *testing.B) {
	for _, mib := range []int{4, 16, 32} {
		data := bigMessage(mib << 20)
		b.Run(fmt.Sprintf("%dMiB_512B_reads", mib), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r := hl7v2.NewReader(&chunks{data: data})
				n := 0
				for r.Next() {
					n++
				}
				if r.Err() != nil || n != 1 {
					b.Fatal(n, r.Err())
				}
			}
		})
		b.Run(fmt.Sprintf("%dMiB_Parse", mib), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := hl7v2.Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkToFHIROBXRepetitions(b *testing.B) {
	for _, n := range []int{10_000, 40_000} {
		var v strings.Builder
		for i := range n {
			if i > 0 {
				v.WriteByte('~')
			}
			v.WriteString("line of report text " + strconv.Itoa(i))
		}
		msg, err := hl7v2.Parse([]byte("MSH|^~\\&|LAB|RRK|TIE|RRK|20261124||ORU^R01^ORU_R01|R|P|2.5.1\rPID|1||9990000018^^^NHS^NH\rOBR|1|||X^Y^L||||||||||||||||||||F\rOBX|1|TX|REP^Report^L||" + v.String() + "||||||F\r"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(msg.Raw())))
			for b.Loop() {
				res, err := tofhir.Convert(msg)
				if err != nil || len(res.Observations) != 1 {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuildOBX(b *testing.B) {
	for _, n := range []int{750, 3000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				m, err := hl7v2.NewMessage(hl7v2.DefaultDelimiters)
				if err != nil {
					b.Fatal(err)
				}
				_ = m.SetRaw("MSH-9", "ORU^R01^ORU_R01")
				_ = m.Set("PID-3", "9990000018")
				_ = m.Set("OBR-4", "X")
				for i := 1; i <= n; i++ {
					p := "OBX[" + strconv.Itoa(i) + "]"
					_ = m.Set(p+"-1", strconv.Itoa(i))
					_ = m.Set(p+"-2", "NM")
					_ = m.Set(p+"-3.1", "CODE")
					_ = m.Set(p+"-5", strconv.Itoa(i*7))
					_ = m.Set(p+"-11", "F")
				}
				if m.Len() != n+3 {
					b.Fatal(m.Len())
				}
			}
		})
	}
}
