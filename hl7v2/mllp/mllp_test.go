package mllp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/hl7v2"
)

func adt(id string) *hl7v2.Message {
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124093015||ADT^A04|" + id + "|P|2.4\rPID|1||9990000018^^^NHS^NH\r"))
	if err != nil {
		panic(err)
	}
	return m
}

func TestFraming(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	require.NoError(t, w.WriteMessage([]byte("MSH|a\r")))
	require.NoError(t, w.WriteMessage([]byte("MSH|b\r")))
	buf.WriteString("\r\n") // tolerated between frames
	r := NewReader(&buf, 0)
	m, err := r.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, "MSH|a\r", string(m))
	m, err = r.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, "MSH|b\r", string(m))
	_, err = r.ReadMessage()
	assert.Equal(t, io.EOF, err)

	assert.ErrorIs(t, w.WriteMessage([]byte("a\x1cb")), ErrFrame)

	bad := []struct {
		name string
		in   string
		err  error
	}{
		{"garbage before frame", "x\x0bMSH\x1c\r", ErrFrame},
		{"truncated", "\x0bMSH|partial", ErrFrame},
		{"no cr after end", "\x0bMSH\x1cX", ErrFrame},
		{"nested start", "\x0bMS\x0bH\x1c\r", ErrFrame},
		{"too large", "\x0b" + strings.Repeat("A", 100) + "\x1c\r", ErrTooLarge},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.in), 50).ReadMessage()
			require.ErrorIs(t, err, tt.err)
			var fe *FrameError
			require.True(t, errors.As(err, &fe))
			assert.GreaterOrEqual(t, fe.Offset, int64(0))
		})
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func TestClientServer(t *testing.T) {
	ln := listen(t)
	var handled atomic.Int32
	srv := &Server{Handler: func(ctx context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
		handled.Add(1)
		if m.MSH().ControlID() == "FAIL" {
			return nil, errors.New("downstream unavailable")
		}
		return nil, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	c := &Client{Addr: ln.Addr().String(), Timeout: 5 * time.Second}
	defer c.Close()
	for _, id := range []string{"M1", "M2", "M3"} {
		ack, err := c.Send(context.Background(), adt(id))
		require.NoError(t, err)
		msa, _ := ack.MSA()
		assert.Equal(t, "AA", msa.Code())
		assert.Equal(t, id, msa.ControlID())
	}
	ack, err := c.Send(context.Background(), adt("FAIL"))
	require.NoError(t, err)
	msa, _ := ack.MSA()
	assert.Equal(t, "AE", msa.Code())
	assert.Equal(t, "downstream unavailable", msa.Text())
	assert.Equal(t, int32(4), handled.Load())

	// Unparsable content gets an AR.
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, NewWriter(conn).WriteMessage([]byte("NOT HL7")))
	raw, err := NewReader(conn, 0).ReadMessage()
	require.NoError(t, err)
	nak, err := hl7v2.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "AR", nak.Get("MSA-1"))
	conn.Close()

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("server did not shut down")
	}
	// After shutdown the client's connection is gone: Send fails, and a
	// new server on the same address is reached by redialling.
	_, err = c.Send(context.Background(), adt("M5"))
	assert.Error(t, err)
}

func TestClientReconnects(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	srv := &Server{Handler: func(context.Context, *hl7v2.Message) (*hl7v2.Message, error) { return nil, nil }, ReadTimeout: 100 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	c := &Client{Addr: addr}
	defer c.Close()
	_, err := c.Send(context.Background(), adt("A"))
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // the server drops the idle connection
	_, err = c.Send(context.Background(), adt("B"))
	if err != nil {
		// The first send after a drop reports it; the next one redials.
		_, err = c.Send(context.Background(), adt("B"))
	}
	require.NoError(t, err)
}

func TestGracefulShutdownWaitsForHandler(t *testing.T) {
	ln := listen(t)
	started := make(chan struct{})
	release := make(chan struct{})
	srv := &Server{Handler: func(context.Context, *hl7v2.Message) (*hl7v2.Message, error) {
		close(started)
		<-release
		return nil, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	res := make(chan error, 1)
	go func() {
		_, err := c.Send(context.Background(), adt("SLOW"))
		res <- err
	}()
	<-started
	cancel()
	select {
	case <-done:
		t.Fatal("Serve returned while a handler was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-res, "the in-flight message is acknowledged")
	require.NoError(t, <-done)
}

func TestClientTimeout(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			_, _ = io.Copy(io.Discard, conn) // never acknowledges
		}
	}()
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Send(ctx, adt("X"))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestAckMismatch(t *testing.T) {
	ln := listen(t)
	srv := &Server{Handler: func(_ context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
		other := adt("SOMETHING-ELSE")
		return other.Ack(hl7v2.AckAccept, hl7v2.AckOptions{})
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	_, err := c.Send(context.Background(), adt("MINE"))
	assert.ErrorIs(t, err, ErrAckMismatch)
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("\x0bMSH|a\r\x1c\r\x0bMSH|b\x1c\r"))
	f.Add([]byte("\r\n\x0b\x1c\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1024)
		for i := 0; i <= len(data); i++ {
			m, err := r.ReadMessage()
			if err != nil {
				return
			}
			if bytes.IndexByte(m, StartBlock) >= 0 || bytes.IndexByte(m, EndBlock) >= 0 {
				t.Fatal("framing byte inside a message")
			}
		}
		t.Fatal("more messages than bytes")
	})
}
