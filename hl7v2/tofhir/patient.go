package tofhir

import (
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// Sex codes: HL7 table 0001 and the NHS Data Dictionary's person gender
// codes (0 not known, 1 male, 2 female, 9 not specified).
var genders = map[string]string{
	"M": "male", "1": "male",
	"F": "female", "2": "female",
	"O": "other", "A": "other",
	"U": "unknown", "N": "unknown", "0": "unknown", "9": "unknown",
}

// XPN-7 name type (HL7 table 0200) to HumanName.use, as FHIR's
// ConceptMap cm-name-use-v2 and the v2-to-FHIR table 0200 map have it.
var nameUses = map[string]string{
	"L": "official", "D": "usual", "TEMP": "temp", "N": "nickname", "S": "anonymous",
	"NOUSE": "old", "BAD": "old", "M": "maiden",
}

// Marital status: HL7 table 0002 to v3-MaritalStatus.
var maritalStatus = map[string]string{
	"S": "S", "M": "M", "D": "D", "W": "W", "I": "I",
	"A": "L", "E": "L", "N": "A", "P": "T", "R": "T", "B": "U", "U": "UNK",
}

var maritalDisplay = map[string]string{
	"S": "Never Married", "M": "Married", "D": "Divorced", "W": "Widowed", "I": "Interlocutory",
	"L": "Legally Separated", "A": "Annulled", "T": "Domestic partner", "U": "unmarried", "UNK": "unknown",
}

// XAD-7 address type to FHIR Address.use.
var addressUse = map[string]string{"H": "home", "B": "work", "O": "work", "C": "temp", "BA": "old", "M": "home", "P": "home"}

// patient maps PID and PD1 to a UK Core Patient, adds it to the bundle as
// a conditional update, and returns the reference other resources use.
func (c *conv) patient(pid hl7v2.PID, pd1 *hl7v2.PD1) (string, error) {
	p := &fhir.Patient{Meta: &fhir.Meta{Profile: []fhir.Canonical{{Value: fhir.ProfilePatient}}}}
	if c.res.Patient == nil {
		c.res.Patient = p
	}
	c.res.Patients = append(c.res.Patients, p)
	c.recordPresence(pid, pd1)
	var query string
	for i, cx := range pid.Identifiers() {
		id, ok := c.identifier(cx, "PID-3("+itoa(i+1)+")")
		if !ok {
			continue
		}
		if id.System.Value == fhir.NHSNumberSystem {
			if have, ok := p.NHSNumber(); ok {
				// UK Core allows one NHS number per Patient: the first in
				// PID-3 stands, and a different second one is reported.
				if string(have) != id.Value.Value {
					c.unmapped("PID-3("+itoa(i+1)+")", "", "a second NHS number; UK Core allows one per Patient, so it is not mapped")
				}
				continue
			}
			if !fhir.NHSNumber(id.Value.Value).Valid() {
				c.unmapped("PID-3("+itoa(i+1)+").1", "", "the NHS number fails the modulus 11 check; kept, and validation reports it")
			}
			status := traceStatus(pid.TraceStatus())
			if ts := nv(pid.TraceStatus()); status == "" && ts != "" {
				c.unmapped("PID-32", ts, "unknown NHS number trace status")
			}
			if err := p.SetNHSNumber(fhir.NHSNumber(id.Value.Value), status); err != nil {
				// SetNHSNumber refuses a number that fails modulus 11;
				// it is kept as written (and reported above) rather than
				// lost, so that validation flags it.
				p.Identifier = append(p.Identifier, id)
			}
			query = "identifier=" + fhir.NHSNumberSystem + "|" + id.Value.Value
			continue
		}
		p.Identifier = append(p.Identifier, id)
		if query == "" && id.System.Value != "" {
			query = "identifier=" + id.System.Value + "|" + id.Value.Value
		}
	}
	if len(p.Identifier) == 0 {
		return "", &Error{Path: "PID-3", Err: ErrMissing}
	}
	for i := 1; i <= pid.Names(); i++ {
		x := nulls(pid.Segment.XPN(5, i))
		if x == (hl7v2.XPN{}) {
			continue
		}
		n := fhir.HumanName{Family: str(x.Family)}
		switch {
		case x.Use != "":
			if use, ok := c.m.NameUses[x.Use]; ok {
				n.Use = code(use)
			} else {
				c.unmapped("PID-5("+itoa(i)+").7", x.Use, "unknown name type")
			}
		case i == 1:
			n.Use = code("official")
		}
		for _, g := range nonEmpty(x.Given, x.Middle) {
			n.Given = append(n.Given, str(g))
		}
		if x.Prefix != "" {
			n.Prefix = []fhir.String{str(x.Prefix)}
		}
		if x.Suffix != "" {
			n.Suffix = []fhir.String{str(x.Suffix)}
		}
		p.Name = append(p.Name, n)
	}
	if sex := nv(pid.Sex()); sex != "" {
		if g, ok := c.m.Genders[sex]; ok {
			p.Gender = code(g)
		} else {
			c.unmapped("PID-8", sex, "unknown administrative sex code")
		}
	}
	if t, prec, err := pid.BirthDate(); err == nil {
		p.BirthDate = c.date(t, prec)
	} else if nv(pid.Segment.Field(7)) != "" {
		c.unmapped("PID-7", "", "birth date is not an HL7 DTM")
	}
	if t, prec, err := pid.DeathDate(); err == nil {
		dt := c.dateTime(t, prec)
		p.Deceased = &dt
	} else if ind := nv(pid.DeathIndicator()); ind == "Y" {
		p.Deceased = &fhir.Boolean{Value: true, Set: true}
	}
	for i := 1; i <= pid.Segment.Repetitions(11); i++ {
		if a := c.address(nulls(pid.Segment.XAD(11, i)), "PID-11"); a != nil {
			p.Address = append(p.Address, *a)
		}
	}
	for i := 1; i <= pid.Segment.Repetitions(13); i++ {
		if t := c.telecom(nulls(pid.HomePhone(i)), "home", "PID-13"); t != nil {
			p.Telecom = append(p.Telecom, *t)
		}
	}
	for i := 1; i <= pid.Segment.Repetitions(14); i++ {
		if t := c.telecom(nulls(pid.BusinessPhone(i)), "work", "PID-14"); t != nil {
			p.Telecom = append(p.Telecom, *t)
		}
	}
	if ms := nv(pid.MaritalStatus()); ms != "" {
		if v3, ok := maritalStatus[ms]; ok {
			p.MaritalStatus = concept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", v3, maritalDisplay[v3])
		} else {
			c.unmapped("PID-16", ms, "unknown marital status code")
		}
	}
	if eg := nv(pid.EthnicGroup()); eg != "" {
		if validEthnicCategory(eg) {
			p.SetEthnicCategory(eg, "")
		} else {
			c.unmapped("PID-22", eg, "not an NHS ethnic category code")
		}
	}
	if pd1 != nil {
		if ods := nv(pd1.PracticeODS()); ods != "" {
			ref := fhir.Reference{Type: uri("Organization"), Identifier: &fhir.Identifier{System: uri(fhir.ODSOrganizationCodeSystem), Value: str(ods)}}
			if name := nv(pd1.PracticeName()); name != "" {
				ref.Display = str(name)
			}
			p.GeneralPractitioner = append(p.GeneralPractitioner, ref)
		}
		if gp := c.practitioner(pd1.GP(), "PD1-4"); gp != nil {
			p.GeneralPractitioner = append(p.GeneralPractitioner, *gp)
		}
	}
	full := fhir.NewUUID()
	req := &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Patient")}
	if query != "" {
		// A conditional update: PUT Patient?identifier=system|value creates
		// the patient or updates the one that matches.
		req = &fhir.BundleEntryRequest{Method: code("PUT"), URL: uri("Patient?" + query)}
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(full), Resource: p, Request: req})
	return full, nil
}

// traceStatus maps PID-32 (NSTS01 … NSTS08, ITK) to the UK Core NHS number
// verification status code (01 … 08).
func traceStatus(s string) string {
	if len(s) == 6 && strings.HasPrefix(s, "NSTS") && s[4] == '0' && s[5] >= '1' && s[5] <= '8' {
		return s[4:]
	}
	return ""
}

// validEthnicCategory accepts the NHS Data Dictionary ethnic category codes
// (A–H, J–P, R, S, Z, 99).
func validEthnicCategory(s string) bool {
	if s == "99" {
		return true
	}
	return len(s) == 1 && strings.Contains("ABCDEFGHJKLMNPRSZ", s)
}

func (c *conv) address(x hl7v2.XAD, path string) *fhir.Address {
	if x == (hl7v2.XAD{}) {
		return nil
	}
	a := &fhir.Address{}
	for _, l := range nonEmpty(x.Street, x.Other) {
		a.Line = append(a.Line, str(l))
	}
	a.City, a.District, a.PostalCode, a.Country = str(x.City), str(x.State), str(x.Postcode), str(x.Country)
	if x.Type != "" {
		if use, ok := addressUse[x.Type]; ok {
			a.Use = code(use)
		} else {
			c.unmapped(path+".7", x.Type, "unknown address type")
		}
	}
	return a
}

// telecom maps an XTN: use code (table 0201) and equipment (table 0202).
func (c *conv) telecom(x hl7v2.XTN, defaultUse, path string) *fhir.ContactPoint {
	value := x.Number
	system := "phone"
	if x.Email != "" || x.Use == "NET" || x.Equipment == "Internet" || x.Equipment == "X.400" {
		system = "email"
		if x.Email != "" {
			value = x.Email
		}
	}
	if value == "" {
		return nil
	}
	cp := &fhir.ContactPoint{System: code(system), Value: str(value), Use: code(defaultUse)}
	switch x.Equipment {
	case "CP", "BP":
		cp.Use = code("mobile")
		if x.Equipment == "BP" {
			cp.System = code("pager")
		}
	case "FX":
		cp.System = code("fax")
	case "PH", "", "Internet", "X.400":
	default:
		c.unmapped(path+".3", x.Equipment, "unknown telecom equipment type")
	}
	switch x.Use {
	case "WPN":
		cp.Use = code("work")
	case "ORN", "VHN":
		if cp.Use.Value != "mobile" {
			cp.Use = code("temp")
		}
	}
	return cp
}

func itoa(i int) string { return strconv.Itoa(i) }
