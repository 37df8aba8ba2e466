package siufeedtest_test

import (
	"fmt"

	"github.com/nhskit/nhskit/booking/siufeed/siufeedtest"
)

func Example() {
	day := siufeedtest.NewDay(siufeedtest.Options{Seed: 1, Clinics: 2, SlotsPerClinic: 8, Changes: 20})
	opens := 0
	for _, m := range day.Messages {
		if m.Trigger == "S24" {
			opens++
		}
	}
	fmt.Println(len(day.Messages), "messages,", opens, "slots opened")
	fmt.Println(string(day.Messages[0].Data[:52]))
	// Output:
	// 36 messages, 16 slots opened
	// MSH|^~\&|PAS|RXX01|NHSKIT|RXX01|20261124070150+0000|
}
