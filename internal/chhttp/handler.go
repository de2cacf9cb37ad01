// Package chhttp serves the embedded engine through ClickHouse's HTTP
// interface, so that clickhouse-go (in-process, through Transport) and BI
// tools (on a loopback listener) speak to it exactly as to a server.
package chhttp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chdb"
)

// Handler answers ClickHouse HTTP requests from one engine. Every request
// runs on an engine connection of its own (a pooled one whose settings and
// database never outlive the request, or its session's), so one client's
// USE, SET or long query never reaches another client, and a Handler's
// connections are never another Handler's.
type Handler struct {
	engine  *chdb.Engine
	tempDir string
	log     *slog.Logger
	trusted bool
	// MaxBody bounds a request body (query plus data); 0 means 1 GiB.
	MaxBody int64

	pool     *pool
	astPool  *pool
	sessions *sessions
}

// Config bounds a Handler's connections.
type Config struct {
	// MaxConns bounds the pooled connections out at once (requests beyond
	// wait); 0 means 16.
	MaxConns int
	// MaxSessions bounds open session_id sessions; 0 means 64.
	MaxSessions int
	// MaxExecutionTime is every statement's default time limit
	// (max_execution_time; a client may set its own); 0 means
	// DefaultMaxExecutionTime, negative means none.
	MaxExecutionTime time.Duration
}

// DefaultMaxExecutionTime is the interface's default statement time limit.
const DefaultMaxExecutionTime = 60 * time.Second

// New returns the handler for interface clients (serve --clickhouse-listen):
// a request's rights come from the principal auth.FromContext gives (none
// means serve runs without keys on loopback: read-write, not admin). Insert
// data is staged in tempDir (the engine reads it back with FROM INFILE);
// "" means os.TempDir. A nil logger discards.
func New(e *chdb.Engine, tempDir string, log *slog.Logger) *Handler {
	return NewWith(e, tempDir, log, Config{})
}

// NewWith is New with bounds.
func NewWith(e *chdb.Engine, tempDir string, log *slog.Logger, cfg Config) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 16
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 64
	}
	if cfg.MaxExecutionTime == 0 {
		cfg.MaxExecutionTime = DefaultMaxExecutionTime
	}
	return &Handler{engine: e, tempDir: tempDir, log: log,
		pool:     newPool(e, cfg.MaxConns, cfg.MaxExecutionTime),
		astPool:  newPool(e, cfg.MaxConns, 10*time.Second),
		sessions: &sessions{e: e, maxExec: cfg.MaxExecutionTime, max: cfg.MaxSessions, m: map[string]*session{}},
	}
}

// NewTrusted returns the handler for evalhouse's own in-process clients
// (ingest, readers, migrations): every request acts as admin, no time limit
// applies beyond the caller's context, and its connections are its own.
// Read-only requests (readonly=1, as `evalhouse sql` sends) are still run
// read-only by the engine.
func NewTrusted(e *chdb.Engine, tempDir string, log *slog.Logger) *Handler {
	h := NewWith(e, tempDir, log, Config{MaxConns: 8, MaxExecutionTime: -1})
	h.trusted = true
	return h
}

// Close closes the handler's idle connections and sessions; requests after
// Close open connections anew.
func (h *Handler) Close() {
	h.pool.close()
	h.astPool.close()
	h.sessions.close()
}

// clientOnly are URL parameters that are not engine settings.
var clientOnly = map[string]bool{
	"query": true, "database": true, "default_format": true, "client_protocol_version": true,
	"query_id": true, "session_id": true, "session_timeout": true, "session_check": true,
	"compress": true, "decompress": true, "user": true, "password": true, "quota_key": true,
	"wait_end_of_query": true, "buffer_size": true, "add_http_cors_header": true,
	"enable_http_compression": true, "http_zlib_compression_level": true,
	"send_progress_in_http_headers": true, "http_headers_progress_interval_ms": true,
	"cancel_http_readonly_queries_on_client_close": true, "readonly": true,
}

// ServeHTTP implements the subset of ClickHouse's HTTP interface that
// clients use: /ping, and queries by GET or POST with the statement in the
// `query` parameter (body = insert data) or as the body. GET is read-only,
// as in ClickHouse.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ping":
		io.WriteString(w, "Ok.\n")
		return
	case "/", "":
		if isRootProbe(r) {
			io.WriteString(w, "Ok.\n")
			return
		}
	default:
		http.Error(w, "evalhouse: unknown path "+r.URL.Path+" (ClickHouse HTTP interface: / and /ping)", http.StatusNotFound)
		return
	}
	params := r.URL.Query()
	start := time.Now()
	w.Header().Set("X-ClickHouse-Query-Id", queryID(params))
	// Answers, errors included, are encoded as the request asks (codec.go).
	aw, err := newAnswerWriter(w, r, params)
	if err != nil {
		h.fail(w, err)
		return
	}
	defer aw.Close()
	w = aw
	for k := range params {
		if strings.HasPrefix(k, "param_") {
			h.fail(w, &chdb.Error{Code: 1, Name: "UNSUPPORTED_METHOD", Message: "Code: 1. DB::Exception: query parameters ({name:Type}) are not supported by the embedded store; bind values client-side (UNSUPPORTED_METHOD)"})
			return
		}
	}

	// With the statement in the URL, the body is insert data: it is
	// streamed (decoded and bounded as it arrives) into the staging file,
	// never held in memory. A body that is the statement itself (perhaps
	// with inline insert data after it) is read whole, up to maxQueryBody.
	query := params.Get("query")
	var (
		data   []byte
		stream io.ReadCloser
	)
	if query == "" {
		body, err := readRequestBody(r, params, min(h.maxBody(), maxQueryBody))
		if err != nil {
			h.fail(w, err)
			return
		}
		query, data = splitInlineInsert(body)
	} else if r.Body != nil && r.Body != http.NoBody {
		if stream, err = requestBody(r, params, h.maxBody()); err != nil {
			h.fail(w, err)
			return
		}
		defer stream.Close()
	}
	query = strings.TrimSpace(query)
	if query == "" {
		h.fail(w, &chdb.Error{Code: 62, Name: "SYNTAX_ERROR", Message: "Code: 62. DB::Exception: Empty query (SYNTAX_ERROR)"})
		return
	}
	ctx := r.Context()
	rt := h.rightsOf(r, params)
	pl, err := h.judge(ctx, query, rt)
	if err != nil {
		h.fail(w, err)
		return
	}
	var src io.Reader
	switch {
	case len(data) > 0:
		src = bytes.NewReader(data)
	case stream != nil:
		// An empty body (a client that always sends one) is no data.
		br := bufio.NewReader(stream)
		if _, err := br.Peek(1); err == nil {
			src = br
		} else if err != io.EOF {
			h.fail(w, err)
			return
		}
	}
	if src != nil {
		if pl.readOnly {
			h.fail(w, readOnlyRefusal(query, "it carries data to insert"))
			return
		}
		staged, cleanup, err := h.stageInsert(query, src)
		if err != nil {
			h.fail(w, err)
			return
		}
		defer cleanup()
		query = staged
	}

	settings := engineSettings(params)
	format := params.Get("default_format")
	if format == "" {
		format = "TabSeparated"
	}
	out, err := h.run(ctx, r, params, query, format, settings, pl, rt)
	if err != nil {
		h.fail(w, err)
		return
	}
	if format == "Native" && !hasFormatClause(query) {
		if rev, _ := strconv.ParseUint(params.Get("client_protocol_version"), 10, 64); rev > 0 && len(out) > 0 {
			if out, err = reencodeNative(out, rev); err != nil {
				h.fail(w, fmt.Errorf("evalhouse: re-encode Native output: %w", err))
				return
			}
		}
	}
	w.Header().Set("X-ClickHouse-Format", format)
	w.Header().Set("Content-Type", contentType(format))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Header().Set("X-ClickHouse-Summary", summary(start, len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// rightsOf reads a request's rights: read-only for GET (ClickHouse's own
// rule), a readonly=1|2 parameter, or a read or gate key; admin for an
// admin key, or every request of a trusted handler.
func (h *Handler) rightsOf(r *http.Request, params url.Values) rights {
	rt := rights{admin: h.trusted}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		rt.readOnly = true
	}
	if ro := params.Get("readonly"); ro != "" && ro != "0" {
		rt.readOnly = true
	}
	if h.trusted {
		// evalhouse's own code: the key of the request it serves (in the
		// context clickhouse-go passes down) is not the code's.
		return rt
	}
	p, ok := auth.FromContext(r.Context())
	if !ok {
		rt.open = true // serve without keys, on loopback only
		return rt
	}
	rt.principal, rt.scope = p, scopeSettings(p, true)
	switch p.Role {
	case auth.RoleAdmin:
		rt.admin = true
	case auth.RoleRead, auth.RoleGate:
		rt.readOnly = true
	case auth.RoleIngest:
		rt.ingest = true
	}
	return rt
}

// run runs the statement on the request's connection: its session's when
// it sends session_id, else a pooled one. Settings in the URL apply to this
// request only (a session keeps them only through its own SET).
func (h *Handler) run(ctx context.Context, r *http.Request, params url.Values, query, format string, settings [][2]string, pl plan, rt rights) ([]byte, error) {
	db := params.Get("database")
	if id := params.Get("session_id"); id != "" {
		// A session is read-only or not for its whole life, by the rights
		// of the request; a read-write session without an admin key may
		// not reach the host or the network.
		if !rt.readOnly && !rt.admin && pl.reaches {
			return nil, refusal(497, "ACCESS_DENIED", "table functions that reach the host or the network need a session opened read-only (readonly=1) or an admin key")
		}
		who := ""
		if p, ok := auth.FromContext(r.Context()); ok {
			who = p.Name
		}
		// A key's session is read-only unless it is an admin's: its
		// scope's filters must hold for the session's life.
		ro := rt.readOnly || len(rt.scope) > 0
		if ro && !pl.readOnly {
			return nil, readOnlyRefusal(query, "sessions of keys other than an admin's are read-only; send writes without session_id")
		}
		l, err := h.sessions.get(who+"\x00"+id, ro, params.Get("session_check") == "1", params.Get("session_timeout"), rt.scope)
		if err != nil {
			return nil, err
		}
		defer l.release(true)
		out, _, err := runScoped(ctx, l.conn, db, query, format, settings, h.log)
		return out, err
	}
	if db == "" {
		db = "default" // a pooled connection's database must not be the last client's
	}
	if h.trusted && !pl.readOnly && len(settings) > 0 {
		// evalhouse's own code (clickhouse-go sends max_execution_time
		// from a context deadline): SET and reset on a kept connection,
		// no fresh connection per request. Its default settings are the
		// engine's, so `= DEFAULT` restores them.
		l, err := h.pool.get(ctx, false, nil)
		if err != nil {
			return nil, err
		}
		out, reset, err := runScoped(ctx, l.conn, db, query, format, settings, h.log)
		l.release(reset && !pl.stateful && ctx.Err() == nil)
		return out, err
	}
	if pl.readOnly {
		settings = withScope(settings, rt.scope)
	}
	l, err := h.pool.get(ctx, pl.readOnly, settings)
	if err != nil {
		return nil, err
	}
	out, err := l.conn.Query(ctx, db, query, format)
	l.release(l.keep && !pl.stateful && ctx.Err() == nil)
	return out, err
}

// runScoped runs query on a connection with settings applied around it
// (SET before, SET … = DEFAULT after); reset is false when the settings
// may still hold.
func runScoped(ctx context.Context, c *chdb.Conn, db, query, format string, settings [][2]string, log *slog.Logger) (out []byte, reset bool, err error) {
	if len(settings) == 0 {
		out, err = c.Query(ctx, db, query, format)
		return out, true, err
	}
	if _, err := c.Query(ctx, db, chdb.SetStatement(settings), "TabSeparated"); err != nil {
		return nil, false, err
	}
	out, err = c.Query(ctx, db, query, format)
	defaults := make([]string, len(settings))
	for i, kv := range settings {
		defaults[i] = kv[0] + " = DEFAULT"
	}
	if _, rerr := c.Query(context.Background(), "", "SET "+strings.Join(defaults, ", "), "TabSeparated"); rerr != nil {
		log.Warn("chhttp: could not reset settings", "err", rerr)
		return out, false, err
	}
	return out, true, err
}

// maxQueryBody bounds a body that is the statement itself (with any
// inline insert data): such a body is held in memory. Larger inserts send
// the statement in the `query` parameter and the data as the body, which
// is streamed to disk (as clickhouse-go and the Collector do).
const maxQueryBody = 64 << 20

// maxBody is MaxBody with its default.
func (h *Handler) maxBody() int64 {
	if h.MaxBody <= 0 {
		return 1 << 30
	}
	return h.MaxBody
}

var insertFormatRE = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$`)

// inlineInsertRE finds `INSERT INTO … FORMAT F` at the start of a body
// that carries its data after the format name.
var inlineInsertRE = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+[^\n]+?\s+FORMAT\s+[A-Za-z0-9_]+[ \t]*(\r?\n|[ \t])`)

// splitInlineInsert splits a body that is a whole request (no `query`
// parameter) into the statement and the data after `FORMAT F`, as
// ClickHouse does: the engine must never see client data as SQL (it stops
// reading inline data at a blank line and runs the rest as statements).
// A body that is not such an INSERT is all statement.
func splitInlineInsert(body []byte) (string, []byte) {
	m := inlineInsertRE.FindIndex(body)
	if m == nil {
		return string(body), nil
	}
	head := strings.TrimSpace(string(body[:m[1]]))
	data := body[m[1]:]
	if len(bytes.TrimSpace(data)) == 0 {
		return head, nil
	}
	return head, data
}

// stageInsert writes insert data to a temporary file and rewrites
// `INSERT INTO t (cols) FORMAT F` (data in the body) into `INSERT INTO t
// (cols) FROM INFILE … FORMAT F`: libchdb takes no data stream beside a
// statement, and FROM INFILE parses on every core.
func (h *Handler) stageInsert(query string, data io.Reader) (string, func(), error) {
	m := insertFormatRE.FindStringSubmatch(query)
	if m == nil {
		return "", nil, &chdb.Error{Code: 1, Name: "UNSUPPORTED_METHOD",
			Message: "Code: 1. DB::Exception: a request body with a `query` parameter must carry data for INSERT INTO … FORMAT … (UNSUPPORTED_METHOD)"}
	}
	f, err := os.CreateTemp(h.tempDir, "evalhouse-insert-*."+strings.ToLower(m[2]))
	if err != nil {
		return "", nil, fmt.Errorf("evalhouse: stage insert: %w", err)
	}
	cleanup := func() { os.Remove(f.Name()) }
	n, err := io.Copy(f, data)
	if err != nil {
		f.Close()
		cleanup()
		var ce *chdb.Error
		if errors.As(err, &ce) { // the body's own fault: too large, undecodable
			return "", nil, err
		}
		return "", nil, fmt.Errorf("evalhouse: stage insert: %w", err)
	}
	if n == 0 {
		f.Close()
		cleanup()
		return "", nil, &chdb.Error{Code: 1, Name: "UNSUPPORTED_METHOD",
			Message: "Code: 1. DB::Exception: a request body with a `query` parameter must carry data for INSERT INTO … FORMAT … (UNSUPPORTED_METHOD)"}
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("evalhouse: stage insert: %w", err)
	}
	path := strings.ReplaceAll(f.Name(), `'`, `\'`)
	return fmt.Sprintf("INSERT INTO %s FROM INFILE '%s' FORMAT %s", m[1], path, m[2]), cleanup, nil
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	var ce *chdb.Error
	code, msg := 1000, err.Error()
	if errors.As(err, &ce) {
		msg = ce.Message
		if ce.Code != 0 {
			code = ce.Code
		}
	}
	if !strings.HasPrefix(msg, "Code: ") {
		msg = fmt.Sprintf("Code: %d. DB::Exception: %s", code, msg)
	}
	w.Header().Set("X-ClickHouse-Exception-Code", strconv.Itoa(code))
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(statusOf(code))
	io.WriteString(w, msg+"\n")
}

func engineSettings(params map[string][]string) [][2]string {
	var out [][2]string
	for k, v := range params {
		if clientOnly[k] || len(v) == 0 || !settingNameRE.MatchString(k) {
			continue
		}
		out = append(out, [2]string{k, v[len(v)-1]})
	}
	return out
}

var settingNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

var formatClauseRE = regexp.MustCompile(`(?i)\bFORMAT\s+[A-Za-z0-9_]+\s*;?\s*$`)

func hasFormatClause(q string) bool { return formatClauseRE.MatchString(q) }

func contentType(format string) string {
	switch {
	case strings.HasPrefix(format, "JSON"):
		return "application/json; charset=UTF-8"
	case format == "Native" || strings.HasPrefix(format, "RowBinary") || format == "Parquet" || format == "Arrow":
		return "application/octet-stream"
	default:
		return "text/plain; charset=UTF-8"
	}
}
