package spine_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nhskit/nhskit/spine"
)

func ExampleParseAPIError() {
	body := []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",
		"details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","code":"RESOURCE_NOT_FOUND"}]}}]}`)
	err := error(spine.ParseAPIError(http.StatusNotFound, http.Header{}, body, "6f1c1b7e-3b8e-4a52-9d43-2b0d8b1c6a11"))
	fmt.Println(errors.Is(err, spine.ErrResourceNotFound))
	fmt.Println(err)
	fmt.Println(spine.Integration.TokenURL())
	// Output:
	// true
	// spine: status 404 RESOURCE_NOT_FOUND (request id 6f1c1b7e-3b8e-4a52-9d43-2b0d8b1c6a11)
	// https://int.api.service.nhs.uk/oauth2/token
}
