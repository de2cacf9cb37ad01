// Package leaktest lets tests of every ingest path check that planted
// secrets are nowhere evalhouse keeps or prints them: it reads every
// column of agent_events as text, and finds planted values in texts.
package leaktest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
)

// Stored returns every row of agent_events, every column as text, one
// line a row, read through the table's owner (events.Page), so a column
// added to the row is searched too.
func Stored(t testing.TB, conn driver.Conn) string {
	t.Helper()
	ctx := context.Background()
	var (
		b     strings.Builder
		page  []events.Row
		after *events.Row
		err   error
	)
	for {
		if page, err = events.Page(ctx, conn, events.Filter{}, after, 1000, page); err != nil {
			t.Fatalf("leaktest: %v", err)
		}
		for i := range page {
			fmt.Fprintf(&b, "%+v\n", page[i])
		}
		if len(page) < 1000 {
			return b.String()
		}
		last := page[len(page)-1]
		after = &last
	}
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
