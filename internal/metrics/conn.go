package metrics

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Conn returns c with every call that reaches the store timed in
// evalhouse_store_query_duration_seconds. Everything else is c's.
func (m *Metrics) Conn(c driver.Conn) driver.Conn { return &conn{Conn: c, m: m} }

type conn struct {
	driver.Conn
	m *Metrics
}

var _ driver.Conn = (*conn)(nil)

func (c *conn) observe(op string, start time.Time, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	c.m.queries.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

func (c *conn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	start := time.Now()
	r, err := c.Conn.Query(ctx, query, args...)
	if err != nil {
		c.observe("query", start, err)
		return nil, err
	}
	return &rows{Rows: r, done: func(err error) { c.observe("query", start, err) }}, nil
}

func (c *conn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	start := time.Now()
	r := c.Conn.QueryRow(ctx, query, args...)
	c.observe("query_row", start, r.Err())
	return r
}

func (c *conn) Select(ctx context.Context, dest any, query string, args ...any) error {
	start := time.Now()
	err := c.Conn.Select(ctx, dest, query, args...)
	c.observe("select", start, err)
	return err
}

func (c *conn) Exec(ctx context.Context, query string, args ...any) error {
	start := time.Now()
	err := c.Conn.Exec(ctx, query, args...)
	c.observe("exec", start, err)
	return err
}

func (c *conn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	start := time.Now()
	b, err := c.Conn.PrepareBatch(ctx, query, opts...)
	if err != nil {
		c.observe("insert", start, err)
		return nil, err
	}
	return &batch{Batch: b, done: func(err error) { c.observe("insert", start, err) }}, nil
}

func (c *conn) QueryFormat(ctx context.Context, format, query string, args ...any) (io.ReadCloser, error) {
	start := time.Now()
	rc, err := c.Conn.QueryFormat(ctx, format, query, args...)
	if err != nil {
		c.observe("query", start, err)
		return nil, err
	}
	return &stream{ReadCloser: rc, done: func(err error) { c.observe("query", start, err) }}, nil
}

func (c *conn) InsertFormat(ctx context.Context, format, query string, data io.Reader) error {
	start := time.Now()
	err := c.Conn.InsertFormat(ctx, format, query, data)
	c.observe("insert", start, err)
	return err
}

func (c *conn) AsyncInsert(ctx context.Context, query string, wait bool, args ...any) error {
	start := time.Now()
	err := c.Conn.AsyncInsert(ctx, query, wait, args...)
	c.observe("insert", start, err)
	return err
}

func (c *conn) Ping(ctx context.Context) error {
	start := time.Now()
	err := c.Conn.Ping(ctx)
	c.observe("ping", start, err)
	return err
}

// rows observes its query once, when closed, with its rows' error.
type rows struct {
	driver.Rows
	once sync.Once
	done func(error)
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	r.once.Do(func() {
		e := r.Rows.Err()
		if e == nil {
			e = err
		}
		r.done(e)
	})
	return err
}

// batch observes its insert once, when sent.
type batch struct {
	driver.Batch
	once sync.Once
	done func(error)
}

func (b *batch) Send() error {
	err := b.Batch.Send()
	b.once.Do(func() { b.done(err) })
	return err
}

// stream observes its query once, when closed.
type stream struct {
	io.ReadCloser
	once sync.Once
	done func(error)
}

func (s *stream) Close() error {
	err := s.ReadCloser.Close()
	s.once.Do(func() { s.done(err) })
	return err
}
