package booking_test

import (
	"testing"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/ledgertest"
)

func TestMemoryLedger(t *testing.T) {
	ledgertest.Run(t, func(*testing.T) booking.Ledger { return booking.NewMemoryLedger(nil) })
}
