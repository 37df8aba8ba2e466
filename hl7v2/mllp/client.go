package mllp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nhskit/nhskit/hl7v2"
)

// ErrAckMismatch is returned when the acknowledgement's MSA-2 does not
// match the sent message's control id. The connection is closed, since
// the exchange is out of step; whether the message arrived is unknown.
var ErrAckMismatch = errors.New("mllp: acknowledgement is for another message")

// Client sends messages to one peer over a persistent connection and waits
// for each acknowledgement. It redials after a broken connection. Sends are
// serialised: MLLP allows one exchange at a time per connection.
type Client struct {
	Addr string
	// Dialer dials the peer (TLS by wrapping, if the caller wants it);
	// default a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds each exchange when ctx has no deadline (default 30s).
	Timeout time.Duration
	// MaxSize bounds the acknowledgement (default DefaultMaxSize).
	MaxSize int

	mu   sync.Mutex
	conn net.Conn
	rd   *Reader
}

// Send writes msg and returns the parsed acknowledgement. A transport
// error closes the connection (the next Send redials) and is returned: the
// message may or may not have been received, so whether to resend is the
// caller's decision (receivers de-duplicate by MSH-10).
func (c *Client) Send(ctx context.Context, msg *hl7v2.Message) (*hl7v2.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		dial := c.Dial
		if dial == nil {
			var d net.Dialer
			dial = d.DialContext
		}
		conn, err := dial(ctx, "tcp", c.Addr)
		if err != nil {
			return nil, fmt.Errorf("mllp: dial: %w", err)
		}
		c.conn, c.rd = conn, NewReader(conn, c.MaxSize)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		to := c.Timeout
		if to <= 0 {
			to = 30 * time.Second
		}
		deadline = time.Now().Add(to)
	}
	conn := c.conn // the cancel callback must not see c.conn change under it
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := NewWriter(c.conn).WriteMessage(msg.Encode()); err != nil {
		c.closeLocked()
		return nil, c.wrap(ctx, "write", err)
	}
	raw, err := c.rd.ReadMessage()
	if err != nil {
		c.closeLocked()
		return nil, c.wrap(ctx, "read acknowledgement", err)
	}
	ack, err := hl7v2.Parse(raw)
	if err != nil {
		c.closeLocked()
		return nil, fmt.Errorf("mllp: acknowledgement: %w", err)
	}
	if msa, ok := ack.MSA(); !ok || msa.ControlID() != msg.MSH().ControlID() {
		// A stray acknowledgement means this connection's exchanges are
		// out of step: every later read would get the previous message's
		// answer. Drop it; the next Send redials.
		c.closeLocked()
		return ack, ErrAckMismatch
	}
	return ack, nil
}

func (c *Client) wrap(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("mllp: %s: %w", op, ctx.Err())
	}
	if _, has := ctx.Deadline(); has && errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection deadline was the context's: report it as such.
		return fmt.Errorf("mllp: %s: %w: %w", op, context.DeadlineExceeded, err)
	}
	return fmt.Errorf("mllp: %s: %w", op, err)
}

func (c *Client) closeLocked() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.rd = nil, nil
	}
}

// Close closes the connection, if any.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
	return nil
}
