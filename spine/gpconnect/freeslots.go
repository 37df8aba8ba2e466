package gpconnect

import (
	"context"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
)

// FreeSlot is a free slot flattened with what its schedule refers to, the
// shape a booking engine wants.
type FreeSlot struct {
	Slot stu3.Slot
	// Start and End are the slot's, parsed.
	Start, End       time.Time
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
			fs := res.flatten(&res.Slots[i])
			if seen[fs.Slot.ID.Value] || fs.Start.Before(start) || fs.End.After(end) {
				continue
			}
			seen[fs.Slot.ID.Value] = true
			out = append(out, fs)
		}
		from = to.AddDate(0, 0, 1)
	}
	return out, nil
}

// flatten joins s (whose times SearchFreeSlots has checked) with its
// schedule's location and practitioner.
func (r *SlotSearchResult) flatten(s *stu3.Slot) FreeSlot {
	fs := FreeSlot{Slot: *s, ScheduleID: s.Schedule.TargetID("Schedule"), DeliveryChannel: s.DeliveryChannel()}
	fs.Start, fs.End, _ = slotTimes(s)
	if len(s.ServiceType) > 0 {
		fs.ServiceType = s.ServiceType[0].Text.Value
	}
	if sch := r.ScheduleOf(s); sch != nil && fs.ServiceType == "" && len(sch.ServiceType) > 0 {
		fs.ServiceType = sch.ServiceType[0].Text.Value
	}
	if loc := r.LocationOf(s); loc != nil {
		fs.LocationID, fs.LocationName = loc.ID.Value, loc.Name.Value
		if pos := loc.Position; pos != nil {
			lat, errLat := pos.Latitude.Float64()
			lon, errLon := pos.Longitude.Float64()
			if errLat == nil && errLon == nil {
				fs.Latitude, fs.Longitude, fs.HasPosition = lat, lon, true
			}
		}
		if org := r.Organizations[loc.ManagingOrganization.TargetID("Organization")]; org != nil {
			fs.OrganizationODS = org.ODSCode()
		}
	}
	if p := r.PractitionerOf(s); p != nil {
		fs.PractitionerID = p.ID.Value
		if len(p.Name) > 0 {
			n := p.Name[0]
			var parts []string
			for _, v := range n.Prefix {
				parts = append(parts, v.Value)
			}
			for _, v := range n.Given {
				parts = append(parts, v.Value)
			}
			fs.PractitionerName = strings.TrimSpace(strings.Join(append(parts, n.Family.Value), " "))
		}
	}
	return fs
}
