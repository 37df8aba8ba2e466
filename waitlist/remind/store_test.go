package remind_test

import (
	"testing"

	"github.com/nhskit/nhskit/waitlist/remind"
	"github.com/nhskit/nhskit/waitlist/remind/remindtest"
)

func TestMemoryStore(t *testing.T) {
	remindtest.TestStore(t, func(*testing.T) remind.Store { return remind.NewMemoryStore() })
}
