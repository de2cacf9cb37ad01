package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Writer makes rows durable in agent_events. Concurrent Write calls are
// coalesced into one insert, flushed when MaxRows are pending or the oldest
// has waited MaxWait; each Write returns only once its rows are durable, so
// nothing is acknowledged before it is stored.
//
// Writer keeps the table free of duplicates: a row whose (tenant, event_id)
// is already stored, or repeats within the insert, is dropped and counted.
// Flushes are serialized, so each sees every earlier flush's rows.
type Writer struct {
	conn    driver.Conn
	table   string
	maxRows int
	maxWait time.Duration

	mu      sync.Mutex
	pending []*pendingWrite
	rows    int
	timer   *time.Timer

	flushMu sync.Mutex
}

type pendingWrite struct {
	rows []Row
	done chan writeResult
}

type writeResult struct {
	dups int
	err  error
}

// NewWriter writes to agent_events through conn. maxRows ≤ 0 means 10,000;
// maxWait ≤ 0 means 200 ms.
func NewWriter(conn driver.Conn, maxRows int, maxWait time.Duration) *Writer {
	if maxRows <= 0 {
		maxRows = 10000
	}
	if maxWait <= 0 {
		maxWait = 200 * time.Millisecond
	}
	return &Writer{conn: conn, table: "agent_events", maxRows: maxRows, maxWait: maxWait}
}

// Write stores rows and returns how many were dropped as duplicates. With
// urgent, pending rows are flushed at once instead of waiting for company.
// The Writer owns rows after the call. When ctx ends first, Write returns
// its error; the rows may still land (a retry is safe: it deduplicates).
func (w *Writer) Write(ctx context.Context, rows []Row, urgent bool) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	pw := &pendingWrite{rows: rows, done: make(chan writeResult, 1)}
	w.mu.Lock()
	w.pending = append(w.pending, pw)
	w.rows += len(rows)
	if urgent || w.rows >= w.maxRows {
		batch := w.takeLocked()
		w.mu.Unlock()
		w.flush(batch)
	} else {
		if w.timer == nil {
			w.timer = time.AfterFunc(w.maxWait, func() {
				w.mu.Lock()
				batch := w.takeLocked()
				w.mu.Unlock()
				w.flush(batch)
			})
		}
		w.mu.Unlock()
	}
	select {
	case r := <-pw.done:
		return r.dups, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (w *Writer) takeLocked() []*pendingWrite {
	batch := w.pending
	w.pending, w.rows = nil, 0
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	return batch
}

// flush inserts a batch of writes as one insert and tells each writer.
func (w *Writer) flush(batch []*pendingWrite) {
	if len(batch) == 0 {
		return
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	dups, err := w.insert(batch)
	for i, pw := range batch {
		pw.done <- writeResult{dups: dups[i], err: err}
	}
}

type dedupKey struct{ tenant, id string }

func (w *Writer) insert(batch []*pendingWrite) ([]int, error) {
	// Flushes run detached from any one caller's context: a caller that
	// gives up must not abort an insert that carries others' rows.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dups := make([]int, len(batch))
	seen, err := w.existing(ctx, batch)
	if err != nil {
		return dups, err
	}
	var keep []*Row
	for j, pw := range batch {
		for i := range pw.rows {
			r := &pw.rows[i]
			k := dedupKey{r.Tenant, r.EventID}
			if _, dup := seen[k]; dup {
				dups[j]++
				continue
			}
			seen[k] = struct{}{}
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return dups, nil
	}
	b, err := w.conn.PrepareBatch(ctx, "INSERT INTO "+w.table+" ("+strings.Join(EventColumns, ", ")+")")
	if err != nil {
		return dups, fmt.Errorf("ingest: prepare insert: %w", err)
	}
	for i, col := range columns(keep) {
		if err := b.Column(i).Append(col); err != nil {
			b.Abort()
			return dups, fmt.Errorf("ingest: column %s: %w", EventColumns[i], err)
		}
	}
	if err := b.Send(); err != nil {
		return dups, fmt.Errorf("ingest: insert %d events: %w", len(keep), err)
	}
	return dups, nil
}

// existing returns which of the batch's events are already stored, as
// (tenant, event_id) keys. It first counts the stored events in the batch's
// tenants and time window (a primary-key range read); when that window is
// small — nothing at all for new data, about the batch for a re-sent one —
// it reads their ids by range, otherwise it looks the ids up by value.
func (w *Writer) existing(ctx context.Context, batch []*pendingWrite) (map[dedupKey]struct{}, error) {
	var (
		ids     []string
		tenants = map[string]bool{}
		lo, hi  time.Time
	)
	for _, pw := range batch {
		for i := range pw.rows {
			r := &pw.rows[i]
			ids = append(ids, r.EventID)
			tenants[r.Tenant] = true
			if lo.IsZero() || r.TS.Before(lo) {
				lo = r.TS
			}
			if r.TS.After(hi) {
				hi = r.TS
			}
		}
	}
	// The window is bound as microseconds (ts is DateTime64(6)): a bound
	// sent as time.Time would travel as a 32-bit DateTime and wrap outside
	// 1970–2106.
	loUS, hiUS := lo.UnixMicro(), hi.UnixMicro()
	tl := make([]string, 0, len(tenants))
	for t := range tenants {
		tl = append(tl, t)
	}
	seen := make(map[dedupKey]struct{}, len(ids))
	window := "tenant IN ? AND ts >= fromUnixTimestamp64Micro(?, 'UTC') AND ts <= fromUnixTimestamp64Micro(?, 'UTC')"
	var inWindow uint64
	if err := w.conn.QueryRow(ctx, "SELECT count() FROM "+w.table+" WHERE "+window, tl, loUS, hiUS).Scan(&inWindow); err != nil {
		return nil, fmt.Errorf("ingest: check for duplicates: %w", err)
	}
	if inWindow == 0 {
		return seen, nil
	}
	if inWindow <= uint64(4*len(ids)) {
		return seen, w.collect(ctx, seen, "SELECT tenant, event_id FROM "+w.table+" WHERE "+window, tl, loUS, hiUS)
	}
	// Bound each query's text well under the server's max_query_size
	// (256 KiB by default): ids are bound into the statement.
	const maxBytes = 128 << 10
	for start := 0; start < len(ids); {
		end, size := start, 0
		for end < len(ids) && (end == start || size+len(ids[end])+4 <= maxBytes) {
			size += len(ids[end]) + 4
			end++
		}
		part := ids[start:end]
		start = end
		if err := w.collect(ctx, seen, "SELECT tenant, event_id FROM "+w.table+" WHERE event_id IN ?", part); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

func (w *Writer) collect(ctx context.Context, seen map[dedupKey]struct{}, q string, args ...any) error {
	rows, err := w.conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("ingest: check for duplicates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k dedupKey
		if err := rows.Scan(&k.tenant, &k.id); err != nil {
			return fmt.Errorf("ingest: check for duplicates: %w", err)
		}
		seen[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ingest: check for duplicates: %w", err)
	}
	return nil
}
