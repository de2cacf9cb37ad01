package chdb

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// detachStdin keeps the engine off the process's standard input. libchdb
// reads descriptor 0 as external data for every INSERT (chdb-io/chdb-core
// issue 239): with a pipe on stdin, an insert fails ("async inserts with
// both inlined and external data"), and with async inserts off it would
// store what stdin holds. Descriptor 0 becomes /dev/null; os.Stdin keeps
// the original input on a new descriptor, so `evalhouse ingest -` still
// reads it. It runs once, before the library is loaded.
func detachStdin() error {
	if engineStdin != nil {
		return nil
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("chdb: open %s for the engine's stdin: %w", os.DevNull, err)
	}
	defer syscall.Close(null)
	orig, err := syscall.Dup(0)
	switch {
	case errors.Is(err, syscall.EBADF): // no stdin at all
	case err != nil:
		return fmt.Errorf("chdb: keep stdin: %w", err)
	default:
		syscall.CloseOnExec(orig)
		// The old os.Stdin holds descriptor 0: kept, or its finalizer
		// would close 0 and the next file opened would take it.
		engineStdin = os.Stdin
		os.Stdin = os.NewFile(uintptr(orig), "/dev/stdin")
	}
	if err := syscall.Dup3(null, 0, 0); err != nil {
		return fmt.Errorf("chdb: detach the engine from stdin: %w", err)
	}
	return nil
}

// engineStdin is the *os.File of descriptor 0 (now /dev/null), kept alive.
var engineStdin *os.File
