package remind

import (
	"context"
	"fmt"

	"github.com/nhskit/nhskit/booking"
)

// ConsumeLedger keeps reminders in step with a booking ledger: it takes
// the ledger's events under the consumer name (instances using one name
// take turns) and, for every booking an event names, reads the booking
// as it now stands: a cancelled booking's reminders are cancelled, a live
// one's are scheduled (again) from appointment, which turns a booking
// into the Appointment to remind (the ledger knows the slot and the
// request id, the caller knows the patient). A reschedule, which appends
// Booked for the new slot and Cancelled for the old one under the same
// booking id, thus moves the reminders; events handed out twice change
// nothing. It returns how many events were taken.
func (s *Scheduler) ConsumeLedger(ctx context.Context, l booking.Ledger, consumer string, limit int,
	appointment func(context.Context, booking.Booking) (Appointment, error)) (int, error) {
	return l.Consume(ctx, consumer, limit, func(ctx context.Context, ev booking.Event) error {
		if ev.BookingID == "" || (ev.Kind != booking.Booked && ev.Kind != booking.Cancelled) {
			return nil
		}
		b, err := l.Booking(ctx, ev.BookingID)
		if err != nil {
			return fmt.Errorf("remind: booking of event %d: %w", ev.Seq, err)
		}
		if b.Status == booking.StatusCancelled {
			_, err := s.Cancel(ctx, b.ID)
			return err
		}
		a, err := appointment(ctx, b)
		if err != nil {
			return fmt.Errorf("remind: appointment of booking %s: %w", b.ID, err)
		}
		a.ID = b.ID
		_, err = s.Schedule(ctx, a)
		return err
	})
}
