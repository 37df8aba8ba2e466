package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWalkThrough does what README.md shows, over real HTTP: search, book
// (twice with one key), reschedule, join the waiting list, cancel, see the
// offer, accept it; and a search that reaches the GP practices.
func TestWalkThrough(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, io.Discard, ready) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		<-done
	}()

	call := func(method, path, body string, want int, hdr ...string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, data)
		}
		var v any
		_ = json.Unmarshal(data, &v)
		if m, ok := v.(map[string]any); ok {
			return m
		}
		return map[string]any{"list": v}
	}

	res := call("GET", "/api/appointments/available?service=cardiology&weekday=tue&partOfDay=afternoon&modality=face-to-face&lat=53.80&lon=-1.55&maxTravelMinutes=45&limit=3", "", 200)
	results := res["results"].([]any)
	if len(results) != 3 {
		t.Fatalf("%d results", len(results))
	}
	first := results[0].(map[string]any)["slot"].(map[string]any)
	if !strings.HasPrefix(first["id"].(string), "RR8-") {
		t.Fatalf("nearest Tuesday afternoon for Leeds is %v", first["id"])
	}
	second := results[1].(map[string]any)["slot"].(map[string]any)["id"].(string)

	body := `{"slotId":"` + first["id"].(string) + `","patient":"pat-1"}`
	a := call("POST", "/api/appointments/book", body, 201, "Idempotency-Key", "demo-1")
	b := call("POST", "/api/appointments/book", body, 201, "Idempotency-Key", "demo-1")
	if a["id"] != b["id"] {
		t.Fatal("a retried booking booked twice")
	}
	id := a["id"].(string)
	moved := call("PUT", "/api/appointments/"+id+"/reschedule", `{"slotId":"`+second+`"}`, 200)
	if moved["version"].(float64) != 2 {
		t.Fatalf("rescheduled version %v", moved["version"])
	}
	call("POST", "/waitlist/cardiology/pat-2", "", 204)
	call("DELETE", "/api/appointments/"+id+"?reason=moved+away", "", 200, "If-Match", `"`+id+`.2"`)

	var offers []any
	for range 100 {
		offers = call("GET", "/waitlist/offers", "", 200)["list"].([]any)
		if len(offers) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(offers) != 1 {
		t.Fatalf("%d offers after the cancellation", len(offers))
	}
	o := offers[0].(map[string]any)
	if o["slot"] != second || o["patient"] != "pat-2" {
		t.Fatalf("offer %v", o)
	}
	accepted := call("POST", "/waitlist/offers/"+o["hold"].(string)+"/accept", "", 201)
	if accepted["slot"] != second {
		t.Fatalf("accepted %v", accepted)
	}
	call("POST", "/api/appointments/book", `{"slotId":"`+second+`","patient":"pat-3"}`, 409)

	gp := call("GET", "/api/appointments/available?service=general-practice&limit=5", "", 200)
	if len(gp["results"].([]any)) != 5 || len(gp["sources"].([]any)) != 2 {
		t.Fatalf("general practice search: %v", gp)
	}
	for _, s := range gp["sources"].([]any) {
		if st := s.(map[string]any)["status"]; st != "fresh" {
			t.Fatalf("practice source %v", s)
		}
	}
	fh := call("GET", "/fhir/Slot?status=free&start=ge2020-01-01&end=le2100-01-01&_include=Slot:schedule&service-type=dermatology&_count=2", "", 200)
	if fh["resourceType"] != "Bundle" {
		t.Fatalf("fhir search: %v", fh)
	}
}
