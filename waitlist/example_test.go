package waitlist_test

import (
	"fmt"
	"time"

	"github.com/nhskit/nhskit/waitlist"
)

func ExampleScoreAt() {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	routine := &waitlist.Entry{ID: "a", Priority: waitlist.Routine, Referred: now.AddDate(-1, 0, 0)}
	p3 := &waitlist.Entry{ID: "b", Priority: waitlist.P3, Referred: now.AddDate(0, 0, -7)}
	for _, e := range []*waitlist.Entry{routine, p3} {
		s := waitlist.ScoreAt(e, now, waitlist.DefaultWeights)
		fmt.Printf("%s %s: RTT breach %s, score %.2f (clinical %.2f, breach %.2f, aging %.2f)\n",
			e.ID, e.Priority, e.RTTBreach(now).Format("2 Jan 2006"), s.Total, s.Clinical, s.Breach, s.Aging)
	}
	// Output:
	// a routine: RTT breach 30 Mar 2026, score 7.00 (clinical 1.00, breach 4.00, aging 2.00)
	// b P3: RTT breach 23 Mar 2027, score 2.19 (clinical 2.00, breach 0.15, aging 0.04)
}
