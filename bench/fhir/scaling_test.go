package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/fhir"
)

// ValidateProfiles on resources of n parts, at two sizes a factor of four
// apart: time that grows with n (about four times) and not with n² shows
// the look-ups across the resource are not a scan each.
//   - contained: a Patient with n contained Organizations, each referred to
//     by a generalPractitioner (ref-1, dom-3, reference targets);
//   - bundle: a batch Bundle of n Patients, each linking to the next by
//     urn:uuid (bdl-3 and bdl-4 read %resource.type in every entry).
func BenchmarkValidateProfilesScaling(b *testing.B) {
	ctx := context.Background()
	for _, kind := range []string{"contained", "bundle"} {
		for _, n := range []int{250, 1000} {
			r, err := fhir.Unmarshal(scalingDoc(kind, n))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s-%d", kind, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := fhir.ValidateProfiles(ctx, r, fhir.ValidateOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func scalingDoc(kind string, n int) []byte {
	const div = `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	var b strings.Builder
	switch kind {
	case "contained":
		b.WriteString(`{"resourceType":"Patient",` + div + `,"contained":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"resourceType":"Organization","id":"o%d","name":"x"}`, i)
		}
		b.WriteString(`],"generalPractitioner":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"reference":"#o%d"}`, i)
		}
		b.WriteString(`]}`)
	case "bundle":
		b.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Patient",%s,"link":[{"type":"seealso","other":{"reference":"urn:uuid:00000000-0000-4000-8000-%012d"}}]},"request":{"method":"POST","url":"Patient"}}`, i, div, (i+1)%n)
		}
		b.WriteString(`]}`)
	}
	return []byte(b.String())
}
