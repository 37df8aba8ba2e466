package fhirjson

import (
	"errors"
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

// Text content: runs of ASCII are taken at once, so what follows a run
// (a character XML cannot carry, markup, "]]>") must still be found where
// it is, on the line and column given.
func TestCheckXHTMLText(t *testing.T) {
	const open = `<div xmlns="http://www.w3.org/1999/xhtml">`
	for _, tc := range []struct {
		text      string
		line, col int // of the error; 0 when valid
		msg       string
	}{
		{"A synthetic patient", 0, 0, ""},
		{"a\tb\nc\rd", 0, 0, ""},
		{"café ✓ & more", 1, 53, "bad entity reference"},
		{"abc &lt; <b>bold</b> x", 0, 0, ""},
		{"abc\x01def", 1, 46, "U+0001"},
		{"line one\nab\x7f", 0, 0, ""},
		{"line one\nab\x1b", 2, 3, "U+001B"},
		{"abc\xffdef", 1, 46, "U+FFFD"},
		{"ok \uFFFE", 1, 46, "U+FFFE"},
		{"a ]]> b", 1, 45, "]]> in text"},
		{"a ] ]> b > c", 0, 0, ""},
		{"abc<p>x</p>def", 0, 0, ""},
		{"abc</p>", 1, 46, "does not match"},
	} {
		err := CheckXHTML(open + tc.text + "</div>")
		if tc.line == 0 {
			if err != nil {
				t.Errorf("%q: %v", tc.text, err)
			}
			continue
		}
		var xe *XHTMLError
		if !errors.As(err, &xe) {
			t.Errorf("%q: %v, want an XHTMLError", tc.text, err)
			continue
		}
		if xe.Line != tc.line || xe.Column != tc.col || !strings.Contains(xe.Msg, tc.msg) {
			t.Errorf("%q: line %d column %d %q, want line %d column %d with %q", tc.text, xe.Line, xe.Column, xe.Msg, tc.line, tc.col, tc.msg)
		}
	}
}
