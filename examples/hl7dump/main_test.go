package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDumpFixtures(t *testing.T) {
	for _, name := range []string{"adt_a01.hl7", "oru_r01.hl7", "adt_a40.hl7", "adt_a01_old_nhs_form.hl7"} {
		f, err := os.Open("../../hl7v2/testdata/" + name)
		require.NoError(t, err)
		var out strings.Builder
		require.NoError(t, dump(&out, f, false), name)
		f.Close()
		assert.Contains(t, out.String(), "PID-3", name)
	}
	f, err := os.Open("../../hl7v2/testdata/adt_a01.hl7")
	require.NoError(t, err)
	defer f.Close()
	var out strings.Builder
	require.NoError(t, dump(&out, f, false))
	values := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && !strings.HasPrefix(line, "#") {
			values[f[0]] = strings.Join(f[1:], " ")
		}
	}
	assert.Equal(t, "RRK1234567", values["PID-3(2).1"])
	assert.Equal(t, "A01", values["MSH-9.2"])
	assert.Equal(t, `^~\&`, values["MSH-2"])
	assert.Equal(t, "NSTS01", values["PID-32"])
	assert.Equal(t, "WARD 12", values["PV1-3.2"])

	// Every sub-component has its own line.
	out.Reset()
	require.NoError(t, dump(&out, strings.NewReader("MSH|^~\\&|A\rPID|1||X||DOE&VAN^JO~B\rOBX|1|TX|||a\\T\\b&c\r"), false))
	assert.Contains(t, out.String(), "PID-5(1).1.1     DOE\n")
	assert.Contains(t, out.String(), "PID-5(1).1.2     VAN\n")
	assert.Contains(t, out.String(), "PID-5(1).2       JO\n")
	assert.Contains(t, out.String(), "PID-5(2)         B\n")
	assert.Contains(t, out.String(), "OBX-5.1.1        a&b\n")
	assert.Contains(t, out.String(), "OBX-5.1.2        c\n")

	err = dump(&out, strings.NewReader("NOT HL7\r"), false)
	assert.Error(t, err)
}
