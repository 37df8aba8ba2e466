// Command fhirvalidate validates FHIR R4 resources (JSON, XML or NDJSON
// files) against FHIR R4 and UK Core and prints each file's
// OperationOutcome.
//
//	go run ./examples/fhirvalidate patient.json bundle.xml export.ndjson
//
// A resource that does not decode is reported as an OperationOutcome too;
// NDJSON is read line by line. It exits with status 1 when any resource
// has an error, and 2 when a file cannot be read.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nhskit/nhskit/fhir"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fhirvalidate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("q", false, "print only files with issues")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: fhirvalidate [-q] file.json|file.xml|file.ndjson ...")
		return 2
	}
	status := 0
	for _, path := range fs.Args() {
		err := each(path, func(name string, r fhir.Resource, derr error) {
			var oo *fhir.OperationOutcome
			if derr != nil {
				oo = decodeOutcome(derr)
			} else {
				oo = fhir.Validate(r)
			}
			if oo == nil {
				if !*quiet {
					fmt.Fprintf(stdout, "%s: %s valid\n", name, r.ResourceType())
				}
				return
			}
			out, _ := fhir.Marshal(oo)
			fmt.Fprintf(stdout, "%s: %s\n", name, out)
			for _, is := range oo.Issue {
				if is.Severity.Value == fhir.SeverityError && status == 0 {
					status = 1
				}
			}
		})
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			status = 2
		}
	}
	return status
}

// decodeOutcome reports a resource that does not decode as an
// OperationOutcome, like one that does not validate: one error issue with
// the element's path as its expression.
func decodeOutcome(err error) *fhir.OperationOutcome {
	is := fhir.OperationOutcomeIssue{
		Severity:    fhir.Code{Value: fhir.SeverityError},
		Code:        fhir.Code{Value: fhir.IssueStructure},
		Diagnostics: fhir.String{Value: err.Error()},
	}
	var de *fhir.DecodeError
	var xe *fhir.XMLError
	switch {
	case errors.As(err, &xe) && xe.Path != "" && xe.Path != "/":
		is.Expression = []fhir.String{{Value: xe.Path}}
	case errors.As(err, &de) && de.Path != "":
		is.Expression = []fhir.String{{Value: de.Path}}
	}
	return &fhir.OperationOutcome{Issue: []fhir.OperationOutcomeIssue{is}}
}

// each calls fn for every resource of a file, or for its decode error; an
// NDJSON file is read line by line, so one bad line does not hide the
// others. The error returned is the file's own (it cannot be read).
func each(path string, fn func(name string, r fhir.Resource, err error)) error {
	if strings.ToLower(filepath.Ext(path)) == ".ndjson" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		d := fhir.NewNDJSONDecoder(f)
		for {
			r, err := d.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			var se *fhir.StreamError
			if err != nil && !errors.As(err, &se) {
				return err
			}
			if err != nil && !errors.Is(err, fhir.ErrTooLarge) && se.Err != nil {
				var de *fhir.DecodeError
				if !errors.As(se.Err, &de) {
					return err // the file's read error
				}
			}
			fn(fmt.Sprintf("%s#%d", path, d.Line()), r, err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r fhir.Resource
	if strings.ToLower(filepath.Ext(path)) == ".xml" {
		r, err = fhir.UnmarshalXML(data)
	} else {
		r, err = fhir.Unmarshal(data)
	}
	fn(path, r, err)
	return nil
}
