package main

import (
	"fmt"
	"sort"
	"strings"
)

// Per-type test instances: for every resource, a JSON instance with every
// element of the resource and of its backbone elements set once (datatypes
// one level deep), and the paths of its required elements. The test in
// package fhir round-trips each instance through JSON and XML and checks
// that validation reports exactly the required elements of an empty
// instance, so that every generated decoder, encoder and validator runs
// without the conformance corpus.

var sampleValues = map[string]string{
	"base64Binary": `"AAAA"`,
	"boolean":      `true`,
	"canonical":    `"http://example.org/fhir/c"`,
	"code":         `"c"`,
	"date":         `"2020-01-02"`,
	"dateTime":     `"2020-01-02T03:04:05Z"`,
	"decimal":      `1.50`,
	"id":           `"a1"`,
	"instant":      `"2020-01-02T03:04:05.000Z"`,
	"integer":      `-1`,
	"markdown":     `"*m*"`,
	"oid":          `"urn:oid:1.2.3"`,
	"positiveInt":  `1`,
	"string":       `"s"`,
	"time":         `"10:00:00"`,
	"unsignedInt":  `0`,
	"uri":          `"http://example.org/fhir/u"`,
	"url":          `"http://example.org/fhir/l"`,
	"uuid":         `"urn:uuid:c757873d-ec9a-4326-a141-556f43239520"`,
	"xhtml":        `"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>"`,
}

const extensionOnly = `{"extension":[{"url":"http://example.org/fhir/x","valueString":"v"}]}`

func (g *gen) instance(d *def, depth int, visiting map[string]bool) string {
	var parts []string
	if d.Kind == "resource" {
		parts = append(parts, fmt.Sprintf(`"resourceType":%q`, d.Name))
	}
	visiting[d.Name] = true
	defer delete(visiting, d.Name)
	for _, e := range d.Elems {
		t := e.Types[0]
		name := e.Name
		if e.Choice {
			name += choiceSuffix(t)
		}
		var v string
		switch {
		case isPrimitive(t):
			v = sampleValues[t]
			if len(e.Codes) > 0 {
				v = fmt.Sprintf("%q", e.Codes[0])
			}
		case t == "Resource":
			v = `{"resourceType":"Basic","code":{"text":"x"}}`
		default:
			sub := g.byName[strings.TrimPrefix(t, "@")]
			switch {
			case sub == nil:
				continue
			case visiting[sub.Name] || sub.Kind != "backbone" && depth >= 1:
				v = extensionOnly
			default:
				v = g.instance(sub, depth+1, visiting)
			}
		}
		if e.Many {
			v = "[" + v + "]"
		}
		parts = append(parts, fmt.Sprintf("%q:%s", name, v))
	}
	if len(parts) == 0 {
		return extensionOnly
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g *gen) instances() {
	g.p("// genInstance is one resource type's generated test instance.")
	g.p("type genInstance struct {\n\tType string\n\tFull string // every element set once\n\tRequired []string // elements an empty instance lacks\n}\n")
	g.p("var genInstances = []genInstance{")
	var names []string
	for _, d := range g.defs {
		if d.Kind == "resource" {
			names = append(names, d.Name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		d := g.byName[n]
		var req []string
		for _, e := range d.Elems {
			if e.Min > 0 {
				req = append(req, fmt.Sprintf("%q", e.Name))
			}
		}
		g.p("\t{%q, `%s`, []string{%s}},", n, g.instance(d, 0, map[string]bool{}), strings.Join(req, ", "))
	}
	g.p("}")
}
