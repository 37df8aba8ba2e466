package fhir

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateProfileGolden = flag.Bool("update-profile-golden", false, "rewrite testdata/profiles_golden.txt.gz from the current ValidateProfiles")

// profileGoldenFile holds every issue ValidateProfiles gave, before the
// evaluation loop was made fast, on the 215 UK Core examples, the R4
// examples and the invalid corpus below: the fast paths must not change
// a single issue (severity, code, rule, expression or message).
const profileGoldenFile = "testdata/profiles_golden.txt.gz"

// profileGoldenInvalid are synthetic invalid instances, one or more per
// rule class, beside the ones of TestValidateProfilesInvalid.
var profileGoldenInvalid = map[string]string{
	"imm-claimed.json":   `{"resourceType":"Immunization","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"]},"status":"not-done","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/a"},"occurrenceDateTime":"2020-01-01"}`,
	"obs-lab-card.json":  `{"resourceType":"Observation","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"]},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1-8"}]},"valueString":"a"}`,
	"pat-nhs-twice.json": `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}]}`,
	"unknown-prof.json":  `{"resourceType":"Patient","meta":{"profile":["https://example.org/StructureDefinition/Nope","http://hl7.org/fhir/StructureDefinition/Patient","https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"]}}`,
	"per-1.json":         `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"name":[{"family":"A"},{"family":"B","period":{"start":"2020-01-02","end":"2020-01-01"}}]}`,
	"ref-1.json":         `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"managingOrganization":{"reference":"#missing"},"generalPractitioner":[{"reference":"#gone"}]}`,
	"dom-2.json":         `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"contained":[{"resourceType":"Patient","id":"a","contained":[{"resourceType":"Patient","id":"b"}]},{"resourceType":"Organization","id":"o","meta":{"versionId":"1"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">o</div>"}}],"link":[{"other":{"reference":"#a"},"type":"seealso"}]}`,
	"pat-1.json":         `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"contact":[{"gender":"male"},{"name":{"family":"C"}},{"gender":"female"}]}`,
	"bdl-7.json":         `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Basic","code":{"text":"x"}}},{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Basic","code":{"text":"x"}}}]}`,
	"bdl-doc.json":       `{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}]}}]}`,
	"obs-6.json":         `{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"status":"final","code":{"text":"x"},"valueString":"a","dataAbsentReason":{"text":"b"}}`,
	"ele-1.json":         `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"maritalStatus":{"id":"x"},"name":[{"id":"n"},{"family":"F","_given":[{"id":"g"}]}],"_birthDate":{"id":"b"}}`,
	"ext-1.json":         `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueString":"a","extension":[{"url":"y","valueString":"b"}]}],"_gender":{"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-Nope"}]},"gender":"male"}`,
	"qty.json":           `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"code":"mg"},"referenceRange":[{"text":"r"},{}]}`,
}

// profileGoldenOutput runs ValidateProfiles over the corpus and gives one
// line per issue, sorted by document.
func profileGoldenOutput(t *testing.T) []string {
	t.Helper()
	var lines []string
	run := func(doc string, r Resource, opts ValidateOptions) {
		oo, err := ValidateProfiles(context.Background(), r, opts)
		if err != nil {
			lines = append(lines, doc+"\terror\t"+err.Error())
			return
		}
		if oo == nil {
			return
		}
		for _, is := range oo.Issue {
			key := ""
			if is.Details != nil {
				key = is.Details.Text.Value
			}
			var ex []string
			for _, e := range is.Expression {
				ex = append(ex, e.Value)
			}
			lines = append(lines, doc+"\t"+is.Severity.Value+"\t"+is.Code.Value+"\t"+key+"\t"+strings.Join(ex, ",")+"\t"+is.Diagnostics.Value)
		}
	}
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 215 {
		t.Fatalf("want the 215 UK Core examples in %s, found %d", ukcoreDir, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := UnmarshalXML(data)
		if err != nil {
			continue
		}
		doc := "ukcore/" + filepath.Base(f)
		run(doc, r, ValidateOptions{})
		run(doc+"#base", r, ValidateOptions{Mode: ProfilesBase})
	}
	r4 := readR4Examples(t)
	names := slices.Sorted(maps.Keys(r4))
	for _, name := range names {
		r, err := Unmarshal(r4[name])
		if err != nil {
			continue
		}
		run("r4/"+name, r, ValidateOptions{})
	}
	inv := make([]string, 0, len(profileGoldenInvalid))
	for name := range profileGoldenInvalid {
		inv = append(inv, name)
	}
	sort.Strings(inv)
	for _, name := range inv {
		r, err := Unmarshal([]byte(profileGoldenInvalid[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		run("invalid/"+name, r, ValidateOptions{})
		run("invalid/"+name+"#named", r, ValidateOptions{Mode: ProfilesNamed, Profile: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"})
		run("invalid/"+name+"#max3", r, ValidateOptions{MaxIssues: 3, Suppress: []string{"dom-6"}})
	}
	return lines
}

// TestValidateProfilesGolden compares ValidateProfiles with the issues it
// gave before the fast paths (go test -run TestValidateProfilesGolden
// -update-profile-golden rewrites the file; only do so for a deliberate
// change of behaviour).
func TestValidateProfilesGolden(t *testing.T) {
	if raceEnabled {
		t.Skip("the corpus is too slow under -race; .ci/run runs this test without it")
	}
	got := profileGoldenOutput(t)
	if *updateProfileGolden {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = io.WriteString(zw, strings.Join(got, "\n")+"\n")
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(profileGoldenFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d issues", len(got))
		return
	}
	f, err := os.Open(profileGoldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ValidateProfiles changed its issues (-before +now):\n%s", d)
	}
	t.Logf("%d issues compared", len(got))
}

// ValidateProfiles pools the memory of its Node trees: goroutines
// validating different resources at once each get their own issues.
func TestValidateProfilesConcurrent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	if err != nil || len(files) != 215 {
		t.Fatalf("want the 215 UK Core examples in %s (%v)", ukcoreDir, err)
	}
	var rs []Resource
	for _, f := range files[:40] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := UnmarshalXML(data); err == nil {
			rs = append(rs, r)
		}
	}
	issues := func(r Resource) string {
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		if err != nil {
			return err.Error()
		}
		if oo == nil {
			return ""
		}
		var b strings.Builder
		for _, is := range oo.Issue {
			b.WriteString(is.Severity.Value + " " + is.Expression[0].Value + " " + is.Diagnostics.Value + "\n")
		}
		return b.String()
	}
	want := make([]string, len(rs))
	for i, r := range rs {
		want[i] = issues(r)
	}
	errs := make(chan string, 4*len(rs))
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for j := range rs {
				i := (j + g*7) % len(rs)
				if got := issues(rs[i]); got != want[i] {
					errs <- fmt.Sprintf("resource %d: got\n%s\nwant\n%s", i, got, want[i])
				}
			}
			done <- true
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
