// Command quickstart is a tour of nhskit: it runs each capability that has
// landed so far against in-process fakes and synthetic data, and prints what
// happened at each step with its timing. It needs no network and no
// configuration:
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nhskit/nhskit/fhir"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// step prints one numbered step with how long it took.
type tour struct {
	w io.Writer
	n int
}

func (t *tour) step(what string, fn func() (string, error)) error {
	t.n++
	start := time.Now()
	detail, err := fn()
	if err != nil {
		return fmt.Errorf("step %d (%s): %w", t.n, what, err)
	}
	fmt.Fprintf(t.w, "%2d. %-44s %8s  %s\n", t.n, what, time.Since(start).Round(time.Microsecond), detail)
	return nil
}

func run(w io.Writer) error {
	fmt.Fprintln(w, "nhskit quickstart: synthetic data only, every service is an in-process fake")
	t := &tour{w: w}

	var nhs fhir.NHSNumber
	if err := t.step("read an NHS number as a clerk typed it", func() (string, error) {
		var err error
		nhs, err = fhir.ParseNHSNumber("999 000 0018")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("valid (modulus 11), logged as %s", nhs.Masked()), nil
	}); err != nil {
		return err
	}

	if err := t.step("reject a mistyped NHS number", func() (string, error) {
		_, err := fhir.ParseNHSNumber("999 000 0017")
		if err == nil {
			return "", fmt.Errorf("a wrong check digit was accepted")
		}
		return "refused: " + err.Error(), nil
	}); err != nil {
		return err
	}

	if err := t.step("make a test-range NHS number for a fake", func() (string, error) {
		n := fhir.NewTestNHSNumber()
		if !n.Valid() || !n.IsTestRange() {
			return "", fmt.Errorf("generated number is not a valid test number")
		}
		return fmt.Sprintf("%s (999 range, never issued)", n.Masked()), nil
	}); err != nil {
		return err
	}

	if err := t.step("check a GP practice's ODS code", func() (string, error) {
		code, err := fhir.ParseODSCode("a81001")
		if err != nil {
			return "", err
		}
		if code.Kind() != fhir.ODSGPPractice {
			return "", fmt.Errorf("A81001 not recognised as a GP practice code")
		}
		return string(code) + " has the shape of a GP practice code", nil
	}); err != nil {
		return err
	}

	fmt.Fprintln(w, "done")
	return nil
}
