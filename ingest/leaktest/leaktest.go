// Package leaktest lets tests of every ingest path check that planted
// secrets are nowhere evalhouse keeps or prints them: it reads every
// column of agent_events as text, and finds planted values in texts.
package leaktest

import (
	"context"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Stored returns every row of agent_events, every column as text
// (toString), tab-separated, one line a row.
func Stored(t testing.TB, conn driver.Conn) string {
	t.Helper()
	ctx := context.Background()
	var q string
	err := conn.QueryRow(ctx, `SELECT 'SELECT arrayStringConcat([' || arrayStringConcat(groupArray('toString(`+"`"+`' || name || '`+"`"+`)'), ',') || '], char(9)) FROM agent_events'
		FROM (SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'agent_events' ORDER BY position)`).Scan(&q)
	if err != nil {
		t.Fatalf("leaktest: columns of agent_events: %v", err)
	}
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatalf("leaktest: %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatalf("leaktest: %v", err)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("leaktest: %v", err)
	}
	return b.String()
}

// Absent fails t for every planted value found in a text; where names
// the texts (the store, an HTTP answer, the dead-letter file, the log).
func Absent(t testing.TB, planted []string, where map[string]string) {
	t.Helper()
	for name, text := range where {
		for _, p := range planted {
			if strings.Contains(text, p) {
				t.Errorf("planted %q found in %s:\n%s", p, name, text)
			}
		}
	}
}
