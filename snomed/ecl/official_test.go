package ecl_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed/ecl"
)

// officialExamples is the specification's own example expressions, one
// file each (IHTSDO/snomed-expression-constraint-language, ECL 2.2).
const officialExamples = "../../../shared/ecl/examples"

// TestOfficialExamples parses every official example and checks that the
// printed form parses back to the same expression. It fails, never
// skips, when the examples are missing.
func TestOfficialExamples(t *testing.T) {
	_, err := os.Stat(officialExamples)
	require.NoError(t, err, "the official ECL examples must be at %s", officialExamples)
	n := 0
	err = filepath.WalkDir(officialExamples, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".txt") {
			return err
		}
		n++
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		name := strings.TrimPrefix(path, officialExamples+"/")
		t.Run(name, func(t *testing.T) {
			roundTrip(t, string(src))
		})
		return nil
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 121, "official examples found")
}

// roundTrip parses src, prints it, parses the print and wants the same
// expression and the same print.
func roundTrip(t *testing.T, src string) {
	t.Helper()
	e, err := ecl.Parse(src)
	require.NoError(t, err, "%s", src)
	printed := e.String()
	again, err := ecl.Parse(printed)
	require.NoError(t, err, "printed %q of %q", printed, src)
	if d := cmp.Diff(e, again); d != "" {
		t.Fatalf("%q printed as %q parses to another expression (-first +again):\n%s", src, printed, d)
	}
	require.Equal(t, printed, again.String())
}

// TestSpecForms parses the valid ECL 2.2 forms of the specification
// documents beyond the example files: long syntax, case-insensitive
// keywords, sub-expression filter values, member filters and history
// supplements of every kind.
func TestSpecForms(t *testing.T) {
	for _, src := range []string{
		"^ [targetComponentId] 900000000000527005 |SAME AS association reference set| {{ M referencedComponentId = 67415000 |Hay asthma| }}",
		"^ [referencedComponentId, mapTarget] 447562003",
		"^ [*] 447562003",
		"<< LOINC#54486-6",
		`"LOINC#54486-6" |Nicotine|`,
		"ICD-10#J45.9",
		"< 404684003 : 363698007 = LOINC#54486-6",
		"^ 447562003 {{ M moduleId = 449080006 }}",
		"^ 447562003 {{ M effectiveTime >= \"20200131\" }}",
		"^ 447562003 {{ M active = 1 }}",
		"^ 447562003 {{ M active = false }}",
		"^ 900000000000527005 {{ M targetComponentId = << 195967001 }}",
		"^ 447562003 {{ M referencedComponentId = << 195967001 {{ C active = 1 }} }}",
		"<< 195967001 {{ + HISTORY (900000000000527005 OR 900000000000526001) }}",
		"<< 195967001 {{ +history_min }}",
		"<< 195967001 {{ + History-Mod }}",
		"top (< 386617003 . 363698007)",
		"bottom (>> 427089005)",
		"< 373873005 : [1 to many] 127489000 = < 105590001",
		"< 373873005 : [0 to 1] 127489000 NOT = < 105590001",
		"< 404684003 : 116676008 <> << 26036001",
		"< 64572001 {{ dialect = (en-gb en-us) (prefer) }}",
		"< 64572001 {{ dialect = (en-gb (accept) en-us) (prefer accept) }}",
		"< 64572001 {{ dialectId = (900000000000508004 900000000000509007) (900000000000548007) }}",
		"< 64572001 {{ dialectId = << 900000000000506000 }}",
		"< 56265001 {{ C definitionStatusId = << 900000000000074008 }}",
		"< 195967001 {{ C moduleId = << 900000000000445007 }}",
		"< 64572001 {{ typeId = << 900000000000446008 }}",
		"< 64572001 {{ d TERM = \"heart\", LANGUAGE = EN, Type = SYN }}",
		"< 64572001 {{ c DEFINITIONSTATUS = PRIMITIVE, ACTIVE = TRUE }}",
		"^ 447562003 {{ m mapTarget = \"J45\" }}",
		"< 64572001 {{ term = (\"heart\" wild:\"card*\") }} {{ term = match:\"att\" }}",
		"< 27658006 : 111115 = (\"PANADOL\" wild:\"PANA*\")",
		"< 27658006 : 111115 != wild:\"PANA*\"",
		"< 27658006 : 111115 = #-1.5",
		"< 27658006 : 111115 = #+0.25",
		"< 125605004 {{ C effectiveTime = \"\" }}",
		"< 125605004 {{ C effectiveTime != (\"20190131\" \"\") }}",
		"descendantOrSelfOf 404684003 AND childOf 19829001",
		"memberOf 700043003",
		"ANY : reverseOf 363698007 = 39057004",
		"< 404684003 : { 363698007 = << 39057004 } OR { 116676008 = << 415582006 }",
		"<< 404684003 MINUS (< 19829001 and << 301867009)",
		"< 64572001 {{ term = \"a\\\"b\\\\c\" }}",
		"< 64572001 {{ term = wild:\"a\\*b*\" }}",
		"< 64572001 {{ id = (670169018 670170019) }}",
		"< 64572001 {{ D active = 0 }} {{ C active = 1 }} {{ + HISTORY-MAX }}",
	} {
		t.Run(src, func(t *testing.T) { roundTrip(t, src) })
	}
}

// TestRefusedForms are not ECL 2.2.
func TestRefusedForms(t *testing.T) {
	for _, src := range []string{
		"< 27658006 : 111115 >= #1.",
		"< 27658006 : 111115 >= #.5",
		"< 27658006 : 111115 >= #007",
		"<< 195967001 {{ + HISTORY-MIN }} {{ term = \"x\" }}",
		"<< 195967001 {{ + HISTORY-MIN }} {{ + HISTORY-MAX }}",
		"<< 195967001 {{ + HISTORY-ALL }}",
		"< 64572001 {{ term = \"\" }}",
		"< 64572001 {{ language = eng }}",
		"< 125605004 {{ C effectiveTime = \"2021013\" }}",
		"< 125605004 {{ C effectiveTime = \"20211331\" }}",
		"< 125605004 {{ C id = 125605004 }}",
		"< 64572001 {{ M mapTarget = \"x\" }}",
		"^ 447562003 {{ C active = 1 }} {{ M mapTarget = \"x\" }}",
		"< 404684003 : { { 363698007 = * } }",
		"< 404684003 : [1..0] 363698007 = *",
		"< 404684003 : [01..1] 363698007 = *",
		"< 64572001 {{ term < \"x\" }}",
		"< 64572001 {{ dialect = en-gb () }}",
		"< 404684003 |  |",
		"descendantOf404684003",
	} {
		_, err := ecl.Parse(src)
		require.Error(t, err, src)
		require.ErrorIs(t, err, ecl.ErrSyntax, src)
	}
}
