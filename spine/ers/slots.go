package ers

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
	// One pass: each entry's resource is a Slot or a Schedule, decoded
	// into the union of the members used.
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Total        *int   `json:"total"`
		Link         []struct {
			Relation string `json:"relation"`
		} `json:"link"`
		Entry []struct {
			Resource struct {
				ResourceType string      `json:"resourceType"`
				ID           string      `json:"id"`
				Schedule     *Reference  `json:"schedule"`
				Status       string      `json:"status"`
				Start        string      `json:"start"`
				End          string      `json:"end"`
				Actor        []Reference `json:"actor"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		return nil, fmt.Errorf("ers: decoding the slot bundle: %w", err)
	}
	if bundle.ResourceType != "Bundle" {
		return nil, fmt.Errorf("ers: answer is a %q, not a Bundle", bundle.ResourceType)
	}
	type schedule struct{ service, clinician string }
	schedules := map[string]schedule{}
	slots := make([]Slot, 0, len(bundle.Entry))
	for i := range bundle.Entry {
		r := &bundle.Entry[i].Resource
		switch r.ResourceType {
		case "Schedule":
			var s schedule
			for _, a := range r.Actor {
				if a.Identifier == nil {
					continue
				}
				switch a.Identifier.System {
				case SystemService:
					s.service = a.Identifier.Value
				case SystemSDSUser, "https://fhir.nhs.uk/Id/sds-user-id":
					s.clinician = a.Identifier.Value
				}
			}
			schedules[r.ID] = s
		case "Slot":
			start, err1 := time.Parse(time.RFC3339Nano, r.Start)
			end, err2 := time.Parse(time.RFC3339Nano, r.End)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("ers: slot bundle entry[%d]: start or end is not an instant", i)
			}
			s := Slot{ID: r.ID, Start: start, End: end, Status: r.Status}
			if r.Schedule != nil {
				s.ScheduleID = strings.TrimPrefix(r.Schedule.Reference, "Schedule/")
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
	if bundle.Total != nil {
		p.Total = *bundle.Total
	}
	for _, l := range bundle.Link {
		if l.Relation == "next" {
			p.Next = 1
		}
	}
	return p, nil
}
