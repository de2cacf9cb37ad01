package datasets

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/evalhouse/evalhouse/datasets/dsref"
)

var qExpectedField = stmts.Get("expected_field")

// ExpectedField reads one key of the expected object of every case of
// the versions refs name ("name@vN"; a ref that is not pinned to a
// version cannot name cases and is skipped): version ref → case id → the
// key's raw JSON value, for the cases that have the key. Versions with
// no such case are absent. It does not check content hashes (Cases does):
// it is a reader for reports, not for scoring.
func (s *Store) ExpectedField(ctx context.Context, refs []string, field string) (map[string]map[string]json.RawMessage, error) {
	var names []string
	var versions []uint32
	for _, ref := range refs {
		r, err := dsref.ParsePinned(ref)
		if err != nil {
			continue
		}
		names, versions = append(names, r.Name), append(versions, r.Version)
	}
	out := map[string]map[string]json.RawMessage{}
	if len(names) == 0 {
		return out, nil
	}
	rows, err := s.conn.Query(ctx, qExpectedField, clickhouse.Named("field", field),
		clickhouse.Named("names", names), clickhouse.Named("versions", versions))
	if err != nil {
		return nil, fmt.Errorf("datasets: expected.%s: %w", field, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name, id, value string
			n               uint32
		)
		if err := rows.Scan(&name, &n, &id, &value); err != nil {
			return nil, fmt.Errorf("datasets: expected.%s: %w", field, err)
		}
		ref := dsref.Format(name, n)
		if out[ref] == nil {
			out[ref] = map[string]json.RawMessage{}
		}
		out[ref][id] = json.RawMessage(value)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("datasets: expected.%s: %w", field, err)
	}
	return out, nil
}
