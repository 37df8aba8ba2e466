package fhirterm_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed/fhirterm"
)

var (
	fuzzOnce    sync.Once
	fuzzHandler http.Handler
)

// FuzzOperations sends arbitrary query strings and bodies to every
// operation: the answer is always a FHIR resource in valid UTF-8 (a
// Parameters, ValueSet or OperationOutcome), with a status the handler
// documents, and never a panic.
func FuzzOperations(f *testing.F) {
	fuzzOnce.Do(func() { fuzzHandler = fhirterm.New(openUK(f)) })
	h := fuzzHandler
	paths := []string{"/CodeSystem/$lookup", "/CodeSystem/$subsumes", "/CodeSystem/$validate-code", "/ValueSet/$validate-code", "/ValueSet/$expand", "/ConceptMap/$translate", "/metadata"}
	f.Add(uint8(0), "system=http://snomed.info/sct&code=195967001&property=*", "")
	f.Add(uint8(1), "system=http://snomed.info/sct&codeA=195967001&codeB=233678006", "")
	f.Add(uint8(3), "url=http://snomed.info/sct?fhir_vs=ecl/%3C%3C%20404684003&code=195967001", "")
	f.Add(uint8(4), "url=http://snomed.info/sct?fhir_vs=isa/138875005&filter=asth%20chi&count=3&offset=1", "")
	f.Add(uint8(4), "", `{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","compose":{"include":[{"system":"http://snomed.info/sct","filter":[{"property":"constraint","op":"=","value":"<< 64572001 : 363698007 = *"}]}]}}}]}`)
	f.Add(uint8(5), "system=http://hl7.org/fhir/sid/icd-10&code=J45.9&reverse=true", "")
	f.Add(uint8(5), "", `{"resourceType":"Parameters","parameter":[{"name":"codeableConcept","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}]}`)
	f.Add(uint8(3), "url=http://snomed.info/sct?fhir_vs=ecl/%FF%FE&code=1", "")
	f.Fuzz(func(t *testing.T, op uint8, query, body string) {
		method, ct := http.MethodGet, ""
		if body != "" {
			method, ct = http.MethodPost, "application/fhir+json"
			if !strings.HasPrefix(body, "{") {
				ct = "application/x-www-form-urlencoded"
			}
		}
		path := paths[int(op)%len(paths)]
		u, err := url.ParseRequestURI(path + "?" + query)
		if err != nil {
			return // not a request target
		}
		req := httptest.NewRequest(method, "/", strings.NewReader(body))
		req.URL = u
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 404, 405, 408, 413, 415, 422:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if !utf8.Valid(rec.Body.Bytes()) {
			t.Fatalf("response is not UTF-8: %q", rec.Body)
		}
		res, err := fhir.Unmarshal(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("response is not FHIR: %v: %s", err, rec.Body)
		}
		if rec.Code != 200 {
			if _, ok := res.(*fhir.OperationOutcome); !ok {
				t.Fatalf("status %d with a %s", rec.Code, res.ResourceType())
			}
		}
	})
}
