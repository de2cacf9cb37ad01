package chdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
// directory. It hands out independent connections (Connect); Query runs on
// a connection of its own, kept for the engine's own housekeeping.
type Engine struct {
	path    string
	lock    *os.File
	opts    Options
	signals signalState
	lib     *lib

	ctl *Conn // boots the engine, kills statements; closed last
	def *Conn // Query's connection

	seq   atomic.Uint64
	mu    sync.Mutex
	conns map[*Conn]struct{} // every open Conn but ctl
	shut  bool
}

// Options tune an engine.
type Options struct {
	// MaxExecutionTime is every connection's default max_execution_time
	// (a connection may set its own); 0 means none.
	MaxExecutionTime time.Duration
}

var (
	openMu sync.Mutex
	opened *Engine
)

// Open starts the engine on dataDir with default Options.
func Open(dataDir string) (*Engine, error) { return OpenWith(dataDir, Options{}) }

// OpenWith starts the engine on dataDir, creating it if needed. A process
// holds one engine at a time; a second Open of the same directory in the
// same process returns ErrInUse, as does an Open of a directory another
// process holds.
func OpenWith(dataDir string, o Options) (*Engine, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("chdb: data directory %q: %w", dataDir, err)
	}
	abs = filepath.Clean(abs) // every connect must pass the identical string
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
	e := &Engine{path: abs, lock: lock, lib: l, opts: o, conns: map[*Conn]struct{}{}}

	// The engine installs handlers for SIGSEGV and friends; Go needs its
	// own. Save them, ask the engine not to install its handlers, connect,
	// and put Go's back (the disabling call resets them to SIG_DFL).
	e.signals = saveSignals()
	purego.SyscallN(l.setSignalHandlers, 0)
	// The control connection has no time limit: it only kills.
	if e.ctl, err = e.connect(ConnOptions{MaxExecutionTime: -1}); err != nil {
		lock.Close()
		return nil, err
	}
	if e.def, err = e.Connect(ConnOptions{}); err != nil {
		e.ctl.closeNow()
		lock.Close()
		return nil, err
	}
	opened = e
	return e, nil
}

// Path is the engine's data directory.
func (e *Engine) Path() string { return e.path }

// Connect opens a new connection handle on the engine's data directory,
// with its own USE/SET state. The caller closes it.
func (e *Engine) Connect(o ConnOptions) (*Conn, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shut {
		return nil, ErrClosed
	}
	c, err := e.connect(o)
	if err != nil {
		return nil, err
	}
	e.conns[c] = struct{}{}
	return c, nil
}

func (e *Engine) forget(c *Conn) {
	e.mu.Lock()
	delete(e.conns, c)
	e.mu.Unlock()
}

func (e *Engine) nextQueryID() uint64 { return e.seq.Add(1) }

// kill ends statement id wherever it runs (KILL QUERY … ASYNC: it returns
// at once; the victim's fetch then fails with QUERY_WAS_CANCELLED).
func (e *Engine) kill(id uint64) {
	marker := strings.TrimSpace(queryMarker(id))
	q := "KILL QUERY WHERE startsWith(query, '" + marker + "') ASYNC"
	if err := e.ctl.acquire(context.Background()); err != nil {
		return
	}
	defer e.ctl.release()
	e.ctl.run(context.Background(), q, "TabSeparated")
}

// Classify asks the engine's parser about query without running it (on the
// control connection, so it never waits behind a running statement).
func (e *Engine) Classify(ctx context.Context, query string) (Analysis, error) {
	return e.ctl.Classify(ctx, query)
}

// Query runs one statement in database db ("" keeps the current one) on the
// engine's housekeeping connection and returns its output in the given
// format (e.g. "Native", "JSONEachRow", "TabSeparated"; a FORMAT clause in
// the statement wins). Its statements run one at a time.
func (e *Engine) Query(db, query, format string) ([]byte, error) {
	return e.def.Query(context.Background(), db, query, format)
}

// CurrentDatabase is the database unqualified names resolve in on Query's
// connection.
func (e *Engine) CurrentDatabase() string {
	out, err := e.Query("", "SELECT currentDatabase()", "TabSeparated")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Close closes every connection and stops the engine, releasing the data
// directory; the process may then Open an engine again, on this directory
// or another.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.shut {
		e.mu.Unlock()
		return nil
	}
	e.shut = true
	conns := e.conns
	e.conns = map[*Conn]struct{}{}
	e.mu.Unlock()
	for c := range conns {
		c.closeNow()
	}
	e.ctl.closeNow() // the last connection: the engine shuts down
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

// QuoteIdent quotes s as a ClickHouse identifier.
func QuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}
