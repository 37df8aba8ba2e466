package tofhir

import (
	"errors"
	"fmt"
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
	// extDiagnosticReportNote is the R5 cross-version note extension that
	// UK Core's Extension-UKCore-DiagnosticReportNote profiles.
	extDiagnosticReportNote     = "http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.note"
	csObservationInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	csDiagnosticServiceSection  = "http://terminology.hl7.org/CodeSystem/v2-0074"
	ucum                        = "http://unitsofmeasure.org"
)

func (c *conv) cwe(x hl7v2.CWE, path string) *fhir.CodeableConcept {
	x = nulls(x)
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

// ErrStructure reports segments out of the order the message structure
// allows, such as an OBX before any OBR in an ORU^R01.
var ErrStructure = errors.New("segment out of place in the message structure")

// oru converts an ORU^R01 by its structure (HL7 v2.5.1 chapter 7,
// ORU_R01): PATIENT_RESULT groups, each a PATIENT (PID, PD1, NTE, NK1,
// VISIT: PV1, PV2) then ORDER_OBSERVATION groups (ORC, OBR, NTE, TQ1/TQ2,
// CTD, OBSERVATION: OBX and its NTEs, FT1, CTI, SPECIMEN: SPM and its
// OBXs). Each PID gives its own Patient, and every report and result is
// filed under the patient and order whose group holds it.
func (c *conv) oru() error {
	segs := c.msg.Segments()
	var (
		patientRef string
		report     *fhir.DiagnosticReport
		lastObs    *fhir.Observation
		specimen   *fhir.Specimen
		specRef    string
		obr, obx   int // occurrences so far, for paths
		spm, nte   int
		afterPID   bool // a NTE here is about the patient
	)
	for i, seg := range segs {
		switch seg.Name() {
		case "PID":
			var pd1 *hl7v2.PD1
			for _, s := range segs[i+1:] {
				if n := s.Name(); n == "PD1" {
					pd1 = &hl7v2.PD1{Segment: s}
					break
				} else if n != "NTE" && n != "NK1" {
					break
				}
			}
			ref, err := c.patient(hl7v2.PID{Segment: seg}, pd1)
			if err != nil {
				return err
			}
			patientRef, report, lastObs, specimen, afterPID = ref, nil, nil, nil, true
		case "ORC":
			if patientRef == "" {
				return &Error{Path: "ORC", Err: fmt.Errorf("%w: no PID before the order", ErrStructure)}
			}
			afterPID = false
		case "OBR":
			obr++
			if patientRef == "" {
				return &Error{Path: "OBR[" + itoa(obr) + "]", Err: fmt.Errorf("%w: no PID before the order", ErrStructure)}
			}
			report = c.report(hl7v2.OBR{Segment: seg}, patientRef, obr)
			c.res.DiagnosticReport = append(c.res.DiagnosticReport, report)
			lastObs, specimen, afterPID = nil, nil, false
		case "OBX":
			obx++
			if report == nil {
				return &Error{Path: "OBX[" + itoa(obx) + "]", Err: fmt.Errorf("%w: no OBR before the observation", ErrStructure)}
			}
			obs := c.observation(hl7v2.OBX{Segment: seg}, patientRef, obx, report)
			c.res.Observations = append(c.res.Observations, obs)
			full := fhir.NewUUID()
			c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(full), Resource: obs, Request: &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Observation")}})
			if specimen != nil {
				// An OBX in the SPECIMEN group describes the specimen.
				obs.Specimen = &fhir.Reference{Reference: str(specRef)}
			} else {
				report.Result = append(report.Result, fhir.Reference{Reference: str(full)})
			}
			lastObs = obs
		case "SPM":
			spm++
			if report == nil {
				return &Error{Path: "SPM[" + itoa(spm) + "]", Err: fmt.Errorf("%w: no OBR before the specimen", ErrStructure)}
			}
			specimen, specRef = c.specimen(hl7v2.SPM{Segment: seg}, patientRef, spm)
			report.Specimen = append(report.Specimen, fhir.Reference{Reference: str(specRef)})
			lastObs = nil
		case "NTE":
			nte++
			text := hl7v2.NTE{Segment: seg}.Comment()
			if text == "" || hl7v2.IsNull(text) {
				continue
			}
			note := fhir.Annotation{Text: fhir.Markdown{Value: text}}
			switch {
			case lastObs != nil:
				lastObs.Note = append(lastObs.Note, note)
			case specimen != nil:
				specimen.Note = append(specimen.Note, note)
			case report != nil:
				report.Extension = append(report.Extension, fhir.Extension{URL: uri(extDiagnosticReportNote), Value: &note})
			case afterPID:
				c.unmapped("NTE["+itoa(nte)+"]-3", "", "a note on the patient has no place on the UK Core Patient; not mapped")
			}
		}
	}
	if patientRef == "" {
		return &Error{Path: "PID", Err: ErrMissing}
	}
	return nil
}

// specimen maps an SPM (v2.5+): identifier SPM-2, type SPM-4, collection
// time SPM-17, received SPM-18.
func (c *conv) specimen(spm hl7v2.SPM, patientRef string, n int) (*fhir.Specimen, string) {
	path := "SPM[" + itoa(n) + "]"
	s := &fhir.Specimen{Subject: &fhir.Reference{Reference: str(patientRef)}}
	s.Meta = &fhir.Meta{Profile: []fhir.Canonical{{Value: fhir.UKCoreBase + "UKCore-Specimen"}}}
	if id := spm.ID(); id != "" && !hl7v2.IsNull(id) {
		s.Identifier = append(s.Identifier, fhir.Identifier{Value: str(id)})
	}
	if cc := c.cwe(spm.Type(), path+"-4"); cc != nil {
		s.Type = cc
	}
	if t, p, err := spm.Collected(); err == nil {
		dt := c.dateTime(t, p)
		s.Collection = &fhir.SpecimenCollection{Collected: &dt}
	}
	if t, p, err := spm.Received(); err == nil {
		s.ReceivedTime = c.dateTime(t, p)
	}
	full := fhir.NewUUID()
	c.res.Specimens = append(c.res.Specimens, s)
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(full), Resource: s, Request: &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Specimen")}})
	return s, full
}

func (c *conv) report(obr hl7v2.OBR, patientRef string, n int) *fhir.DiagnosticReport {
	path := "OBR[" + strconv.Itoa(n) + "]"
	r := &fhir.DiagnosticReport{Subject: &fhir.Reference{Reference: str(patientRef)}}
	r.Meta = &fhir.Meta{Profile: []fhir.Canonical{{Value: fhir.UKCoreBase + "UKCore-DiagnosticReport-Lab"}}}
	st := nv(obr.ResultStatus())
	if s, ok := c.m.ReportStatus[st]; ok {
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
	// UK Core's DiagnosticReport-Lab requires the category slice LAB
	// (v2-0074 Laboratory); OBR-24 adds the section (HM, CH, MB…).
	r.Category = []fhir.CodeableConcept{*concept(csDiagnosticServiceSection, "LAB", "Laboratory")}
	if ds := obr.DiagnosticService(); ds != "" && ds != "LAB" && !hl7v2.IsNull(ds) {
		r.Category = append(r.Category, *concept(csDiagnosticServiceSection, ds, ""))
	}
	if t, p, err := obr.Observed(); err == nil {
		dt := c.dateTime(t, p)
		r.Effective = &dt
	}
	if t, p, err := obr.ResultsReported(); err == nil && p >= hl7v2.PrecisionSecond {
		r.Issued = fhir.Instant{Value: c.dateTime(t, p).Value}
	}
	if p := nv(obr.PlacerOrder()); p != "" {
		r.Identifier = append(r.Identifier, fhir.Identifier{Type: concept("http://terminology.hl7.org/CodeSystem/v2-0203", "PLAC", "Placer Identifier"), Value: str(p)})
	}
	if f := nv(obr.FillerOrder()); f != "" {
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
	st := nv(obx.Status())
	if s, ok := c.m.ObservationStatus[st]; ok {
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
	if hl7v2.IsNull(unit) {
		unit = ""
	}
	first := obx.Value(1)
	switch vt := obx.ValueType(); {
	case hl7v2.IsNull(first):
		// `""`: the value is deleted; an Observation without one says so.
		o.DataAbsentReason = concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-asked", "Not Asked")
	case vt == "NM":
		if q, ok := c.quantity(first, unit, path+"-6"); ok {
			o.Value = q
		} else if q, ok := c.comparatorQuantity(first, unit, path+"-6"); ok {
			o.Value = q // "<5", ">=90": a bound, as labs write them in NM
		} else if first != "" {
			o.Value = &fhir.String{Value: first}
			c.unmapped(path+"-5", "", "NM value is not a number; kept as text")
		}
		c.extraRepetitions(obx, path)
	case vt == "SN":
		o.Value = c.structuredNumeric(obx.Segment, unit, path)
		c.extraRepetitions(obx, path)
	case vt == "CE" || vt == "CWE" || vt == "CNE":
		// Every repetition is a coding of the one value, kept together.
		var all *fhir.CodeableConcept
		for i, rep := range obx.Reps(5) {
			cc := c.cwe(rep.CWE(), path+"-5("+itoa(i)+")")
			if cc == nil {
				continue
			}
			if all == nil {
				all = cc
				continue
			}
			all.Coding = append(all.Coding, cc.Coding...)
			if all.Text.Value == "" {
				all.Text = cc.Text
			} else if cc.Text.Value != "" {
				all.Text.Value += "; " + cc.Text.Value
			}
		}
		if all != nil {
			o.Value = all
		}
	case vt == "DT" || vt == "TS" || vt == "DTM":
		if t, p, err := hl7v2.ParseDTM(first, c.m.Location); err == nil {
			dt := c.dateTime(t, p)
			o.Value = &dt
		} else if first != "" {
			o.Value = &fhir.String{Value: first}
			c.unmapped(path+"-5", "", "date/time value is not an HL7 DTM; kept as text")
		}
		c.extraRepetitions(obx, path)
	default: // ST, TX, FT and others: text, repetitions joined by lines
		var b strings.Builder
		for i, rep := range obx.Reps(5) {
			if i > 1 {
				b.WriteByte('\n')
			}
			b.WriteString(strings.ReplaceAll(rep.Get(1, 1), `\.br\`, "\n"))
		}
		if text := b.String(); strings.Trim(text, "\n") != "" {
			o.Value = &fhir.String{Value: text}
		}
		if vt != "ST" && vt != "TX" && vt != "FT" {
			c.unmapped(path+"-2", vt, "value type kept as text")
		}
	}
	if rr := c.referenceRange(nv(obx.ReferenceRange()), unit, path+"-7"); rr != nil {
		o.ReferenceRange = []fhir.ObservationReferenceRange{*rr}
	}
	for _, f := range obx.AbnormalFlags() {
		if f = nv(f); f == "" {
			continue
		}
		if d, ok := c.m.Interpretations[f]; ok {
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

// extraRepetitions reports repetitions of OBX-5 after the first for value
// types whose FHIR value holds one.
func (c *conv) extraRepetitions(obx hl7v2.OBX, path string) {
	if n := obx.ValueCount(); n > 1 {
		c.unmapped(path+"-5", strconv.Itoa(n-1), "repetitions after the first are not mapped for this value type")
	}
}

// comparatorQuantity reads "<5", "<=5", ">90", ">=90" as a Quantity with
// a comparator.
func (c *conv) comparatorQuantity(v, unit, path string) (*fhir.Quantity, bool) {
	v = strings.TrimSpace(v)
	for _, cmp := range []string{"<=", ">=", "<", ">"} {
		if rest, ok := strings.CutPrefix(v, cmp); ok {
			q, ok := c.quantity(strings.TrimSpace(rest), unit, path)
			if !ok {
				return nil, false
			}
			q.Comparator = code(cmp)
			return q, true
		}
	}
	return nil, false
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
