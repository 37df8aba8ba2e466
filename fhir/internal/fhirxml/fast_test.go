package fhirxml

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ukcoreExamples = "../../../../shared/ukcore/examples"

// Every published UK Core XML example takes the fast parse, and it gives
// the tree encoding/xml's parse gives.
func TestFastParseUKCoreExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ukcoreExamples, "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 215, "the UK Core examples must be in %s", ukcoreExamples)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		fast, err := CheckFastParse(data)
		assert.NoError(t, err, f)
		assert.True(t, fast, "%s: read the slow way", filepath.Base(f))
	}
}

const ns = `<Patient xmlns="http://hl7.org/fhir">`

// The fast parse takes the common shapes and leaves everything else to
// encoding/xml, which then gives the same answer as before: the tree, or
// the error.
func TestFastParse(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		fast bool
	}{
		{"declaration", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + ns + `<active value="true"/></Patient>`, true},
		{"declaration, single quotes", `<?xml version='1.0' encoding='utf-8' standalone='yes'?>` + ns + `</Patient>`, true},
		{"comments and white space", "<!-- c -->\n" + ns + "\n  <!-- in -->\n  <active value=\"true\" />\n</Patient >\n<!-- after -->\n", true},
		{"references", ns + `<gender value="&lt;&#x41;&#66;&amp;&quot;&apos;&gt;"/></Patient>`, true},
		{"tab and newline in a value", ns + "<birthDate value=\"a\tb\nc\"/></Patient>", true},
		{"carriage return in a value", ns + "<birthDate value=\"a\r\nb\rc\"/></Patient>", true},
		{"narrative", ns + `<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p class="x">a &amp; b<br/></p><!-- c --></div></text></Patient>`, true},
		{"carriage return in a narrative's attribute", ns + "<text><div xmlns=\"http://www.w3.org/1999/xhtml\"><span title=\"a\r\nb\">x</span></div></text></Patient>", true},
		{"xml:lang in the narrative", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml" xml:lang="en-GB"><p lang="en" xml:lang="en">x</p></div></text></Patient>`, true},
		{"]]> in a narrative attribute", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml"><p title="a]]>b">x</p></div></text></Patient>`, true},
		{"]]> in the narrative's text", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml">a ]]> b</div></text></Patient>`, false},
		{"two prefixes on a narrative attribute", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml"><p a:b:c="d">x</p></div></text></Patient>`, false},
		{"empty narrative div", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml"/></text></Patient>`, true},
		{"non-ASCII text", ns + `<name><family value="Ó Briain"/></name></Patient>`, true},
		{"the replacement character itself", ns + "<name><family value=\"\uFFFD\"/></name></Patient>", true},
		{"id and url", ns + `<extension url="http://example.org/x" id="e1"><valueString value="s"/></extension></Patient>`, true},

		{"Latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?>` + ns + "<name><family value=\"\xd3\"/></name></Patient>", false},
		{"version 1.1", `<?xml version="1.1"?>` + ns + `</Patient>`, false},
		{"prefixed elements", `<f:Patient xmlns:f="http://hl7.org/fhir"><f:active value="true"/></f:Patient>`, false},
		{"schema location", `<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="x"/>`, false},
		{"DOCTYPE", `<!DOCTYPE Patient>` + ns + `</Patient>`, false},
		{"CDATA in the narrative", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml"><![CDATA[x]]></div></text></Patient>`, false},
		{"processing instruction", ns + `<?pi x?></Patient>`, false},
		{"unknown entity", ns + `<text><div xmlns="http://www.w3.org/1999/xhtml">&nbsp;</div></text></Patient>`, false},
		{"two dashes in a comment", ns + `<!-- a -- b --></Patient>`, false},
		{"duplicate attribute", ns + `<active value="true" value="false"/></Patient>`, false},
		{"text content", ns + `<active>true</active></Patient>`, false},
		{"another attribute", ns + `<active value="true" other="x"/></Patient>`, false},
		{"no namespace", `<Patient><active value="true"/></Patient>`, false},
		{"mismatched end tag", ns + `<active value="true"></activ></Patient>`, false},
		{"unclosed", ns + `<active value="true">`, false},
		{"trailing text", ns + `</Patient>junk`, false},
		{"second root", ns + `</Patient><Patient xmlns="http://hl7.org/fhir"/>`, false},
		{"div as root", `<div xmlns="http://www.w3.org/1999/xhtml">x</div>`, false},
		{"control character", ns + "<active value=\"\x01\"/></Patient>", false},
		{"invalid UTF-8", ns + "<active value=\"\xff\"/></Patient>", false},
		{"character reference to NUL", ns + `<active value="&#0;"/></Patient>`, false},
		{"less-than in a value", ns + `<active value="a<b"/></Patient>`, false},
		{"attribute without space", ns + `<active value="a"id="b"/></Patient>`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fast, err := CheckFastParse([]byte(tc.xml))
			require.NoError(t, err)
			assert.Equal(t, tc.fast, fast)
			// parseXML answers as encoding/xml's parse does
			got, gotErr := parseXML([]byte(tc.xml))
			want, wantErr := parseSlow([]byte(tc.xml))
			assert.Equal(t, wantErr, gotErr)
			if wantErr == nil {
				assert.Empty(t, sameTree(got, want, want.name))
			}
		})
	}
}

// A tab, line feed, carriage return or CR LF written as such in an
// attribute value reads as one space, by both parses (XML 1.0 §3.3.3,
// which encoding/xml leaves out); written as a reference it stays itself.
// A narrative's own attributes are kept as written, in its raw text.
func TestAttributeValueNormalization(t *testing.T) {
	const value = "a\tb\nc\r\nd\re  f&#9;g&#10;h&#13;i"
	const want = "a b c d e  f\tg\nh\ri"
	for name, doc := range map[string]string{
		"fast":    ns + `<name><family value="` + value + `"/></name></Patient>`,
		"Latin-1": `<?xml version="1.0" encoding="ISO-8859-1"?>` + ns + `<name><family value="` + value + `" id="` + "x\n\xd3" + `"/></name></Patient>`,
		"prefix":  `<f:Patient xmlns:f="http://hl7.org/fhir"><f:name><f:family` + "\n\t" + `id = '` + "x\ny" + `'` + "\r\n" + `value="` + value + `"/></f:name></f:Patient>`,
	} {
		root, err := parseXML([]byte(doc))
		require.NoError(t, err, name)
		family := root.children[0].children[0]
		assert.Equal(t, want, family.val, name)
		if name != "fast" {
			assert.Equal(t, map[string]string{"Latin-1": "x \u00d3", "prefix": "x y"}[name], family.id, name)
		}
	}
	fast, err := CheckFastParse([]byte(ns + `<name><family value="` + value + `"/></name></Patient>`))
	require.NoError(t, err)
	assert.True(t, fast)
}

// FuzzFastParse holds the fast parse to encoding/xml's: what it accepts,
// encoding/xml accepts with the same tree.
func FuzzFastParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(ukcoreExamples, "*.xml"))
	for _, p := range files[:min(len(files), 40)] {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(ns + `<text><div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b</p></div></text><active value="&#x41;"/></Patient>`))
	f.Add([]byte("<?xml version=\"1.0\"?>\n<!-- c -->" + ns + "\n<active value='x'/></Patient>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := CheckFastParse(data); err != nil {
			t.Fatal(err)
		}
	})
}

// Documents put together at random from the pieces FHIR XML is made of,
// now and then one the fast parse must leave alone: what the fast parse
// takes, encoding/xml reads to the same tree.
func TestFastParseRandomDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// pick takes from good, and one time in rare from bad
	pick := func(good, bad []string, rare int) string {
		if len(bad) > 0 && rng.IntN(rare) == 0 {
			return bad[rng.IntN(len(bad))]
		}
		return good[rng.IntN(len(good))]
	}
	names := []string{"active", "name", "family", "given", "extension", "valueString", "text", "status", "a.b", "x-y", "_z"}
	badNames := []string{"f:active", "1a", "a:b:c"}
	values := []string{"x", "", "a b", "&amp;", "&lt;&gt;", "&#65;", "&#x1F600;", "]]>", "\t\n", "'", "Ó", "\uFFFD", "a>b", "\r", "a\r\n&#13;&#10;&#9;b"}
	badValues := []string{"&#0;", "&nbsp;", "a&b", "<", "\x01", "\xff", "&#xD800;", "&#X41;"}
	spaces := []string{"", " ", "\n", "\r\n", "\t", "  "}
	attrNames := []string{"value", "id", "url"}
	badAttrNames := []string{"xmlns", "other", "xsi:type", "xmlns:f", "value"}
	texts := []string{"", " ", "\n  ", "x", "a &amp; b", "]]", "&#10;", "<!-- c -->", "<br/>", "<p>t</p>", "<p class=\"c\" xml:lang=\"en\">t &lt; u</p>", "\r\n", "<span title=\"a]]>b\"/>"}
	badTexts := []string{"]]>", "&", "&nbsp;", "<!-- a -- b -->", "<![CDATA[x]]>", "<?pi?>", "<b>", "</i>", "<a:b/>", "<p a:b:c=\"d\"/>"}
	attr := func() string {
		q := pick([]string{`"`, `'`}, nil, 1)
		return pick(spaces[1:], nil, 1) + pick(attrNames, badAttrNames, 15) + pick([]string{"=", " = "}, nil, 1) + q + pick(values, badValues, 15) + q
	}
	var element func(depth int, root bool) string
	element = func(depth int, root bool) string {
		if !root && depth > 1 && rng.IntN(3) == 0 {
			div := `<div xmlns="http://www.w3.org/1999/xhtml"` + pick([]string{"", ` xml:lang="en"`, ` class="x"`}, []string{` xml:lang="en" xml:space="p"`}, 10) + ">"
			for range rng.IntN(4) {
				div += pick(texts, badTexts, 12)
			}
			return div + "</div>"
		}
		name := pick(names, badNames, 30)
		var b strings.Builder
		b.WriteString("<" + name)
		if root {
			b.WriteString(` xmlns="` + pick([]string{"http://hl7.org/fhir"}, []string{"", "http://example.org"}, 10) + `"`)
		}
		for range rng.IntN(3) {
			b.WriteString(attr())
		}
		if rng.IntN(4) == 0 || depth > 5 {
			b.WriteString(pick([]string{"/>", " />"}, nil, 1))
			return b.String()
		}
		b.WriteString(">")
		for range rng.IntN(4) {
			b.WriteString(pick(spaces, []string{"x", "<!-- c -->", "&amp;"}, 10))
			b.WriteString(element(depth+1, false))
		}
		b.WriteString(pick(spaces, nil, 1) + "</" + pick([]string{name}, []string{"other"}, 30) + pick([]string{">", " >"}, nil, 1))
		return b.String()
	}
	fast := 0
	for i := range 30000 {
		doc := pick([]string{"", `<?xml version="1.0" encoding="UTF-8"?>`, "<!-- c -->\n"}, []string{`<?xml version="1.1"?>`, `<?xml version="1.0" encoding="ISO-8859-1"?>`, "<!DOCTYPE x>"}, 20) +
			element(0, true) + pick(spaces, []string{"x", "<a/>"}, 20)
		ok, err := CheckFastParse([]byte(doc))
		if err != nil {
			t.Fatalf("document %d %q: %v", i, doc, err)
		}
		if ok {
			fast++
		}
	}
	t.Logf("%d of 30000 documents took the fast parse", fast)
	assert.Greater(t, fast, 5000, "documents the fast parse took")
}
