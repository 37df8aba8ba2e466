package fhir

// validPrim checks a single primitive element of generated validation: its
// format, its id and extensions, its code against the required value set
// vs (when codes is not nil) and its presence when required.
func validPrim(c *checker, p primitive, name string, required bool, vs string, codes func(string) bool) {
	if !p.present() {
		if required {
			c.required(name)
		}
		return
	}
	validPrimAt(c, p, name, -1, vs, codes)
}

// validPrims checks a repeating primitive element; a null entry (neither
// value nor extensions) is reported.
func validPrims[T any, P primPtr[T]](c *checker, s []T, name string, required bool, vs string, codes func(string) bool) {
	if len(s) == 0 && required {
		c.required(name)
	}
	for i := range s {
		p := P(&s[i])
		if !p.present() {
			c.nullEntry(name, i)
		}
		validPrimAt(c, p, name, i, vs, codes)
	}
}

func validPrimAt(c *checker, p primitive, name string, i int, vs string, codes func(string) bool) {
	if p.hasValue() {
		if msg := p.check(); msg != "" {
			c.badValue(name, i, msg)
		}
	}
	if el := *p.elem(); el != nil {
		c.elem(el, name, i)
	}
	if codes != nil {
		if x, ok := p.(*Code); ok && x.Value != "" && !codes(x.Value) {
			c.badCode(name, i, x.Value, vs)
		}
	}
}
