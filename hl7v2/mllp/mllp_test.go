package mllp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
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

// fakePeer accepts connections on ln and answers each message with
// answer(n, msg), n counting messages across connections; after each
// exchange it closes the connection when drop says so, and reports on
// closed when it has.
func fakePeer(t *testing.T, ln net.Listener, answer func(n int, m *hl7v2.Message) [][]byte, drop func(n int) bool, closed chan<- int) {
	t.Helper()
	n := 0
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			rd := NewReader(conn, 0)
			w := NewWriter(conn)
			for {
				raw, err := rd.ReadMessage()
				if err != nil {
					conn.Close()
					break
				}
				m, err := hl7v2.Parse(raw)
				if err != nil {
					conn.Close()
					break
				}
				n++
				for _, a := range answer(n, m) {
					_ = w.WriteMessage(a)
				}
				if drop != nil && drop(n) {
					conn.Close()
					if closed != nil {
						closed <- n
					}
					break
				}
			}
		}
	}()
}

func ackOf(m *hl7v2.Message) []byte {
	a, err := m.Ack(hl7v2.AckAccept, hl7v2.AckOptions{Time: time.Unix(0, 0)})
	if err != nil {
		panic(err)
	}
	return a.Encode()
}

func TestClientReconnects(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	closed := make(chan int, 1)
	fakePeer(t, ln, func(_ int, m *hl7v2.Message) [][]byte { return [][]byte{ackOf(m)} },
		func(n int) bool { return n == 1 }, closed)
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	_, err := c.Send(context.Background(), adt("A"))
	require.NoError(t, err)
	<-closed // the peer has dropped the connection
	_, err = c.Send(context.Background(), adt("B"))
	if err != nil {
		// The first send after a drop reports it; the next one redials.
		_, err = c.Send(context.Background(), adt("B"))
	}
	require.NoError(t, err)
}

func TestClientResynchronisesAfterStrayAck(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	// The peer answers the first message twice: a stray ACK for another
	// message, then the right one.
	fakePeer(t, ln, func(n int, m *hl7v2.Message) [][]byte {
		if n == 1 {
			return [][]byte{ackOf(adt("STRAY")), ackOf(m)}
		}
		return [][]byte{ackOf(m)}
	}, nil, nil)
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	_, err := c.Send(context.Background(), adt("M1"))
	require.ErrorIs(t, err, ErrAckMismatch)
	for _, id := range []string{"M2", "M3", "M4"} {
		ack, err := c.Send(context.Background(), adt(id))
		require.NoError(t, err, id)
		msa, _ := ack.MSA()
		assert.Equal(t, id, msa.ControlID())
	}
}

func TestServerHandlerMayKeepMessages(t *testing.T) {
	ln := listen(t)
	var mu sync.Mutex
	var kept []*hl7v2.Message
	var ids []string
	srv := &Server{Handler: func(_ context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
		mu.Lock()
		defer mu.Unlock()
		kept = append(kept, m)
		ids = append(ids, strings.Clone(m.MSH().ControlID()))
		return nil, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	for i := range 50 {
		_, err := c.Send(context.Background(), adt(fmt.Sprintf("ID%03d", i)))
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, kept, 50)
	for i, m := range kept {
		assert.Equal(t, ids[i], m.MSH().ControlID())
		assert.Equal(t, fmt.Sprintf("ID%03d", i), m.Get("MSH-10"))
	}
}

func TestServerNAKNamesTheMessage(t *testing.T) {
	ln := listen(t)
	srv := &Server{Handler: func(context.Context, *hl7v2.Message) (*hl7v2.Message, error) { return nil, nil },
		Now: func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// A bad segment name after a readable MSH.
	bad := "MSH|^~\\&|PAS^1.2^ISO|RRK|TIE|RRK|20261124||ADT^A01|CTRL42|P|2.5.1\rpid|1\r"
	require.NoError(t, NewWriter(conn).WriteMessage([]byte(bad)))
	raw, err := NewReader(conn, 0).ReadMessage()
	require.NoError(t, err)
	nak, err := hl7v2.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "AR", nak.Get("MSA-1"))
	assert.Equal(t, "CTRL42", nak.Get("MSA-2"))
	assert.Equal(t, "TIE", nak.Get("MSH-3"))
	assert.Equal(t, "RRK", nak.Get("MSH-4"))
	assert.Equal(t, "PAS", nak.Get("MSH-5.1"))
	assert.Equal(t, "1.2", nak.Get("MSH-5.2"))
	assert.Equal(t, "2.5.1", nak.Get("MSH-12"))
	assert.Equal(t, "20261201100000+0000", nak.Get("MSH-7"))
}

func TestServerEnhancedAcknowledgement(t *testing.T) {
	ln := listen(t)
	appAcks := make(chan *hl7v2.Message, 4)
	srv := &Server{
		Handler: func(_ context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
			if strings.HasPrefix(m.MSH().ControlID(), "FAIL") {
				return nil, errors.New("store unavailable")
			}
			return nil, nil
		},
		ApplicationAck: func(_ context.Context, a *hl7v2.Message) { appAcks <- a },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	rd, w := NewReader(conn, 0), NewWriter(conn)
	exchange := func(id, accept, app string) string {
		m := "MSH|^~\\&|PAS|RRK|TIE|RRK|20261124||ADT^A01|" + id + "|P|2.5.1|||" + accept + "|" + app + "\rPID|1||9990000018^^^NHS^NH\r"
		require.NoError(t, w.WriteMessage([]byte(m)))
		raw, err := rd.ReadMessage()
		require.NoError(t, err)
		a, err := hl7v2.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, id, a.Get("MSA-2"))
		return a.Get("MSA-1")
	}
	assert.Equal(t, "AA", exchange("O1", "", ""), "original mode")
	assert.Equal(t, "CA", exchange("E1", "AL", "NE"), "commit ack only")
	assert.Equal(t, "AA", exchange("E2", "NE", "AL"), "application ack only")
	assert.Equal(t, "CA", exchange("E3", "AL", "AL"), "both: commit on the connection")
	a := <-appAcks
	assert.Equal(t, "AA", a.Get("MSA-1"))
	assert.Equal(t, "E3", a.Get("MSA-2"))
	assert.Equal(t, "CE", exchange("FAIL1", "AL", "NE"))
	assert.Equal(t, "AE", exchange("FAIL2", "NE", "ER"))
	// NE/NE: nothing comes back; the next exchange gets its own answer.
	require.NoError(t, w.WriteMessage([]byte("MSH|^~\\&|PAS|RRK|TIE|RRK|20261124||ADT^A01|SILENT|P|2.5.1|||NE|NE\r")))
	assert.Equal(t, "AA", exchange("O2", "", ""))
}

func TestServerConnectionLimit(t *testing.T) {
	ln := listen(t)
	inHandler := make(chan struct{}, 4)
	release := make(chan struct{})
	srv := &Server{MaxConns: 1, Handler: func(context.Context, *hl7v2.Message) (*hl7v2.Message, error) {
		inHandler <- struct{}{}
		<-release
		return nil, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	c1 := &Client{Addr: ln.Addr().String()}
	c2 := &Client{Addr: ln.Addr().String()}
	defer c1.Close()
	defer c2.Close()
	res := make(chan error, 2)
	go func() { _, err := c1.Send(context.Background(), adt("C1")); res <- err }()
	<-inHandler
	go func() { _, err := c2.Send(context.Background(), adt("C2")); res <- err }()
	// The second peer's message is not taken while the first connection
	// holds the only slot: closing the first connection frees it.
	select {
	case <-inHandler:
		t.Fatal("a second connection was served beyond MaxConns")
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{}
	require.NoError(t, <-res)
	c1.Close()
	<-inHandler
	release <- struct{}{}
	require.NoError(t, <-res)
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
	_, err := c.Send(ctx, adt("X"))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
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

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mllp test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestServerTLS(t *testing.T) {
	ln := listen(t)
	cert, pool := selfSigned(t)
	srv := &Server{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Handler: func(context.Context, *hl7v2.Message) (*hl7v2.Message, error) { return nil, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	c := &Client{Addr: ln.Addr().String(), Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := tls.Dialer{Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		return d.DialContext(ctx, network, addr)
	}}
	defer c.Close()
	ack, err := c.Send(context.Background(), adt("TLS1"))
	require.NoError(t, err)
	assert.Equal(t, "TLS1", ack.Get("MSA-2"))
	// A plain-text peer gets no acknowledgement.
	plain := &Client{Addr: ln.Addr().String(), Timeout: 2 * time.Second}
	defer plain.Close()
	_, err = plain.Send(context.Background(), adt("PLAIN"))
	assert.Error(t, err)
}

func TestServerSurvivesHandlerPanic(t *testing.T) {
	ln := listen(t)
	srv := &Server{Handler: func(_ context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
		if m.MSH().ControlID() == "BOOM" {
			var p *hl7v2.PID
			_ = p.NHSNumber() // a nil dereference in the caller's code
		}
		return nil, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	c := &Client{Addr: ln.Addr().String()}
	defer c.Close()
	ack, err := c.Send(context.Background(), adt("BOOM"))
	require.NoError(t, err)
	assert.Equal(t, "AE", ack.Get("MSA-1"))
	ack, err = c.Send(context.Background(), adt("NEXT"))
	require.NoError(t, err)
	assert.Equal(t, "AA", ack.Get("MSA-1"))
}
