package appointments

import _ "embed"

// openAPI is the OpenAPI 3.1 description of the JSON API, served at
// /api/openapi.json; the tests check live responses against it.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document the handler serves.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
