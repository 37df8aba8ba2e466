// Command quickstart is a tour of nhskit: it runs each capability that has
// landed so far against in-process fakes and synthetic data, and prints
// what happened at each step with its timing. It needs no network and no
// configuration:
//
//	go run ./examples/quickstart
//
// The path: a trust's PAS sends an HL7 v2 ADT^A04 referral; it becomes a
// UK Core Patient and Encounter that validate; its SNOMED CT reason is
// checked against the service's ECL value set in an embedded SNOMED CT
// store (imported from a synthetic release) and mapped to ICD-10; the NHS
// number is confirmed against PDS; the patient's GP practice, found by ODS code in SDS, is
// searched for free slots through GP Connect; the booking engine ranks
// them for the patient's preferences; the best is taken, so the patient
// joins the waiting list and is offered it when its holder cancels; it is
// booked at the practice;
// the appointment letter goes to the practice over MESH and is received and
// acknowledged there; and the PAS is acknowledged.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/tofhir"
	"github.com/nhskit/nhskit/mesh"
	"github.com/nhskit/nhskit/mesh/meshtest"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
	"github.com/nhskit/nhskit/waitlist"
)

func main() {
	if err := run(context.Background(), os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

type tour struct {
	w io.Writer
	n int
}

// step runs one step and prints it with how long it took.
func (t *tour) step(what string, fn func() (string, error)) error {
	t.n++
	start := time.Now()
	detail, err := fn()
	if err != nil {
		return fmt.Errorf("step %d (%s): %w", t.n, what, err)
	}
	fmt.Fprintf(t.w, "%2d. %-54s %9s  %s\n", t.n, what, time.Since(start).Round(time.Microsecond), detail)
	return nil
}

// referral is the ADT^A04 the PAS sends; the patient is registered at the
// fake practice, whose first synthetic patient is 999 000 0018. DG1-3
// carries the reason as a SNOMED CT code (coding system SCT, HL7 table
// 0396).
func referral(now time.Time, reason snomed.ID) []byte {
	ts := hl7v2.FormatDTM(now)
	return []byte("MSH|^~\\&|PAS|RR8|TIE|RR8|" + ts + "||ADT^A04^ADT_A01|REF-0001|P|2.4|||AL|NE|GBR|UNICODE UTF-8\r" +
		"EVN|A04|" + ts + "\r" +
		"PID|1||9990000018^^^NHS^NH~RR8000123^^^RR8^MR||SMITH^ALEX||19800101|2|||1 RIVER STREET^^LEEDS^^LS1 4AP^GBR^H|||||||||||||||||||||NSTS01\r" +
		"PD1|||RIVERSIDE MEDICAL PRACTICE^^A81001\r" +
		"PV1|1|O|RR8OPD^^^RR8||||||||||||||||V000001^^^RR8^VN\r" +
		fmt.Sprintf("DG1|1||%d^^SCT||%s|W\r", reason, ts))
}

// terminology imports a small synthetic SNOMED CT release (real releases
// are licensed) and picks the service's value set and a referral reason in
// it: a mapped concept under one of its parents, with a finding site.
func terminology(ctx context.Context, dir string) (store *snomed.Store, valueSet string, reason snomed.ID, err error) {
	rel, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 2000, Seed: 1})
	if err != nil {
		return nil, "", 0, err
	}
	path := filepath.Join(dir, "snomed.db")
	if err := snomed.Import(ctx, dir, path); err != nil {
		return nil, "", 0, err
	}
	if store, err = snomed.Open(path); err != nil {
		return nil, "", 0, err
	}
	for _, c := range rel.Concepts {
		ps := rel.Parents[c]
		if rel.Active[c] && len(rel.ICD10[c]) > 0 && len(ps) > 0 && ps[0] != snomedtest.Root && len(rel.Parents[ps[0]]) > 0 {
			return store, fmt.Sprintf("<< %d : %d = *", ps[0], snomedtest.FindingSite), snomed.ID(c), nil
		}
	}
	store.Close()
	return nil, "", 0, fmt.Errorf("the synthetic release has no mapped concept")
}

func run(ctx context.Context, w io.Writer, now time.Time) error {
	fmt.Fprintln(w, "nhskit quickstart: synthetic data only, every service is an in-process fake")
	t := &tour{w: w}

	practice := gpconnecttest.NewServer(gpconnecttest.WithODSCode("A81001"))
	defer practice.Close()
	directory := sdstest.NewServer()
	defer directory.Close()
	directory.Add(sds.Endpoint{ODSCode: "A81001", Interaction: gpconnect.InteractionSearchSlots, Address: practice.URL, ASID: practice.ASID})

	var terms *snomed.Store
	var valueSet string
	var reason snomed.ID
	if err := t.step("import a SNOMED CT release (synthetic) and open it", func() (string, error) {
		dir, err := os.MkdirTemp("", "nhskit-quickstart-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir) // the open store's mapping outlives the file
		if terms, valueSet, reason, err = terminology(ctx, dir); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d concepts", terms.Len()), nil
	}); err != nil {
		return err
	}
	defer terms.Close()

	var msg *hl7v2.Message
	if err := t.step("parse the PAS's HL7 v2 ADT^A04", func() (string, error) {
		var err error
		msg, err = hl7v2.Parse(referral(now, reason))
		if err != nil {
			return "", err
		}
		h := msg.MSH()
		return fmt.Sprintf("%s^%s from %s, %d segments", h.MessageCode(), h.TriggerEvent(), h.SendingApplication(), msg.Len()), nil
	}); err != nil {
		return err
	}

	var nhs nhsid.NHSNumber
	var practiceODS string
	var patient *fhir.Patient
	if err := t.step("convert it to UK Core FHIR and validate", func() (string, error) {
		res, err := tofhir.New(&tofhir.Mapping{
			IdentifierSystems:  map[string]string{"RR8": "https://fhir.rr8.example.nhs.uk/Id/mrn"},
			VisitNumberSystems: map[string]string{"RR8": "https://fhir.rr8.example.nhs.uk/Id/visit"},
		}).Convert(msg)
		if err != nil {
			return "", err
		}
		if oo := fhir.Validate(res.Bundle); oo != nil {
			return "", fmt.Errorf("the converted bundle does not validate: %s", oo.Issue[0].Diagnostics.Value)
		}
		patient = res.Patient
		n, ok := patient.NHSNumber()
		if !ok || !n.Valid() {
			return "", fmt.Errorf("no valid NHS number in the referral")
		}
		nhs = n
		status, _ := patient.NHSNumberVerificationStatus()
		ods, ok := patient.GPPracticeODS()
		if !ok {
			return "", fmt.Errorf("no registered practice in PD1")
		}
		practiceODS = ods
		return fmt.Sprintf("Patient %s (verification %s) + %s Encounter, %d entries, valid; practice %s", nhs.Masked(), status, res.Encounter.Class.Code.Value, len(res.Bundle.Entry), practiceODS), nil
	}); err != nil {
		return err
	}

	if err := t.step("check the SNOMED CT reason: ECL value set, ICD-10 map", func() (string, error) {
		code, system := msg.Get("DG1-3.1"), msg.Get("DG1-3.3")
		id, err := strconv.ParseUint(code, 10, 64)
		if err != nil || system != "SCT" {
			return "", fmt.Errorf("DG1-3 is not a SNOMED CT code")
		}
		c, ok := terms.Concept(snomed.ID(id))
		if !ok || !c.Active {
			return "", fmt.Errorf("the reason %d is not an active concept", id)
		}
		members, err := ecl.Evaluate(terms, valueSet)
		if err != nil {
			return "", err
		}
		if _, in := slices.BinarySearch(members, c.ID); !in {
			return "", fmt.Errorf("the reason %d is not in the value set %s", id, valueSet)
		}
		term, _ := terms.PreferredTerm(c.ID, "en-GB")
		var icd []string
		for _, m := range terms.Maps(c.ID, snomed.ICD10Refset) {
			icd = append(icd, m.Target)
		}
		return fmt.Sprintf("%d |%s| in %s (%d concepts); ICD-10 %s", id, term, valueSet, len(members), strings.Join(icd, ", ")), nil
	}); err != nil {
		return err
	}

	if err := t.step("confirm the NHS number with PDS", func() (string, error) {
		demographics := pdstest.NewServer()
		defer demographics.Close()
		client, err := pds.New(pds.Config{BaseURL: demographics.URL})
		if err != nil {
			return "", err
		}
		record, err := client.Get(ctx, nhs)
		if err != nil {
			return "", err
		}
		if record.Superseded {
			return "", fmt.Errorf("the NHS number is superseded by %s", record.NHSNumber.Masked())
		}
		if record.BirthDate.Value != patient.BirthDate.Value || record.Gender.Value != patient.Gender.Value {
			return "", fmt.Errorf("PDS's birth date or gender differ from the referral's")
		}
		gp, _ := record.GPPracticeODS()
		if gp != practiceODS {
			return "", fmt.Errorf("PDS has the patient at another practice")
		}
		return fmt.Sprintf("PDS record version %d matches: birth date, gender, practice %s", record.Version, gp), nil
	}); err != nil {
		return err
	}

	var client *gpconnect.Client
	if err := t.step("look the practice up in SDS", func() (string, error) {
		directoryClient, err := sds.New(sds.Config{BaseURL: directory.URL})
		if err != nil {
			return "", err
		}
		ep, err := directoryClient.Lookup(ctx, nhsid.ODSCode(practiceODS), gpconnect.InteractionSearchSlots, "")
		if err != nil {
			return "", err
		}
		client, err = gpconnect.New(gpconnect.Config{
			BaseURL: ep.Address, ConsumerASID: "200000000359", ProviderASID: ep.ASID,
			Requester: gpconnect.Requester{
				Issuer:           "https://integration.example.nhs.uk",
				Device:           gpconnect.Device{System: "https://integration.example.nhs.uk/Id/device", Value: "tie-1", Model: "nhskit quickstart", Version: "1"},
				OrganizationODS:  "RR8",
				OrganizationName: "Leeds Teaching Hospitals",
				Practitioner: gpconnect.RequestingPractitioner{ID: "1", SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
					LocalSystem: "https://integration.example.nhs.uk/Id/user", LocalID: "booker-1", Family: "Booker"},
			},
		})
		if err != nil {
			return "", err
		}
		return "ASID " + ep.ASID, nil
	}); err != nil {
		return err
	}

	source := &gpconnect.SlotSource{Client: client, Name: practiceODS, BookingODS: "RR8"}
	var engine *booking.Engine
	from := now.AddDate(0, 0, 1)
	if err := t.step("search the practice's free slots (GP Connect)", func() (string, error) {
		agg := &booking.Aggregator{Sources: map[string]booking.SlotSource{practiceODS: source}}
		res := agg.Search(ctx, booking.Query{Service: "gp", From: from, To: from.AddDate(0, 0, 13)})
		if failed := res.Failed(); len(failed) > 0 {
			return "", failed[0].Err
		}
		engine = booking.NewEngine(res.Slots)
		return fmt.Sprintf("%d free slots over two weeks", len(res.Slots)), nil
	}); err != nil {
		return err
	}

	var best booking.Candidate
	if err := t.step("rank them: Tuesday or Thursday afternoons, by phone", func() (string, error) {
		tue, _ := booking.ParseWindow("Tuesday afternoon")
		thu, _ := booking.ParseWindow("Thursday afternoon")
		cands := engine.Match(booking.Request{
			ID: "REF-0001", Service: "gp", Earliest: from, Latest: from.AddDate(0, 0, 13), Priority: 5,
			Windows: []booking.Window{tue, thu}, WindowsRequired: true, PreferredModality: booking.Telephone,
		}, 3)
		if len(cands) == 0 {
			return "", fmt.Errorf("no slot fits")
		}
		best = cands[0]
		s, _ := engine.Slot(best.SlotID)
		return fmt.Sprintf("best %s %s (score %.2f)", s.Start.In(booking.London).Format("Mon 2 Jan 15:04"), s.Modality, best.Score), nil
	}); err != nil {
		return err
	}

	// The best slot is already taken by another patient: the referral
	// joins the waiting list, and gets it when that patient cancels.
	list, err := waitlist.New(waitlist.Config{Store: waitlist.NewMemoryStore(), Engine: engine, OfferTTL: time.Hour})
	if err != nil {
		return err
	}
	if err := t.step("the best slot is taken: join the waiting list", func() (string, error) {
		if _, err := engine.Book(best.SlotID, "another-patient", ""); err != nil {
			return "", err
		}
		e := &waitlist.Entry{
			ID: "REF-0001", NHSNumber: nhs, Service: "gp", Priority: waitlist.P3, Referred: now.AddDate(0, 0, -20),
			Contact: waitlist.Contact{Consent: true, SMS: "07700900000"},
		}
		tue, _ := booking.ParseWindow("Tuesday afternoon")
		thu, _ := booking.ParseWindow("Thursday afternoon")
		e.Request.Windows, e.Request.WindowsRequired = []booking.Window{tue, thu}, true
		if err := list.Add(ctx, e, "referral-import"); err != nil {
			return "", err
		}
		return fmt.Sprintf("P3, RTT breach %s", e.RTTBreach(now).In(booking.London).Format("2 Jan 2006")), nil
	}); err != nil {
		return err
	}

	if err := t.step("another patient cancels: offer, accept", func() (string, error) {
		events, err := engine.Cancel(best.SlotID, "another-patient")
		if err != nil {
			return "", err
		}
		offers, err := list.OnSlotReleased(ctx, events[1])
		if err != nil {
			return "", err
		}
		if _, err := list.Accept(ctx, offers[0].ID, "patient (NHS App)"); err != nil {
			return "", err
		}
		return fmt.Sprintf("offered to %s, accepted, booked in the engine", offers[0].EntryID), nil
	}); err != nil {
		return err
	}

	if err := t.step("book it at the practice (GP Connect)", func() (string, error) {
		fs, ok := source.Lookup(best.SlotID)
		if !ok {
			return "", fmt.Errorf("slot %s not found", best.SlotID)
		}
		patient, err := client.FindPatient(ctx, nhs)
		if err != nil {
			return "", err
		}
		appt, err := client.BookAppointment(ctx, gpconnect.BookRequest{
			PatientID: patient.ID.Value, NHSNumber: nhs, Slots: []stu3.Slot{fs.Slot}, LocationID: fs.LocationID,
			Description:  "Follow-up after hospital referral",
			Organization: gpconnect.BookingOrganization{Name: "Leeds Teaching Hospitals", ODSCode: "RR8", Phone: "0113 000 0000"},
		})
		if err != nil {
			return "", err
		}
		// Amending sends If-Match with the version booked, so a change made
		// at the practice meanwhile is not overwritten (409 instead).
		appt.Comment.Value = "Interpreter not needed"
		amended, err := client.AmendAppointment(ctx, appt)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("appointment %s %s, comment amended (If-Match %s, now version %s)", appt.ID.Value, amended.Status.Value, gpconnect.ETag(appt.Meta.VersionID.Value), amended.Meta.VersionID.Value), nil
	}); err != nil {
		return err
	}

	if err := t.step("send the appointment letter over MESH", func() (string, error) {
		srv := meshtest.NewServer()
		defer srv.Close()
		srv.AddMailbox("X26RR8001", "trust-mailbox-password")
		srv.AddMailbox("X26A810001", "practice-mailbox-password")
		srv.AddEndpoint(practiceODS, "GPFED_CONSULT_REPORT", "X26A810001")
		trust, err := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26RR8001", Password: "trust-mailbox-password", SharedKey: srv.SharedKey})
		if err != nil {
			return "", err
		}
		eps, err := trust.LookupEndpoint(ctx, practiceODS, "GPFED_CONSULT_REPORT")
		if err != nil || len(eps) == 0 {
			return "", fmt.Errorf("no MESH mailbox for %s: %v", practiceODS, err)
		}
		letter := fmt.Sprintf("Appointment booked for %s on %s.\n", nhs.Masked(), best.Start.In(booking.London).Format("Mon 2 Jan 15:04"))
		if _, err := trust.Send(ctx, mesh.Outbound{To: eps[0].MailboxID, WorkflowID: "GPFED_CONSULT_REPORT", LocalID: "REF-0001-letter", Compress: true, Body: strings.NewReader(letter)}); err != nil {
			return "", err
		}
		gp, err := mesh.New(mesh.Config{BaseURL: srv.URL, Mailbox: "X26A810001", Password: "practice-mailbox-password", SharedKey: srv.SharedKey})
		if err != nil {
			return "", err
		}
		var got string
		n, err := gp.Receive(ctx, func(_ context.Context, m *mesh.Received, body io.Reader) error {
			b, err := io.ReadAll(body)
			got = string(b)
			return err
		})
		if err != nil || n != 1 || got != letter {
			return "", fmt.Errorf("letter not received intact: %d messages, %v", n, err)
		}
		return fmt.Sprintf("to mailbox %s, received and acknowledged (%d left)", eps[0].MailboxID, srv.Unacknowledged("X26A810001")), nil
	}); err != nil {
		return err
	}

	if err := t.step("acknowledge the ADT to the PAS", func() (string, error) {
		ack, err := msg.Ack(hl7v2.AckAccept, hl7v2.AckOptions{Time: now})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("MSA|%s|%s", ack.Get("MSA-1"), ack.Get("MSA-2")), nil
	}); err != nil {
		return err
	}
	if r := practice.Rejections(); len(r) > 0 {
		return fmt.Errorf("the practice rejected %d requests: %s", len(r), r[0])
	}
	fmt.Fprintln(w, "done")
	return nil
}
