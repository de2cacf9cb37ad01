package gate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Record stores the decision in gate_decisions, so gate history is queryable.
func Record(ctx context.Context, conn driver.Conn, d *Decision) error {
	ev, err := json.Marshal(d)
	if err != nil {
		return err
	}
	baseline := ""
	if d.Baseline != nil {
		baseline = d.Baseline.Release
	}
	err = conn.Exec(ctx, `INSERT INTO gate_decisions (decided_at, dataset, dataset_version, release, baseline, verdict, exit_code, commit_sha, owner, evidence)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.DecidedAt, d.DatasetName, d.DatasetVersion, d.Release, baseline, d.Verdict, uint8(d.ExitCode), d.Commit, d.Owner, string(ev))
	if err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	return nil
}

// Last returns the most recent stored decision for a release, optionally
// on one dataset ("name" or "name@vN"); nil when there is none.
func Last(ctx context.Context, conn driver.Conn, release, dataset string) (*Decision, error) {
	q := "SELECT evidence FROM gate_decisions WHERE release = ?"
	args := []any{release}
	if dataset != "" {
		name, ver, hasVer := splitRef(dataset)
		q += " AND dataset = ?"
		args = append(args, name)
		if hasVer {
			q += " AND dataset_version = ?"
			args = append(args, ver)
		}
	}
	q += " ORDER BY decided_at DESC LIMIT 1"
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
	return &d, nil
}

func splitRef(ref string) (string, uint32, bool) {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '@' {
			var v uint32
			if _, err := fmt.Sscanf(ref[i+1:], "v%d", &v); err == nil {
				return ref[:i], v, true
			}
			return ref[:i], 0, false
		}
	}
	return ref, 0, false
}
