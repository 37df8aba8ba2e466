package ers

import (
	"context"
	"fmt"
	"sync"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
)

// Site is where a service's appointments happen, for the booking engine's
// travel ranking (e-RS slots do not carry a place; the service's location
// does, from A010 or A033).
type Site struct {
	ODS      nhsid.ODSCode
	Name     string
	Position *booking.LatLon
}

// SlotSource makes e-RS services a booking.SlotSource, so that they join
// GP Connect practices and trust systems in the booking.Aggregator and
// the engine. Each slot becomes a booking.Slot whose ID is
// "<service id>/<slot id>"; Lookup turns it back into what Book needs.
type SlotSource struct {
	Client *Client
	// Name labels the slots' Source (default "e-RS").
	Name string
	// Services are the directly bookable services to search, by id, with
	// where each one is.
	Services map[string]Site
	// Priority is the referral's priority (default ROUTINE) and
	// CommissioningRuleOrg its commissioning rule organisation.
	Priority             string
	CommissioningRuleOrg nhsid.ODSCode

	mu   sync.Mutex
	seen map[string]Slot
}

var _ booking.SlotSource = (*SlotSource)(nil)

// Slots implements booking.SlotSource: the free slots of every service
// that start in [q.From, q.To), labelled with q.Service. A service that
// fails fails the search (the Aggregator reports it).
func (s *SlotSource) Slots(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
	name := or(s.Name, "e-RS")
	var out []booking.Slot
	for id, site := range s.Services {
		for sl, err := range s.Client.Slots(ctx, SlotQuery{ServiceID: id, Priority: or(s.Priority, Routine), CommissioningRuleOrg: s.CommissioningRuleOrg, PageSize: MaxPageSize}) {
			if err != nil {
				return nil, fmt.Errorf("ers: slots of service %s: %w", id, err)
			}
			if (!q.From.IsZero() && sl.Start.Before(q.From)) || (!q.To.IsZero() && !sl.Start.Before(q.To)) {
				continue
			}
			if sl.ServiceID == "" {
				sl.ServiceID = id
			}
			key := id + "/" + sl.ID
			s.mu.Lock()
			if s.seen == nil {
				s.seen = map[string]Slot{}
			}
			s.seen[key] = sl
			s.mu.Unlock()
			out = append(out, booking.Slot{
				ID: key, Service: q.Service, Start: sl.Start, End: sl.End, Capacity: 1,
				Site: string(site.ODS), Location: site.Name, Position: site.Position,
				Practitioner: sl.Clinician, Modality: booking.FaceToFace, Source: name,
			})
		}
	}
	return out, nil
}

// Lookup returns the e-RS slot behind a booking.Slot ID that Slots
// returned, and its service id.
func (s *SlotSource) Lookup(id string) (Slot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.seen[id]
	return sl, ok
}
