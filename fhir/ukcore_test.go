package fhir

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// canonXML reads XML into a comparable form: elements with sorted
// attributes (namespace declarations aside), no comments, no whitespace-only
// text, the xhtml div as its normalised text, and sibling elements grouped
// by name (a few examples list elements out of the specification's order,
// which the writer restores; order within a repeating element is kept).
func canonXML(t *testing.T, data []byte) string {
	t.Helper()
	type node struct {
		head     string
		children []*node
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	root := &node{}
	stack := []*node{root}
	inDiv := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		top := stack[len(stack)-1]
		switch x := tok.(type) {
		case xml.StartElement:
			if inDiv > 0 || x.Name.Local == "div" && x.Name.Space == xhtmlNS {
				inDiv++
			}
			var attrs []string
			for _, a := range x.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, a.Name.Local+"="+a.Value)
			}
			sort.Strings(attrs)
			n := &node{head: x.Name.Local + " " + strings.Join(attrs, " ")}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if inDiv > 0 {
				inDiv--
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if s := strings.Join(strings.Fields(string(x)), " "); s != "" {
				top.children = append(top.children, &node{head: "#text " + s})
			}
		}
	}
	var b strings.Builder
	var write func(n *node, sortKids bool)
	write = func(n *node, sortKids bool) {
		b.WriteString("<" + n.head + ">")
		kids := n.children
		if sortKids {
			kids = append([]*node(nil), kids...)
			sort.SliceStable(kids, func(i, j int) bool {
				return strings.Fields(kids[i].head)[0] < strings.Fields(kids[j].head)[0]
			})
		}
		for _, k := range kids {
			write(k, !strings.HasPrefix(k.head, "div "))
		}
		b.WriteString("</>")
	}
	write(root, true)
	return b.String()
}

func ukcoreExamples(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join(sharedDir, "ukcore", "examples", "*.xml"))
	if len(files) == 0 {
		t.Fatal("../shared/ukcore is absent: the UK Core conformance corpus cannot run")
	}
	return files
}

// undecodable lists the published examples that are not valid FHIR in a
// way JSON cannot even hold, with the error that must be reported.
var undecodable = map[string]struct {
	is   error
	path string
}{
	// Two values (valueCode and valueCodeableConcept) in one extension.
	"Extension-UKCore-ConditionEpisode-Example.xml": {ErrChoice, "Condition.extension[0].valueCodeableConcept"},
}

// TestUKCoreExamplesRoundTrip: every example decodes from XML, its JSON
// round-trips exactly through the models, and it converts back to
// equivalent XML.
func TestUKCoreExamplesRoundTrip(t *testing.T) {
	files := ukcoreExamples(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			js, err := XMLToJSON(data)
			if want, bad := undecodable[filepath.Base(f)]; bad {
				var xe *XMLError
				require.ErrorAs(t, err, &xe)
				assert.ErrorIs(t, err, want.is)
				assert.Equal(t, want.path, xe.Path)
				assert.Positive(t, xe.Line)
				return
			}
			require.NoError(t, err)
			r, err := Unmarshal(js)
			require.NoError(t, err)
			out, err := Marshal(r)
			require.NoError(t, err)
			sameJSON(t, js, out)
			back, err := JSONToXML(out)
			require.NoError(t, err)
			assert.Equal(t, canonXML(t, data), canonXML(t, back))
		})
	}
	t.Logf("%d UK Core examples", len(files))
}

// invalidExamples lists the published examples that are genuinely wrong,
// each with the issue Validate must report (expression: diagnostics
// fragment). Every other example must validate with no error.
var invalidExamples = map[string][2]string{
	// NHS number 9912003890 fails modulus 11.
	"UKCore-Patient-BabyPatient-Example.xml": {"Patient.identifier[0].value", "fails the modulus 11 check"},
	// "Extension-UKCore-RcordingSetting": a misspelt extension URL.
	"Extension-UKCore-RecordingSetting-Example.xml": {"Observation.extension[0].url", "unknown UK Core extension"},
	// authorizingPrescription refers to a bare id, not Type/id: a warning
	// (TestUKCoreKnownDefects), so no error here.
}

func TestUKCoreExamplesValidate(t *testing.T) {
	files := ukcoreExamples(t)
	for _, f := range files {
		name := filepath.Base(f)
		if _, bad := undecodable[name]; bad {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			r, err := UnmarshalXML(data)
			require.NoError(t, err)
			oo := Validate(r)
			var errs []string
			if oo != nil {
				for _, is := range oo.Issue {
					if is.Severity.Value == SeverityError {
						errs = append(errs, is.Expression[0].Value+": "+is.Diagnostics.Value)
					}
				}
			}
			if want, bad := invalidExamples[name]; bad {
				require.Len(t, errs, 1, "%v", errs)
				assert.Equal(t, want[0], strings.SplitN(errs[0], ": ", 2)[0])
				assert.Contains(t, errs[0], want[1])
				return
			}
			assert.Empty(t, errs)
		})
	}
}
