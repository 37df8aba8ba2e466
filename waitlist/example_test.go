package waitlist_test

import (
	"fmt"
	"time"

	"github.com/nhskit/nhskit/waitlist"
)

func ExampleScoreAt() {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	routine := &waitlist.Entry{ID: "a", Priority: waitlist.Routine, Referred: now.AddDate(-2, 0, 0)}
	p3 := &waitlist.Entry{ID: "b", Priority: waitlist.P3, Referred: now.AddDate(0, 0, -30), Listed: now.AddDate(0, 0, -7)}
	// Listed five weeks ago: a week past the P2 target.
	p2 := &waitlist.Entry{ID: "c", Priority: waitlist.P2, Referred: now.AddDate(0, 0, -60), Listed: now.AddDate(0, 0, -35)}
	for _, e := range []*waitlist.Entry{routine, p3, p2} {
		s := waitlist.ScoreAt(e, now, waitlist.DefaultWeights)
		fmt.Printf("%s %s: due %s, band %d, score %.2f (clinical %.2f, breach %.2f, aging %.2f)\n",
			e.ID, e.Priority, e.Deadlines()[0].Due.Format("2 Jan 2006"), s.Band, s.Total, s.Clinical, s.Breach, s.Aging)
	}
	// Output:
	// a routine: due 30 Mar 2025, band 0, score 9.00 (clinical 1.00, breach 4.00, aging 4.00)
	// b P3: due 17 Feb 2027, band 0, score 2.68 (clinical 2.00, breach 0.52, aging 0.16)
	// c P2: due 17 Nov 2026, band 1, score 5.57 (clinical 3.00, breach 2.24, aging 0.33)
}
