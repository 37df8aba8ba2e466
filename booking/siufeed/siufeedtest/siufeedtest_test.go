package siufeedtest_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking/siufeed/siufeedtest"
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/tofhir"
)

func TestDayIsDeterministicAndSynthetic(t *testing.T) {
	a := siufeedtest.NewDay(siufeedtest.Options{Seed: 7})
	b := siufeedtest.NewDay(siufeedtest.Options{Seed: 7})
	c := siufeedtest.NewDay(siufeedtest.Options{Seed: 8})
	require.Equal(t, len(a.Messages), len(b.Messages))
	for i := range a.Messages {
		require.True(t, bytes.Equal(a.Messages[i].Data, b.Messages[i].Data), "message %d differs between runs of one seed", i)
	}
	assert.NotEqual(t, a.Booked(), c.Booked(), "another seed, another day")
	assert.Len(t, a.Messages, 96+160)
	nhs := regexp.MustCompile(`PID\|1\|\|(\d+)\^`)
	for _, m := range a.Messages {
		for _, g := range nhs.FindAllSubmatch(m.Data, -1) {
			assert.Regexp(t, `^999\d{7}$`, string(g[1]))
		}
	}
}

// Every message the receiver must accept is an SIU that reads by its
// structure and converts to valid UK Core resources.
func TestDayMessagesConvert(t *testing.T) {
	day := siufeedtest.NewDay(siufeedtest.Options{Seed: 3})
	conv := tofhir.New(&tofhir.Mapping{AppointmentSystems: map[string]string{"PAS": "https://fhir.rxx01.example.nhs.uk/Id/appointment"}})
	triggers := map[string]int{}
	for i, m := range day.Messages {
		msg, err := hl7v2.Parse(m.Data)
		require.NoError(t, err, "message %d", i)
		if m.Refuse != "" {
			continue
		}
		s, err := msg.SIU()
		require.NoError(t, err, "message %d", i)
		triggers[s.Trigger]++
		res, err := conv.Convert(msg)
		require.NoError(t, err, "message %d (%s)", i, s.Trigger)
		if oo := fhir.Validate(res.Bundle); oo != nil {
			for _, is := range oo.Issue {
				if is.Severity.Value == fhir.SeverityError {
					t.Errorf("message %d (%s): %s: %s", i, s.Trigger, is.Expression[0].Value, is.Diagnostics.Value)
				}
			}
		}
	}
	for _, tr := range []string{"S12", "S13", "S14", "S15", "S17", "S20", "S23", "S24", "S26"} {
		assert.Positive(t, triggers[tr], "the day has %s", tr)
	}
}
