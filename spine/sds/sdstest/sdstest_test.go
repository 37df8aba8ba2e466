package sdstest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

// A method other than GET is refused with 405 and the Allow header that
// RFC 9110 section 15.5.6 requires of a 405.
func TestMethodNotAllowed(t *testing.T) {
	srv := sdstest.NewServer()
	defer srv.Close()
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, err := http.NewRequest(method, srv.URL+"/Device", strings.NewReader("{}"))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, method)
		assert.Equal(t, http.MethodGet, resp.Header.Get("Allow"), method)
	}
}
