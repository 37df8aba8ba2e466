// Command snomed imports an RF2 release into a store file and queries it:
//
//	go run ./examples/snomed generate ./release          # a synthetic release
//	go run ./examples/snomed import ./release ./snomed.db
//	go run ./examples/snomed isa ./snomed.db 22298006 404684003
//	go run ./examples/snomed term ./snomed.db 22298006 en-GB
//	go run ./examples/snomed children ./snomed.db 138875005
//	go run ./examples/snomed search ./snomed.db heart att
//	go run ./examples/snomed map ./snomed.db 22298006 447562003
//	go run ./examples/snomed ecl ./snomed.db '<< 404684003 : 363698007 = << 39057004'
//
// Import shows its progress on standard error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Stderr, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "snomed:", err)
		os.Exit(2)
	}
}

var errUsage = errors.New("usage: snomed generate DIR [CONCEPTS] | import RELEASE STORE | isa STORE ID ANCESTOR | term STORE ID [LOCALE] | children STORE ID | search STORE WORDS | map STORE ID [REFSET] | ecl STORE EXPRESSION")

func id(s string) (snomed.ID, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a SNOMED CT id", s)
	}
	return snomed.ID(v), nil
}

func run(ctx context.Context, out, errw io.Writer, args []string) error {
	if len(args) < 2 {
		return errUsage
	}
	switch args[0] {
	case "generate":
		n := 2000
		if len(args) > 2 {
			v, err := strconv.Atoi(args[2])
			if err != nil {
				return errUsage
			}
			n = v
		}
		rel, err := snomedtest.Generate(args[1], snomedtest.Config{Concepts: n, Seed: 1})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote a synthetic release of %d concepts to %s\n", len(rel.Concepts), args[1])
		return nil
	case "import":
		if len(args) != 3 {
			return errUsage
		}
		return snomed.Import(ctx, args[1], args[2], snomed.WithProgress(func(p snomed.Progress) {
			if p.File != "" {
				fmt.Fprintf(errw, "%-10s %-60s %9d rows\n", p.Phase, p.File, p.Rows)
			} else {
				fmt.Fprintf(errw, "%s\n", p.Phase)
			}
		}))
	}
	s, err := snomed.Open(args[1])
	if err != nil {
		return err
	}
	term := func(c snomed.ID) string {
		t, _ := s.PreferredTerm(c, "en-GB")
		return t
	}
	switch args[0] {
	case "isa":
		if len(args) != 4 {
			return errUsage
		}
		a, err := id(args[2])
		if err != nil {
			return err
		}
		b, err := id(args[3])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d |%s| is a %d |%s|: %v\n", a, term(a), b, term(b), s.IsA(a, b))
	case "term":
		c, err := id(args[2])
		if err != nil {
			return err
		}
		locale := "en-GB"
		if len(args) > 3 {
			locale = args[3]
		}
		t, ok := s.PreferredTerm(c, locale)
		if !ok {
			return fmt.Errorf("no %s preferred term for %d", locale, c)
		}
		fsn, _ := s.FullySpecifiedName(c)
		fmt.Fprintf(out, "%d |%s| (FSN: %s)\n", c, t, fsn)
	case "children":
		c, err := id(args[2])
		if err != nil {
			return err
		}
		for _, ch := range s.Children(c) {
			fmt.Fprintf(out, "%d |%s|\n", ch, term(ch))
		}
	case "search":
		hits := s.Search(strings.Join(args[2:], " "), snomed.SearchOptions{Limit: 20})
		for _, h := range hits {
			fmt.Fprintf(out, "%d |%s|\n", h.Concept, h.Term)
		}
		if len(hits) == 0 {
			fmt.Fprintln(out, "no match")
		}
	case "map":
		c, err := id(args[2])
		if err != nil {
			return err
		}
		refset := snomed.ICD10Refset
		if len(args) > 3 {
			if refset, err = id(args[3]); err != nil {
				return err
			}
		}
		rows, ok := s.MapInto(c, refset)
		if !ok {
			return fmt.Errorf("no map for %d or its ancestors in %d", c, refset)
		}
		for from, entries := range rows {
			if from != c {
				fmt.Fprintf(out, "(mapped through ancestor %d |%s|)\n", from, term(from))
			}
			for _, e := range entries {
				fmt.Fprintf(out, "group %d priority %d: %s  %s\n", e.Group, e.Priority, e.Target, e.Advice)
			}
		}
	case "ecl":
		ids, err := ecl.Evaluate(s, strings.Join(args[2:], " "))
		if err != nil {
			return err
		}
		for _, c := range ids {
			fmt.Fprintf(out, "%d |%s|\n", c, term(c))
		}
		fmt.Fprintf(errw, "%d concepts\n", len(ids))
	default:
		return errUsage
	}
	return nil
}
