// Package storetest is the conformance suite every waitlist.Store must
// pass: versions compared on every write, atomic commits, ordered events
// that replay to the same state, and one winner among concurrent writers.
// Run it against your own store:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) waitlist.Store { return newMyStore(t) })
//	}
package storetest
