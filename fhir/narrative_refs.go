package fhir

import (
	"encoding/xml"
	"strings"
)

// narrativeLocalRefs gives yield the id of each contained resource the
// narrative div links to: <a href="#id"> and <img src="#id"> (a bare "#"
// names none). The HL7 validator counts these as references for dom-3
// (InstanceValidator's checkContainedReferences, with the ids its XHTML
// checks collect), although R4's expression for dom-3 does not look at the
// narrative; FHIR's narrative section has a narrative show a contained
// image this way. Values are read as XML reads them (entities replaced).
// It stops when yield returns false.
func narrativeLocalRefs(div string, yield func(id string) bool) {
	if !mayLinkLocally(div) {
		return
	}
	d := xml.NewDecoder(strings.NewReader(div))
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		want := ""
		switch se.Name.Local {
		case "a":
			want = "href"
		case "img":
			want = "src"
		default:
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local == want && a.Name.Space == "" && len(a.Value) > 1 && a.Value[0] == '#' {
				if !yield(a.Value[1:]) {
					return
				}
			}
		}
	}
}

// mayLinkLocally: div has an attribute value that starts with "#" or a
// character reference, without which no "#id" link can be written.
func mayLinkLocally(div string) bool {
	return strings.Contains(div, `"#`) || strings.Contains(div, `'#`) || strings.Contains(div, "&#")
}

// narrativeRefersTo reports whether a narrative anywhere in n (the
// resource's own, or a contained resource's) links to the contained
// resource id (narrativeLocalRefs).
func narrativeRefersTo(n *Node, id string) bool {
	for _, k := range n.kids {
		if k.Type == "xhtml" {
			found := false
			if s, ok := sysVal(k).(string); ok {
				narrativeLocalRefs(s, func(ref string) bool {
					found = ref == id
					return !found
				})
			}
			if found {
				return true
			}
			continue
		}
		if len(k.kids) > 0 && narrativeRefersTo(k, id) {
			return true
		}
	}
	return false
}
