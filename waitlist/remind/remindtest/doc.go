// Package remindtest checks that an implementation of remind.Store keeps
// the Store's promises: replacing and cancelling an appointment's
// reminders, claims leased to one owner at a time whatever the
// concurrency, lease expiry, and the outcomes Finish records.
//
// Use it from the store's tests:
//
//	func TestStore(t *testing.T) {
//		remindtest.TestStore(t, func(t *testing.T) remind.Store { return openEmptyStore(t) })
//	}
//
// remind.MemoryStore and waitlist/remind/pgstore both pass it.
package remindtest
