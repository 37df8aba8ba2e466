package notify_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

// sandboxURL is NHS England's NHS Notify sandbox backend, started by
// .ci/run from ../shared/notify/run-sandbox.sh. The test fails when CI is
// set and it is missing.
func sandboxURL(t *testing.T) string {
	u := os.Getenv("NHSKIT_NOTIFY_SANDBOX_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_NOTIFY_SANDBOX_URL is not set: .ci/run starts NHS England's sandbox and exports it")
		}
		t.Skip("NHSKIT_NOTIFY_SANDBOX_URL not set (start ../shared/notify/run-sandbox.sh)")
	}
	return u
}

// pair is one client on NHS England's sandbox and one on notifytest.
type pair struct {
	name   string
	client func(auth string) *notify.Client
}

func pairs(t *testing.T) []pair {
	sb := sandboxURL(t)
	srv := notifytest.NewServer()
	t.Cleanup(srv.Close)
	mk := func(base string, paths notify.Paths) func(string) *notify.Client {
		return func(auth string) *notify.Client {
			cfg := notify.Config{BaseURL: base, Paths: paths, MaxAttempts: 1}
			if auth != "" {
				cfg.HTTPClient = &http.Client{Transport: authAs{auth, http.DefaultTransport}}
			}
			c, err := notify.New(cfg)
			require.NoError(t, err)
			return c
		}
	}
	return []pair{
		{"sandbox", mk(sb, notify.SandboxBackendPaths)},
		{"notifytest", mk(srv.URL, notify.Paths{})},
	}
}

// outcome is what the comparison looks at: the status (0 for success)
// and the error code, when the answer has one.
type outcome struct {
	Status int
	Code   string
}

func outcomeOf(t *testing.T, err error) outcome {
	if err == nil {
		return outcome{}
	}
	var ne *notify.Error
	if !errors.As(err, &ne) {
		t.Fatalf("not an API error: %v", err)
	}
	return outcome{ne.StatusCode, ne.Code}
}

// same asserts that the sandbox and notifytest agree: the same status,
// and the same code where the sandbox gives one (its backend leaves codes
// to the API platform's proxy for most errors).
func same(t *testing.T, name string, got map[string]outcome) {
	t.Helper()
	sb, fk := got["sandbox"], got["notifytest"]
	assert.Equal(t, sb.Status, fk.Status, "%s: status (sandbox %+v, notifytest %+v)", name, sb, fk)
	if sb.Code != "" {
		assert.Equal(t, sb.Code, fk.Code, "%s: code", name)
	}
}

func TestConformanceSend(t *testing.T) {
	ps := pairs(t)
	ctx := context.Background()
	nhs := nhsid.NHSNumber("9990000018")
	for _, tc := range []struct {
		name string
		auth string
		plan string
		mod  func(*notify.Message)
	}{
		{"sandbox plan A", "", notifytest.PlanA, nil},
		{"sandbox plan B", "", notifytest.PlanB, nil},
		{"sandbox plan C", "", notifytest.PlanC, nil},
		{"sandbox plan D", "", notifytest.PlanD, nil},
		{"sandbox plan E", "", notifytest.PlanE, nil},
		{"free-text NHS App", "", notifytest.PlanFreeTextNHSApp, nil},
		{"free-text email", "", notifytest.PlanFreeTextEmail, nil},
		{"free-text SMS", "", notifytest.PlanFreeTextSMS, nil},
		{"with originator and personalisation", "", notifytest.PlanA, func(m *notify.Message) {
			m.OriginatorODS = "X26"
			m.BillingReference = "bill-1"
			m.Personalisation = map[string]string{"custom": "value"}
		}},
		{"unknown routing plan", "", "868796f9-7ce3-4730-9f1e-23aa766edea3", nil},
		{"invalid routing config", "", notifytest.PlanInvalidConfig, nil},
		{"server error", "", notifytest.PlanServerError, nil},
		{"too early", "", notifytest.PlanTooEarly, nil},
		{"missing templates", "", notifytest.PlanMissingTemplates, nil},
		{"duplicate templates", "", notifytest.PlanDuplicateTemplates, nil},
		{"missing NHS App template", "", notifytest.PlanMissingNHSAppTemplate, nil},
		{"service ban", notifytest.AuthBanned, notifytest.PlanA, nil},
		{"no default ODS code", notifytest.AuthNoDefaultODS, notifytest.PlanA, nil},
		{"no default ODS code, ODS given", notifytest.AuthNoDefaultODS, notifytest.PlanA, func(m *notify.Message) { m.OriginatorODS = "X26" }},
		{"ODS change refused", notifytest.AuthNoODSChange, notifytest.PlanA, func(m *notify.Message) { m.OriginatorODS = "X26" }},
		{"ODS change refused, none given", notifytest.AuthNoODSChange, notifytest.PlanA, nil},
		{"contact override refused", notifytest.AuthNoContactOverride, notifytest.PlanA, func(m *notify.Message) {
			m.Recipient.ContactDetails = &notify.ContactDetails{SMS: "07700900123"}
		}},
		{"contact override allowed", "", notifytest.PlanA, func(m *notify.Message) {
			m.Recipient.ContactDetails = &notify.ContactDetails{Email: "someone@example.com",
				Address: &notify.Address{Lines: []string{"1 Test Street", "Leeds"}, Postcode: "LS1 4AP"},
				Name:    &notify.Name{FirstName: "Test", LastName: "Patient"}}
		}},
	} {
		got := map[string]outcome{}
		for _, p := range ps {
			m := notify.Message{RoutingPlanID: tc.plan, Reference: "conf-" + p.name + "-" + tc.name + "-" + time.Now().Format(time.RFC3339Nano),
				Recipient: notify.Recipient{NHSNumber: nhs}}
			if tc.mod != nil {
				tc.mod(&m)
			}
			st, err := p.client(tc.auth).Send(ctx, m)
			got[p.name] = outcomeOf(t, err)
			if err == nil {
				assert.Regexp(t, `^[0-9A-Za-z]{27}$`, st.ID, p.name)
				assert.Equal(t, m.Reference, st.Reference, p.name)
				assert.Equal(t, notify.StatusCreated, st.Status, p.name)
				assert.Equal(t, tc.plan, st.RoutingPlan.ID, p.name)
				assert.NotEmpty(t, st.RoutingPlan.Version, p.name)
				assert.False(t, st.Timestamps.Created.IsZero(), p.name)
			}
		}
		same(t, tc.name, got)
	}
}

func TestConformanceBatch(t *testing.T) {
	ps := pairs(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, auth, plan string
		n                int
	}{
		{"three messages", "", notifytest.PlanB, 3},
		{"one message, free-text plan", "", notifytest.PlanFreeTextSMS, 1},
		{"unknown routing plan", "", "868796f9-7ce3-4730-9f1e-23aa766edea3", 2},
		{"too early", "", notifytest.PlanTooEarly, 2},
		{"server error", "", notifytest.PlanServerError, 2},
		{"service ban", notifytest.AuthBanned, notifytest.PlanB, 2},
	} {
		got := map[string]outcome{}
		for _, p := range ps {
			stamp := time.Now().Format(time.RFC3339Nano)
			b := notify.Batch{RoutingPlanID: tc.plan, Reference: "batch-" + p.name + tc.name + stamp}
			for i := range tc.n {
				b.Messages = append(b.Messages, notify.BatchMessage{Reference: "m" + string(rune('0'+i)) + p.name + tc.name + stamp,
					Recipient: notify.Recipient{NHSNumber: "9990000026"}})
			}
			res, err := p.client(tc.auth).SendBatch(ctx, b)
			got[p.name] = outcomeOf(t, err)
			if err == nil {
				assert.NotEmpty(t, res.ID, p.name)
				assert.Equal(t, tc.plan, res.RoutingPlan.ID, p.name)
				require.Len(t, res.Messages, tc.n, p.name)
				for i, m := range res.Messages {
					assert.Equal(t, b.Messages[i].Reference, m.Reference, p.name)
					assert.Regexp(t, `^[0-9A-Za-z]{27}$`, m.ID, p.name)
				}
			}
		}
		same(t, tc.name, got)
	}
}

// TestConformanceMessage reads every message the sandbox serves and one
// the fake has moved through its statuses, and checks both decode into
// the statuses the specification lists.
func TestConformanceMessage(t *testing.T) {
	ps := pairs(t)
	ctx := context.Background()
	dir := filepath.Join("..", "..", "..", "shared", "notify", "sandbox", "messages")
	entries, err := os.ReadDir(dir)
	if err != nil && os.Getenv("CI") != "" {
		t.Fatalf("the sandbox's messages: %v", err)
	}
	msgStatuses := []notify.MessageStatus{notify.StatusCreated, notify.StatusPendingEnrichment, notify.StatusEnriched,
		notify.StatusSending, notify.StatusDelivered, notify.StatusFailed}
	chanStatuses := []notify.ChannelStatus{notify.ChannelCreated, notify.ChannelSending, notify.ChannelDelivered,
		notify.ChannelFailed, notify.ChannelSkipped}
	chanTypes := []notify.ChannelType{notify.NHSApp, notify.Email, notify.SMS, notify.Letter}
	check := func(who string, st *notify.Status) {
		assert.Contains(t, msgStatuses, st.Status, who)
		assert.NotEmpty(t, st.Reference, who)
		assert.NotEmpty(t, st.RoutingPlan.ID, who)
		assert.False(t, st.Timestamps.Created.IsZero(), who)
		for _, c := range st.Channels {
			assert.Contains(t, chanStatuses, c.Status, who)
			assert.Contains(t, chanTypes, c.Type, who)
			assert.Contains(t, []string{"primary", "secondary"}, c.CascadeType, who)
			assert.Positive(t, c.CascadeOrder, who)
			assert.False(t, c.Timestamps.Created.IsZero(), who)
		}
		if st.Status == notify.StatusDelivered {
			assert.False(t, st.Timestamps.Delivered.IsZero(), who)
		}
	}
	sandbox := ps[0].client("")
	seen := map[notify.MessageStatus]int{}
	for _, e := range entries {
		id := strings.TrimSuffix(e.Name(), ".json")
		st, err := sandbox.Message(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, id, st.ID)
		check("sandbox "+id, st)
		seen[st.Status]++
	}
	if len(entries) > 0 {
		assert.Positive(t, seen[notify.StatusDelivered])
		assert.Positive(t, seen[notify.StatusFailed])
	}

	srv := notifytest.NewServer()
	defer srv.Close()
	fc, err := notify.New(notify.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	srv.SetOutcome("9990000026", notify.NHSApp, notify.ChannelFailed)
	for _, nhs := range []nhsid.NHSNumber{"9990000018", "9990000026"} {
		st, err := fc.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanA, Reference: "get-" + string(nhs), Recipient: notify.Recipient{NHSNumber: nhs}})
		require.NoError(t, err)
		for _, step := range []time.Duration{0, time.Minute, 5 * time.Minute, 5 * time.Minute} {
			srv.Advance(step)
			got, err := fc.Message(ctx, st.ID)
			require.NoError(t, err)
			check("notifytest", got)
		}
	}

	got := map[string]outcome{}
	for _, p := range ps {
		_, err := p.client("").Message(ctx, "2WL3qFTEFM0qMY8xjRbt1LIKCzZ")
		got[p.name] = outcomeOf(t, err)
	}
	same(t, "unknown message", got)
}

func TestConformanceNHSAppAccounts(t *testing.T) {
	ps := pairs(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ods  nhsid.ODSCode
		page int
	}{
		{"default practice", "A12345", 1},
		{"default practice, lower case", "a12345", 1},
		{"other code form", "A1B2C", 1},
		{"X26", "X26", 1},
		{"paged, first", notifytest.ODSPaged, 1},
		{"paged, middle", notifytest.ODSPaged, 4},
		{"paged, last", notifytest.ODSPaged, 8},
		{"paged, beyond", notifytest.ODSPaged, 9},
		{"default practice, page 2", "A12345", 2},
		{"not found", notifytest.ODSNotFound, 1},
		{"too many requests", notifytest.ODSTooManyRequests, 1},
		{"bad gateway", notifytest.ODSBadGateway, 1},
		{"invalid code", "NOTODS", 1},
	} {
		got := map[string]outcome{}
		pages := map[string]*notify.AccountsPage{}
		for _, p := range ps {
			pg, err := p.client("").NHSAppAccountsPage(ctx, tc.ods, tc.page)
			got[p.name] = outcomeOf(t, err)
			pages[p.name] = pg
		}
		same(t, tc.name, got)
		sb, fk := pages["sandbox"], pages["notifytest"]
		if sb == nil || fk == nil {
			continue
		}
		assert.Equal(t, len(sb.Accounts), len(fk.Accounts), tc.name)
		assert.Equal(t, sb.Last, fk.Last, tc.name)
		assert.Equal(t, sb.Next, fk.Next, tc.name)
		assert.Equal(t, strings.ToUpper(string(tc.ods)), fk.ODSCode, tc.name)
		assert.Equal(t, sb.ODSCode, fk.ODSCode, tc.name)
	}
	// Walking every page gives the same number of accounts.
	counts := map[string]int{}
	for _, p := range ps {
		for a, err := range p.client("").NHSAppAccounts(ctx, notifytest.ODSPaged) {
			require.NoError(t, err, p.name)
			assert.Len(t, string(a.NHSNumber), 10)
			counts[p.name]++
		}
	}
	assert.Equal(t, counts["sandbox"], counts["notifytest"])
	assert.Equal(t, 80, counts["notifytest"])
}

// TestConformanceRaw sends the same raw bodies, most of them malformed,
// to NHS England's sandbox and to notifytest and compares the answers.
func TestConformanceRaw(t *testing.T) {
	sb := sandboxURL(t)
	srv := notifytest.NewServer()
	defer srv.Close()
	plan := notifytest.PlanA
	msg := func(attrs string) string { return `{"data":{"type":"Message","attributes":{` + attrs + `}}}` }
	batch := func(attrs string) string { return `{"data":{"type":"MessageBatch","attributes":{` + attrs + `}}}` }
	ok := `"routingPlanId":"` + plan + `","messageReference":"REF","recipient":{"nhsNumber":"9990000018"`
	for _, tc := range []struct {
		name  string
		batch bool
		body  string
	}{
		{"empty object", false, `{}`},
		{"no data", false, `{"data":null}`},
		{"no type", false, `{"data":{"attributes":{}}}`},
		{"wrong type", false, `{"data":{"type":"MessageBatch","attributes":{}}}`},
		{"no attributes", false, `{"data":{"type":"Message"}}`},
		{"no routing plan", false, msg(`"messageReference":"x"`)},
		{"null routing plan", false, msg(`"routingPlanId":null,"messageReference":"x"`)},
		{"no reference", false, msg(`"routingPlanId":"` + plan + `"`)},
		{"good", false, msg(ok + `}`)},
		{"sms not a string", false, msg(ok + `,"contactDetails":{"sms":7}}`)},
		{"email not a string", false, msg(ok + `,"contactDetails":{"email":["a"]}}`)},
		{"address not an object", false, msg(ok + `,"contactDetails":{"address":"1 Street"}}`)},
		{"address lines not strings", false, msg(ok + `,"contactDetails":{"address":{"lines":[1,2]}}}`)},
		{"six address lines", false, msg(ok + `,"contactDetails":{"address":{"lines":["a","b","c","d","e","f"],"postcode":"LS1 4AP"}}}`)},
		{"postcode not a string", false, msg(ok + `,"contactDetails":{"address":{"lines":["a","b"],"postcode":1}}}`)},
		{"name not an object", false, msg(ok + `,"contactDetails":{"name":"Pat"}}`)},
		{"last name not a string", false, msg(ok + `,"contactDetails":{"name":{"lastName":1}}}`)},
		{"good contact details", false, msg(ok + `,"contactDetails":{"sms":"07700900123","address":{"lines":["a","b"],"postcode":"LS1 4AP"},"name":{"lastName":"Patient"}}}`)},
		{"batch: no reference", true, batch(`"routingPlanId":"` + plan + `","messages":[]`)},
		{"batch: messages not an array", true, batch(`"routingPlanId":"` + plan + `","messageBatchReference":"b","messages":{}`)},
		{"batch: message without reference", true, batch(`"routingPlanId":"` + plan + `","messageBatchReference":"b","messages":[{"recipient":{"nhsNumber":"9990000018"}}]`)},
		{"batch: duplicate references", true, batch(`"routingPlanId":"` + plan + `","messageBatchReference":"b","messages":[{"messageReference":"a","recipient":{"nhsNumber":"9990000018"}},{"messageReference":"a","recipient":{"nhsNumber":"9990000018"}}]`)},
		{"batch: sms not a string", true, batch(`"routingPlanId":"` + plan + `","messageBatchReference":"b","messages":[{"messageReference":"a","recipient":{"nhsNumber":"9990000018","contactDetails":{"sms":1}}}]`)},
		{"batch: good", true, batch(`"routingPlanId":"` + plan + `","messageBatchReference":"REF","messages":[{"messageReference":"REF-1","recipient":{"nhsNumber":"9990000018"}}]`)},
	} {
		stamp := time.Now().Format(time.RFC3339Nano)
		body := strings.ReplaceAll(tc.body, "REF", "raw-"+stamp)
		got := map[string]outcome{}
		for name, u := range map[string]string{
			"sandbox":    sb + map[bool]string{false: notify.SandboxBackendPaths.Messages, true: notify.SandboxBackendPaths.MessageBatches}[tc.batch],
			"notifytest": srv.URL + map[bool]string{false: notify.APIPaths.Messages, true: notify.APIPaths.MessageBatches}[tc.batch],
		} {
			resp, err := http.Post(u, "application/json", strings.NewReader(body))
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				got[name] = outcome{}
				continue
			}
			e := notify.ParseError(resp.StatusCode, resp.Header, b, "")
			got[name] = outcome{e.StatusCode, e.Code}
		}
		same(t, tc.name, got)
	}
}
