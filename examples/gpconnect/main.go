// Command gpconnect finds free appointment slots at two GP practices and
// books the earliest one, the way an extended access hub would: it looks
// each practice up in SDS (endpoint and ASID), searches their diaries, and
// books through GP Connect. By default everything runs against in-process
// fakes (gpconnecttest practices and an sdstest directory):
//
//	go run ./examples/gpconnect
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

func main() {
	days := flag.Int("days", 7, "how many days ahead to search (at most 14)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *days); err != nil {
		fmt.Fprintln(os.Stderr, "gpconnect:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, days int) error {
	directory := sdstest.NewServer()
	defer directory.Close()
	practices := map[string]*gpconnecttest.Server{
		"A81001": gpconnecttest.NewServer(gpconnecttest.WithODSCode("A81001"), gpconnecttest.WithASID("918999198993"), gpconnecttest.WithName("Riverside Medical Practice")),
		"B82002": gpconnecttest.NewServer(gpconnecttest.WithODSCode("B82002"), gpconnecttest.WithASID("918999198994"), gpconnecttest.WithName("Hillside Surgery"), gpconnecttest.WithDiary(14, 10*time.Minute)),
	}
	for ods, p := range practices {
		defer p.Close()
		for _, interaction := range []string{gpconnect.InteractionSearchSlots, gpconnect.InteractionCreateAppointment} {
			directory.Add(sds.Endpoint{ODSCode: nhsid.ODSCode(ods), Interaction: interaction, Address: p.URL, ASID: p.ASID})
		}
	}
	directoryClient, err := sds.New(sds.Config{BaseURL: directory.URL})
	if err != nil {
		return err
	}
	requester := gpconnect.Requester{
		Issuer:           "https://hub.example.nhs.uk",
		Device:           gpconnect.Device{System: "https://hub.example.nhs.uk/Id/device", Value: "hub-1", Model: "nhskit example", Version: "1"},
		OrganizationODS:  "RR8",
		OrganizationName: "Leeds Extended Access Hub",
		Practitioner: gpconnect.RequestingPractitioner{
			ID: "1", SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
			LocalSystem: "https://hub.example.nhs.uk/Id/user", LocalID: "booker-1", Family: "Booker", Given: []string{"Sam"},
		},
	}

	type candidate struct {
		ods    string
		client *gpconnect.Client
		slot   stu3.Slot
		start  time.Time
		result *gpconnect.SlotSearchResult
	}
	var all []candidate
	from := time.Now().AddDate(0, 0, 1)
	odsCodes := []string{"A81001", "B82002"}
	for _, ods := range odsCodes {
		ep, err := directoryClient.Lookup(ctx, nhsid.ODSCode(ods), gpconnect.InteractionSearchSlots, "")
		if err != nil {
			return fmt.Errorf("sds lookup for %s: %w", ods, err)
		}
		c, err := gpconnect.New(gpconnect.Config{
			BaseURL: ep.Address, ConsumerASID: "200000000359", ProviderASID: ep.ASID, Requester: requester,
		})
		if err != nil {
			return err
		}
		res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: from, End: from.AddDate(0, 0, days), OrgODSCode: "RR8"})
		if err != nil {
			return fmt.Errorf("searching %s: %w", ods, err)
		}
		fmt.Fprintf(w, "%s (%s): %d free slots in the next %d days\n", ods, ep.Address, len(res.Slots), days)
		for _, s := range res.Slots {
			start, err := s.Start.Time() // the client has checked every slot's times
			if err != nil {
				return err
			}
			all = append(all, candidate{ods: ods, client: c, slot: s, start: start, result: res})
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("no free slots anywhere")
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	best := all[0]
	loc := best.result.LocationOf(&best.slot)
	prac := best.result.PractitionerOf(&best.slot)
	fmt.Fprintf(w, "earliest: %s at %s, %s, %s\n", best.start.In(gpconnecttest.London).Format("Mon 2 Jan 15:04"), best.ods, loc.Name.Value, best.slot.DeliveryChannel())

	nhs := practices[best.ods].Patients()[0]
	patient, err := best.client.FindPatient(ctx, nhs)
	if err != nil {
		return err
	}
	req := gpconnect.BookRequest{
		PatientID: patient.ID.Value, NHSNumber: nhs, Slots: []stu3.Slot{best.slot}, LocationID: loc.ID.Value,
		Description:  "Extended access appointment",
		Organization: gpconnect.BookingOrganization{Name: requester.OrganizationName, ODSCode: "RR8", Phone: "0113 000 0000"},
	}
	if prac != nil {
		req.PractitionerID = prac.ID.Value
	}
	appt, err := best.client.BookAppointment(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "booked appointment %s for patient %s: %s\n", appt.ID.Value, nhs.Masked(), appt.Status.Value)
	return nil
}
