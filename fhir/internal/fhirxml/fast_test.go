package fhirxml

import (
	"os"
	"path/filepath"
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
		{"tab and newline kept in a value", ns + "<birthDate value=\"a\tb\nc\"/></Patient>", true},
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
		{"carriage return in a value", ns + "<birthDate value=\"a\r\nb\"/></Patient>", false},
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
