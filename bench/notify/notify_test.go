// Package notify_test measures sending one NHS Notify message through
// spine/notify (the module's client core: rate limiter, retry wrapper,
// request ids, typed JSON:API decoding) against a bare net/http POST with
// encoding/json, both to a notifytest fake on loopback (a fresh one per run) and each
// with its own message reference.
//
//	cd bench && go test -run='^$' -bench=. -benchmem -count=5 -benchtime=2000x ./notify/
package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

func BenchmarkSend(b *testing.B) {
	ctx := context.Background()
	run := 0

	b.Run("nhskit", func(b *testing.B) {
		srv := notifytest.NewServer() // a fresh fake for each run: equal store sizes
		defer srv.Close()
		run++
		c, err := notify.New(notify.Config{BaseURL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			st, err := c.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextSMS,
				Reference: fmt.Sprintf("nhskit-%d-%d", run, i), Recipient: notify.Recipient{NHSNumber: "9990000018"},
				Personalisation: map[string]string{"sms_body": "Your appointment is on Monday 2 March at 09:00."}})
			if err != nil {
				b.Fatal(err)
			}
			if st.Status != notify.StatusCreated {
				b.Fatalf("status %s", st.Status)
			}
		}
	})

	b.Run("nethttp", func(b *testing.B) {
		srv := notifytest.NewServer()
		defer srv.Close()
		run++
		hc := &http.Client{}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var in struct {
				Data struct {
					Type       string `json:"type"`
					Attributes struct {
						RoutingPlanID    string            `json:"routingPlanId"`
						MessageReference string            `json:"messageReference"`
						Recipient        map[string]string `json:"recipient"`
						Personalisation  map[string]string `json:"personalisation"`
					} `json:"attributes"`
				} `json:"data"`
			}
			in.Data.Type = "Message"
			in.Data.Attributes.RoutingPlanID = notifytest.PlanFreeTextSMS
			in.Data.Attributes.MessageReference = fmt.Sprintf("nethttp-%d-%d", run, i)
			in.Data.Attributes.Recipient = map[string]string{"nhsNumber": "9990000018"}
			in.Data.Attributes.Personalisation = map[string]string{"sms_body": "Your appointment is on Monday 2 March at 09:00."}
			body, _ := json.Marshal(in)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/messages", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/vnd.api+json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusCreated {
				b.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			var doc struct {
				Data struct {
					ID         string `json:"id"`
					Attributes struct {
						MessageStatus string `json:"messageStatus"`
					} `json:"attributes"`
				} `json:"data"`
			}
			if err := json.Unmarshal(out, &doc); err != nil || doc.Data.Attributes.MessageStatus != "created" {
				b.Fatalf("answer: %v", err)
			}
		}
	})
}

// BenchmarkSendParallel is send throughput: goroutines sending at once
// (GOMAXPROCS × 4), each send its own reference, reported as sends/s.
func BenchmarkSendParallel(b *testing.B) {
	ctx := context.Background()
	body := func(ref string) []byte {
		return []byte(`{"data":{"type":"Message","attributes":{"routingPlanId":"` + notifytest.PlanFreeTextSMS +
			`","messageReference":"` + ref + `","recipient":{"nhsNumber":"9990000018"},"personalisation":{"sms_body":"Your appointment is on Monday 2 March at 09:00."}}}}`)
	}
	var seq atomic.Int64
	b.Run("nhskit", func(b *testing.B) {
		srv := notifytest.NewServer()
		defer srv.Close()
		// The same transport settings as the bare client below.
		c, err := notify.New(notify.Config{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
		if err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(4)
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, err := c.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextSMS,
					Reference: fmt.Sprint("p-nhskit-", seq.Add(1)), Recipient: notify.Recipient{NHSNumber: "9990000018"},
					Personalisation: map[string]string{"sms_body": "Your appointment is on Monday 2 March at 09:00."}})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
	})
	b.Run("nethttp", func(b *testing.B) {
		srv := notifytest.NewServer()
		defer srv.Close()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		b.SetParallelism(4)
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/messages", bytes.NewReader(body(fmt.Sprint("p-nethttp-", seq.Add(1)))))
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var doc struct {
					Data struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				if resp.StatusCode != http.StatusCreated || json.Unmarshal(out, &doc) != nil || doc.Data.ID == "" {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
	})
}
