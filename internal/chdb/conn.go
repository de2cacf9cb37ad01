package chdb

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/evalhouse/evalhouse/internal/sqlguard"
)

// ConnOptions are the connect-time settings of one connection. They hold
// for the connection's whole life; a read-only connection cannot be made
// writable from inside (the engine refuses to change `readonly`).
type ConnOptions struct {
	// ReadOnly connects with --readonly=1: the engine refuses INSERT, DDL,
	// SET, SYSTEM, INSERT INTO FUNCTION and the table functions that reach
	// the host or the network (file, url, s3, remote, mysql, …). It does NOT
	// refuse SELECT … INTO OUTFILE, the file() function or BACKUP: callers
	// refuse those by Classify and the AST (see chhttp).
	ReadOnly bool
	// MaxExecutionTime is the connection's default max_execution_time; 0
	// means the engine's Options.MaxExecutionTime, negative means none.
	MaxExecutionTime time.Duration
	// Settings are applied (SET) right after connecting, before ReadOnly
	// takes effect: they hold for the connection's life and, on a read-only
	// connection, cannot be changed afterwards.
	Settings [][2]string
}

// Conn is one connection handle to the engine: its own current database,
// SET state, temporary tables and connect-time settings. Its statements run
// one at a time, in call order; statements on different Conns run in
// parallel. A Conn is safe for concurrent use.
type Conn struct {
	e        *Engine
	readOnly bool
	sem      chan struct{} // held while a statement runs

	// Guarded by sem.
	conn      uintptr // chdb_connection (dereferenced)
	connPtr   uintptr // chdb_connection *, for close
	currentDB string  // "" when unknown
}

// connect opens a handle with args (the --path argument first).
func (e *Engine) connect(o ConnOptions) (*Conn, error) {
	args := []string{"clickhouse", "--path=" + e.path,
		// url() and s3() to a dead host must fail at once, not retry for a
		// minute (probed: 60 s without these).
		"--http_max_tries=1", "--s3_retry_attempts=0"}
	limit := o.MaxExecutionTime
	if limit == 0 {
		limit = e.opts.MaxExecutionTime
	}
	if limit > 0 {
		args = append(args, "--max_execution_time="+strconv.FormatFloat(limit.Seconds(), 'f', -1, 64))
	}
	if o.ReadOnly && len(o.Settings) == 0 {
		args = append(args, "--readonly=1")
	}
	cargs := make([][]byte, len(args))
	argv := make([]uintptr, len(args)+1)
	for i, a := range args {
		cargs[i] = cstring(a)
		argv[i] = uintptr(unsafe.Pointer(&cargs[i][0]))
	}
	connPtr, _, _ := purego.SyscallN(e.lib.connect, uintptr(len(args)), uintptr(unsafe.Pointer(&argv[0])))
	runtime.KeepAlive(cargs)
	runtime.KeepAlive(argv)
	e.signals.restore()
	if connPtr == 0 {
		return nil, fmt.Errorf("chdb: could not connect to the engine on %s (is it a ClickHouse data directory of a compatible version?)", e.path)
	}
	c := &Conn{e: e, readOnly: o.ReadOnly, sem: make(chan struct{}, 1),
		connPtr: connPtr, conn: *(*uintptr)(ptr(connPtr)), currentDB: "default"}
	if len(o.Settings) > 0 {
		set := SetStatement(o.Settings)
		if o.ReadOnly {
			set += ", readonly = 1"
		}
		if _, err := c.plain(set, "TabSeparated"); err != nil {
			c.closeNow()
			return nil, err
		}
	}
	return c, nil
}

// SetStatement is `SET k = v, …` for settings whose names are identifiers
// (callers check) and whose values are quoted here unless numeric.
func SetStatement(settings [][2]string) string {
	parts := make([]string, len(settings))
	for i, kv := range settings {
		parts[i] = kv[0] + " = " + settingLiteral(kv[1])
	}
	return "SET " + strings.Join(parts, ", ")
}

func settingLiteral(v string) string {
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `'`, `\'`) + "'"
}

// ReadOnly reports whether the connection was opened with ReadOnly.
func (c *Conn) ReadOnly() bool { return c.readOnly }

// acquire takes the connection for one statement, or gives up when ctx ends.
func (c *Conn) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.conn == 0 {
		<-c.sem
		return ErrClosed
	}
	return nil
}

func (c *Conn) release() { <-c.sem }

// Query runs one statement in database db ("" keeps the connection's
// current one) and returns its whole output in format (a FORMAT clause in
// the statement wins; "" means TabSeparated). It reads through the engine's streaming API, so a
// statement that fails part-way never puts its rows in front of a later
// answer on this connection. When ctx ends before the statement does, the
// statement is killed (KILL QUERY … ASYNC from the engine's control
// connection) and Query returns ctx's error.
//
// A USE the statement itself runs is tracked only when it is the whole
// statement; callers that pass db must not send several statements at once.
func (c *Conn) Query(ctx context.Context, db, query, format string) ([]byte, error) {
	if format == "" {
		format = "TabSeparated"
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	if db != "" && db != c.currentDB {
		if _, err := c.run(ctx, "USE "+QuoteIdent(db), "TabSeparated"); err != nil {
			return nil, err
		}
		c.currentDB = db
	}
	out, err := c.run(ctx, query, format)
	if strings.EqualFold(sqlguard.FirstWord(query), "USE") {
		c.currentDB = ""
	}
	return out, err
}

// run executes one statement on the held connection: through the streaming
// API when the engine streams that kind of statement (SELECT and its
// kin), else through chdb_query_n followed, after an error, by a sentinel
// statement whose answer absorbs whatever the failed one left behind.
func (c *Conn) run(ctx context.Context, query, format string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := c.e.nextQueryID()
	text := queryMarker(id) + query
	if ctx.Done() != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case <-ctx.Done():
				c.e.kill(id)
			case <-stop:
			}
		}()
	}
	if !plainVerbs[strings.ToUpper(sqlguard.FirstWord(query))] {
		out, err := c.stream(text, format)
		if !notStreamable(err) {
			return out, ctxOr(ctx, err)
		}
	}
	out, err := c.plain(text, format)
	if err != nil {
		// The engine puts a failed chdb_query's partial output in front of
		// the next answer on this connection: take it now.
		c.plain("SELECT 1", "TabSeparated")
	}
	return out, ctxOr(ctx, err)
}

// plainVerbs are statements the streaming API refuses (probed): they go
// straight to chdb_query_n.
var plainVerbs = map[string]bool{
	"INSERT": true, "CREATE": true, "ALTER": true, "DROP": true, "SET": true, "USE": true,
	"SYSTEM": true, "KILL": true, "EXPLAIN": true, "OPTIMIZE": true, "TRUNCATE": true, "RENAME": true,
}

func notStreamable(err error) bool {
	ce, ok := err.(*Error)
	return ok && ce.Code == 36 && strings.Contains(ce.Message, "Streaming query is not supported")
}

// call starts text with fn (chdb_query_n or chdb_stream_query_n) and
// returns the result handle, which the caller destroys.
func (c *Conn) call(fn uintptr, text, format string) (uintptr, error) {
	q := cstring(text)
	f := cstring(format)
	res, _, _ := purego.SyscallN(fn, c.conn,
		uintptr(unsafe.Pointer(&q[0])), uintptr(len(text)),
		uintptr(unsafe.Pointer(&f[0])), uintptr(len(format)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	c.e.signals.restore()
	if res == 0 {
		return 0, &Error{Message: "the engine returned no result"}
	}
	if err := resultErr(c.e.lib, res); err != nil {
		purego.SyscallN(c.e.lib.destroyResult, res)
		return 0, err
	}
	return res, nil
}

func (c *Conn) stream(text, format string) ([]byte, error) {
	l := c.e.lib
	res, err := c.call(l.streamQueryN, text, format)
	if err != nil {
		return nil, err
	}
	defer purego.SyscallN(l.destroyResult, res)
	var out []byte
	for {
		chunk, _, _ := purego.SyscallN(l.streamFetch, c.conn, res)
		c.e.signals.restore()
		if chunk == 0 {
			return nil, &Error{Message: "the engine returned no result chunk"}
		}
		err := resultErr(l, chunk)
		buf, _, _ := purego.SyscallN(l.resultBuffer, chunk)
		n, _, _ := purego.SyscallN(l.resultLength, chunk)
		if err == nil && buf != 0 && n != 0 {
			out = append(out, unsafe.Slice((*byte)(ptr(buf)), n)...)
		}
		purego.SyscallN(l.destroyResult, chunk)
		if err != nil {
			return nil, err
		}
		if buf == 0 || n == 0 {
			return out, nil
		}
	}
}

func (c *Conn) plain(text, format string) ([]byte, error) {
	l := c.e.lib
	res, err := c.call(l.queryN, text, format)
	if err != nil {
		return nil, err
	}
	defer purego.SyscallN(l.destroyResult, res)
	buf, _, _ := purego.SyscallN(l.resultBuffer, res)
	n, _, _ := purego.SyscallN(l.resultLength, res)
	if buf == 0 || n == 0 {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice((*byte)(ptr(buf)), n))
	return out, nil
}

// ctxOr returns ctx's error when ctx has ended (the engine's error is then
// the kill's), else err.
func ctxOr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

func resultErr(l *lib, res uintptr) error {
	if msg, _, _ := purego.SyscallN(l.resultError, res); msg != 0 {
		if s := gostring(msg); s != "" {
			return parseError(s)
		}
	}
	return nil
}

// Close releases the connection; it waits for a running statement. Closing
// a Conn never stops the engine (Engine.Close does).
func (c *Conn) Close() error {
	c.sem <- struct{}{}
	defer c.release()
	if c.conn == 0 {
		return nil
	}
	c.e.forget(c)
	purego.SyscallN(c.e.lib.closeConn, c.connPtr)
	c.e.signals.restore()
	c.conn, c.connPtr = 0, 0
	return nil
}

// closeNow closes the handle during Engine.Close; it waits for a running
// statement but does not touch the engine's set of connections.
func (c *Conn) closeNow() {
	c.sem <- struct{}{}
	if c.conn != 0 {
		purego.SyscallN(c.e.lib.closeConn, c.connPtr)
		c.e.signals.restore()
		c.conn, c.connPtr = 0, 0
	}
	<-c.sem
}

// The query classes of chdb_classify_query_n.
const (
	ClassReadOnly       = 0 // reads only
	ClassMutating       = 1 // writes inside a database (INSERT, CREATE, ALTER, DROP, …)
	ClassMutatingGlobal = 2 // writes beside the databases (users, functions, system.*)
	ClassControl        = 3 // session or server state: SET, USE, SYSTEM, KILL, BACKUP, INTO OUTFILE, …
	ClassUnknown        = 4 // does not parse, or a kind the engine cannot place
)

// Analysis is what the engine's own parser says of a text
// (chdb_classify_query_n): its class and how many statements it holds.
type Analysis struct {
	Class      uint32 // one of the Class constants
	Statements uint32 // executable statements; 0 when the text does not parse
	Flags      uint32 // chdb_query_analysis_flag bits
}

// Classify asks the engine's parser about query without running it.
func (c *Conn) Classify(ctx context.Context, query string) (Analysis, error) {
	if err := c.acquire(ctx); err != nil {
		return Analysis{}, err
	}
	defer c.release()
	// struct chdb_query_analysis_v1 { uint32 struct_size, statement_count, flags, query_class }
	var out [4]uint32
	out[0] = uint32(unsafe.Sizeof(out))
	q := cstring(query)
	state, _, _ := purego.SyscallN(c.e.lib.classifyN, c.conn,
		uintptr(unsafe.Pointer(&q[0])), uintptr(len(query)), 0, 0,
		uintptr(unsafe.Pointer(&out[0])))
	runtime.KeepAlive(q)
	c.e.signals.restore()
	if int32(state) != 0 {
		return Analysis{}, &Error{Message: "the engine could not classify the statement"}
	}
	return Analysis{Class: out[3], Statements: out[1], Flags: out[2]}, nil
}

// queryMarker prefixes every statement, so the control connection can find
// it in system.processes to kill it.
func queryMarker(id uint64) string { return "/* evalhouse q" + strconv.FormatUint(id, 10) + " */ " }
