package tofhir

import (
	"strconv"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// merge converts A34 and A40 (merge patient information): the surviving
// patient (PID) is updated with the retired identifiers (MRG-1) marked
// "old", and linked to the merged record with "replaces".
func (c *conv) merge(pid hl7v2.PID) (*Result, error) {
	mrg, ok := c.msg.MRG()
	if !ok {
		return nil, &Error{Path: "MRG", Err: ErrMissing}
	}
	prior := mrg.PriorIdentifiers()
	if len(prior) == 0 {
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
	for i, cx := range prior {
		id, ok := c.identifier(cx, "MRG-1("+strconv.Itoa(i+1)+")")
		if !ok {
			continue
		}
		id.Use = code("old")
		// The surviving record keeps the retired identifier, marked old,
		// unless it already holds that value as a current one.
		dup := false
		for _, have := range p.Identifier {
			if have.System.Value == id.System.Value && have.Value.Value == id.Value.Value {
				dup = true
			}
		}
		if !dup {
			p.Identifier = append(p.Identifier, id)
		}
		p.Link = append(p.Link, fhir.PatientLink{
			Other: &fhir.Reference{Type: uri("Patient"), Identifier: &fhir.Identifier{System: id.System, Value: id.Value, Assigner: id.Assigner}},
			Type:  code("replaces"),
		})
	}
	return c.res, nil
}
