// Command gen writes nhskit's FHIR models, their JSON codec, their
// validation and their element tables from a compact description of a FHIR
// version's types and resources in this folder: r4.def for package fhir
// (R4, with validation, element tables and XML), stu3.def for package
// fhir/stu3 (STU3, models and the JSON codec).
//
// Run it with go generate in package fhir (see fhir/generate.go) or
// fhir/stu3 (see fhir/stu3/generate.go).
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

type element struct {
	Name    string   // JSON name, without [x]
	Choice  bool     // a name[x] element
	Types   []string // FHIR type names ("@X.Y" for backbone elements)
	Min     int
	Many    bool // max is *
	VS      string
	Codes   []string
	Targets []string // reference targets (unused by the description today)
}

type def struct {
	Kind     string // type, resource, backbone
	Name     string // FHIR name: Patient, Patient.Contact
	Backbone bool   // a datatype deriving from BackboneElement (modifierExtension)
	Plain    bool   // a resource that is not a DomainResource (no text, contained, extensions)
	Elems    []element
}

// Primitive types: FHIR name -> Go name and kind.
var primitives = map[string]struct{ Go, Kind string }{
	"base64Binary": {"Base64Binary", "string"},
	"boolean":      {"Boolean", "bool"},
	"canonical":    {"Canonical", "string"},
	"code":         {"Code", "string"},
	"date":         {"Date", "string"},
	"dateTime":     {"DateTime", "string"},
	"decimal":      {"Decimal", "decimal"},
	"id":           {"ID", "string"},
	"instant":      {"Instant", "string"},
	"integer":      {"Integer", "int"},
	"markdown":     {"Markdown", "string"},
	"oid":          {"OID", "string"},
	"positiveInt":  {"PositiveInt", "int"},
	"string":       {"String", "string"},
	"time":         {"Time", "string"},
	"unsignedInt":  {"UnsignedInt", "int"},
	"uri":          {"URI", "string"},
	"url":          {"URL", "string"},
	"uuid":         {"UUID", "string"},
	"xhtml":        {"XHTML", "string"},
}

// version is what differs between the FHIR versions the generator writes.
type version struct {
	Name     string // R4, STU3
	Pkg      string // the Go package written
	Validate bool   // write validation, element tables and instance tests
	omit     map[string]bool
	open     []string
}

var versions = map[string]*version{
	// openTypes is the R4 list of types allowed where the definition says "*"
	// (Extension.value[x], Parameters.parameter.value[x], Task input/output).
	"r4": {Name: "R4", Pkg: "fhir", Validate: true, open: strings.Fields(`base64Binary boolean canonical code date dateTime decimal id instant integer markdown oid positiveInt string time unsignedInt uri url uuid
Address Age Annotation Attachment CodeableConcept Coding ContactPoint Count Distance Duration HumanName Identifier Money Period Quantity Range Ratio Reference SampledData Signature Timing
ContactDetail Contributor DataRequirement Expression ParameterDefinition RelatedArtifact TriggerDefinition UsageContext Dosage Meta`)},
	// STU3 has no canonical or url primitive; its open type list is the
	// one of Extension.value[x] in STU3's profiles-types.json.
	"stu3": {Name: "STU3", Pkg: "stu3", omit: map[string]bool{"canonical": true, "url": true}, open: strings.Fields(`base64Binary boolean code date dateTime decimal id instant integer markdown oid positiveInt string time unsignedInt uri
Address Age Annotation Attachment CodeableConcept Coding ContactPoint Count Distance Duration HumanName Identifier Money Period Quantity Range Ratio Reference SampledData Signature Timing Meta`)},
}

// ver is the version being written or synced; openTypes its open list.
var (
	ver       = versions["r4"]
	openTypes = ver.open
)

func setVersion(name string) error {
	v := versions[name]
	if v == nil {
		return fmt.Errorf("unknown FHIR version %q (want r4 or stu3)", name)
	}
	ver, openTypes = v, v.open
	return nil
}

// specURL is the address of a page of the version's specification.
func specURL(page string) string { return "https://hl7.org/fhir/" + ver.Name + "/" + page }

//go:embed runtime.go.tmpl
var runtimeTemplate string

func parse(path string) ([]*def, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var defs []*def
	var cur *def
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(t), "#") || strings.TrimSpace(t) == "" {
			continue
		}
		if !strings.HasPrefix(t, " ") {
			fs := strings.Fields(t)
			if len(fs) < 2 || len(fs) > 3 {
				return nil, fmt.Errorf("%s:%d: want kind and name", path, line)
			}
			cur = &def{Kind: fs[0], Name: fs[1]}
			if len(fs) == 3 {
				switch {
				case fs[2] == "backbone" && cur.Kind == "type":
					cur.Backbone = true
				case fs[2] == "plain" && cur.Kind == "resource":
					cur.Plain = true
				default:
					return nil, fmt.Errorf("%s:%d: unknown flag %q", path, line, fs[2])
				}
			}
			defs = append(defs, cur)
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: element outside a block", path, line)
		}
		fs := strings.Fields(t)
		if len(fs) < 3 {
			return nil, fmt.Errorf("%s:%d: want name, type, cardinality", path, line)
		}
		e := element{Name: fs[0]}
		if strings.HasSuffix(e.Name, "[x]") {
			e.Choice = true
			e.Name = strings.TrimSuffix(e.Name, "[x]")
		}
		if fs[1] == "*" {
			e.Types = openTypes
		} else {
			e.Types = strings.Split(fs[1], "|")
		}
		switch fs[2] {
		case "0..1":
		case "1..1":
			e.Min = 1
		case "0..*":
			e.Many = true
		case "1..*":
			e.Min, e.Many = 1, true
		default:
			return nil, fmt.Errorf("%s:%d: cardinality %q", path, line, fs[2])
		}
		rest := strings.Join(fs[3:], " ")
		if strings.HasPrefix(rest, "vs=") {
			vs, codes, _ := strings.Cut(strings.TrimPrefix(rest, "vs="), " ")
			e.VS = vs
			codes = strings.TrimSpace(codes)
			if codes != "" {
				e.Codes = strings.Fields(strings.Trim(codes, "{}"))
			}
		}
		cur.Elems = append(cur.Elems, e)
	}
	return defs, sc.Err()
}

func goTypeName(fhirType string) string {
	if p, ok := primitives[fhirType]; ok {
		return p.Go
	}
	if strings.HasPrefix(fhirType, "@") {
		return strings.ReplaceAll(fhirType[1:], ".", "")
	}
	return strings.ReplaceAll(fhirType, ".", "")
}

func goFieldName(json string) string {
	n := strings.ToUpper(json[:1]) + json[1:]
	for _, r := range [][2]string{{"Id", "ID"}, {"Url", "URL"}, {"Uri", "URI"}} {
		for i := 0; ; {
			j := strings.Index(n[i:], r[0])
			if j < 0 {
				break
			}
			j += i
			end := j + len(r[0])
			if end == len(n) || (n[end] >= 'A' && n[end] <= 'Z') {
				n = n[:j] + r[1] + n[end:]
			}
			i = j + 1
		}
	}
	return n
}

func choiceSuffix(fhirType string) string { return strings.ToUpper(fhirType[:1]) + fhirType[1:] }

func isPrimitive(t string) bool { _, ok := primitives[t]; return ok && !ver.omit[t] }

type gen struct {
	defs   []*def
	byName map[string]*def
	vsFunc map[string]string // codes key -> function name
	vsList []string
	vsBody map[string][]string
	buf    bytes.Buffer
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.buf, format+"\n", args...) }

func (g *gen) codesFunc(e element) string {
	key := e.VS + "|" + strings.Join(e.Codes, " ")
	if f, ok := g.vsFunc[key]; ok {
		return f
	}
	base := e.VS[strings.LastIndex(e.VS, "/")+1:]
	name := "vs"
	for _, part := range strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '.' || r == '|' }) {
		name += strings.ToUpper(part[:1]) + part[1:]
	}
	for n, i := name, 2; ; i++ {
		taken := false
		for _, f := range g.vsFunc {
			if f == n {
				taken = true
			}
		}
		if !taken {
			name = n
			break
		}
		n = fmt.Sprintf("%s%d", name, i)
	}
	g.vsFunc[key] = name
	g.vsList = append(g.vsList, key)
	g.vsBody[key] = e.Codes
	return name
}

// fields lists a definition's Go fields, base elements included.
type field struct {
	Go, JSON, GoType string
	Base             string // "id", "extension", "modifierExtension", "contained", "" for spec elements
	E                element
}

func (g *gen) fields(d *def) []field {
	var fs []field
	switch {
	case d.Kind == "resource":
		fs = append(fs,
			field{Go: "ID", JSON: "id", GoType: "ID", E: element{Name: "id", Types: []string{"id"}}},
			field{Go: "Meta", JSON: "meta", GoType: "*Meta", E: element{Name: "meta", Types: []string{"Meta"}}},
			field{Go: "ImplicitRules", JSON: "implicitRules", GoType: "URI", E: element{Name: "implicitRules", Types: []string{"uri"}}},
			field{Go: "Language", JSON: "language", GoType: "Code", E: element{Name: "language", Types: []string{"code"}}},
		)
		if !d.Plain {
			fs = append(fs,
				field{Go: "Text", JSON: "text", GoType: "*Narrative", E: element{Name: "text", Types: []string{"Narrative"}}},
				field{Go: "Contained", JSON: "contained", GoType: "[]Resource", E: element{Name: "contained", Types: []string{"Resource"}, Many: true}},
				field{Go: "Extension", JSON: "extension", GoType: "[]Extension", Base: "extension", E: element{Name: "extension", Types: []string{"Extension"}, Many: true}},
				field{Go: "ModifierExtension", JSON: "modifierExtension", GoType: "[]Extension", Base: "extension", E: element{Name: "modifierExtension", Types: []string{"Extension"}, Many: true}},
			)
		}
	default:
		fs = append(fs,
			field{Go: "ID", JSON: "id", GoType: "string", Base: "id"},
			field{Go: "Extension", JSON: "extension", GoType: "[]Extension", Base: "extension", E: element{Name: "extension", Types: []string{"Extension"}, Many: true}},
		)
		if d.Kind == "backbone" || d.Backbone {
			fs = append(fs, field{Go: "ModifierExtension", JSON: "modifierExtension", GoType: "[]Extension", Base: "extension", E: element{Name: "modifierExtension", Types: []string{"Extension"}, Many: true}})
		}
	}
	for _, e := range d.Elems {
		f := field{Go: goFieldName(e.Name), JSON: e.Name, E: e}
		switch {
		case e.Choice:
			f.GoType = "Value"
		case e.Types[0] == "Resource":
			f.GoType = "Resource"
		case isPrimitive(e.Types[0]):
			f.GoType = goTypeName(e.Types[0])
		default:
			f.GoType = "*" + goTypeName(e.Types[0])
		}
		if e.Many {
			f.GoType = "[]" + strings.TrimPrefix(f.GoType, "*")
		}
		fs = append(fs, f)
	}
	return fs
}

func main() {
	out := flag.String("out", ".", "output folder (package fhir)")
	in := flag.String("def", "internal/gen/r4.def", "description file")
	vname := flag.String("version", "r4", "FHIR version: r4 or stu3")
	sync := flag.String("sync", "", "definitions to rewrite the description file from, instead of generating: R4's definitions.tgz, or the folder of the npm package fhir@3.2.0 for STU3")
	flag.Parse()
	if err := setVersion(*vname); err != nil {
		log.Fatal(err)
	}
	if *sync != "" {
		ds, err := readVersionDefinitions(*sync)
		if err != nil {
			log.Fatal(err)
		}
		defs, err := fromDefinitions(ds)
		if err != nil {
			log.Fatal(err)
		}
		var b bytes.Buffer
		if err := writeDef(&b, defs); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*in, b.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*in, *out, *vname); err != nil {
		log.Fatal(err)
	}
}

func run(in, out, version string) error {
	if err := setVersion(version); err != nil {
		return err
	}
	defs, err := parse(in)
	if err != nil {
		return err
	}
	g := &gen{defs: defs, byName: map[string]*def{}, vsFunc: map[string]string{}, vsBody: map[string][]string{}}
	for _, d := range defs {
		if g.byName[d.Name] != nil {
			return fmt.Errorf("%s defined twice", d.Name)
		}
		g.byName[d.Name] = d
	}
	for _, d := range defs {
		for _, e := range d.Elems {
			for _, t := range e.Types {
				t = strings.TrimPrefix(t, "@")
				if !isPrimitive(t) && t != "Resource" && g.byName[t] == nil {
					return fmt.Errorf("%s.%s: unknown type %s", d.Name, e.Name, t)
				}
			}
		}
	}
	write := func(name string, body func()) error {
		g.buf.Reset()
		g.p("// Code generated by fhir/internal/gen from %s; DO NOT EDIT.\n", filepath.Base(in))
		g.p("package %s\n", ver.Pkg)
		body()
		src, err := format.Source(g.buf.Bytes())
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		return os.WriteFile(filepath.Join(out, name), src, 0o644)
	}
	type file struct {
		name string
		body func()
	}
	files := []file{
		{"zz_primitives.go", g.primitives},
		{"zz_models.go", g.models},
		{"zz_json.go", g.json},
		{"zz_runtime.go", g.runtime},
	}
	// The element tables serve the XML codec of every version (and
	// FHIRPath in R4).
	files = append(files, file{"zz_meta.go", g.meta})
	if ver.Validate {
		files = append(files, file{"zz_validate.go", g.validate}, file{"zz_node.go", g.nodes})
	}
	files = append(files, file{"zz_codes.go", g.constants})
	if ver.Validate {
		files = append(files, file{"zz_instances_test.go", g.instances})
	}
	for _, f := range files {
		if err := write(f.name, f.body); err != nil {
			return err
		}
	}
	return nil
}

func sortedPrimitives() []string {
	var ns []string
	for n := range primitives {
		if ver.omit[n] {
			continue
		}
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

func (g *gen) primitives() {
	g.p("import \"strconv\"\n")
	g.p("var _ = strconv.Itoa\n")
	for _, n := range sortedPrimitives() {
		p := primitives[n]
		link := specURL("datatypes.html#" + n)
		if n == "xhtml" {
			link = specURL("narrative.html#xhtml")
		}
		switch p.Kind {
		case "string":
			g.p("// %s is the FHIR %s primitive (%s). Value is the JSON text unescaped;\n// Elem holds the element's id and extensions (the JSON _name property).", p.Go, n, link)
			g.p("type %s struct {\n\tValue string\n\tElem *Element\n}\n", p.Go)
			g.p("func (p *%s) hasValue() bool { return p.Value != \"\" }", p.Go)
			g.p("func (p *%s) encodeValue(e *encoder) { e.Str(p.Value) }", p.Go)
			if n == "xhtml" {
				g.p("func (p *%s) decodeValue(d *decoder) (err error) { p.Value, err = d.XHTML(); return }", p.Go)
			} else {
				g.p("func (p *%s) decodeValue(d *decoder) (err error) { p.Value, err = d.NonEmptyStr(); return }", p.Go)
			}
		case "bool":
			g.p("// %s is the FHIR %s primitive (%s). Set says a value is present;\n// Elem holds the element's id and extensions.", p.Go, n, link)
			g.p("type %s struct {\n\tValue bool\n\tSet bool\n\tElem *Element\n}\n", p.Go)
			g.p("func (p *%s) hasValue() bool { return p.Set }", p.Go)
			g.p("func (p *%s) encodeValue(e *encoder) { e.Boolean(p.Value) }", p.Go)
			g.p("func (p *%s) decodeValue(d *decoder) (err error) { p.Value, err = d.Boolean(); p.Set = err == nil; return }", p.Go)
		case "int":
			g.p("// %s is the FHIR %s primitive (%s). Set says a value is present;\n// Elem holds the element's id and extensions.", p.Go, n, link)
			g.p("type %s struct {\n\tValue int64\n\tSet bool\n\tElem *Element\n}\n", p.Go)
			g.p("func (p *%s) hasValue() bool { return p.Set }", p.Go)
			g.p("func (p *%s) encodeValue(e *encoder) { e.Buf = strconv.AppendInt(e.Buf, p.Value, 10) }", p.Go)
			g.p("func (p *%s) decodeValue(d *decoder) (err error) { p.Value, err = d.Integer(); p.Set = err == nil; return }", p.Go)
		case "decimal":
			g.p("// %s is the FHIR %s primitive (%s). Raw is the number exactly as\n// written (\"4.50\" stays \"4.50\"); Elem holds the element's id and extensions.", p.Go, n, link)
			g.p("type %s struct {\n\tRaw string\n\tElem *Element\n}\n", p.Go)
			g.p("func (p *%s) hasValue() bool { return p.Raw != \"\" }", p.Go)
			g.p("func (p *%s) encodeValue(e *encoder) { e.Buf = append(e.Buf, p.Raw...) }", p.Go)
			g.p("func (p *%s) decodeValue(d *decoder) (err error) { p.Raw, err = d.Number(); return }", p.Go)
		}
		g.p("func (p *%s) elem() **Element { return &p.Elem }", p.Go)
		g.p("func (*%s) isValue() {}", p.Go)
		g.p("func (p *%s) present() bool { return p.hasValue() || p.Elem != nil }", p.Go)
		g.p("// TypeName is the FHIR type name, %q.\nfunc (*%s) TypeName() string { return %q }", n, p.Go, n)
		if ver.Validate {
			g.p("func (p *%s) check() string { return check%s(p) }\n", p.Go, p.Go)
		}
	}
}

func (g *gen) models() {
	for _, d := range g.defs {
		goName := goTypeName(d.Name)
		switch d.Kind {
		case "resource":
			g.p("// %s is the FHIR %s %s resource (%s).", goName, ver.Name, d.Name, specURL(strings.ToLower(d.Name)+".html"))
		case "backbone":
			g.p("// %s is the backbone element %s.", goName, lowerPath(d.Name))
		default:
			g.p("// %s is the FHIR %s %s datatype.", goName, ver.Name, d.Name)
		}
		g.p("type %s struct {", goName)
		for _, f := range g.fields(d) {
			comment := ""
			if f.E.Choice {
				var ts []string
				if len(f.E.Types) == len(openTypes) {
					ts = []string{"any open type"}
				} else {
					for _, t := range f.E.Types {
						ts = append(ts, "*"+goTypeName(t))
					}
				}
				comment = " // " + strings.Join(ts, ", ")
			} else if f.E.Min > 0 {
				comment = " // required"
			}
			if len(f.E.Codes) > 0 {
				if comment == "" {
					comment = " //"
				} else {
					comment += ";"
				}
				comment += " " + strings.Join(f.E.Codes, " | ")
			}
			g.p("\t%s %s%s", f.Go, f.GoType, comment)
		}
		g.p("\t// Unknown keeps elements this model does not know, in order, so that\n\t// nothing is lost; validation reports them.\n\tUnknown []RawField")
		g.p("}\n")
		if d.Kind == "resource" {
			g.p("// ResourceType returns %q.\nfunc (*%s) ResourceType() string { return %q }", d.Name, goName, d.Name)
			g.p("func (r *%s) resourceID() string { return r.ID.Value }", goName)
			g.p("func (r *%s) resourceMeta() *Meta { return r.Meta }\n", goName)
		} else if d.Kind == "type" {
			g.p("// TypeName is the FHIR type name, %q.\nfunc (*%s) TypeName() string { return %q }", d.Name, goName, d.Name)
			g.p("func (*%s) isValue() {}\n", goName)
		}
	}
	// Resource constructors by name.
	g.p("func newResource(typ string) Resource {\n\tswitch typ {")
	for _, d := range g.defs {
		if d.Kind == "resource" {
			g.p("\tcase %q: return new(%s)", d.Name, goTypeName(d.Name))
		}
	}
	g.p("\t}\n\treturn nil\n}\n")
	g.p("// newValue returns a new value of a FHIR datatype by name.\nfunc newValue(typ string) Value {\n\tswitch typ {")
	for _, n := range sortedPrimitives() {
		g.p("\tcase %q: return new(%s)", n, primitives[n].Go)
	}
	for _, d := range g.defs {
		if d.Kind == "type" {
			g.p("\tcase %q: return new(%s)", d.Name, goTypeName(d.Name))
		}
	}
	g.p("\t}\n\treturn nil\n}\n")
}

func lowerPath(name string) string {
	parts := strings.Split(name, ".")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToLower(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, ".")
}

// keyIndex numbers a struct's JSON keys for duplicate detection.
func (g *gen) json() {
	for _, d := range g.defs {
		goName := goTypeName(d.Name)
		fs := g.fields(d)
		// Decoder.
		g.p("func (v *%s) decodeJSON(d *decoder) error {", goName)
		g.p("\tif err := d.BeginObject(); err != nil { return err }")
		nseen := 0
		for _, f := range fs {
			if f.E.Choice {
				nseen += 2 * len(f.E.Types)
			} else {
				nseen += 2
			}
		}
		g.p("\tvar seen [%d]uint64", (nseen+63)/64)
		g.p("\tfor first := true; ; first = false {")
		g.p("\t\tkey, more, err := d.NextKey(first)")
		g.p("\t\tif err != nil { return err }")
		g.p("\t\tif !more { break }")
		g.p("\t\tstart := d.Pos()")
		g.p("\t\tswitch string(key) {")
		if d.Kind == "resource" {
			g.p("\t\tcase \"resourceType\":")
			g.p("\t\t\tif err = d.ExpectResourceType(%q); err != nil { return err }", d.Name)
			g.p("\t\t\tcontinue")
		}
		bit := 0
		next := func() int { bit++; return bit - 1 }
		once := func(i int, body string) {
			g.p("\t\t\tif err = d.Once(seen[:], %d, key, start); err == nil { %s }", i, body)
		}
		for _, f := range fs {
			switch {
			case f.Base == "id":
				g.p("\t\tcase %q:", f.JSON)
				once(next(), "v.ID, err = d.NonEmptyStr()")
				next()
			case f.E.Choice:
				for _, t := range f.E.Types {
					vi, ei := next(), next()
					g.p("\t\tcase %q:", f.JSON+choiceSuffix(t))
					if isPrimitive(t) {
						once(vi, fmt.Sprintf("err = decodeChoicePrim[%s](d, &v.%s)", goTypeName(t), f.Go))
						g.p("\t\tcase %q:", "_"+f.JSON+choiceSuffix(t))
						once(ei, fmt.Sprintf("err = decodeChoiceElem[%s](d, &v.%s)", goTypeName(t), f.Go))
					} else {
						once(vi, fmt.Sprintf("err = decodeChoiceType[%s](d, &v.%s)", goTypeName(t), f.Go))
					}
				}
			case f.E.Types[0] == "Resource":
				vi := next()
				next()
				g.p("\t\tcase %q:", f.JSON)
				if f.E.Many {
					once(vi, fmt.Sprintf("err = decodeResources(d, &v.%s)", f.Go))
				} else {
					once(vi, fmt.Sprintf("v.%s, err = decodeResource(d)", f.Go))
				}
			case isPrimitive(f.E.Types[0]):
				vi, ei := next(), next()
				gt := goTypeName(f.E.Types[0])
				g.p("\t\tcase %q:", f.JSON)
				if f.E.Many {
					once(vi, fmt.Sprintf("err = decodePrimSlice(d, &v.%s)", f.Go))
				} else {
					once(vi, fmt.Sprintf("err = v.%s.decodeValue(d)", f.Go))
				}
				g.p("\t\tcase %q:", "_"+f.JSON)
				if f.E.Many {
					once(ei, fmt.Sprintf("err = decodeElemSlice[%s](d, &v.%s)", gt, f.Go))
				} else {
					once(ei, fmt.Sprintf("err = decodeElem(d, &v.%s.Elem)", f.Go))
				}
			default:
				vi := next()
				next()
				g.p("\t\tcase %q:", f.JSON)
				if f.E.Many {
					once(vi, fmt.Sprintf("err = decodeSlice(d, &v.%s)", f.Go))
				} else {
					once(vi, fmt.Sprintf("err = decodeOne(d, &v.%s)", f.Go))
				}
			}
		}
		g.p("\t\tdefault:")
		g.p("\t\t\terr = d.Unknown(key, &v.Unknown)")
		g.p("\t\t}")
		g.p("\t\tif err != nil { return atKey(err, key) }")
		g.p("\t}")
		g.p("\treturn nil\n}\n")

		// Encoder.
		g.p("func (v *%s) encodeJSON(e *encoder) {", goName)
		g.p("\te.Open()")
		if d.Kind == "resource" {
			g.p("\te.Key(`\"resourceType\":`)\n\te.Str(%q)", d.Name)
		}
		for _, f := range fs {
			k := fmt.Sprintf("`\"%s\":`", f.JSON)
			ek := fmt.Sprintf("`\"_%s\":`", f.JSON)
			switch {
			case f.Base == "id":
				g.p("\tif v.ID != \"\" { e.Key(%s); e.Str(v.ID) }", k)
			case f.E.Choice:
				g.p("\tif v.%s != nil { encodeChoice(e, %q, v.%s) }", f.Go, f.JSON, f.Go)
			case f.E.Types[0] == "Resource":
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 { e.Key(%s); encodeResources(e, v.%s) }", f.Go, k, f.Go)
				} else {
					g.p("\tif v.%s != nil { e.Key(%s); encodeResource(e, v.%s) }", f.Go, k, f.Go)
				}
			case isPrimitive(f.E.Types[0]):
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 { encodePrimSlice(e, %s, %s, v.%s) }", f.Go, k, ek, f.Go)
				} else {
					g.p("\tencodePrim(e, %s, %s, &v.%s)", k, ek, f.Go)
				}
			default:
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 { e.Key(%s); encodeSlice(e, v.%s) }", f.Go, k, f.Go)
				} else {
					g.p("\tif v.%s != nil { e.Key(%s); v.%s.encodeJSON(e) }", f.Go, k, f.Go)
				}
			}
		}
		g.p("\te.Unknown(v.Unknown)")
		g.p("\te.Close()\n}\n")
	}
	// Choice values: the JSON suffix, and how to write one.
	g.p("func encodeChoice(e *encoder, name string, v Value) {\n\tswitch x := v.(type) {")
	for _, n := range sortedPrimitives() {
		g.p("\tcase *%s:\n\t\tencodeChoicePrim(e, name, %q, x)", primitives[n].Go, choiceSuffix(n))
	}
	for _, d := range g.defs {
		if d.Kind == "type" {
			g.p("\tcase *%s:\n\t\te.ChoiceKey(name, %q)\n\t\tx.encodeJSON(e)", goTypeName(d.Name), choiceSuffix(d.Name))
		}
	}
	g.p("\t}\n}\n")
}

// nodes writes, for each type, buildNode: the FHIRPath Node tree of a
// value straight from the typed model, in the order and with the names
// and types its encodeJSON output would give (typedBuilder in
// fhirpath_nodetyped.go does the rest), and buildChoice, its dispatch
// on the type of a choice value.
func (g *gen) nodes() {
	g.p("// nodeTypes are the types buildNode knows, resolved against typeTable once.")
	g.p("var nodeTypes = []*nodeType{")
	for _, d := range g.defs {
		g.p("\t&nt%s,", goTypeName(d.Name))
	}
	g.p("}\n")
	for _, d := range g.defs {
		goName := goTypeName(d.Name)
		fs := g.fields(d)
		g.p("var nt%s = nodeType{def: %q}\n", goName, d.Name)
		g.p("func (v *%s) buildNode(b *typedBuilder, s nodeScope) {", goName)
		g.p("\tnt := &nt%s", goName)
		for i, f := range fs {
			switch {
			case f.JSON == "fhir_comments":
				// a key the JSON tree leaves out
				g.p("\tif v.%s.present() { b.bail = true }", f.Go)
			case f.Base == "id":
				g.p("\tif v.ID != \"\" { b.str(s, nt, %d, %q, v.ID) }", i, f.JSON)
			case f.E.Choice:
				g.p("\tif v.%s != nil { buildChoice(b, s, nt, %d, v.%s) }", f.Go, i, f.Go)
			case f.E.Types[0] == "Resource":
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 { b.resources(s, nt, %d, %q, v.%s) }", f.Go, i, f.JSON, f.Go)
				} else {
					g.p("\tif v.%s != nil { b.resources(s, nt, %d, %q, []Resource{v.%s}) }", f.Go, i, f.JSON, f.Go)
				}
			case isPrimitive(f.E.Types[0]) && primitives[f.E.Types[0]].Kind == "string":
				// a string-valued primitive: no generic call, no type switch
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 {\n\t\tsome := false\n\t\tfor j := range v.%s { if v.%s[j].Value != \"\" || someElem(v.%s[j].Elem) { some = true; break } }", f.Go, f.Go, f.Go, f.Go)
					g.p("\t\tif some {\n\t\t\tgr := b.group(s, nt, %d, %q)\n\t\t\tfor j := range v.%s { b.strNode(s, gr, v.%s[j].Value, v.%s[j].Elem) }\n\t\t} else {\n\t\t\tb.emptyItems(s, nt, %d, %q, len(v.%s))\n\t\t}\n\t}", i, f.JSON, f.Go, f.Go, f.Go, i, f.JSON, f.Go)
				} else {
					g.p("\tif v.%s.Value != \"\" {\n\t\tb.leaf(s, nt, %d, %q, v.%s.Value, v.%s.Elem)\n\t} else if someElem(v.%s.Elem) {\n\t\tb.strNode(s, b.group(s, nt, %d, %q), \"\", v.%s.Elem)\n\t} else if v.%s.Elem != nil {\n\t\tb.emptyPrim(s, nt, %d, %q)\n\t}", f.Go, i, f.JSON, f.Go, f.Go, f.Go, i, f.JSON, f.Go, f.Go, i, f.JSON)
				}
			case isPrimitive(f.E.Types[0]):
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 { buildPrimSlice(b, s, nt, %d, %q, v.%s) }", f.Go, i, f.JSON, f.Go)
				} else {
					g.p("\tbuildPrim(b, s, nt, %d, %q, &v.%s)", i, f.JSON, f.Go)
				}
			default:
				if f.E.Many {
					g.p("\tif len(v.%s) > 0 {\n\t\tgr := b.group(s, nt, %d, %q)\n\t\tfor i := range v.%s { c := b.obj(s, gr); v.%s[i].buildNode(b, c); b.end(c) }\n\t}", f.Go, i, f.JSON, f.Go, f.Go)
				} else {
					g.p("\tif v.%s != nil {\n\t\tgr := b.group(s, nt, %d, %q)\n\t\tc := b.obj(s, gr)\n\t\tv.%s.buildNode(b, c)\n\t\tb.end(c)\n\t}", f.Go, i, f.JSON, f.Go)
				}
			}
		}
		g.p("\tif len(v.Unknown) > 0 { b.bail = true }")
		g.p("}\n")
	}
	g.p("func buildChoice(b *typedBuilder, s nodeScope, nt *nodeType, i int, v Value) {\n\tswitch x := v.(type) {")
	for _, n := range sortedPrimitives() {
		if primitives[n].Kind == "string" {
			g.p("\tcase *%s:\n\t\tif x.Value != \"\" || someElem(x.Elem) {\n\t\t\tif gr, ok := b.choiceGroup(s, nt, i, %q); ok { b.strNode(s, gr, x.Value, x.Elem) }\n\t\t} else if x.Elem != nil {\n\t\t\tb.emptyChoice(s, nt, i, %q)\n\t\t}", primitives[n].Go, n, n)
			continue
		}
		g.p("\tcase *%s:\n\t\tbuildChoicePrim(b, s, nt, i, %q, x)", primitives[n].Go, n)
	}
	for _, d := range g.defs {
		if d.Kind == "type" {
			g.p("\tcase *%s:\n\t\tif gr, ok := b.choiceGroup(s, nt, i, %q); ok { c := b.obj(s, gr); x.buildNode(b, c); b.end(c) }", goTypeName(d.Name), d.Name)
		}
	}
	g.p("\tdefault:\n\t\tb.bail = true")
	g.p("\t}\n}\n")
}

func (g *gen) validate() {
	for _, d := range g.defs {
		goName := goTypeName(d.Name)
		fs := g.fields(d)
		g.p("func (v *%s) validate(c *checker) {", goName)
		for _, f := range fs {
			e := f.E
			switch {
			case f.Base == "id":
				continue
			case e.Choice:
				if e.Min > 0 {
					g.p("\tif v.%s == nil { c.required(%q) }", f.Go, f.JSON)
				}
				var ts []string
				for _, t := range e.Types {
					ts = append(ts, fmt.Sprintf("%q", t))
				}
				if len(e.Types) == len(openTypes) {
					g.p("\tif v.%s != nil { c.choice(%q, v.%s, nil) }", f.Go, f.JSON, f.Go)
				} else {
					g.p("\tif v.%s != nil { c.choice(%q, v.%s, []string{%s}) }", f.Go, f.JSON, f.Go, strings.Join(ts, ", "))
				}
				continue
			}
			t := e.Types[0]
			switch {
			case t == "Resource":
				if e.Many {
					g.p("\tfor i := range v.%s { n := c.pushIndex(%q, i); c.resource(v.%s[i]); c.pop(n) }", f.Go, f.JSON, f.Go)
				} else {
					if e.Min > 0 {
						g.p("\tif v.%s == nil { c.required(%q) }", f.Go, f.JSON)
					}
					g.p("\tif v.%s != nil { n := c.push(%q); c.resource(v.%s); c.pop(n) }", f.Go, f.JSON, f.Go)
				}
			case isPrimitive(t):
				codes, vs := "nil", ""
				if len(e.Codes) > 0 {
					codes, vs = g.codesFunc(e), e.VS
				}
				// per primitive type (g.validPrims): no interface calls
				if e.Many {
					g.p("\tvalidPrims%s(c, v.%s, %q, %v, %q, %s)", primitives[t].Go, f.Go, f.JSON, e.Min > 0, vs, codes)
				} else {
					g.p("\tvalidPrim%s(c, &v.%s, %q, %v, %q, %s)", primitives[t].Go, f.Go, f.JSON, e.Min > 0, vs, codes)
				}
			default:
				if e.Many {
					if e.Min > 0 {
						g.p("\tif len(v.%s) == 0 { c.required(%q) }", f.Go, f.JSON)
					}
					g.p("\tfor i := range v.%s { n := c.pushIndex(%q, i); v.%s[i].validate(c); c.pop(n) }", f.Go, f.JSON, f.Go)
				} else {
					g.p("\tif v.%s != nil { n := c.push(%q); v.%s.validate(c); c.pop(n) }", f.Go, f.JSON, f.Go)
					if e.Min > 0 {
						g.p("\tif v.%s == nil { c.required(%q) }", f.Go, f.JSON)
					}
				}
			}
		}
		switch d.Name {
		case "Extension", "Identifier", "Reference", "Quantity":
			g.p("\tc.check%s(v)", d.Name)
		}
		if d.Kind == "resource" && !d.Plain {
			g.p("\tc.containedReferenced(v.Contained)")
		}
		g.p("\tif len(v.Unknown) > 0 { c.unknownElements(v.Unknown) }")
		g.p("}\n")
	}
	g.validPrims()
	for _, key := range g.vsList {
		name := g.vsFunc[key]
		vs, _, _ := strings.Cut(key, "|")
		g.p("// %s reports whether a code is in %s (required binding).", name, vs)
		g.p("func %s(code string) bool {\n\tswitch code {", name)
		var qs []string
		for _, c := range g.vsBody[key] {
			qs = append(qs, fmt.Sprintf("%q", c))
		}
		g.p("\tcase %s:\n\t\treturn true\n\t}\n\treturn false\n}\n", strings.Join(qs, ", "))
	}
}

// validPrims writes, for each primitive type T, the checks of generated
// validation, with T's methods called directly rather than through the
// primitive interface: validPrimT checks a single element (its presence
// when required), validPrimsT a repeating one (a null entry, neither value
// nor id nor extensions, is reported), and validPrimAtT one value: its
// format, its id and extensions and, for a code only, the code against
// the required value set vs (when codes is not nil).
func (g *gen) validPrims() {
	for _, n := range sortedPrimitives() {
		t := primitives[n].Go
		g.p("func validPrim%s(c *checker, p *%s, name string, required bool, vs string, codes func(string) bool) {", t, t)
		g.p("\tif !p.present() {\n\t\tif required { c.required(name) }\n\t\treturn\n\t}")
		g.p("\tvalidPrimAt%s(c, p, name, -1, vs, codes)\n}\n", t)
		g.p("func validPrims%s(c *checker, s []%s, name string, required bool, vs string, codes func(string) bool) {", t, t)
		g.p("\tif len(s) == 0 && required { c.required(name) }")
		g.p("\tfor i := range s {\n\t\tp := &s[i]\n\t\tif !p.present() { c.nullEntry(name, i) }\n\t\tvalidPrimAt%s(c, p, name, i, vs, codes)\n\t}\n}\n", t)
		g.p("func validPrimAt%s(c *checker, p *%s, name string, i int, vs string, codes func(string) bool) {", t, t)
		g.p("\tif p.hasValue() {\n\t\tif msg := p.check(); msg != \"\" { c.badValue(name, i, msg) }\n\t}")
		g.p("\tif el := p.Elem; el != nil { c.elem(el, name, i) }")
		if n == "canonical" || n == "uri" || n == "url" {
			// dom-3 counts these as references to a contained resource
			g.p("\tc.localRef(p.Value)")
		}
		if n == "xhtml" {
			// and, as the HL7 validator does, a narrative's links to one
			g.p("\tc.narrativeRefs(p.Value)")
		}
		if n == "code" {
			g.p("\tif codes != nil && p.Value != \"\" && !codes(p.Value) { c.badCode(name, i, p.Value, vs) }")
		} else {
			g.p("\t_, _ = vs, codes")
		}
		g.p("}\n")
	}
}

// meta writes the element tables used by the XML codec and FHIRPath.
func (g *gen) meta() {
	g.p("var typeTable = map[string]*typeInfo{")
	for _, d := range g.defs {
		g.p("\t%q: {Name: %q, Kind: %q, Elems: []elemInfo{", d.Name, d.Name, d.Kind)
		for _, f := range g.fields(d) {
			var types []string
			if f.Base == "id" {
				types = []string{"attr:string"}
			} else {
				for _, t := range f.E.Types {
					types = append(types, strings.TrimPrefix(t, "@"))
				}
			}
			var qs []string
			for _, t := range types {
				qs = append(qs, fmt.Sprintf("%q", t))
			}
			g.p("\t\t{Name: %q, Types: []string{%s}, Many: %v, Choice: %v, Min: %d},", f.JSON, strings.Join(qs, ", "), f.E.Many, f.E.Choice, f.E.Min)
		}
		g.p("\t}},")
	}
	g.p("}\n")
}

// codeIdent turns a code into the tail of a Go identifier: female ->
// Female, entered-in-error -> EnteredInError, <= -> LE.
func codeIdent(code string) string {
	switch code {
	case "<":
		return "LT"
	case "<=":
		return "LE"
	case ">":
		return "GT"
	case ">=":
		return "GE"
	case "=":
		return "EQ"
	case "!=":
		return "NE"
	}
	var b strings.Builder
	up := true
	for _, r := range code {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// constants writes the codes of required bindings as typed constants
// (AdministrativeGenderFemale = "female"); the value on the wire stays a
// string. A code whose name would clash with another identifier is left
// out.
func (g *gen) constants() {
	g.collectCodes()
	taken := map[string]bool{}
	for _, d := range g.defs {
		taken[goTypeName(d.Name)] = true
	}
	for _, p := range primitives {
		taken[p.Go] = true
	}
	for _, key := range g.vsList {
		fn := g.vsFunc[key]
		prefix := strings.ToUpper(fn[2:3]) + fn[3:]
		vs, _, _ := strings.Cut(key, "|")
		var lines []string
		for _, c := range g.vsBody[key] {
			id := codeIdent(c)
			if id == "" {
				continue
			}
			name := prefix + id
			if taken[name] {
				continue
			}
			taken[name] = true
			lines = append(lines, fmt.Sprintf("\t%s = %q", name, c))
		}
		if len(lines) == 0 {
			continue
		}
		g.p("// Codes of %s (a required binding).\nconst (", vs)
		for _, l := range lines {
			g.p("%s", l)
		}
		g.p(")\n")
	}
}

// runtime writes the package's share of the JSON runtime (Resource,
// Element, Unmarshal, Marshal and the generic helpers the generated codec
// calls) from runtime.go.tmpl, so that every model package has the same
// code from one source.
func (g *gen) runtime() {
	t := template.Must(template.New("runtime").Parse(runtimeTemplate))
	if err := t.Execute(&g.buf, ver); err != nil {
		panic(err) // the template is part of the generator: a bug, not input
	}
}

// collectCodes names the code checks of required bindings in the order
// validate meets them, for the constants of a package without validation.
func (g *gen) collectCodes() {
	for _, d := range g.defs {
		for _, f := range g.fields(d) {
			if f.Base != "id" && !f.E.Choice && isPrimitive(f.E.Types[0]) && len(f.E.Codes) > 0 {
				g.codesFunc(f.E)
			}
		}
	}
}
