package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets/dsref"
)

// DatasetUse is one dataset version a release's gate decisions used: its
// reference (name@vN), how many decisions judged the release on it, the
// latest one's verdict and when that one was made.
type DatasetUse struct {
	Dataset   string    `json:"dataset"`
	Name      string    `json:"name"`
	Version   uint32    `json:"version"`
	Decisions uint64    `json:"decisions"`
	Verdict   Verdict   `json:"latest_verdict"`
	DecidedAt time.Time `json:"latest_decided_at"`
}

// DatasetsUsed lists the dataset versions the release's stored gate
// decisions used, by name and version; none when no decision judged it.
func DatasetsUsed(ctx context.Context, conn driver.Conn, release string) ([]DatasetUse, error) {
	// Stored releases are redacted (Decision.redact): look the redacted form up.
	rows, err := conn.Query(ctx, stmts.Get("datasets_used"), clickhouse.Named("release", scrub(release)))
	if err != nil {
		return nil, fmt.Errorf("gate: datasets release %s was gated on: %w", scrub(release), err)
	}
	defer rows.Close()
	var out []DatasetUse
	for rows.Next() {
		var u DatasetUse
		var verdict string
		if err := rows.Scan(&u.Name, &u.Version, &u.Decisions, &verdict, &u.DecidedAt); err != nil {
			return nil, fmt.Errorf("gate: datasets release %s was gated on: %w", scrub(release), err)
		}
		u.Dataset, u.Verdict, u.DecidedAt = dsref.Format(u.Name, u.Version), Verdict(verdict), u.DecidedAt.UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gate: datasets release %s was gated on: %w", scrub(release), err)
	}
	return out, nil
}
