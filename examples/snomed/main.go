// Command snomed imports an RF2 release into a store file and queries it:
//
//	go run ./examples/snomed generate ./release          # a synthetic release
//	go run ./examples/snomed import ./release ./snomed.db
//	go run ./examples/snomed isa ./snomed.db 22298006 404684003
//	go run ./examples/snomed term ./snomed.db 22298006 en-GB
//	go run ./examples/snomed children ./snomed.db 138875005
//	go run ./examples/snomed search ./snomed.db heart att
//	go run ./examples/snomed search -root 404684003 -refset 999002271000000101 -n 5 ./snomed.db heart att
//	go run ./examples/snomed map ./snomed.db 22298006 icd10      # or icd10-uk, opcs4.9, opcs4.10, ctv3, an id
//	go run ./examples/snomed history ./snomed.db 123456008
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
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// importMemoryLimit is the soft memory limit import sets when GOMEMLIMIT
// is not set.
const importMemoryLimit = 1100 << 20

func main() {
	if err := run(context.Background(), os.Stdout, os.Stderr, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "snomed:", err)
		os.Exit(2)
	}
}

var errUsage = errors.New("usage: snomed generate DIR [CONCEPTS] | import RELEASE STORE | isa STORE ID ANCESTOR | term STORE ID [LOCALE] | children STORE ID | search [-root ID] [-refset ID] [-n N] STORE WORDS | map STORE ID [icd10|icd10-uk|opcs4.9|opcs4.10|ctv3|REFSET] | history STORE ID | ecl STORE EXPRESSION")

// mapRefsets names the map reference sets the map subcommand knows.
var mapRefsets = map[string]snomed.ID{
	"icd10":    snomed.ICD10Refset,
	"icd10-uk": snomed.ICD10UKRefset,
	"opcs4.9":  snomed.OPCS49Refset,
	"opcs4.10": snomed.OPCS410Refset,
	"ctv3":     900000000000497000,
}

// searchFlags takes -root, -refset and -n off the front of a search's
// arguments.
func searchFlags(args []string) (snomed.SearchOptions, []string, error) {
	opts := snomed.SearchOptions{Limit: 20}
	for len(args) >= 2 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-root":
			v, err := id(args[1])
			if err != nil {
				return opts, nil, err
			}
			opts.Roots = append(opts.Roots, v)
		case "-refset":
			v, err := id(args[1])
			if err != nil {
				return opts, nil, err
			}
			opts.Refset = v
		case "-n":
			n, err := strconv.Atoi(args[1])
			if err != nil || n <= 0 {
				return opts, nil, errUsage
			}
			opts.Limit = n
		default:
			return opts, nil, errUsage
		}
		args = args[2:]
	}
	return opts, args, nil
}

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
		if os.Getenv("GOMEMLIMIT") == "" {
			// Import's live heap peaks near 0.8 GB for a UK-Monolith-size
			// release; left to GOGC alone the heap may grow to twice that
			// before a collection (peak RSS 1.79 GiB). A soft limit keeps
			// the peak near 1.1 GiB for about 10% more time.
			debug.SetMemoryLimit(importMemoryLimit)
		}
		return snomed.Import(ctx, args[1], args[2], snomed.WithProgress(func(p snomed.Progress) {
			if p.File != "" {
				fmt.Fprintf(errw, "%-10s %-60s %9d rows\n", p.Phase, p.File, p.Rows)
			} else {
				fmt.Fprintf(errw, "%s\n", p.Phase)
			}
		}))
	}
	var searchOpts snomed.SearchOptions
	if args[0] == "search" {
		opts, rest, err := searchFlags(args[1:])
		if err != nil {
			return err
		}
		if len(rest) < 2 {
			return errUsage
		}
		searchOpts, args = opts, append([]string{"search"}, rest...)
	}
	s, err := snomed.Open(args[1])
	if err != nil {
		return err
	}
	defer s.Close()
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
		hits := s.Search(strings.Join(args[2:], " "), searchOpts)
		for _, h := range hits {
			fmt.Fprintf(out, "%d |%s| %.3f\n", h.Concept, h.Term, h.Score)
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
			var ok bool
			if refset, ok = mapRefsets[strings.ToLower(args[3])]; !ok {
				if refset, err = id(args[3]); err != nil {
					return err
				}
			}
		}
		rows, ok := s.MapInto(c, refset)
		if !ok {
			return fmt.Errorf("no map for %d or its ancestors in %d", c, refset)
		}
		froms := make([]snomed.ID, 0, len(rows))
		for from := range rows {
			froms = append(froms, from)
		}
		slices.Sort(froms)
		for _, from := range froms {
			if from != c {
				fmt.Fprintf(out, "(mapped through ancestor %d |%s|)\n", from, term(from))
			}
			for _, e := range rows[from] {
				fmt.Fprintf(out, "group %d priority %d: %s  %s  [%s]\n", e.Group, e.Priority, e.Target, e.Advice, e.Rule)
			}
		}
	case "history":
		c, err := id(args[2])
		if err != nil {
			return err
		}
		concept, ok := s.Concept(c)
		if !ok {
			return fmt.Errorf("%d is not in the store", c)
		}
		if concept.Active {
			fmt.Fprintf(out, "%d |%s| is active\n", c, term(c))
			return nil
		}
		if reason, ok := s.InactivationReason(c); ok {
			fmt.Fprintf(out, "%d is inactive: %d |%s|\n", c, reason, term(reason))
		} else {
			fmt.Fprintf(out, "%d is inactive\n", c)
		}
		for _, a := range s.Associations(c) {
			fmt.Fprintf(out, "  %d |%s| -> %d\n", a.Refset, term(a.Refset), a.Target)
		}
		for _, r := range s.Resolve(c) {
			fmt.Fprintf(out, "now: %d |%s|\n", r, term(r))
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
