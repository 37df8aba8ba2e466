package ers

import (
	"context"
	"fmt"
	"iter"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
)

// MaxPageSize is the largest _count A015 takes.
const MaxPageSize = 100

// SlotQuery is an A015 slot search.
type SlotQuery struct {
	ServiceID string
	// Priority is the appointmentType: ROUTINE, URGENT or TWO_WEEK_WAIT.
	Priority string
	// NamedClinician, when set, asks for that clinician's slots (SDS user
	// id). e-RS takes it as schedule.actor:Practitioner, a modifier the
	// specification lists as a known issue (FHIR would use :identifier);
	// this client sends what e-RS expects.
	NamedClinician string
	// CommissioningRuleOrg is the referral's commissioning rule
	// organisation (Referral.CommissioningRuleOrg), sent as
	// NHSD-eRS-Comm-Rule-Org; without it e-RS may return slots the
	// referral cannot book.
	CommissioningRuleOrg nhsid.ODSCode
	// PageSize is _count, 1 to 100 (default 20); Page is the page, from 1
	// (default 1).
	PageSize int
	Page     int
}

// Slot is a free slot of a directly bookable service.
type Slot struct {
	ID         string
	Start, End time.Time
	// ScheduleID is the slot's schedule; ServiceID and Clinician come
	// from the schedule's actors (Clinician is "" when the slot has no
	// named clinician: book it without one).
	ScheduleID string
	ServiceID  string
	Clinician  string
	Status     string
}

// SlotPage is one page of A015's answer.
type SlotPage struct {
	Slots []Slot
	// Total is the number of slots across all pages, when e-RS sent it.
	Total int
	// Next is the next page number, 0 on the last page.
	Next int
}

func (q *SlotQuery) validate() error {
	if !validServiceID(q.ServiceID) {
		return refused(A015, "schedule.actor:HealthcareService", "is not a service id")
	}
	switch q.Priority {
	case Routine, Urgent, TwoWeekWait:
	default:
		return refused(A015, "appointmentType", "%q is not ROUTINE, URGENT or TWO_WEEK_WAIT", q.Priority)
	}
	if q.PageSize < 0 || q.PageSize > MaxPageSize {
		return refused(A015, "_count", "must be 1 to %d", MaxPageSize)
	}
	if q.Page < 0 {
		return refused(A015, "page", "must be 1 or more")
	}
	if q.CommissioningRuleOrg != "" && !q.CommissioningRuleOrg.Valid() {
		return refused(A015, "NHSD-eRS-Comm-Rule-Org", "is not an ODS code")
	}
	return nil
}

// SlotsPage runs A015 for one page.
func (c *Client) SlotsPage(ctx context.Context, q SlotQuery) (*SlotPage, error) {
	if err := c.check(A015); err != nil {
		return nil, err
	}
	if err := q.validate(); err != nil {
		return nil, err
	}
	size, page := q.PageSize, q.Page
	if size == 0 {
		size = 20
	}
	if page == 0 {
		page = 1
	}
	v := url.Values{
		"schedule.actor:HealthcareService": {q.ServiceID},
		"appointmentType":                  {q.Priority},
		"status":                           {"free"},
		"_count":                           {strconv.Itoa(size)},
		"page":                             {strconv.Itoa(page)},
		"_include":                         {"Slot:schedule"},
	}
	if q.NamedClinician != "" {
		v.Set("schedule.actor:Practitioner", q.NamedClinician)
	}
	var h http.Header
	if q.CommissioningRuleOrg != "" {
		h = http.Header{"Nhsd-Ers-Comm-Rule-Org": {string(q.CommissioningRuleOrg)}}
	}
	resp, err := c.do(ctx, &call{ep: A015, method: http.MethodGet, path: "/STU3/Slot", query: v, header: h})
	if err != nil {
		return nil, err
	}
	p, err := ParseSlotBundle(resp.Body)
	if err != nil {
		return nil, err
	}
	if p.Next != 0 {
		p.Next = page + 1
	}
	return p, nil
}

// Slots runs A015 page after page and yields every slot, stopping at the
// first error. Pages may overlap or leave gaps when slots are booked
// between calls (the specification says so); a slot seen twice is
// yielded once.
func (c *Client) Slots(ctx context.Context, q SlotQuery) iter.Seq2[Slot, error] {
	return func(yield func(Slot, error) bool) {
		seen := map[string]bool{}
		if q.Page == 0 {
			q.Page = 1
		}
		for {
			p, err := c.SlotsPage(ctx, q)
			if err != nil {
				yield(Slot{}, err)
				return
			}
			for _, s := range p.Slots {
				if seen[s.ID] {
					continue
				}
				seen[s.ID] = true
				if !yield(s, nil) {
					return
				}
			}
			if p.Next == 0 || len(p.Slots) == 0 {
				return
			}
			q.Page = p.Next
		}
	}
}

// ParseSlotBundle reads A015's searchset: Slots and the Schedules they
// point to. Next is 1 when the bundle has a next link.
func ParseSlotBundle(b []byte) (*SlotPage, error) {
	bundle, err := decodeSTU3[*stu3.Bundle](b, "slot bundle")
	if err != nil {
		return nil, err
	}
	type schedule struct{ service, clinician string }
	schedules := map[string]schedule{}
	slots := make([]Slot, 0, len(bundle.Entry))
	for i := range bundle.Entry {
		switch r := bundle.Entry[i].Resource.(type) {
		case *stu3.Schedule:
			var s schedule
			for _, a := range r.Actor {
				if a.Identifier == nil {
					continue
				}
				switch a.Identifier.System.Value {
				case SystemService:
					s.service = a.Identifier.Value.Value
				case SystemSDSUser, "https://fhir.nhs.uk/Id/sds-user-id":
					s.clinician = a.Identifier.Value.Value
				}
			}
			schedules[r.ID.Value] = s
		case *stu3.Slot:
			start, err1 := time.Parse(time.RFC3339Nano, r.Start.Value)
			end, err2 := time.Parse(time.RFC3339Nano, r.End.Value)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("ers: slot bundle entry[%d]: start or end is not an instant", i)
			}
			s := Slot{ID: r.ID.Value, Start: start, End: end, Status: r.Status.Value}
			if r.Schedule != nil {
				s.ScheduleID = strings.TrimPrefix(r.Schedule.Reference.Value, "Schedule/")
			}
			slots = append(slots, s)
		}
	}
	for i := range slots {
		if sc, ok := schedules[slots[i].ScheduleID]; ok {
			slots[i].ServiceID, slots[i].Clinician = sc.service, sc.clinician
		}
	}
	p := &SlotPage{Slots: slots}
	if bundle.Total.Set && bundle.Total.Value <= math.MaxInt32 {
		p.Total = int(bundle.Total.Value)
	}
	for _, l := range bundle.Link {
		if l.Relation.Value == "next" {
			p.Next = 1
		}
	}
	return p, nil
}
