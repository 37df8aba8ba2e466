package fhir

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// ukcoreExamplesXML reads the 215 UK Core examples (XML) from ../shared,
// by file name; the test fails when they are missing.
func ukcoreExamplesXML(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 215, "want the 215 UK Core examples in %s", ukcoreDir)
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out[filepath.Base(f)] = data
	}
	return out
}
