package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
)

// Writer makes rows durable in agent_events. Concurrent Write calls are
// coalesced into one insert, flushed when MaxRows are pending or the oldest
// has waited MaxWait; each Write returns only once its rows are durable, so
// nothing is acknowledged before it is stored.
//
// Writer keeps the table free of duplicates: a row whose (tenant, event_id)
// is already stored, or repeats within the insert, is dropped and counted:
// as a duplicate when its content (events.ContentHash) is the same, as a
// conflict when it is not.
// Flushes are serialized, so each sees every earlier flush's rows.
//
// A failed insert is either permanent (the store refused the data: it
// would refuse it again) or retryable (the store could not be reached or
// was overloaded; see IsPermanent). One bad row never fails the rows it was
// coalesced with: on a permanent failure the Writer inserts each write
// alone and bisects the failing ones, so every other row is stored and each
// refused row is returned, with the store's reason, to its writer.
type Writer struct {
	conn    driver.Conn
	maxRows int
	maxWait time.Duration

	mu      sync.Mutex
	pending []*pendingWrite
	rows    int
	timer   *time.Timer

	flushMu sync.Mutex

	observe func(rows int, took time.Duration, err error)
}

type pendingWrite struct {
	rows []events.Row
	done chan writeResult
}

type writeResult struct {
	res WriteResult
	err error
}

// WriteResult is what became of one Write's rows.
type WriteResult struct {
	// Duplicates were already stored (or repeated within the insert).
	Duplicates int
	// Refused rows were refused by the store for good (a permanent error):
	// every other row of the write is stored.
	Refused []Refusal
	// Conflicts are the rows (indexes into the rows passed to Write) whose
	// (tenant, event_id) is stored, or earlier in the insert, with other
	// content (events.ContentHash): not stored, and not duplicates.
	Conflicts []int
}

// Refusal names one row the store refused and why.
type Refusal struct {
	Index  int // into the rows passed to Write
	Reason string
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
	return &Writer{conn: conn, maxRows: maxRows, maxWait: maxWait}
}

// ObserveInserts has fn told of every insert the Writer sends: its rows,
// how long the store took, and its error (nil when stored). fn runs on the
// flushing goroutine and must not block. Call it before the first Write.
func (w *Writer) ObserveInserts(fn func(rows int, took time.Duration, err error)) {
	w.observe = fn
}

// Write stores rows and says which were duplicates and which the store
// refused for good. With urgent, pending rows are flushed at once instead of
// waiting for company. The Writer owns rows after the call. An error means
// some rows may not be stored and a retry may succeed (a store outage, or
// ctx ended first); a retry is safe: it deduplicates.
func (w *Writer) Write(ctx context.Context, rows []events.Row, urgent bool) (WriteResult, error) {
	if len(rows) == 0 {
		return WriteResult{}, nil
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
		return r.res, r.err
	case <-ctx.Done():
		return WriteResult{}, ctx.Err()
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
	results := w.insert(batch)
	for i, pw := range batch {
		pw.done <- results[i]
	}
}

// kept is a row to insert and where it came from.
type kept struct {
	row        *events.Row
	write, idx int
}

func (w *Writer) insert(batch []*pendingWrite) []writeResult {
	// Flushes run detached from any one caller's context: a caller that
	// gives up must not abort an insert that carries others' rows.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results := make([]writeResult, len(batch))
	seen, err := w.existing(ctx, batch)
	if err != nil {
		for i := range results {
			results[i].err = err
		}
		return results
	}
	var keep []kept
	for j, pw := range batch {
		for i := range pw.rows {
			r := &pw.rows[i]
			r.ContentHash = events.ContentHash(r)
			k := events.Key{Tenant: r.Tenant, EventID: r.EventID}
			if stored, dup := seen[k]; dup {
				if stored != 0 && stored != r.ContentHash {
					results[j].res.Conflicts = append(results[j].res.Conflicts, i)
				} else {
					results[j].res.Duplicates++
				}
				continue
			}
			seen[k] = r.ContentHash
			keep = append(keep, kept{r, j, i})
		}
	}
	if len(keep) == 0 {
		return results
	}
	err = w.send(ctx, keep)
	if err == nil {
		return results
	}
	if !IsPermanent(err) {
		for i := range results {
			results[i].err = err
		}
		return results
	}
	// The store refused something in the insert: find what, store the rest.
	failed := map[[2]int]error{} // (write, row) → why it was not stored
	budget := maxIsolationInserts
	w.bisect(ctx, keep, err, failed, &budget)
	for _, k := range keep {
		e, bad := failed[[2]int{k.write, k.idx}]
		switch {
		case !bad:
		case IsPermanent(e):
			results[k.write].res.Refused = append(results[k.write].res.Refused, Refusal{Index: k.idx, Reason: refusalReason(e)})
		default:
			results[k.write].err = e
		}
	}
	return results
}

// maxIsolationInserts bounds the inserts one flush spends finding refused
// rows: a batch full of them would otherwise cost two inserts per row.
const maxIsolationInserts = 256

// errUnisolated is what rows left unresolved by the bound are told. They
// failed in a group the store refused, so they are rejected (and
// dead-lettered, to be replayed) rather than retried: a retry would meet
// the same refusal, and a Kafka partition would never move on.
var errUnisolated = errors.New("ingest: not stored: sent in a group of rows the store refused, and the insert budget to isolate the refused ones ran out; send it again apart from them")

// bisect inserts the halves of rows (which failed together with the
// permanent error err) apart, down to single rows, and records in failed
// the error of every row that could not be stored. budget bounds the
// inserts; rows it leaves unresolved get errIsolation (retryable).
func (w *Writer) bisect(ctx context.Context, rows []kept, err error, failed map[[2]int]error, budget *int) {
	if len(rows) == 1 {
		failed[[2]int{rows[0].write, rows[0].idx}] = err
		return
	}
	mid := len(rows) / 2
	for _, half := range [][]kept{rows[:mid], rows[mid:]} {
		if *budget <= 0 {
			for _, k := range half {
				failed[[2]int{k.write, k.idx}] = errUnisolated
			}
			continue
		}
		*budget--
		herr := w.send(ctx, half)
		switch {
		case herr == nil:
		case IsPermanent(herr):
			w.bisect(ctx, half, herr, failed, budget)
		default:
			for _, k := range half {
				failed[[2]int{k.write, k.idx}] = herr
			}
		}
	}
}

// send inserts rows as one insert.
func (w *Writer) send(ctx context.Context, keep []kept) error {
	rows := make([]*events.Row, len(keep))
	for i, k := range keep {
		rows[i] = k.row
	}
	if w.observe == nil {
		return events.Insert(ctx, w.conn, rows)
	}
	start := time.Now()
	err := events.Insert(ctx, w.conn, rows)
	w.observe(len(rows), time.Since(start), err)
	return err
}

// existing returns which of the batch's events are already stored, as
// (tenant, event_id) keys. It first counts the stored events in the batch's
// tenants and time window (a primary-key range read); when that window is
// small — nothing at all for new data, about the batch for a re-sent one —
// it reads their ids by range, otherwise it looks the ids up by value.
func (w *Writer) existing(ctx context.Context, batch []*pendingWrite) (map[events.Key]uint64, error) {
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
	win := events.Window{Lo: lo, Hi: hi}
	for t := range tenants {
		win.Tenants = append(win.Tenants, t)
	}
	seen := make(map[events.Key]uint64, len(ids))
	inWindow, err := events.CountInWindow(ctx, w.conn, win)
	if err != nil {
		return nil, fmt.Errorf("ingest: check for duplicates: %w", err)
	}
	if inWindow == 0 {
		return seen, nil
	}
	if inWindow <= uint64(4*len(ids)) {
		err = events.KeysInWindow(ctx, w.conn, win, seen)
	} else {
		err = events.KeysByID(ctx, w.conn, ids, seen)
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: check for duplicates: %w", err)
	}
	return seen, nil
}
