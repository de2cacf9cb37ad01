package leaktest

import (
	"context"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Table returns every row of table (a name the test spells, never input),
// every column as raw text (formatRow 'TSVRaw', so nothing is escaped),
// one line a row: for the tables other packages own (dataset_items,
// incidents, gate_decisions, ingest_log, …).
func Table(t testing.TB, conn driver.Conn, table string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT formatRow('TSVRaw', *) FROM "+table)
	if err != nil {
		t.Fatalf("leaktest: read %s: %v", table, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatalf("leaktest: read %s: %v", table, err)
		}
		b.WriteString(line)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("leaktest: read %s: %v", table, err)
	}
	return b.String()
}
