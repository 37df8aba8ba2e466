package mllp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/nhskit/nhskit/hl7v2"
)

// Handler processes one message and returns its acknowledgement. Returning
// a nil acknowledgement with a nil error acknowledges with AA; returning an
// error acknowledges with AE, its text the error's message (so do not put
// patient data in it). The message owns its text and may be kept after the
// handler returns, unless the Server's Options.Borrow is set.
type Handler func(ctx context.Context, msg *hl7v2.Message) (*hl7v2.Message, error)

// Server receives messages over MLLP.
type Server struct {
	Handler Handler
	// Options parse each message. With Options.Borrow the message handed to
	// the Handler refers to the connection's read buffer and is valid only
	// until the Handler returns.
	Options hl7v2.Options
	// ReadTimeout bounds waiting for a message on an idle connection
	// (default 5 minutes); WriteTimeout bounds writing an acknowledgement
	// (default 30s).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	MaxSize      int
	// MaxConns bounds the connections served at once; further peers wait
	// in the listen queue until one closes. Zero means no limit.
	MaxConns int
	// TLSConfig, when set, makes Serve speak TLS on the listener.
	TLSConfig *tls.Config
	// ApplicationAck receives the application acknowledgement (AA, AE, AR)
	// of a message that asked, in enhanced mode, for both a commit
	// acknowledgement (MSH-15) and an application one (MSH-16): the commit
	// acknowledgement goes back on the connection, and the application
	// acknowledgement is the receiver's to send as a message of its own.
	// When nil, such application acknowledgements are dropped and logged.
	ApplicationAck func(ctx context.Context, ack *hl7v2.Message)
	Logger         *slog.Logger
	// Now is the clock for acknowledgement times (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// Serve accepts connections on ln until ctx is done, then closes ln and the
// idle connections and waits for handlers in flight to finish and their
// acknowledgements to be written.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Handler == nil {
		return errors.New("mllp: server has no handler")
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.mu.Lock()
	s.conns = map[net.Conn]bool{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		_ = ln.Close()
		s.mu.Lock()
		for c, busy := range s.conns {
			if !busy {
				_ = c.Close()
			}
		}
		s.mu.Unlock()
	})
	defer stop()
	if s.TLSConfig != nil {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	var slots chan struct{}
	if s.MaxConns > 0 {
		slots = make(chan struct{}, s.MaxConns)
	}
	for {
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				s.wg.Wait()
				return nil
			}
		}
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if slots != nil {
					<-slots
				}
				continue
			}
			s.wg.Wait()
			return err
		}
		s.mu.Lock()
		s.conns[conn] = false
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if slots != nil {
				defer func() { <-slots }()
			}
			s.serveConn(ctx, conn, log)
		}()
	}
}

func (s *Server) setBusy(c net.Conn, busy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c] = busy
}

func (s *Server) serveConn(ctx context.Context, conn net.Conn, log *slog.Logger) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		_ = conn.Close()
	}()
	rt, wt := s.ReadTimeout, s.WriteTimeout
	if rt <= 0 {
		rt = 5 * time.Minute
	}
	if wt <= 0 {
		wt = 30 * time.Second
	}
	rd := NewReader(conn, s.MaxSize)
	w := NewWriter(conn)
	for ctx.Err() == nil {
		_ = conn.SetReadDeadline(time.Now().Add(rt))
		raw, err := rd.ReadMessage()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Debug("mllp connection ended", "remote", conn.RemoteAddr().String(), "error", err.Error())
			}
			return
		}
		s.setBusy(conn, true)
		ack := s.handle(ctx, raw, log)
		if ack == nil { // enhanced mode, no acknowledgement asked for
			s.setBusy(conn, false)
			continue
		}
		_ = conn.SetWriteDeadline(time.Now().Add(wt))
		err = w.WriteMessage(ack)
		s.setBusy(conn, false)
		if err != nil {
			log.Warn("mllp acknowledgement not written", "remote", conn.RemoteAddr().String(), "error", err.Error())
			return
		}
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// wants reports whether an enhanced-mode acknowledgement condition (HL7
// table 0155: AL always, NE never, ER on error or reject only, SU on
// success only) asks for an acknowledgement with this outcome.
func wants(cond string, ok bool) bool {
	switch cond {
	case "AL":
		return true
	case "ER":
		return !ok
	case "SU":
		return ok
	}
	return false // NE, and anything unknown
}

// handle parses and dispatches one message, producing the acknowledgement
// to write back: AR (naming the message where it can) when the message
// cannot be parsed; in original mode AA or AE from the handler; in enhanced
// mode (MSH-15 or MSH-16 present) a commit acknowledgement CA or CE when
// MSH-15 asks, else the application acknowledgement when MSH-16 asks, else
// nil.
func (s *Server) handle(ctx context.Context, raw []byte, log *slog.Logger) []byte {
	msg, err := hl7v2.ParseWithOptions(raw, s.Options)
	if err != nil {
		log.Warn("mllp message rejected", "error", err.Error())
		return rejectUnparsable(raw, err, s.now())
	}
	h := msg.MSH()
	accept, app := h.AcceptAckType(), h.ApplicationAckType()
	enhanced := accept != "" || app != ""
	reply, herr := s.call(ctx, msg)
	if herr != nil {
		log.Warn("mllp handler failed", "control_id", h.ControlID(), "error", herr.Error())
	}
	ok := herr == nil
	appAck := func() []byte {
		if reply != nil && herr == nil {
			return reply.Encode()
		}
		code, opts := hl7v2.AckAccept, hl7v2.AckOptions{Time: s.now()}
		if herr != nil {
			code = hl7v2.AckError
			opts.Text = herr.Error()
			opts.Errors = []hl7v2.AckIssue{{Code: "207", Text: "Application internal error"}}
		}
		a, err := msg.Ack(code, opts)
		if err != nil {
			return rejectUnparsable(raw, err, s.now())
		}
		return a.Encode()
	}
	if !enhanced {
		return appAck()
	}
	if wants(accept, ok) {
		code, opts := hl7v2.AckCommitAccept, hl7v2.AckOptions{Time: s.now()}
		if !ok {
			// The message was received but could not be committed.
			code = hl7v2.AckCommitError
			opts.Text = herr.Error()
		}
		ack, err := msg.Ack(code, opts)
		if err != nil {
			return rejectUnparsable(raw, err, s.now())
		}
		if wants(app, ok) {
			a, err := hl7v2.Parse(appAck())
			switch {
			case err != nil:
			case s.ApplicationAck != nil:
				s.ApplicationAck(ctx, a)
			default:
				log.Warn("mllp application acknowledgement asked for but Server.ApplicationAck is nil", "control_id", h.ControlID())
			}
		}
		return ack.Encode()
	}
	if wants(app, ok) {
		return appAck()
	}
	return nil
}

// call runs the Handler, turning a panic into an error so that one bad
// message gets an AE instead of taking the listener down.
func (s *Server) call(ctx context.Context, msg *hl7v2.Message) (reply *hl7v2.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			reply, err = nil, errors.New("mllp: the handler panicked")
		}
	}()
	return s.Handler(ctx, msg)
}

// rejectUnparsable builds an AR for a message too broken to parse, naming
// it as far as its MSH can still be read: MSA-2 from MSH-10, sending and
// receiving application and facility swapped, MSH-12 from the message. The
// NAK is written in the message's own delimiters when they are valid, so
// its fields can be copied as written; otherwise it names nothing.
func rejectUnparsable(raw []byte, err error, now time.Time) []byte {
	var pe *hl7v2.ParseError
	text := "message could not be parsed"
	if errors.As(err, &pe) {
		text = pe.Err.Error()
	}
	d := hl7v2.DefaultDelimiters
	var f []string // f[n] is MSH-n as written, for n ≥ 3
	if len(raw) > 8 && string(raw[:3]) == "MSH" {
		own := hl7v2.Delimiters{Field: raw[3], Component: raw[4], Repetition: raw[5], Escape: raw[6], Subcomponent: raw[7]}
		if _, err := hl7v2.NewMessage(own); err == nil {
			d = own
			line := raw
			if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
				line = line[:i]
			}
			f = append([]string{""}, strings.Split(string(line[3:]), string(d.Field))...) // split[0] is before MSH-1
		}
	}
	field := func(n int) string {
		if n < len(f) && isPrintable(f[n]) {
			return f[n]
		}
		return ""
	}
	version := field(12)
	if version == "" {
		version = "2.4"
	}
	F := string(d.Field)
	var b strings.Builder
	b.WriteString("MSH" + F + string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}))
	for _, v := range []string{field(5), field(6), field(3), field(4), hl7v2.FormatDTM(now), "",
		"ACK", "NAK" + now.Format("150405.000000"), "P", version} {
		b.WriteString(F + v)
	}
	b.WriteString("\rMSA" + F + string(hl7v2.AckReject) + F + field(10) + F + hl7v2.Escape(text, d) + "\r")
	return []byte(b.String())
}

// isPrintable keeps the NAK to ASCII text from a header that may be
// garbage.
func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return len(s) <= 200
}
