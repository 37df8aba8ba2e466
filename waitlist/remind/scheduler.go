package remind

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/spine/notify"
)

// Sender sends one reminder and returns the message id. It must send
// r.ID as the message's idempotency reference, so that a reminder sent
// twice (a retry, or another instance after this one died mid-send)
// reaches the patient once; it returns an error wrapping ErrPermanent for
// a failure that no retry can mend.
type Sender interface {
	Send(ctx context.Context, r Reminder) (messageID string, err error)
}

// ErrPermanent marks a send failure that retrying cannot mend (a refused
// request, an unknown routing plan).
var ErrPermanent = errors.New("remind: permanent send failure")

// NotifyClient is what NotifySender needs of *notify.Client.
type NotifyClient interface {
	Send(ctx context.Context, m notify.Message) (*notify.Status, error)
}

// NotifySender sends reminders through NHS Notify with the reminder's id
// as messageReference. NHS Notify answers a repeated reference 422
// CM_DUPLICATE_REQUEST and never sends it twice: NotifySender counts that
// as sent.
type NotifySender struct {
	Client NotifyClient
}

// Send implements Sender.
func (s NotifySender) Send(ctx context.Context, r Reminder) (string, error) {
	st, err := s.Client.Send(ctx, notify.Message{
		RoutingPlanID: r.RoutingPlanID, Reference: r.ID,
		Recipient:       notify.Recipient{NHSNumber: r.NHSNumber},
		Personalisation: r.Personalisation,
	})
	if err == nil {
		return st.ID, nil
	}
	if errors.Is(err, notify.ErrDuplicateRequest) {
		return "", nil // sent by an earlier attempt
	}
	if errors.Is(err, notify.ErrInvalidMessage) {
		return "", fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	var ne *notify.Error
	if errors.As(err, &ne) {
		switch ne.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			return "", fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		if ne.RetryAfter > 0 {
			return "", &retryAfter{err: err, d: ne.RetryAfter}
		}
	}
	return "", err
}

type retryAfter struct {
	err error
	d   time.Duration
}

func (e *retryAfter) Error() string { return e.err.Error() }
func (e *retryAfter) Unwrap() error { return e.err }

// Releaser gives an appointment's slot back when the patient cancels by
// replying to a reminder.
type Releaser interface {
	Release(ctx context.Context, appointmentID string) error
}

// LedgerReleaser cancels the booking in a booking.Ledger: its
// SlotReleased event reaches the waiting list (waitlist.List's
// ConsumeReleases), which offers the place.
type LedgerReleaser struct {
	Ledger booking.Ledger
	Actor  string // default "reminders"
}

// Release implements Releaser. A booking already cancelled is not an
// error.
func (l LedgerReleaser) Release(ctx context.Context, appointmentID string) error {
	actor := l.Actor
	if actor == "" {
		actor = "reminders"
	}
	_, _, err := l.Ledger.Cancel(ctx, booking.CancelInput{BookingID: appointmentID, Actor: actor,
		Reason: "patient cancelled by replying to a reminder"})
	if errors.Is(err, booking.ErrNotActive) {
		return nil
	}
	return err
}

// Config configures a Scheduler.
type Config struct {
	Rules
	Store  Store
	Sender Sender
	// Releaser releases the slot of an appointment the patient cancels by
	// reply (nil: replies only cancel the reminders).
	Releaser Releaser
	// Owner names this instance in leases (default: random).
	Owner string
	// Lease is how long a claimed reminder is this instance's before
	// another may take it (default 2 minutes); it must exceed a send with
	// its retries.
	Lease time.Duration
	// Batch is how many reminders one RunDue pass claims (default 50).
	Batch int
	// MaxAttempts is how many claims a reminder gets before it fails
	// (default 6); RetryBase the first wait after a failure, doubled each
	// time up to an hour (default 1 minute). A Retry-After is honoured.
	MaxAttempts int
	RetryBase   time.Duration
	// CancelWords are the replies that cancel (default "cancel"), matched
	// case-insensitively against the reply's first word.
	CancelWords []string
	Now         func() time.Time
	Logger      *slog.Logger
}

// Scheduler schedules, sends and cancels reminders. Any number of
// Schedulers, in one process or many, may share a Store: each reminder is
// claimed by one at a time and sent with its own reference.
type Scheduler struct{ cfg Config }

// New returns a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Sender == nil {
		return nil, errors.New("remind: a store and a sender are required")
	}
	if len(cfg.Plans) == 0 {
		return nil, errors.New("remind: at least one routing plan is required")
	}
	cfg.Rules.defaults()
	if cfg.Owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.Owner = "remind-" + hex.EncodeToString(b[:])
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Minute
	}
	if len(cfg.CancelWords) == 0 {
		cfg.CancelWords = []string{"cancel"}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{cfg: cfg}, nil
}

// Schedule plans the appointment's reminders and stores them, replacing
// those of an earlier schedule: call it when an appointment is booked and
// again when it is rescheduled (the reminders of the old time that have
// not gone are cancelled; a moved appointment's reminders have new
// references).
func (s *Scheduler) Schedule(ctx context.Context, a Appointment) ([]Reminder, error) {
	now := s.cfg.Now()
	rs, err := s.cfg.Rules.Plan(a, now)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.Replace(ctx, a.ID, rs, now); err != nil {
		return nil, fmt.Errorf("remind: storing reminders: %w", err)
	}
	return rs, nil
}

// Cancel cancels the appointment's reminders that have not gone.
func (s *Scheduler) Cancel(ctx context.Context, appointmentID string) (int, error) {
	return s.cfg.Store.CancelAppointment(ctx, appointmentID, s.cfg.Now())
}

// Report counts what one RunDue pass did.
type Report struct {
	Claimed, Sent, Retried, Failed, Skipped, LeaseLost int
}

// RunDue claims the reminders due now and sends them, one pass. Errors
// of single sends are recorded on the reminders, not returned.
func (s *Scheduler) RunDue(ctx context.Context) (Report, error) {
	var rep Report
	now := s.cfg.Now()
	rs, err := s.cfg.Store.Claim(ctx, s.cfg.Owner, now, s.cfg.Lease, s.cfg.Batch)
	if err != nil {
		return rep, fmt.Errorf("remind: claiming: %w", err)
	}
	rep.Claimed = len(rs)
	for _, r := range rs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		out := s.send(ctx, r)
		switch out.Status {
		case Sent:
			rep.Sent++
		case Scheduled:
			rep.Retried++
		case Failed:
			rep.Failed++
		case Skipped:
			rep.Skipped++
		}
		if err := s.cfg.Store.Finish(ctx, r.ID, s.cfg.Owner, out); err != nil {
			if errors.Is(err, ErrLeaseLost) {
				rep.LeaseLost++
				continue
			}
			return rep, fmt.Errorf("remind: recording reminder %s: %w", r.ID, err)
		}
	}
	return rep, nil
}

func (s *Scheduler) send(ctx context.Context, r Reminder) Outcome {
	now := s.cfg.Now()
	if now.After(r.Start.Add(-s.cfg.MinNotice)) {
		return Outcome{Status: Skipped, Error: "too close to the appointment", At: now}
	}
	id, err := s.cfg.Sender.Send(ctx, r)
	now = s.cfg.Now()
	if err == nil {
		return Outcome{Status: Sent, MessageID: id, At: now}
	}
	s.cfg.Logger.Warn("reminder send failed", slog.String("reminder", r.ID), slog.Int("attempt", r.Attempts), slog.String("error", err.Error()))
	if errors.Is(err, ErrPermanent) || r.Attempts >= s.cfg.MaxAttempts {
		return Outcome{Status: Failed, Error: err.Error(), At: now}
	}
	// RetryBase doubled for each attempt after the first, up to an hour;
	// doubled in a loop so that neither an attempt count below 1 (a Store
	// that does not count) nor a large RetryBase can panic or overflow.
	wait := s.cfg.RetryBase
	for i := 1; i < r.Attempts && wait < time.Hour; i++ {
		wait *= 2
	}
	wait = min(wait, time.Hour)
	var ra *retryAfter
	if errors.As(err, &ra) && ra.d > wait {
		wait = ra.d
	}
	return Outcome{Status: Scheduled, RetryAt: now.Add(wait), Error: err.Error(), At: now}
}

// Run calls RunDue every interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("reminders", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Reply is a patient's reply to a reminder: an NHS Notify recipient
// response (ReplyFromResponse), or a reply from another inbound channel
// the trust has. Reference is the reminder's id (its messageReference).
type Reply struct {
	Reference string
	Text      string
}

// ReplyFromResponse is the Reply of an NHS Notify recipient response (the
// keyword an NHS App recipient chose, e.g. CANCEL), as ResponseHandler
// hands it over: its messageReference is the reminder's id.
func ReplyFromResponse(ev notify.RecipientResponseEvent) Reply {
	return Reply{Reference: ev.Reference, Text: ev.Code}
}

// ReplyAction is what HandleReply did.
type ReplyAction string

// Reply actions.
const (
	// ReplyCancelled: the appointment was cancelled, its slot released
	// and its reminders cancelled.
	ReplyCancelled ReplyAction = "cancelled"
	// ReplyIgnored: the reply is not a cancellation.
	ReplyIgnored ReplyAction = "ignored"
)

// HandleReply acts on a reply: a cancellation releases the appointment's
// slot through the Releaser (to the waiting list) and cancels its
// reminders. Handling the same reply twice is harmless.
func (s *Scheduler) HandleReply(ctx context.Context, rp Reply) (ReplyAction, error) {
	r, err := s.cfg.Store.Get(ctx, rp.Reference)
	if err != nil {
		return "", fmt.Errorf("remind: reply to reminder: %w", err)
	}
	if !s.isCancel(rp.Text) {
		return ReplyIgnored, nil
	}
	if s.cfg.Releaser != nil {
		if err := s.cfg.Releaser.Release(ctx, r.AppointmentID); err != nil {
			return "", fmt.Errorf("remind: releasing the slot of %s: %w", r.AppointmentID, err)
		}
	}
	if _, err := s.cfg.Store.CancelAppointment(ctx, r.AppointmentID, s.cfg.Now()); err != nil {
		return "", fmt.Errorf("remind: cancelling reminders: %w", err)
	}
	return ReplyCancelled, nil
}

func (s *Scheduler) isCancel(text string) bool {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(f) == 0 {
		return false
	}
	for _, w := range s.cfg.CancelWords {
		if f[0] == strings.ToLower(w) {
			return true
		}
	}
	return false
}
