// Package deftgz reads the resources of a FHIR definitions package for
// fhir's generators (internal/gen, internal/genprofile).
//
// The specification's definitions.tgz (https://hl7.org/fhir/R4/downloads.html,
// "FHIR Definitions" as a package) is a gzipped tar with one JSON resource a
// file, named after its type and id ("StructureDefinition-Patient.json",
// "ValueSet-administrative-gender.json"); the file names are slash-separated
// paths, as tar names always are, below a "package/" folder.
package deftgz

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path"
	"strings"
)

// Each calls fn with the base name and the content of every file of the
// gzipped tar at file whose base name ends in ".json" and starts with one
// of prefixes (such as "StructureDefinition-"), in the order of the tar.
// It returns the first error of opening or reading the archive as the
// archive/tar or compress/gzip package gave it, or fn's first error as fn
// gave it, and then reads no further.
func Each(file string, prefixes []string, fn func(name string, data []byte) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Base(h.Name)
		if !strings.HasSuffix(name, ".json") || !hasPrefix(name, prefixes) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := fn(name, data); err != nil {
			return err
		}
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
