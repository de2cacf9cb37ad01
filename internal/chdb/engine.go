package chdb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrInUse is returned by Open when another process owns the data directory.
var ErrInUse = errors.New("chdb: data directory in use")

// ErrClosed is returned by Query after Close.
var ErrClosed = errors.New("chdb: engine closed")

// Error is an exception raised by the engine.
type Error struct {
	Code    int    // ClickHouse error code, e.g. 60
	Name    string // e.g. UNKNOWN_TABLE
	Message string // the whole text the engine returned
}

func (e *Error) Error() string { return "chdb: " + e.Message }

var exceptionRE = regexp.MustCompile(`Code: (\d+)\.(?:.|\n)*?\(([A-Z_]+)\)`)

func parseError(msg string) *Error {
	msg = strings.TrimSpace(msg)
	e := &Error{Message: msg}
	if m := exceptionRE.FindStringSubmatch(msg); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
		e.Name = m[2]
	}
	return e
}

// Engine is the process's embedded ClickHouse engine, bound to one data
// directory. Queries are serialized: the engine's connection is one session
// whose current database is state.
type Engine struct {
	path string
	lock *os.File

	mu        sync.Mutex
	conn      uintptr // chdb_connection (already dereferenced)
	connPtr   uintptr // chdb_connection *, for close
	currentDB string
	signals   signalState
	lib       *lib
}

var (
	openMu sync.Mutex
	opened *Engine
)

// Open starts the engine on dataDir, creating it if needed. A process holds
// one engine at a time; a second Open of the same directory in the same
// process returns ErrInUse, as does an Open of a directory another process
// holds.
func Open(dataDir string) (*Engine, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("chdb: data directory %q: %w", dataDir, err)
	}
	openMu.Lock()
	defer openMu.Unlock()
	if opened != nil {
		if opened.path == abs {
			return nil, fmt.Errorf("%w: %s is already open in this process", ErrInUse, abs)
		}
		return nil, fmt.Errorf("chdb: this process already runs the engine on %s; one embedded store per process", opened.path)
	}
	l, err := load()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("chdb: create data directory: %w", err)
	}
	lock, err := lockDir(abs)
	if err != nil {
		return nil, err
	}
	e := &Engine{path: abs, lock: lock, lib: l, currentDB: "default"}

	// The engine installs handlers for SIGSEGV and friends; Go needs its
	// own. Save them, ask the engine not to install its handlers, connect,
	// and put Go's back (the disabling call resets them to SIG_DFL).
	e.signals = saveSignals()
	purego.SyscallN(l.setSignalHandlers, 0)
	args := []string{"clickhouse", "--path=" + abs}
	cargs := make([][]byte, len(args))
	argv := make([]uintptr, len(args)+1)
	for i, a := range args {
		cargs[i] = cstring(a)
		argv[i] = uintptr(unsafe.Pointer(&cargs[i][0]))
	}
	connPtr, _, _ := purego.SyscallN(l.connect, uintptr(len(args)), uintptr(unsafe.Pointer(&argv[0])))
	runtime.KeepAlive(cargs)
	runtime.KeepAlive(argv)
	e.signals.restore()
	if connPtr == 0 {
		lock.Close()
		return nil, fmt.Errorf("chdb: could not start the engine on %s (is it a ClickHouse data directory of a compatible version?)", abs)
	}
	e.connPtr = connPtr
	e.conn = *(*uintptr)(ptr(connPtr))
	opened = e
	return e, nil
}

// Path is the engine's data directory.
func (e *Engine) Path() string { return e.path }

// Query runs one statement in database db ("" keeps the current one) and
// returns its output in the given format (e.g. "Native", "JSONEachRow",
// "TabSeparated"; a FORMAT clause in the statement wins).
func (e *Engine) Query(db, query, format string) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == 0 {
		return nil, ErrClosed
	}
	if db != "" && db != e.currentDB {
		if _, err := e.queryLocked("USE "+quoteIdent(db), "TabSeparated"); err != nil {
			return nil, err
		}
		e.currentDB = db
	}
	return e.queryLocked(query, format)
}

// CurrentDatabase is the database unqualified names resolve in.
func (e *Engine) CurrentDatabase() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.currentDB
}

func (e *Engine) queryLocked(query, format string) ([]byte, error) {
	l := e.lib
	q := cstring(query)
	f := cstring(format)
	res, _, _ := purego.SyscallN(l.queryN, e.conn,
		uintptr(unsafe.Pointer(&q[0])), uintptr(len(query)),
		uintptr(unsafe.Pointer(&f[0])), uintptr(len(format)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	e.signals.restore()
	if res == 0 {
		return nil, &Error{Message: "the engine returned no result"}
	}
	defer purego.SyscallN(l.destroyResult, res)
	if msg, _, _ := purego.SyscallN(l.resultError, res); msg != 0 {
		if s := gostring(msg); s != "" {
			return nil, parseError(s)
		}
	}
	buf, _, _ := purego.SyscallN(l.resultBuffer, res)
	n, _, _ := purego.SyscallN(l.resultLength, res)
	if buf == 0 || n == 0 {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice((*byte)(ptr(buf)), n))
	return out, nil
}

// Close stops the engine and releases the data directory; the process may
// then Open an engine again, on this directory or another.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == 0 {
		return nil
	}
	purego.SyscallN(e.lib.closeConn, e.connPtr)
	e.signals.restore()
	e.conn, e.connPtr = 0, 0
	err := e.lock.Close()
	openMu.Lock()
	opened = nil
	openMu.Unlock()
	return err
}

// lockDir takes an exclusive flock on dir/evalhouse.lock and records our PID
// in it; when another process holds it, the error names that PID.
func lockDir(dir string) (*os.File, error) {
	name := filepath.Join(dir, "evalhouse.lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("chdb: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(name)
		f.Close()
		owner := strings.TrimSpace(string(pid))
		if owner == "" {
			owner = "unknown"
		}
		return nil, fmt.Errorf("%w: %s is in use by PID %s", ErrInUse, dir, owner)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

func cstring(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}

// ptr turns an address the C library returned into a pointer without
// tripping vet's unsafeptr check: the memory is C's, not Go's.
func ptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func gostring(p uintptr) string {
	if p == 0 {
		return ""
	}
	base := ptr(p)
	n := 0
	for *(*byte)(unsafe.Add(base, n)) != 0 {
		n++
	}
	return string(bytes.Clone(unsafe.Slice((*byte)(base), n)))
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}
