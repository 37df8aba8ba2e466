// Command hl7dump prints each segment's fields of the HL7 v2 messages in a
// file (or standard input), one value per line with its terser path down
// to the sub-component, so that "what is in PID-3(2).4?" has an answer at
// a glance:
//
//	go run ./examples/hl7dump hl7v2/testdata/adt_a01.hl7
//	cat feed.hl7 | go run ./examples/hl7dump
//
// Values are printed as they are in the message, so run it on synthetic or
// consented data only.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nhskit/nhskit/hl7v2"
)

func main() {
	raw := flag.Bool("raw", false, "print values as written, without unescaping")
	flag.Parse()
	in := io.Reader(os.Stdin)
	if flag.NArg() > 0 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "hl7dump:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if err := dump(out, in, *raw); err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, "hl7dump:", err)
		os.Exit(1)
	}
}

func dump(w io.Writer, in io.Reader, raw bool) error {
	r := hl7v2.NewReader(in)
	for r.Next() {
		m := r.Message()
		h := m.MSH()
		fmt.Fprintf(w, "# message %d: %s^%s control id %s, %d segments\n", r.Count(), h.MessageCode(), h.TriggerEvent(), h.ControlID(), m.Len())
		d := m.Delimiters()
		seen := map[string]int{}
		for _, s := range m.Segments() {
			seen[s.Name()]++
			name := s.Name()
			if seen[name] > 1 {
				name = fmt.Sprintf("%s[%d]", name, seen[name])
			}
			header := s.Name() == "MSH" || s.Name() == "FHS" || s.Name() == "BHS"
			for f := 1; f <= s.NumFields(); f++ {
				if header && f <= 2 {
					// The separator and the encoding characters, as written.
					fmt.Fprintf(w, "%-16s %s\n", fmt.Sprintf("%s-%d", name, f), s.RawField(f))
					continue
				}
				reps := s.Repetitions(f)
				for rep, r := range s.Reps(f) {
					comps := strings.Split(r.Raw(), string(d.Component))
					for c, craw := range comps {
						subs := strings.Split(craw, string(d.Subcomponent))
						for sc, sraw := range subs {
							path := fmt.Sprintf("%s-%d", name, f)
							if reps > 1 {
								path += fmt.Sprintf("(%d)", rep)
							}
							if len(comps) > 1 || len(subs) > 1 {
								path += fmt.Sprintf(".%d", c+1)
							}
							if len(subs) > 1 {
								path += fmt.Sprintf(".%d", sc+1)
							}
							v := r.Get(c+1, sc+1)
							if raw {
								v = sraw
							}
							if v != "" {
								fmt.Fprintf(w, "%-16s %s\n", path, v)
							}
						}
					}
				}
			}
		}
	}
	return r.Err()
}
