package tofhir

import (
	"strconv"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// merge converts A34 and A40 (merge patient information): the surviving
// patient (PID) is updated with the retired local identifiers (MRG-1)
// marked "old" and a "replaces" link to each retired record; and each
// retired record that can be found by identifier is deactivated
// (active=false) and linked "replaced-by" to the survivor with a
// conditional FHIRPath Patch, which leaves the rest of that record as it
// is. A retired NHS number is never added to the survivor: UK Core allows
// one NHS number per Patient (slice identifier:nhsNumber, max 1).
func (c *conv) merge(pid hl7v2.PID) (*Result, error) {
	mrg, ok := c.msg.MRG()
	if !ok {
		return nil, &Error{Path: "MRG", Err: ErrMissing}
	}
	prior := mrg.PriorIdentifiers()
	if len(prior) == 0 || prior[0].ID == "" || hl7v2.IsNull(prior[0].ID) {
		return nil, &Error{Path: "MRG-1", Err: ErrMissing}
	}
	var pd1 *hl7v2.PD1
	if s, ok := c.msg.PD1(); ok {
		pd1 = &s
	}
	if _, err := c.patient(pid, pd1); err != nil {
		return nil, err
	}
	p := c.res.Patient
	survivor := survivorRef(p)
	var retiredQuery string
	for i, cx := range prior {
		id, ok := c.identifier(nulls(cx), "MRG-1("+strconv.Itoa(i+1)+")")
		if !ok {
			continue
		}
		if retiredQuery == "" && id.System.Value != "" {
			// The NHS number, when MRG-1 has one, names the retired
			// record best; else the first identifier with a system.
			retiredQuery = "identifier=" + id.System.Value + "|" + id.Value.Value
		}
		if id.System.Value == fhir.NHSNumberSystem {
			retiredQuery = "identifier=" + id.System.Value + "|" + id.Value.Value
		}
		ref := &fhir.Reference{Type: uri("Patient"), Identifier: &fhir.Identifier{System: id.System, Value: id.Value, Assigner: id.Assigner}}
		p.Link = append(p.Link, fhir.PatientLink{Other: ref, Type: code("replaces")})
		if id.System.Value == fhir.NHSNumberSystem {
			continue
		}
		id.Use = code("old")
		// The surviving record keeps a retired local identifier, marked
		// old, unless it already holds that value as a current one.
		dup := false
		for _, have := range p.Identifier {
			if have.System.Value == id.System.Value && have.Value.Value == id.Value.Value {
				dup = true
			}
		}
		if !dup {
			p.Identifier = append(p.Identifier, id)
		}
	}
	c.unmappedSegments(mergeSegments)
	if retiredQuery == "" {
		c.unmapped("MRG-1", "", "no retired identifier has a known system: the retired record cannot be found to deactivate it")
		return c.res, nil
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{
		FullURL:  uri(fhir.NewUUID()),
		Resource: retirePatch(survivor),
		Request:  &fhir.BundleEntryRequest{Method: code("PATCH"), URL: uri("Patient?" + retiredQuery)},
	})
	return c.res, nil
}

// survivorRef is a logical reference to the surviving Patient by its NHS
// number, or its first identifier with a system: a reference that still
// means the same record after the transaction, unlike the urn:uuid.
func survivorRef(p *fhir.Patient) *fhir.Reference {
	for _, id := range p.Identifier {
		if id.System.Value != "" {
			return &fhir.Reference{Type: uri("Patient"), Identifier: &fhir.Identifier{System: id.System, Value: id.Value}}
		}
	}
	return &fhir.Reference{Type: uri("Patient")}
}

// retirePatch is the FHIRPath Patch (FHIR R4 fhirpatch.html) that marks a
// retired record inactive and links it to the survivor: delete then add,
// since add sets a non-repeating element only when it is absent, and
// delete of an absent element does nothing.
func retirePatch(survivor *fhir.Reference) *fhir.Parameters {
	op := func(parts ...fhir.ParametersParameter) fhir.ParametersParameter {
		return fhir.ParametersParameter{Name: str("operation"), Part: parts}
	}
	part := func(name string, v fhir.Value) fhir.ParametersParameter {
		return fhir.ParametersParameter{Name: str(name), Value: v}
	}
	return &fhir.Parameters{Parameter: []fhir.ParametersParameter{
		op(part("type", &fhir.Code{Value: "delete"}), part("path", &fhir.String{Value: "Patient.active"})),
		op(part("type", &fhir.Code{Value: "add"}), part("path", &fhir.String{Value: "Patient"}),
			part("name", &fhir.String{Value: "active"}), part("value", &fhir.Boolean{Value: false, Set: true})),
		op(part("type", &fhir.Code{Value: "add"}), part("path", &fhir.String{Value: "Patient"}),
			part("name", &fhir.String{Value: "link"}),
			fhir.ParametersParameter{Name: str("value"), Part: []fhir.ParametersParameter{
				part("other", survivor),
				part("type", &fhir.Code{Value: "replaced-by"}),
			}}),
	}}
}
