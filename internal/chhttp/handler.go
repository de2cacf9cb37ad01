// Package chhttp serves the embedded engine through ClickHouse's HTTP
// interface, so that clickhouse-go (in-process, through Transport) and BI
// tools (on a loopback listener) speak to it exactly as to a server.
package chhttp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/internal/chdb"
	"github.com/evalhouse/evalhouse/internal/sqlguard"
)

// Engine is what the handler needs of the embedded engine.
type Engine interface {
	Query(db, query, format string) ([]byte, error)
}

var _ Engine = (*chdb.Engine)(nil)

// Handler answers ClickHouse HTTP requests from one engine.
type Handler struct {
	engine  Engine
	tempDir string
	log     *slog.Logger
	// MaxBody bounds a request body (query plus data); 0 means 1 GiB.
	MaxBody int64
}

// New returns a handler over e. Insert data is staged in tempDir (the
// engine reads it back with the file() table function); "" means os.TempDir.
// A nil logger discards.
func New(e Engine, tempDir string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	return &Handler{engine: e, tempDir: tempDir, log: log}
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
// `query` parameter (body = insert data) or as the body.
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

	body, err := readRequestBody(r, params, h.maxBody())
	if err != nil {
		h.fail(w, err)
		return
	}
	query := params.Get("query")
	var data []byte
	if query == "" {
		query, body = string(body), nil
	} else {
		data = body
	}
	query = strings.TrimSpace(query)
	if query == "" {
		h.fail(w, &chdb.Error{Code: 62, Name: "SYNTAX_ERROR", Message: "Code: 62. DB::Exception: Empty query (SYNTAX_ERROR)"})
		return
	}
	if ro := params.Get("readonly"); ro != "" && ro != "0" {
		if err := sqlguard.ReadOnly(query); err != nil || len(data) > 0 {
			if err == nil {
				err = sqlguard.ErrNotReadOnly
			}
			h.fail(w, &chdb.Error{Code: 164, Name: "READONLY", Message: "Code: 164. DB::Exception: " + err.Error() + " (READONLY)"})
			return
		}
	}
	if len(data) > 0 {
		staged, cleanup, err := h.stageInsert(query, data)
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
	out, err := h.run(params.Get("database"), query, format, settings)
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

// run applies per-request settings around the statement: the engine's
// session would otherwise keep them for later requests.
func (h *Handler) run(db, query, format string, settings [][2]string) ([]byte, error) {
	if len(settings) == 0 {
		return h.engine.Query(db, query, format)
	}
	var set, reset []string
	for _, kv := range settings {
		set = append(set, kv[0]+" = "+settingLiteral(kv[1]))
		reset = append(reset, kv[0]+" = DEFAULT")
	}
	if _, err := h.engine.Query(db, "SET "+strings.Join(set, ", "), "TabSeparated"); err != nil {
		return nil, err
	}
	out, err := h.engine.Query(db, query, format)
	if _, rerr := h.engine.Query(db, "SET "+strings.Join(reset, ", "), "TabSeparated"); rerr != nil {
		h.log.Warn("chhttp: could not reset settings", "err", rerr)
	}
	return out, err
}

// maxBody is MaxBody with its default.
func (h *Handler) maxBody() int64 {
	if h.MaxBody <= 0 {
		return 1 << 30
	}
	return h.MaxBody
}

var insertFormatRE = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$`)

// stageInsert writes insert data to a temporary file and rewrites
// `INSERT INTO t (cols) FORMAT F` (data in the body) into `INSERT INTO t
// (cols) FROM INFILE … FORMAT F`: libchdb takes no data stream beside a
// statement, and FROM INFILE parses on every core.
func (h *Handler) stageInsert(query string, data []byte) (string, func(), error) {
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
	if _, err := f.Write(data); err != nil {
		f.Close()
		cleanup()
		return "", nil, fmt.Errorf("evalhouse: stage insert: %w", err)
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

func settingLiteral(v string) string {
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `'`, `\'`) + "'"
}

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
