package pgstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
	"github.com/nhskit/nhskit/waitlist/remind"
)

// TestKillMidSend runs three worker processes sending the same 150 due
// reminders through one store to a fake NHS Notify, and kills one with
// SIGKILL after NHS Notify has accepted a message but before the worker
// recorded it. The survivors take over its leased reminders once the
// leases end. Afterwards every reminder is sent, and NHS Notify holds
// exactly one message per reminder: the re-send of the one in flight was
// refused as a duplicate reference.
func TestKillMidSend(t *testing.T) {
	if os.Getenv("NHSKIT_REMIND_WORKER") == "1" {
		worker(t)
		return
	}
	s := open(t)
	ctx := context.Background()
	srv := notifytest.NewServer()
	defer srv.Close()
	srv.SetLatency(5 * time.Millisecond)

	now := time.Now()
	const appts, per = 50, 3
	for a := range appts {
		id := fmt.Sprintf("appt-%02d", a)
		var rs []remind.Reminder
		for i := range per {
			rs = append(rs, remind.Reminder{ID: fmt.Sprintf("%s.%d", id, i), AppointmentID: id, Start: now.Add(48 * time.Hour),
				Due: now.Add(-time.Minute), NHSNumber: "9990000018", RoutingPlanID: notifytest.PlanFreeTextSMS,
				Personalisation: map[string]string{"sms_body": "Reminder"}})
		}
		if err := s.Replace(ctx, id, rs, now); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	killed := make(chan string, 1)
	ready := make(chan struct{}, 3)
	var cmds []*exec.Cmd
	for w := range 3 {
		if w == 1 {
			// Worker 0 starts first, so that it is sending before the
			// others can drain the store however slowly it starts.
			select {
			case <-ready:
			case <-time.After(2 * time.Minute):
				t.Fatal("worker 0 did not start")
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillMidSend$", "-test.v")
		cmd.Env = append(os.Environ(), "NHSKIT_REMIND_WORKER=1", "NHSKIT_REMIND_SCHEMA="+s.name,
			"NHSKIT_REMIND_NOTIFY="+srv.URL, fmt.Sprintf("NHSKIT_REMIND_OWNER=w%d", w))
		if w == 0 {
			cmd.Env = append(cmd.Env, "NHSKIT_REMIND_HANG_AFTER=5")
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 1 && f[0] == "ready" {
					ready <- struct{}{}
				}
				if w == 0 && len(f) == 2 && f[0] == "hung" {
					_ = cmd.Process.Kill() // SIGKILL: no deferred code, no Finish
					killed <- f[1]
				}
			}
		}()
	}
	var inFlight string
	select {
	case inFlight = <-killed:
	case <-time.After(2 * time.Minute):
		t.Fatal("worker 0 never reached its hang")
	}
	done := make(chan struct{})
	go func() {
		for _, c := range cmds {
			_ = c.Wait()
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
		t.Fatal("workers did not finish")
	}

	st := srv.Stats()
	if st.Messages != appts*per {
		t.Fatalf("NHS Notify holds %d messages for %d reminders", st.Messages, appts*per)
	}
	if st.Duplicates < 1 {
		t.Fatalf("the in-flight reminder %s was not re-sent after the kill", inFlight)
	}
	for a := range appts {
		rs, err := s.List(ctx, fmt.Sprintf("appt-%02d", a))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Status != remind.Sent {
				t.Errorf("%s is %s", r.ID, r.Status)
			}
			if _, ok := srv.MessageByReference(r.ID); !ok {
				t.Errorf("%s never reached NHS Notify", r.ID)
			}
		}
	}
	r, err := s.Get(ctx, inFlight)
	if err != nil {
		t.Fatal(err)
	}
	if r.Attempts < 2 || r.Owner != "" {
		t.Errorf("in-flight reminder: attempts %d owner %q, want a second claim by a survivor", r.Attempts, r.Owner)
	}
	t.Logf("%d messages, %d duplicates refused, in flight at the kill: %s", st.Messages, st.Duplicates, inFlight)
}

// hangingSender prints each send and, after hangAfter sends, prints
// "hung <id>" once NHS Notify has accepted the message and blocks, so that
// the parent kills it between the send and its record.
type hangingSender struct {
	next      remind.Sender
	hangAfter int
	n         int
}

func (h *hangingSender) Send(ctx context.Context, r remind.Reminder) (string, error) {
	id, err := h.next.Send(ctx, r)
	h.n++
	if err == nil && h.hangAfter > 0 && h.n == h.hangAfter {
		fmt.Printf("hung %s\n", r.ID)
		time.Sleep(time.Hour)
	}
	return id, err
}

func worker(t *testing.T) {
	ctx := context.Background()
	s, err := Connect(ctx, dsn(t), os.Getenv("NHSKIT_REMIND_SCHEMA"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client, err := notify.New(notify.Config{BaseURL: os.Getenv("NHSKIT_REMIND_NOTIFY"), MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	hang, _ := strconv.Atoi(os.Getenv("NHSKIT_REMIND_HANG_AFTER"))
	fmt.Println("ready")
	sched, err := remind.New(remind.Config{
		Rules:  remind.Rules{Plans: []remind.Plan{{RoutingPlanID: notifytest.PlanFreeTextSMS}}},
		Store:  s,
		Sender: &hangingSender{next: remind.NotifySender{Client: client}, hangAfter: hang},
		Owner:  os.Getenv("NHSKIT_REMIND_OWNER"),
		Lease:  2 * time.Second,
		Batch:  5,
	})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := sched.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := s.pool.QueryRow(ctx, s.sql(`SELECT count(*) FROM {s}reminders WHERE status = 'scheduled'`)).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
