package fhirjson

import (
	"strings"
	"testing"
)

// An attribute value's characters: ASCII text and XML white space pass,
// other control characters, bytes that are not UTF-8 and bad entity
// references are refused, whatever comes before them in the value.
func TestCheckXHTMLAttributeCharacters(t *testing.T) {
	for _, tc := range []struct {
		value string
		err   string // a part of the error, "" when valid
	}{
		{"plain", ""},
		{"a\tb\nc\rd e", ""},
		{"café ✓", ""},
		{"a &amp; b &#x41; &#65;", ""},
		{"a\x01b", "character XML cannot carry"},
		{"abc\x1f", "character XML cannot carry"},
		{"a\xffb", "character XML cannot carry"},
		{"a\uFFFEb", "character XML cannot carry"},
		{"a &nbsp; b", "bad entity reference"},
		{"a & b", "bad entity reference"},
	} {
		div := `<div xmlns="http://www.w3.org/1999/xhtml"><p class="` + tc.value + `">x</p></div>`
		err := CheckXHTML(div)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.value, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error with %q", tc.value, err, tc.err)
		}
	}
}
