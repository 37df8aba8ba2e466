package nhsid

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencies checks the dependency rules this package exists for:
// nhsid imports only the standard library, and the packages that need only
// identifiers (waitlist, spine/sds) do not compile fhir.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to list dependencies")

	list := func(format string, pkgs ...string) []string {
		args := append([]string{"list", "-deps", "-f", format}, pkgs...)
		out, err := exec.Command(goBin, args...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.Fields(string(out))
	}
	for _, p := range list("{{if not .Standard}}{{.ImportPath}}{{end}}", ".") {
		require.Equal(t, "github.com/nhskit/nhskit/nhsid", p, "nhsid must import only the standard library")
	}
	for _, p := range list("{{.ImportPath}}", "github.com/nhskit/nhskit/waitlist", "github.com/nhskit/nhskit/spine/sds") {
		require.False(t, strings.HasPrefix(p, "github.com/nhskit/nhskit/fhir"), "waitlist or spine/sds depends on %s", p)
	}
}
