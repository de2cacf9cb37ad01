package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/chdb"
	"github.com/evalhouse/evalhouse/internal/chhttp"
)

// Store is an open connection to evalhouse's ClickHouse database.
type Store struct {
	// Conn is the clickhouse-go connection every query goes through.
	Conn     driver.Conn
	DSN      DSN
	Database string

	engine     *chdb.Engine // nil unless embedded
	ownsEngine bool
	own        *chhttp.Handler // Conn's: evalhouse's own clients
	iface      *chhttp.Handler // HTTPHandler's: interface clients
	tmp        string
	log        *slog.Logger
}

// Open connects to the store a DSN names (see ParseDSN). An embedded DSN
// starts the engine in this process, which then owns the data directory
// until Close. A nil logger discards.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	d, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if d.Kind != Embedded {
		return openRemote(ctx, d)
	}
	e, err := chdb.Open(d.Path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", d, err)
	}
	s, err := FromEngine(ctx, e, d.Database, log)
	if err != nil {
		e.Close()
		return nil, err
	}
	s.DSN = d
	s.ownsEngine = true
	return s, nil
}

// FromEngine connects clickhouse-go to an engine already running in this
// process, using database db ("" means "default"), creating it if needed.
// Conn runs on engine connections of its own, which interface clients
// (HTTPHandler) never touch. Closing the Store leaves the engine running.
func FromEngine(ctx context.Context, e *chdb.Engine, db string, log *slog.Logger) (*Store, error) {
	if db == "" {
		db = "default"
	}
	if _, err := e.Query("", "CREATE DATABASE IF NOT EXISTS "+quoteIdent(db), "TabSeparated"); err != nil {
		return nil, fmt.Errorf("store: create database %s: %w", db, err)
	}
	tmp := filepath.Join(e.Path(), "tmp-inserts")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	h := chhttp.NewTrusted(e, tmp, log)
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.HTTP,
		Addr:     []string{"embedded.invalid:8123"},
		Auth:     clickhouse.Auth{Database: db},
		TransportFunc: func(*http.Transport) (http.RoundTripper, error) {
			return inProcess{h}, nil
		},
		MaxOpenConns: 4,
		MaxIdleConns: 4,
		DialTimeout:  5 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := conn.Ping(ctx); err != nil {
		return nil, fmt.Errorf("store: embedded engine: %w", err)
	}
	return &Store{
		Conn:     conn,
		DSN:      DSN{Kind: Embedded, Path: e.Path(), Database: db, Raw: "embedded://" + e.Path()},
		Database: db,
		engine:   e,
		own:      h,
		iface:    chhttp.New(e, tmp, log),
		tmp:      tmp,
		log:      log,
	}, nil
}

func openRemote(ctx context.Context, d DSN) (*Store, error) {
	opts, err := clickhouse.ParseDSN(d.Raw)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", d, d.maskErr(err))
	}
	if opts.DialTimeout == 0 || opts.DialTimeout > 10*time.Second {
		opts.DialTimeout = 10 * time.Second
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", d, d.maskErr(err))
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store %s unreachable: %w", d, d.maskErr(err))
	}
	db := d.Database
	if db == "" {
		db = "default"
	}
	return &Store{Conn: conn, DSN: d, Database: db}, nil
}

// Embedded reports whether the store is the engine in this process.
func (s *Store) Embedded() bool { return s.engine != nil }

// HTTPHandler serves the embedded engine's ClickHouse HTTP interface (for
// `serve --clickhouse-listen`); nil when the store is remote. Its requests
// run on connections of their own, never Conn's; their rights come from the
// principal in the request context (internal/auth).
func (s *Store) HTTPHandler() http.Handler {
	if s.iface == nil {
		return nil
	}
	return s.iface
}

// ConfigureInterface replaces HTTPHandler's handler by one with cfg (its
// statement time limit, connection and session bounds). Call it before
// serving; it does nothing for a remote store.
func (s *Store) ConfigureInterface(cfg chhttp.Config) {
	if s.iface == nil {
		return
	}
	s.iface.Close()
	s.iface = chhttp.NewWith(s.engine, s.tmp, s.log, cfg)
}

// Close closes the connection, and stops the engine if Open started it.
func (s *Store) Close() error {
	err := s.Conn.Close()
	if s.own != nil {
		s.own.Close()
		s.iface.Close()
	}
	if s.ownsEngine {
		if cerr := s.engine.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// inProcess is an http.RoundTripper that hands requests straight to the
// embedded engine's handler: no socket, no port.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	t.h.ServeHTTP(rec, req)
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		Status:        http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the minimal http.ResponseWriter inProcess needs.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

func quoteIdent(s string) string {
	b := []byte{'`'}
	for i := 0; i < len(s); i++ {
		if s[i] == '`' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(append(b, '`'))
}
