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
func (c *conv) merge(_ hl7v2.PID) (*Result, error) {
	// ADT_A39 (A34, A40) repeats its PATIENT group: PID [PD1] MRG [PV1]
	// for each pair of records merged.
	segs := c.msg.Segments()
	pairs := 0
	for i, s := range segs {
		if s.Name() != "PID" {
			continue
		}
		var pd1 *hl7v2.PD1
		var mrg *hl7v2.MRG
		for _, t := range segs[i+1:] {
			n := t.Name()
			if n == "PID" {
				break
			}
			if n == "PD1" && pd1 == nil {
				pd1 = &hl7v2.PD1{Segment: t}
			}
			if n == "MRG" && mrg == nil {
				mrg = &hl7v2.MRG{Segment: t}
			}
		}
		pairs++
		path := "MRG"
		if pairs > 1 {
			path = "MRG[" + itoa(pairs) + "]"
		}
		if mrg == nil {
			return nil, &Error{Path: path, Err: ErrMissing}
		}
		if err := c.mergeOne(hl7v2.PID{Segment: s}, pd1, *mrg, path); err != nil {
			return nil, err
		}
	}
	c.unmappedSegments(mergeSegments)
	return c.res, nil
}

// mergeOne converts one PID–MRG pair.
func (c *conv) mergeOne(pid hl7v2.PID, pd1 *hl7v2.PD1, mrg hl7v2.MRG, path string) error {
	prior := mrg.PriorIdentifiers()
	if len(prior) == 0 || prior[0].ID == "" || hl7v2.IsNull(prior[0].ID) {
		return &Error{Path: path + "-1", Err: ErrMissing}
	}
	if _, err := c.patient(pid, pd1); err != nil {
		return err
	}
	p := c.res.Patients[len(c.res.Patients)-1]
	survivor := survivorRef(p)
	var retiredQuery string
	for i, cx := range prior {
		id, ok := c.identifier(nulls(cx), path+"-1("+strconv.Itoa(i+1)+")")
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
	if retiredQuery == "" {
		c.unmapped(path+"-1", "", "no retired identifier has a known system: the retired record cannot be found to deactivate it")
		return nil
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{
		FullURL:  uri(fhir.NewUUID()),
		Resource: retirePatch(survivor),
		Request:  &fhir.BundleEntryRequest{Method: code("PATCH"), URL: uri("Patient?" + retiredQuery)},
	})
	return nil
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
