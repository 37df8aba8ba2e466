//go:build unix

package snomed

import (
	"os"
	"syscall"
)

// mapFile maps a store read-only: Open then costs page faults on first use
// rather than a copy of the whole file.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, ErrFormat
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}

// processAlive reports whether a process runs (signal 0 probes it); known
// is always true here.
func processAlive(pid int) (alive, known bool) {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM, true
}
