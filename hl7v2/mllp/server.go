package mllp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/nhskit/nhskit/hl7v2"
)

// Handler processes one message and returns its acknowledgement. Returning
// a nil acknowledgement with a nil error acknowledges with AA; returning an
// error acknowledges with AE, its text the error's message (so do not put
// patient data in it).
type Handler func(ctx context.Context, msg *hl7v2.Message) (*hl7v2.Message, error)

// Server receives messages over MLLP.
type Server struct {
	Handler Handler
	// ReadTimeout bounds waiting for a message on an idle connection
	// (default 5 minutes); WriteTimeout bounds writing an acknowledgement
	// (default 30s).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	MaxSize      int
	Logger       *slog.Logger

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
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
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
		_ = conn.SetWriteDeadline(time.Now().Add(wt))
		err = w.WriteMessage(ack)
		s.setBusy(conn, false)
		if err != nil {
			log.Warn("mllp acknowledgement not written", "remote", conn.RemoteAddr().String(), "error", err.Error())
			return
		}
	}
}

// handle parses and dispatches one message, always producing an
// acknowledgement: AR when the message cannot be parsed.
func (s *Server) handle(ctx context.Context, raw []byte, log *slog.Logger) []byte {
	msg, err := hl7v2.Parse(raw)
	if err != nil {
		log.Warn("mllp message rejected", "error", err.Error())
		return rejectUnparsable(raw, err)
	}
	ack, herr := s.Handler(ctx, msg)
	if herr != nil {
		log.Warn("mllp handler failed", "control_id", msg.MSH().ControlID(), "error", herr.Error())
		nack, err := msg.Ack(hl7v2.AckError, hl7v2.AckOptions{Text: herr.Error(), Errors: []hl7v2.AckIssue{{Code: "207", Text: "Application internal error"}}})
		if err != nil {
			return rejectUnparsable(raw, err)
		}
		return nack.Encode()
	}
	if ack == nil {
		a, err := msg.Ack(hl7v2.AckAccept, hl7v2.AckOptions{})
		if err != nil {
			return rejectUnparsable(raw, err)
		}
		ack = a
	}
	return ack.Encode()
}

// rejectUnparsable builds an AR for a message too broken to parse.
func rejectUnparsable(_ []byte, err error) []byte {
	var pe *hl7v2.ParseError
	text := "message could not be parsed"
	if errors.As(err, &pe) {
		text = pe.Err.Error()
	}
	m, _ := hl7v2.NewMessage(hl7v2.DefaultDelimiters)
	_ = m.Set("MSH-7", hl7v2.FormatDTM(time.Now()))
	_ = m.Set("MSH-9.1", "ACK")
	_ = m.Set("MSH-10", "NAK"+time.Now().Format("150405.000000"))
	_ = m.Set("MSH-11", "P")
	_ = m.Set("MSH-12", "2.4")
	_ = m.Set("MSA-1", string(hl7v2.AckReject))
	_ = m.Set("MSA-3", text)
	return m.Encode()
}
