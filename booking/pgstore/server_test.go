package pgstore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// server is a throwaway PostgreSQL cluster of the test's own, so that the
// tests may kill it without disturbing anyone else's database.
type server struct {
	bin, dir string
	port     int
	dsn      string
}

// pgBin finds PostgreSQL's binaries: $NHSKIT_PG_BIN, else the newest
// Debian install.
func pgBin() string {
	if b := os.Getenv("NHSKIT_PG_BIN"); b != "" {
		return b
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(m, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return vi < vj
	})
	if len(m) == 0 {
		return ""
	}
	return filepath.Dir(m[len(m)-1])
}

// asPostgres runs a PostgreSQL binary, as the postgres user when the test
// runs as root (PostgreSQL refuses to run as root).
func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() != 0 {
		return exec.Command(name, args...)
	}
	q := make([]string, 0, len(args)+1)
	for _, a := range append([]string{name}, args...) {
		q = append(q, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return exec.Command("su", "postgres", "-s", "/bin/sh", "-c", strings.Join(q, " "))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer() (*server, error) {
	bin := pgBin()
	if bin == "" {
		return nil, fmt.Errorf("no PostgreSQL binaries: install postgresql or set NHSKIT_PG_BIN (booking/pgstore/ci-setup.sh does)")
	}
	dir, err := os.MkdirTemp("", "nhskit-booking-pg.")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin, dir: dir, port: port,
		dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&pool_max_conns=8", port)}
	if out, err := asPostgres(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	return s, s.start()
}

func (s *server) start() error {
	var last error
	for range 150 { // up to 30 s: a busy machine reaps killed backends slowly
		out, err := asPostgres(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "log"),
			"-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off -c max_connections=200", s.port, s.dir),
			"-w", "start").CombinedOutput()
		if err == nil {
			return nil
		}
		// After a kill -9 the old backends may still hold shared memory for
		// a moment; starting again shortly after succeeds.
		last = fmt.Errorf("pg_ctl start: %v: %s", err, out)
		time.Sleep(200 * time.Millisecond)
	}
	return last
}

// kill sends SIGKILL to the postmaster, as a crash would.
func (s *server) kill() error {
	data, err := os.ReadFile(filepath.Join(s.dir, "data", "postmaster.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

func (s *server) stop() {
	_ = asPostgres(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "stop").Run()
	_ = os.RemoveAll(s.dir)
}

var testServer *server

func TestMain(m *testing.M) {
	s, err := startServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgstore tests:", err)
		if os.Getenv("CI") != "" {
			os.Exit(1) // CI must have PostgreSQL: ci-setup.sh installs it
		}
		os.Exit(m.Run()) // each test skips without a server
	}
	testServer = s
	code := m.Run()
	s.stop()
	os.Exit(code)
}

func dsn(t *testing.T) string {
	t.Helper()
	if testServer == nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no PostgreSQL server for the tests")
		}
		t.Skip("no PostgreSQL binaries (install postgresql or set NHSKIT_PG_BIN)")
	}
	return testServer.dsn
}

func open(t *testing.T) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}
