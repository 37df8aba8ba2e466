package ers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalise(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"participant type object wrapped, the rest kept byte for byte",
			`{"resourceType":"Appointment", "participant":[{"type":{"coding":[{"code":"CON"}]},"status":"accepted"},{"status":"accepted"}],"n":1.50}`,
			`{"resourceType":"Appointment","participant":[{"type":[{"coding":[{"code":"CON"}]}],"status":"accepted"},{"status":"accepted"}],"n":1.50}`},
		{"an array stays",
			`{"participant":[{"type":[{"text":"a"},{"text":"b"}]}]}`,
			`{"participant":[{"type":[{"text":"a"},{"text":"b"}]}]}`},
		{"inside a contained resource",
			`{"contained":[{"resourceType":"Appointment","participant":[{"type":{"text":"a"}}]}]}`,
			`{"contained":[{"resourceType":"Appointment","participant":[{"type":[{"text":"a"}]}]}]}`},
		{"type elsewhere untouched",
			`{"type":{"text":"a"},"entry":[{"resource":{"type":{"text":"b"}}}]}`,
			`{"type":{"text":"a"},"entry":[{"resource":{"type":{"text":"b"}}}]}`},
		{"empty strings dropped, members kept in order",
			`{"a":"","b":"x","extension":[{"url":"u","valueString":""}],"c":[""]}`,
			`{"b":"x","extension":[{"url":"u"}],"c":[""]}`},
		{"keys with escapes",
			`{"\u0061b":"x","e":""}`,
			`{"ab":"x"}`},
		{"nothing to do: the input as it is",
			`{ "a" : "x", "type": [{"text":"a"}], "s":"say \"\"" }`,
			`{ "a" : "x", "type": [{"text":"a"}], "s":"say \"\"" }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalise([]byte(tc.in), participantType)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
	got, err := normalise([]byte(`{"type":{"text":"a"},"x":{"type":{"text":"b"}}}`), &single{"", "type"})
	require.NoError(t, err)
	assert.Equal(t, `{"type":[{"text":"a"}],"x":{"type":{"text":"b"}}}`, string(got))

	for _, bad := range []string{`{"a":"",`, `{"a":"",}`, `[{"a":""},`, `{"a":""}}`, `{"b":"","a" 1}`} {
		_, err := normalise([]byte(bad), participantType)
		assert.Error(t, err, bad)
	}
	assert.False(t, hasEmptyString([]byte(`{"a":"\"\"","b":["x"]}`)))
	assert.True(t, hasEmptyString([]byte(`{"a": ""}`)))
	assert.False(t, hasObjectAt([]byte(`{"type":[{}],"x":"\"type\""}`), "type"))
	assert.True(t, hasObjectAt([]byte(`{"type" : {}}`), "type"))
	// Nesting past the walk's limit is left for the decoder to refuse.
	deep := strings.Repeat(`{"a":`, 200) + `""` + strings.Repeat("}", 200)
	got, err = normalise([]byte(deep), participantType)
	require.NoError(t, err)
	assert.Equal(t, deep, string(got))
}

func TestUnwrapSingle(t *testing.T) {
	got, err := unwrapSingle([]byte(`{"resourceType":"Appointment","participant":[{"type":[{"text":"a"}],"status":"accepted"},{"type":[{"text":"a"},{"text":"b"}]},{"status":"x"}]}`), participantType)
	require.NoError(t, err)
	assert.Equal(t, `{"resourceType":"Appointment","participant":[{"type":{"text":"a"},"status":"accepted"},{"type":[{"text":"a"},{"text":"b"}]},{"status":"x"}]}`, string(got))
}
