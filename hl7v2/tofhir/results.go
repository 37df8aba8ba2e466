package tofhir

import (
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// OBX-11 and OBR-25 result status (HL7 table 0085 / 0123) to FHIR.
var observationStatus = map[string]string{
	"F": "final", "C": "corrected", "P": "preliminary", "R": "preliminary",
	"S": "preliminary", "I": "registered", "O": "registered", "X": "cancelled",
	"D": "entered-in-error", "W": "entered-in-error", "U": "final",
}

var reportStatus = map[string]string{
	"F": "final", "C": "corrected", "P": "preliminary", "R": "preliminary",
	"S": "partial", "I": "registered", "O": "registered", "X": "cancelled", "A": "partial",
}

// OBX-8 abnormal flags (HL7 table 0078) are the v3 ObservationInterpretation
// codes for these values.
var interpretation = map[string]string{
	"N": "Normal", "A": "Abnormal", "AA": "Critical abnormal", "H": "High", "HH": "Critical high",
	"L": "Low", "LL": "Critical low", "<": "Off scale low", ">": "Off scale high",
	"S": "Susceptible", "R": "Resistant", "I": "Intermediate", "POS": "Positive", "NEG": "Negative",
}

// UCUMUnits are lab units already valid in UCUM, so used as the code as sent.
var UCUMUnits = map[string]bool{
	"g/L": true, "g/dL": true, "mg/L": true, "mg/dL": true, "mmol/L": true, "umol/L": true, "nmol/L": true,
	"pmol/L": true, "mol/L": true, "10*9/L": true, "10*12/L": true, "10*6/L": true, "fL": true, "pg": true,
	"%": true, "U/L": true, "[iU]/L": true, "m[iU]/L": true, "mU/L": true, "kU/L": true, "mL/min": true,
	"s": true, "min": true, "h": true, "d": true, "kg": true, "g": true, "cm": true, "mm": true, "m": true,
	"mm[Hg]": true, "/min": true, "Cel": true, "kg/m2": true, "L/L": true, "mosm/kg": true, "ng/mL": true,
	"ug/L": true, "ng/L": true, "mL": true, "L": true, "{ratio}": true, "mmol/mol": true,
}

// commonUnits maps lab spellings that are not UCUM to their UCUM codes.
var commonUnits = map[string]string{
	"mL/min/1.73m2": "mL/min/{1.73_m2}", "ml/min/1.73m2": "mL/min/{1.73_m2}",
	"x10^9/L": "10*9/L", "x10*9/L": "10*9/L", "10^9/L": "10*9/L", "x10^12/L": "10*12/L", "10^12/L": "10*12/L",
	"mmHg": "mm[Hg]", "degC": "Cel", "IU/L": "[iU]/L", "mIU/L": "m[iU]/L", "mmol/l": "mmol/L", "umol/l": "umol/L",
	"g/l": "g/L", "ml": "mL", "l/l": "L/L", "bpm": "/min", "beats/min": "/min", "secs": "s",
}

const (
	csObservationInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	csDiagnosticServiceSection  = "http://terminology.hl7.org/CodeSystem/v2-0074"
	ucum                        = "http://unitsofmeasure.org"
)

func (c *conv) cwe(x hl7v2.CWE, path string) *fhir.CodeableConcept {
	if x.Code == "" && x.Text == "" {
		return nil
	}
	cc := &fhir.CodeableConcept{}
	add := func(code, text, system, p string) {
		if code == "" {
			return
		}
		cd := fhir.Coding{Code: fhir.Code{Value: code}}
		if text != "" {
			cd.Display = str(text)
		}
		if sys, ok := c.m.CodeSystems[system]; ok {
			cd.System = uri(sys)
		} else {
			c.unmapped(p, system, "no FHIR code system for this HL7 coding system; coding kept without a system")
		}
		cc.Coding = append(cc.Coding, cd)
	}
	add(x.Code, x.Text, x.System, path+".3")
	add(x.AltCode, x.AltText, x.AltSystem, path+".6")
	if x.Text != "" {
		cc.Text = str(x.Text)
	}
	return cc
}

func (c *conv) quantity(value, unit, path string) (*fhir.Quantity, bool) {
	d, err := fhir.DecimalOf(strings.TrimPrefix(value, "+"))
	if err != nil {
		return nil, false
	}
	q := &fhir.Quantity{Value: d}
	if unit != "" {
		q.Unit = str(unit)
		code := c.m.Units[unit]
		if code == "" && UCUMUnits[unit] {
			code = unit
		}
		if code == "" {
			code = commonUnits[unit]
		}
		if code != "" {
			q.System, q.Code = uri(ucum), fhir.Code{Value: code}
		} else {
			c.unmapped(path, unit, "unit not mapped to UCUM; kept as text")
		}
	}
	return q, true
}

// referenceRange reads "115-165", ">60", "<5", "<=5" and keeps anything
// else as text.
func (c *conv) referenceRange(s, unit, path string) *fhir.ObservationReferenceRange {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	rr := &fhir.ObservationReferenceRange{}
	bound := func(v string) *fhir.Quantity {
		q, ok := c.quantity(strings.TrimSpace(v), unit, path)
		if !ok {
			return nil
		}
		return q
	}
	switch {
	case strings.HasPrefix(s, ">="), strings.HasPrefix(s, ">"):
		rr.Low = bound(strings.TrimLeft(s, ">="))
	case strings.HasPrefix(s, "<="), strings.HasPrefix(s, "<"):
		rr.High = bound(strings.TrimLeft(s, "<="))
	default:
		if i := strings.Index(s[1:], "-"); i >= 0 {
			rr.Low, rr.High = bound(s[:i+1]), bound(s[i+2:])
		}
	}
	rr.Text = str(s)
	return rr
}

func (c *conv) results(patientRef string) {
	obxs := c.msg.OBXs()
	obrs := c.msg.OBRs()
	// Each OBR heads the OBX and NTE segments that follow it.
	segs := c.msg.Segments()
	var report *fhir.DiagnosticReport
	obrIndex, obxIndex := 0, 0
	var lastObs *fhir.Observation
	for _, seg := range segs {
		switch seg.Name() {
		case "OBR":
			obr := obrs[obrIndex]
			obrIndex++
			report = c.report(obr, patientRef, obrIndex)
			c.res.DiagnosticReport = append(c.res.DiagnosticReport, report)
			lastObs = nil
		case "OBX":
			obx := obxs[obxIndex]
			obxIndex++
			obs := c.observation(obx, patientRef, obxIndex, report)
			c.res.Observations = append(c.res.Observations, obs)
			full := fhir.NewUUID()
			c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(full), Resource: obs, Request: &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Observation")}})
			if report != nil {
				report.Result = append(report.Result, fhir.Reference{Reference: str(full)})
			}
			lastObs = obs
		case "NTE":
			text := hl7v2.NTE{Segment: seg}.Comment()
			if text == "" {
				continue
			}
			switch {
			case lastObs != nil:
				lastObs.Note = append(lastObs.Note, fhir.Annotation{Text: fhir.Markdown{Value: text}})
			case report != nil:
				report.Extension = append(report.Extension, fhir.Extension{URL: uri(fhir.UKCoreBase + "Extension-UKCore-DiagnosticReportNote"), Value: &fhir.Annotation{Text: fhir.Markdown{Value: text}}})
			}
		}
	}
}

func (c *conv) report(obr hl7v2.OBR, patientRef string, n int) *fhir.DiagnosticReport {
	path := "OBR[" + strconv.Itoa(n) + "]"
	r := &fhir.DiagnosticReport{Subject: &fhir.Reference{Reference: str(patientRef)}}
	r.Meta = &fhir.Meta{Profile: []fhir.Canonical{{Value: fhir.UKCoreBase + "UKCore-DiagnosticReport-Lab"}}}
	st := obr.ResultStatus()
	if s, ok := reportStatus[st]; ok {
		r.Status = code(s)
	} else {
		r.Status = code("unknown")
		if st != "" {
			c.unmapped(path+"-25", st, "unknown result status")
		}
	}
	if cc := c.cwe(obr.Service(), path+"-4"); cc != nil {
		r.Code = cc
	} else {
		r.Code = &fhir.CodeableConcept{Text: str("unknown")}
	}
	if ds := obr.DiagnosticService(); ds != "" {
		r.Category = []fhir.CodeableConcept{*concept(csDiagnosticServiceSection, ds, "")}
	}
	if t, p, err := obr.Observed(); err == nil {
		dt := c.dateTime(t, p)
		r.Effective = &dt
	}
	if t, p, err := obr.ResultsReported(); err == nil && p >= hl7v2.PrecisionSecond {
		r.Issued = fhir.Instant{Value: c.dateTime(t, p).Value}
	}
	if f := obr.FillerOrder(); f != "" {
		r.Identifier = append(r.Identifier, fhir.Identifier{Type: concept("http://terminology.hl7.org/CodeSystem/v2-0203", "FILL", "Filler Identifier"), Value: str(f)})
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(fhir.NewUUID()), Resource: r, Request: &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("DiagnosticReport")}})
	return r
}

func (c *conv) observation(obx hl7v2.OBX, patientRef string, n int, report *fhir.DiagnosticReport) *fhir.Observation {
	path := "OBX[" + strconv.Itoa(n) + "]"
	o := &fhir.Observation{Subject: &fhir.Reference{Reference: str(patientRef)}}
	o.Meta = &fhir.Meta{Profile: []fhir.Canonical{{Value: fhir.UKCoreBase + "UKCore-Observation-Lab"}}}
	o.Category = []fhir.CodeableConcept{*concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")}
	st := obx.Status()
	if s, ok := observationStatus[st]; ok {
		o.Status = code(s)
	} else {
		o.Status = code("unknown")
		c.unmapped(path+"-11", st, "unknown observation result status")
	}
	if cc := c.cwe(obx.Identifier(), path+"-3"); cc != nil {
		o.Code = cc
	} else {
		o.Code = &fhir.CodeableConcept{Text: str("unknown")}
	}
	unit := obx.Units().Code
	switch vt := obx.ValueType(); vt {
	case "NM":
		if q, ok := c.quantity(obx.Value(1), unit, path+"-6"); ok {
			o.Value = q
		} else if v := obx.Value(1); v != "" {
			o.Value = &fhir.String{Value: v}
			c.unmapped(path+"-5", "", "NM value is not a number; kept as text")
		}
	case "SN":
		o.Value = c.structuredNumeric(obx.Segment, unit, path)
	case "CE", "CWE", "CNE":
		if cc := c.cwe(obx.CodedValue(1), path+"-5"); cc != nil {
			o.Value = cc
		}
	case "DT", "TS", "DTM":
		if t, p, err := hl7v2.ParseDTM(obx.Value(1), c.m.Location); err == nil {
			dt := c.dateTime(t, p)
			o.Value = &dt
		}
	default: // ST, TX, FT and others: text, repetitions joined by lines
		var lines []string
		for i := 1; i <= obx.ValueCount(); i++ {
			lines = append(lines, strings.ReplaceAll(obx.Value(i), `\.br\`, "\n"))
		}
		if text := strings.Join(lines, "\n"); text != "" {
			o.Value = &fhir.String{Value: text}
		}
		if vt != "ST" && vt != "TX" && vt != "FT" {
			c.unmapped(path+"-2", vt, "value type kept as text")
		}
	}
	if rr := c.referenceRange(obx.ReferenceRange(), unit, path+"-7"); rr != nil {
		o.ReferenceRange = []fhir.ObservationReferenceRange{*rr}
	}
	for _, f := range obx.AbnormalFlags() {
		if f == "" {
			continue
		}
		if d, ok := interpretation[f]; ok {
			o.Interpretation = append(o.Interpretation, *concept(csObservationInterpretation, f, d))
		} else {
			c.unmapped(path+"-8", f, "unknown abnormal flag")
		}
	}
	if t, p, err := obx.Observed(); err == nil {
		dt := c.dateTime(t, p)
		o.Effective = &dt
	} else if report != nil && report.Effective != nil {
		o.Effective = report.Effective
	}
	return o
}

// structuredNumeric reads an SN value: comparator ^ number (^ separator ^
// number), e.g. "<^5", "^10^-^20".
func (c *conv) structuredNumeric(seg hl7v2.Segment, unit, path string) fhir.Value {
	comp, n1, sep, n2 := seg.Get(5, 1, 1, 1), seg.Get(5, 1, 2, 1), seg.Get(5, 1, 3, 1), seg.Get(5, 1, 4, 1)
	switch {
	case sep == "-" || sep == ":" && n2 != "":
		lo, ok1 := c.quantity(n1, unit, path+"-6")
		hi, ok2 := c.quantity(n2, unit, path+"-6")
		if ok1 && ok2 && sep == "-" {
			return &fhir.Range{Low: lo, High: hi}
		}
		if ok1 && ok2 {
			return &fhir.Ratio{Numerator: lo, Denominator: hi}
		}
	default:
		if q, ok := c.quantity(n1, unit, path+"-6"); ok {
			switch comp {
			case "<", "<=", ">=", ">":
				q.Comparator = code(comp)
			case "", "=":
			default:
				c.unmapped(path+"-5.1", comp, "unknown comparator")
			}
			return q
		}
	}
	c.unmapped(path+"-5", "", "structured numeric value not understood; kept as text")
	return &fhir.String{Value: strings.Trim(strings.Join([]string{comp, n1, sep, n2}, " "), " ")}
}
