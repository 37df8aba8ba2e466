package gpconnect

import (
	"context"
	"strings"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// FreeSlot is a free slot flattened with what its schedule refers to, the
// shape a booking engine wants.
type FreeSlot struct {
	Slot             Slot
	ScheduleID       string
	ServiceType      string // the slot's (or schedule's) service type text
	DeliveryChannel  string // In-person, Telephone, Video
	LocationID       string
	LocationName     string
	Latitude         float64 // 0 when the provider sends no position
	Longitude        float64
	HasPosition      bool
	PractitionerID   string
	PractitionerName string
	OrganizationODS  nhsid.ODSCode
}

// FreeSlots searches free slots from start to end, splitting the range
// into the 14-day windows the specification allows, and flattens each slot
// with its schedule's location and practitioner.
func (c *Client) FreeSlots(ctx context.Context, start, end time.Time, orgODS nhsid.ODSCode) ([]FreeSlot, error) {
	var out []FreeSlot
	seen := map[string]bool{}
	for from := start; from.Before(end); {
		to := from.AddDate(0, 0, MaxSlotSearchPeriodDays-1)
		if to.After(end) {
			to = end
		}
		res, err := c.SearchFreeSlots(ctx, SlotQuery{Start: from, End: to, OrgODSCode: orgODS})
		if err != nil {
			return nil, err
		}
		for i := range res.Slots {
			s := &res.Slots[i]
			if seen[s.ID] || s.Start.Before(start) || s.End.After(end) {
				continue
			}
			seen[s.ID] = true
			out = append(out, res.flatten(s))
		}
		from = to.AddDate(0, 0, 1)
	}
	return out, nil
}

func (r *SlotSearchResult) flatten(s *Slot) FreeSlot {
	fs := FreeSlot{Slot: *s, ScheduleID: s.Schedule.ID(), DeliveryChannel: s.DeliveryChannel()}
	if len(s.ServiceType) > 0 {
		fs.ServiceType = s.ServiceType[0].Text
	}
	if sch := r.ScheduleOf(s); sch != nil && fs.ServiceType == "" && len(sch.ServiceType) > 0 {
		fs.ServiceType = sch.ServiceType[0].Text
	}
	if loc := r.LocationOf(s); loc != nil {
		fs.LocationID, fs.LocationName = loc.ID, loc.Name
		if loc.Position != nil {
			fs.Latitude, fs.Longitude, fs.HasPosition = loc.Position.Latitude, loc.Position.Longitude, true
		}
		if loc.ManagingOrganization != nil {
			if org := r.Organizations[loc.ManagingOrganization.ID()]; org != nil {
				fs.OrganizationODS = org.ODSCode()
			}
		}
	}
	if p := r.PractitionerOf(s); p != nil {
		fs.PractitionerID = p.ID
		if len(p.Name) > 0 {
			n := p.Name[0]
			fs.PractitionerName = strings.TrimSpace(strings.Join(append(append([]string{}, n.Prefix...), append(n.Given, n.Family)...), " "))
		}
	}
	return fs
}
