// Command fhirvalidate validates FHIR R4 resources (JSON, XML or NDJSON
// files) against FHIR R4 and the UK Core profiles they claim, and prints
// each file's OperationOutcome.
//
//	go run ./examples/fhirvalidate patient.json bundle.xml export.ndjson
//	go run ./examples/fhirvalidate -snomed uk.db -profile https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient p.json
//
// A JSON or XML file goes through fhir.ValidateBytes, so each issue has
// its line and column; an NDJSON file is read line by line and each
// resource goes through fhir.ValidateProfiles. Each issue is printed on a
// line of its own (-json prints the OperationOutcome instead). -base
// checks the structure
// only (fhir.Validate). -snomed names a store written by snomed.Import:
// SNOMED CT bindings are then checked against it (through
// snomed/fhirterm's Handler as the fhir.Terminology). A resource that
// does not decode is reported as an OperationOutcome too. It exits with
// status 1 when any resource has an error, and 2 when a file or the store
// cannot be read.
package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/fhirterm"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fhirvalidate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("q", false, "print only files with issues")
	base := fs.Bool("base", false, "check the structure against base R4 only, no profiles")
	profile := fs.String("profile", "", "validate against this profile URL as well as base R4 (instead of the profiles each resource claims)")
	storePath := fs.String("snomed", "", "a SNOMED CT store written by snomed.Import, to check SNOMED CT bindings against")
	maxIssues := fs.Int("max", 0, "report at most this many issues per resource (0: all)")
	asJSON := fs.Bool("json", false, "print each outcome as an OperationOutcome in JSON, one line per resource")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: fhirvalidate [-q] [-json] [-base] [-profile url] [-snomed store.db] [-max n] file.json|file.xml|file.ndjson ...")
		return 2
	}
	opts := fhir.ValidateOptions{MaxIssues: *maxIssues}
	if *profile != "" {
		opts.Mode, opts.Profile = fhir.ProfilesNamed, *profile
	}
	if *storePath != "" {
		store, err := snomed.Open(*storePath)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", *storePath, err)
			return 2
		}
		defer store.Close()
		opts.Terminology = fhirterm.New(store)
	}
	v := validator{ctx: context.Background(), opts: opts, base: *base}
	status := 0
	for _, path := range fs.Args() {
		err := v.each(path, func(name string, oo *fhir.OperationOutcome, typ string) {
			if oo == nil || len(oo.Issue) == 0 {
				if !*quiet {
					fmt.Fprintf(stdout, "%s: %s valid\n", name, typ)
				}
				return
			}
			for _, is := range oo.Issue {
				if is.Severity.Value == fhir.SeverityError && status == 0 {
					status = 1
				}
			}
			if *asJSON {
				out, _ := fhir.Marshal(oo)
				fmt.Fprintf(stdout, "%s: %s\n", name, out)
				return
			}
			printOutcome(stdout, name, typ, oo)
		})
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			status = 2
		}
	}
	return status
}

// printOutcome writes a resource's issues for a person: a heading with
// the counts, then one line per issue with its rule, location, line and
// column (when known) and message.
func printOutcome(w io.Writer, name, typ string, oo *fhir.OperationOutcome) {
	count := map[string]int{}
	for _, is := range oo.Issue {
		count[is.Severity.Value]++
	}
	var parts []string
	for _, sev := range []string{fhir.IssueSeverityFatal, fhir.SeverityError, fhir.SeverityWarning, fhir.IssueSeverityInformation} {
		if n := count[sev]; n > 0 {
			parts = append(parts, plural(n, sev))
		}
	}
	verdict := "invalid"
	if count[fhir.SeverityError]+count[fhir.IssueSeverityFatal] == 0 {
		verdict = "valid"
	}
	if typ == "" {
		typ = "resource"
	}
	fmt.Fprintf(w, "%s: %s %s (%s)\n", name, typ, verdict, strings.Join(parts, ", "))
	for _, is := range oo.Issue {
		line := "  " + is.Severity.Value
		if is.Details != nil && is.Details.Text.Value != "" {
			line += " " + is.Details.Text.Value
		}
		if len(is.Expression) > 0 {
			line += " " + is.Expression[0].Value
		}
		if len(is.Location) > 1 {
			line += " " + is.Location[1].Value
		}
		fmt.Fprintf(w, "%s: %s\n", line, is.Diagnostics.Value)
	}
}

func plural(n int, severity string) string {
	word := map[string]string{fhir.IssueSeverityInformation: "note"}[severity]
	if word == "" {
		word = severity
	}
	if n == 1 {
		return "1 " + word
	}
	if word == "fatal" {
		return fmt.Sprintf("%d fatal", n)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// validator validates one resource the way the flags ask.
type validator struct {
	ctx  context.Context
	opts fhir.ValidateOptions
	base bool
}

// resource validates a decoded resource.
func (v validator) resource(r fhir.Resource) (*fhir.OperationOutcome, error) {
	if v.base {
		return fhir.Validate(r), nil
	}
	return fhir.ValidateProfiles(v.ctx, r, v.opts)
}

// bytes validates a JSON or XML resource, its issues placed by line and
// column; it reports a resource that does not decode as an outcome.
func (v validator) bytes(data []byte, isXML bool) (*fhir.OperationOutcome, string, error) {
	if v.base {
		var r fhir.Resource
		var err error
		if isXML {
			r, err = fhir.UnmarshalXML(data)
		} else {
			r, err = fhir.Unmarshal(data)
		}
		if err != nil {
			return decodeOutcome(err), "", nil
		}
		return fhir.Validate(r), r.ResourceType(), nil
	}
	oo, err := fhir.ValidateBytes(v.ctx, data, v.opts)
	var de *fhir.DecodeError
	var xe *fhir.XMLError
	if errors.As(err, &de) || errors.As(err, &xe) {
		return decodeOutcome(err), "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return oo, resourceType(data, isXML), nil
}

// resourceType names the resource in a valid file's line: the JSON
// resourceType or the XML root element's name, read without decoding the
// resource again.
func resourceType(data []byte, isXML bool) string {
	if isXML {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.Token()
			if err != nil {
				return ""
			}
			if se, ok := tok.(xml.StartElement); ok {
				return se.Name.Local
			}
		}
	}
	_, s, _ := strings.Cut(string(data), `"resourceType"`)
	_, s, _ = strings.Cut(s, `"`)
	s, _, _ = strings.Cut(s, `"`)
	return s
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

// each calls fn with the outcome of every resource of a file (a decode
// error as one); an NDJSON file is read line by line, so one bad line
// does not hide the others. The error returned is the file's own (it
// cannot be read) or the validation's (the context ended).
func (v validator) each(path string, fn func(name string, oo *fhir.OperationOutcome, typ string)) error {
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
			name := fmt.Sprintf("%s#%d", path, d.Line())
			if err != nil {
				fn(name, decodeOutcome(err), "")
				continue
			}
			oo, err := v.resource(r)
			if err != nil {
				return err
			}
			fn(name, oo, r.ResourceType())
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	oo, typ, err := v.bytes(data, strings.ToLower(filepath.Ext(path)) == ".xml")
	if err != nil {
		return err
	}
	fn(path, oo, typ)
	return nil
}
