package rollout

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/chsql"
)

// The rollout package owns stage_decisions: its statements are sql/*.sql.

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("rollout", sqlFS)

// ErrNotFound means no stage decision has the id.
var ErrNotFound = errors.New("rollout: no such stage decision")

// newID is a decision id: "sd_" and 16 random hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return "sd_" + hex.EncodeToString(b[:])
}

// idRE is what a decision id looks like; anything else is refused before
// the store is asked.
var idRE = regexp.MustCompile(`^sd_[0-9a-f]{16}$`)

// ValidID reports whether id has a decision id's form.
func ValidID(id string) bool { return idRE.MatchString(id) }

// Record stores d in stage_decisions and marks it Stored.
func Record(ctx context.Context, conn driver.Conn, d *Decision) error {
	c := *d
	c.Stored, c.StoreError = true, ""
	ev, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("rollout: record decision: %w", err)
	}
	b, err := conn.PrepareBatch(ctx, stmts.Get("insert_decision"))
	if err != nil {
		return fmt.Errorf("rollout: record decision: %w", err)
	}
	if err := b.Append(d.DecisionID, d.DecidedAt, chsql.Seq(), d.Release, d.Baseline, d.Stage, d.Environment, d.Window.Since, d.Window.Until,
		string(d.Verdict), uint8(d.ExitCode), d.Commit, d.Owner, d.DecidedBy, string(ev)); err != nil {
		b.Abort()
		return fmt.Errorf("rollout: record decision: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("rollout: record decision: %w", err)
	}
	d.Stored, d.StoreError = true, ""
	return nil
}

// Get reads the stage decision id (ErrNotFound when none has it).
func Get(ctx context.Context, conn driver.Conn, id string) (*Decision, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q is not a decision id (sd_ and 16 hex digits, as the gate printed it)", ErrNotFound, truncate(id, 64))
	}
	var ev string
	err := conn.QueryRow(ctx, stmts.Get("decision_by_id"), clickhouse.Named("id", id)).Scan(&ev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("rollout: read decision %s: %w", id, err)
	}
	return decode(ev)
}

// Decisions reads a release's latest stage decisions, newest first.
func Decisions(ctx context.Context, conn driver.Conn, release string, limit int) ([]*Decision, error) {
	rows, err := conn.Query(ctx, stmts.Get("release_decisions"), clickhouse.Named("release", release), clickhouse.Named("limit", limit))
	if err != nil {
		return nil, fmt.Errorf("rollout: read decisions of %s: %w", release, err)
	}
	defer rows.Close()
	var out []*Decision
	for rows.Next() {
		var ev string
		if err := rows.Scan(&ev); err != nil {
			return nil, fmt.Errorf("rollout: read decisions of %s: %w", release, err)
		}
		d, err := decode(ev)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func decode(ev string) (*Decision, error) {
	var d Decision
	if err := json.Unmarshal([]byte(ev), &d); err != nil {
		return nil, fmt.Errorf("rollout: stored decision: %w", err)
	}
	d.Stored = true
	return &d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
