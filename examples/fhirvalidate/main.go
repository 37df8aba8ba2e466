// Command fhirvalidate validates FHIR R4 resources (JSON, XML or NDJSON
// files) against FHIR R4 and UK Core and prints each file's
// OperationOutcome.
//
//	go run ./examples/fhirvalidate patient.json bundle.xml export.ndjson
//
// It exits with status 1 when any resource has an error, and 2 when a file
// cannot be read or parsed.
package main

import (
	"bytes"
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
		resources, err := read(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			status = 2
			continue
		}
		for i, r := range resources {
			name := path
			if len(resources) > 1 {
				name = fmt.Sprintf("%s#%d", path, i+1)
			}
			oo := fhir.Validate(r)
			if oo == nil {
				if !*quiet {
					fmt.Fprintf(stdout, "%s: %s valid\n", name, r.ResourceType())
				}
				continue
			}
			out, _ := fhir.Marshal(oo)
			fmt.Fprintf(stdout, "%s: %s\n", name, out)
			for _, is := range oo.Issue {
				if is.Severity.Value == fhir.SeverityError && status == 0 {
					status = 1
				}
			}
		}
	}
	return status
}

func read(path string) ([]fhir.Resource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xml":
		r, err := fhir.UnmarshalXML(data)
		if err != nil {
			return nil, err
		}
		return []fhir.Resource{r}, nil
	case ".ndjson":
		var out []fhir.Resource
		d := fhir.NewNDJSONDecoder(bytes.NewReader(data))
		for {
			r, err := d.Next()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	r, err := fhir.Unmarshal(data)
	if err != nil {
		return nil, err
	}
	return []fhir.Resource{r}, nil
}
