package fhir

// typeInfo describes a generated type's elements, in definition order, for
// the XML codec and FHIRPath.
type typeInfo struct {
	Name   string
	Kind   string // type, resource or backbone
	Elems  []elemInfo
	byName map[string]*elemInfo
	// ownResourceType: the type has an element called resourceType
	// (ExampleScenario.instance), so in JSON that key is not the name of
	// a resource
	ownResourceType bool
}

type elemInfo struct {
	Name   string
	Types  []string // FHIR type names; backbone elements by their path name
	Many   bool
	Choice bool
	Min    int
}

func init() {
	for _, t := range typeTable {
		t.byName = make(map[string]*elemInfo, len(t.Elems))
		for i := range t.Elems {
			t.byName[t.Elems[i].Name] = &t.Elems[i]
		}
		t.ownResourceType = t.byName["resourceType"] != nil
	}
}
