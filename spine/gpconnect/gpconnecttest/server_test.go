package gpconnecttest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

// A method the API does not use is refused with 405 and the Allow header
// that RFC 9110 section 15.5.6 requires of a 405.
func TestMethodNotAllowed(t *testing.T) {
	srv := gpconnecttest.NewServer()
	defer srv.Close()
	for _, method := range []string{http.MethodDelete, http.MethodPatch} {
		req, err := http.NewRequest(method, srv.URL+"/Appointment/1", nil)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, method)
		assert.Equal(t, "GET, POST, PUT", resp.Header.Get("Allow"), method)
	}
}
