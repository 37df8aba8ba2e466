package gpconnect

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
)

// SlotSource makes a GP practice a booking.SlotSource, so the booking
// aggregator can search many practices at once. Each free GP Connect slot
// becomes a booking.Slot whose ID is "<source>/<slot id>"; Lookup turns it
// back into what BookAppointment needs.
type SlotSource struct {
	Client *Client
	// Name identifies the practice in booking.Slot.Source and in slot ids
	// (default the provider ASID).
	Name string
	// BookingODS is the ODS code of the organisation that will book, sent
	// in searchFilter so the practice returns only slots it may book.
	BookingODS nhsid.ODSCode
	// ServiceTypes, when set, keeps only slots whose service type text is
	// one of these (for example "General GP Appointment").
	ServiceTypes []string

	mu   sync.Mutex
	seen map[string]FreeSlot
}

var _ booking.SlotSource = (*SlotSource)(nil)

func (s *SlotSource) name() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Client.cfg.ProviderASID
}

// Slots implements booking.SlotSource: the practice's free slots in
// [q.From, q.To], labelled with q.Service.
func (s *SlotSource) Slots(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
	free, err := s.Client.FreeSlots(ctx, q.From, q.To, s.BookingODS)
	if err != nil {
		return nil, err
	}
	out := make([]booking.Slot, 0, len(free))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]FreeSlot{}
	}
	for _, fs := range free {
		if len(s.ServiceTypes) > 0 && !slices.Contains(s.ServiceTypes, fs.ServiceType) {
			continue
		}
		id := s.name() + "/" + fs.Slot.ID.Value
		s.seen[id] = fs
		bs := booking.Slot{
			ID:              id,
			Service:         q.Service,
			Start:           fs.Start,
			End:             fs.End,
			Capacity:        1,
			Site:            string(fs.OrganizationODS),
			Location:        fs.LocationName,
			Practitioner:    fs.PractitionerName,
			Modality:        modality(fs.DeliveryChannel),
			AppointmentType: fs.ServiceType,
			Source:          s.name(),
		}
		if fs.HasPosition {
			bs.Position = &booking.LatLon{Lat: fs.Latitude, Lon: fs.Longitude}
		}
		out = append(out, bs)
	}
	return out, nil
}

// Lookup returns the GP Connect slot behind a booking.Slot id from this
// source's last searches.
func (s *SlotSource) Lookup(bookingSlotID string) (FreeSlot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, ok := s.seen[bookingSlotID]
	return fs, ok
}

// modality maps a GP Connect delivery channel to a booking modality.
func modality(channel string) booking.Modality {
	switch strings.ToLower(channel) {
	case "in-person":
		return booking.FaceToFace
	case "telephone":
		return booking.Telephone
	case "video":
		return booking.Video
	}
	return booking.ModalityUnknown
}
