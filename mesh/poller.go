package mesh

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Poller receives a mailbox continuously: it polls every Interval, hands
// each message to the handler for its workflow, a bounded number at a
// time, repeats the handshake daily, and quarantines a message that keeps
// failing so that it stops costing a download every poll.
type Poller struct {
	Client *Client
	// Interval between polls (default five minutes, as MESH asks).
	Interval time.Duration
	// Handlers by workflow id; "" takes every workflow not named. A
	// message with no handler stays in the inbox untouched.
	Handlers map[string]Handler
	// Concurrency is how many messages are handled at once (default 1).
	Concurrency int
	// MaxFailures is how many failed attempts (download, checksum,
	// handler) put a message in quarantine (default 5). A quarantined
	// message stays in the inbox, is not fetched again by this Poller,
	// and MESH reports it to its sender once it expires.
	MaxFailures int
	// OnQuarantine, when set, is told once of each quarantined message.
	OnQuarantine func(ctx context.Context, messageID string, lastErr error)

	mu          sync.Mutex
	failures    map[string]int
	quarantined map[string]bool
	handshaked  time.Time
}

// ErrNoHandler is returned (wrapped) for a message whose workflow has no
// handler.
var ErrNoHandler = errors.New("mesh: no handler for the workflow")

// Run polls until ctx is done, then returns nil; it returns early only on
// an authentication failure, which polling on would not fix.
func (p *Poller) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	for {
		if _, err := p.Once(ctx); err != nil {
			if errors.Is(err, ErrAuth) {
				return err
			}
			p.Client.logger().Warn("mesh poll failed", "error", err.Error())
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Once makes one pass over the inbox and returns how many messages were
// acknowledged and the first error.
func (p *Poller) Once(ctx context.Context) (int, error) {
	c := p.Client
	p.mu.Lock()
	if p.failures == nil {
		p.failures, p.quarantined = map[string]int{}, map[string]bool{}
	}
	due := c.now().Sub(p.handshaked) >= 24*time.Hour
	p.mu.Unlock()
	if due {
		if err := c.Handshake(ctx); err != nil {
			return 0, err
		}
		p.mu.Lock()
		p.handshaked = c.now()
		p.mu.Unlock()
	}
	var ids []string
	for id, err := range c.Inbox(ctx) {
		if err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	c.pruneSpools(ids)
	workers := max(1, p.Concurrency)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var firstErr error
	for _, id := range ids {
		p.mu.Lock()
		skip := p.quarantined[id]
		p.mu.Unlock()
		if skip {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			acked, err := p.one(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if acked {
				done++
			}
			if err != nil && firstErr == nil && !errors.Is(err, ErrNoHandler) {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return done, firstErr
}

// one receives a message with the handler for its workflow, learnt from
// HEAD so that a message nobody handles is not downloaded.
func (p *Poller) one(ctx context.Context, id string) (bool, error) {
	c := p.Client
	head, err := c.Head(ctx, id)
	if err != nil {
		if errors.Is(err, ErrMessageGone) || errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	h := p.Handlers[head.WorkflowID]
	if h == nil {
		h = p.Handlers[""]
	}
	if h == nil && !head.IsReport() {
		return false, fmt.Errorf("%w %q (message %s left in the inbox)", ErrNoHandler, head.WorkflowID, id)
	}
	acked, err := c.receiveOne(ctx, id, h)
	if err == nil || errors.Is(err, ErrMessageGone) || ctx.Err() != nil {
		return acked, nil
	}
	p.mu.Lock()
	p.failures[id]++
	quarantine := p.failures[id] >= max(1, p.maxFailures())
	if quarantine {
		p.quarantined[id] = true
		delete(p.failures, id)
	}
	p.mu.Unlock()
	if quarantine {
		c.logger().Warn("mesh message quarantined", "message_id", id, "error", err.Error())
		if p.OnQuarantine != nil {
			p.OnQuarantine(ctx, id, err)
		}
	}
	return false, err
}

func (p *Poller) maxFailures() int {
	if p.MaxFailures <= 0 {
		return 5
	}
	return p.MaxFailures
}
