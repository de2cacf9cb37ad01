package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
)

// ErrBadRef means a dataset reference is not NAME, NAME@vN or NAME@latest.
var ErrBadRef = errors.New("gate: invalid dataset reference")

// seq orders decisions the same process records within one millisecond:
// the microsecond clock, bumped past the last value handed out.
var (
	seqMu   sync.Mutex
	lastSeq uint64
)

func nextSeq() uint64 {
	seqMu.Lock()
	defer seqMu.Unlock()
	s := uint64(time.Now().UnixMicro())
	if s <= lastSeq {
		s = lastSeq + 1
	}
	lastSeq = s
	return s
}

// Record stores the decision in gate_decisions, so gate history is
// queryable, and marks it Stored. decided_at keeps milliseconds; seq
// (migration 0008) orders decisions made in the same millisecond.
func Record(ctx context.Context, conn driver.Conn, d *Decision) error {
	c := *d
	c.Stored, c.StoreError = true, ""
	ev, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	baseline := ""
	if d.Baseline != nil {
		baseline = d.Baseline.Release
	}
	// A batch sends decided_at as a typed DateTime64(3); a bound ? would
	// be cut to whole seconds.
	b, err := conn.PrepareBatch(ctx, `INSERT INTO gate_decisions (decided_at, seq, dataset, dataset_version, release, baseline, verdict, exit_code, commit_sha, owner, evidence)`)
	if err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	if err := b.Append(d.DecidedAt, nextSeq(), d.DatasetName, d.DatasetVersion, d.Release, baseline, d.Verdict, uint8(d.ExitCode), d.Commit, d.Owner, string(ev)); err != nil {
		b.Abort()
		return fmt.Errorf("gate: record decision: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	d.Stored, d.StoreError = true, ""
	return nil
}

// Last returns the most recent stored decision for a release, optionally
// on one dataset: "name" (any version), "name@vN", or "name@latest" (its
// latest published version). nil when there is none. A reference that is
// none of these is ErrBadRef: it never falls back to another version.
func Last(ctx context.Context, conn driver.Conn, release, dataset string) (*Decision, error) {
	q := "SELECT evidence FROM gate_decisions WHERE release = ?"
	args := []any{release}
	if dataset != "" {
		name, n, err := datasets.ParseRef(dataset)
		if err != nil {
			return nil, fmt.Errorf("%w %q: want NAME, NAME@vN (N from 1) or NAME@latest", ErrBadRef, dataset)
		}
		if strings.Contains(dataset, "@") && n == 0 { // NAME@latest
			v, err := datasets.New(conn).Resolve(ctx, dataset)
			if errors.Is(err, datasets.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("gate: read decisions: %w", err)
			}
			n = v.Number
		}
		q += " AND dataset = ?"
		args = append(args, name)
		if n > 0 {
			q += " AND dataset_version = ?"
			args = append(args, n)
		}
	}
	q += " ORDER BY decided_at DESC, seq DESC LIMIT 1"
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("gate: read decisions: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var ev string
	if err := rows.Scan(&ev); err != nil {
		return nil, err
	}
	var d Decision
	if err := json.Unmarshal([]byte(ev), &d); err != nil {
		return nil, fmt.Errorf("gate: stored decision: %w", err)
	}
	d.Stored = true
	return &d, nil
}
