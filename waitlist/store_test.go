package waitlist_test

import (
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/waitlist"
	"github.com/nhskit/nhskit/waitlist/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) waitlist.Store { return waitlist.NewMemoryStore() })
}

func TestMemoryStoreStress(t *testing.T) {
	st := waitlist.NewMemoryStore()
	storetest.Stress(t, storetest.StressConfig{Open: func(*testing.T) waitlist.Store { return st }, CancelOne: true})
}

func TestMemoryStoreStressOverOneLedger(t *testing.T) {
	st := waitlist.NewMemoryStore()
	storetest.Stress(t, storetest.StressConfig{Open: func(*testing.T) waitlist.Store { return st }, CancelOne: true,
		NewLedger: func(now func() time.Time) booking.Ledger { return booking.NewMemoryLedger(now) }})
}
