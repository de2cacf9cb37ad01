package events_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Every Row field lands in the agent_events column of its name: each string
// field gets a value of its own, each number a distinct one, and each
// column is read back by name.
func TestEveryFieldLandsInItsColumn(t *testing.T) {
	s := migrated(t)
	row := events.Row{TS: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Kind: "tool",
		ExpiresAt: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC), StorageRetention: "standard", RetentionDays: 90}
	want := map[string]string{}
	rv := reflect.ValueOf(&row).Elem()
	num := 1.0
	for i := 0; i < rv.NumField(); i++ {
		f, col := rv.Field(i), column(rv.Type().Field(i).Name)
		if col == "ingested_at" {
			continue // the table's to fill
		}
		switch f.Kind() {
		case reflect.String:
			if f.String() == "" {
				f.SetString("v_" + col)
			}
			want[col] = f.String()
		case reflect.Float64:
			num++
			f.SetFloat(num + 0.5)
			want[col] = fmt.Sprint(num + 0.5)
		case reflect.Uint64, reflect.Uint32:
			num++
			f.SetUint(uint64(num))
			want[col] = fmt.Sprint(uint64(num))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"v_" + col}))
			want[col] = "['v_" + col + "']"
		}
	}
	row.Passed, row.CitationRequired = true, false
	row.RedactionCounts = map[string]uint32{"email": 3}
	if err := events.Insert(context.Background(), s.Conn, []*events.Row{&row}); err != nil {
		t.Fatal(err)
	}
	for col, v := range want {
		var got string
		if err := s.Conn.QueryRow(context.Background(), "SELECT toString("+col+") FROM agent_events").Scan(&got); err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		if got != v {
			t.Errorf("column %s = %q, want %q", col, got, v)
		}
	}
	var passed, citation bool
	var redactions map[string]uint32
	s.Conn.QueryRow(context.Background(), "SELECT passed, citation_required, redaction_counts FROM agent_events").Scan(&passed, &citation, &redactions)
	if !passed || citation || redactions["email"] != 3 {
		t.Errorf("passed %v citation %v redactions %v", passed, citation, redactions)
	}
}

// The table's columns are Row's, in order, and the tag of each field is
// the snake_case of its name.
func TestRowIsTheTable(t *testing.T) {
	s := migrated(t)
	var cols []string
	rows, err := s.Conn.Query(context.Background(), "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'agent_events' ORDER BY position")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if strings.Join(cols, ",") != strings.Join(events.Columns, ",") {
		t.Fatalf("agent_events columns and events.Columns differ:\ntable: %v\nrow:   %v", cols, events.Columns)
	}
	rt := reflect.TypeFor[events.Row]()
	for i := range rt.NumField() {
		if f := rt.Field(i); f.Tag.Get("ch") != column(f.Name) {
			t.Errorf("Row.%s is tagged %q", f.Name, f.Tag.Get("ch"))
		}
	}
	if got := strings.Join(events.InsertColumns, ","); got != strings.Join(cols[:len(cols)-1], ",") {
		t.Errorf("InsertColumns = %v, want all but ingested_at", got)
	}
}

// column is the snake_case column of a Row field.
func column(field string) string {
	special := map[string]string{"TS": "ts", "EventID": "event_id", "TraceID": "trace_id", "SpanID": "span_id",
		"ParentSpanID": "parent_span_id", "RunID": "run_id", "CaseID": "case_id", "DurationMS": "duration_ms",
		"CostUSD": "cost_usd", "LatencyMS": "latency_ms", "SourceIDs": "source_ids", "FreshnessAgeS": "freshness_age_s",
		"ReadIDs": "read_ids", "WriteIDs": "write_ids", "IngestID": "ingest_id"}
	if c, ok := special[field]; ok {
		return c
	}
	var b strings.Builder
	for i, r := range field {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The kinds the statements name are envelope kinds: a misspelt 'tools'
// would match no row and read as zero.
func TestStatementKindsAreEnvelopeKinds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("sql", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("sql/*.sql: %v", err)
	}
	lit := regexp.MustCompile(`kind\s*(?:=|!=)\s*'([^']*)'`)
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			seen++
			if !slices.Contains(envelope.Kinds, envelope.Kind(m[1])) {
				t.Errorf("%s: kind %q is not an envelope kind (%v)", f, m[1], envelope.Kinds)
			}
		}
	}
	if seen == 0 {
		t.Error("no kind literal found: the pattern no longer matches the statements")
	}
}

// ContentHash is stable: stored hashes are compared with those of events
// sent months later, by other builds. A change to this value (a column
// added to the content, a new encoding) turns every re-send of an old
// event into a conflict: it needs a migration that recomputes the stored
// hashes, not a new golden value.
func TestContentHashIsStable(t *testing.T) {
	r := events.Row{Tenant: "acme", Environment: "prod", TS: time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC), Kind: "tool",
		EventID: "e1", Tool: "lookup", Args: `{"a":1}`, RetryCount: 2, CostUSD: 0.25, SourceIDs: []string{"a", "b"},
		ExpiresAt: time.Date(2026, 2, 1, 0, 0, 0, 123456789, time.UTC), RedactionCounts: map[string]uint32{"email": 1, "jwt": 2}, Passed: true}
	want := events.ContentHash(&r)
	if want == 0 {
		t.Fatal("hash 0")
	}
	// Bookkeeping is not content; precision beyond the columns' is not either.
	b := r
	b.IngestID, b.StorageRetention, b.RetentionDays, b.IngestedAt = "other", "audit", 2555, time.Now()
	b.TS = b.TS.Truncate(time.Microsecond)
	b.ExpiresAt = b.ExpiresAt.Truncate(time.Millisecond)
	b.RedactionCounts = map[string]uint32{"jwt": 2, "email": 1}
	if events.ContentHash(&b) != want {
		t.Error("bookkeeping, sub-column precision or map order changed the hash")
	}
	for name, edit := range map[string]func(*events.Row){
		"args":   func(r *events.Row) { r.Args = `{"a":2}` },
		"tenant": func(r *events.Row) { r.Tenant = "acmf" },
		"list":   func(r *events.Row) { r.SourceIDs = []string{"ab"} },
		"ts":     func(r *events.Row) { r.TS = r.TS.Add(time.Microsecond) },
		"bool":   func(r *events.Row) { r.Passed = false },
	} {
		c := r
		edit(&c)
		if events.ContentHash(&c) == want {
			t.Errorf("changing %s left the hash alone", name)
		}
	}
	if golden := uint64(11819253090876586861); want != golden {
		t.Errorf("ContentHash = %d, want %d (see above before changing it)", want, golden)
	}
}
