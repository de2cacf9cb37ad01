package parquet_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/parquet"
	"github.com/evalhouse/evalhouse/internal/restamp"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

const examples = "../../examples/support-agent"

// migrated returns a fresh store with the schema applied.
func migrated(tb testing.TB) *store.Store {
	tb.Helper()
	s := storetest.New(tb)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		tb.Fatal(err)
	}
	return s
}

func newPipeline(tb testing.TB, s *store.Store, opts ingest.Options) *ingest.Pipeline {
	tb.Helper()
	opts.Urgent = true
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// ingestExamples loads the support-agent examples into s as a user would.
func ingestExamples(tb testing.TB, s *store.Store) int {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(examples, "events-*.ndjson"))
	if len(files) == 0 {
		tb.Fatal("no example events")
	}
	// The examples carry fixed dates; ingest copies restamped to now.
	files, err := restamp.Files(tb.TempDir(), time.Now(), files...)
	if err != nil {
		tb.Fatal(err)
	}
	p := newPipeline(tb, s, ingest.Options{})
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		err = p.ReadNDJSON(context.Background(), name, f)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
	}
	sum, err := p.Close(context.Background())
	if err != nil || sum.Accepted == 0 {
		tb.Fatalf("ingest examples: %+v, %v", sum, err)
	}
	return sum.Accepted
}

// export writes the rows f selects from s to a file and returns its path.
func export(tb testing.TB, s *store.Store, f parquet.Filter, opts parquet.ExportOptions) (string, int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "events.parquet")
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := parquet.Export(context.Background(), s.Conn, f, out, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, n
}

// readInto feeds a file through a new pipeline on s and returns the summary.
func readInto(tb testing.TB, s *store.Store, path string, opts ingest.Options) ingest.Summary {
	tb.Helper()
	p := newPipeline(tb, s, opts)
	if err := parquet.ReadFile(context.Background(), p, path); err != nil {
		tb.Fatal(err)
	}
	sum, err := p.Close(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return sum
}

func count(tb testing.TB, s *store.Store, q string, args ...any) uint64 {
	tb.Helper()
	var n uint64
	if err := s.Conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// dump reads every row of q, each as column name → value, scanned into
// the driver's own Go types so that values compare exactly.
func dump(tb testing.TB, s *store.Store, q string) []map[string]any {
	tb.Helper()
	rows, err := s.Conn.Query(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out []map[string]any
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			tb.Fatal(err)
		}
		row := make(map[string]any, len(types))
		for i, ct := range types {
			row[ct.Name()] = reflect.ValueOf(dest[i]).Elem().Interface()
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// sameRows reports the first difference between two dumps, or "".
func sameRows(a, b []map[string]any) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d rows vs %d", len(a), len(b))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Sprintf("row %d: %d columns vs %d", i, len(a[i]), len(b[i]))
		}
		for col, va := range a[i] {
			if vb := b[i][col]; !reflect.DeepEqual(va, vb) {
				return fmt.Sprintf("row %d (event %v), column %s: %#v vs %#v", i, a[i]["event_id"], col, va, vb)
			}
		}
	}
	return ""
}

// fullRow is a row with every column set to something other than its
// default, so a mapping that drops a column shows.
func fullRow(i int) events.Row {
	// A day ago, whatever the date: inside every retention class.
	ts := time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour).Add(time.Duration(i) * 1234567 * time.Microsecond)
	s := func(p string) string { return fmt.Sprintf("%s-%d", p, i) }
	return events.Row{
		Tenant: "acme", Environment: "staging", TS: ts, Kind: "tool", EventID: s("ev"), TraceID: s("tr"),
		SpanID: s("sp"), ParentSpanID: s("psp"), RunID: s("run"), Release: "2.4.0", DurationMS: 12.5,
		Status: "ok", Dataset: "support-bot@v1", CaseID: s("c"),
		Actor: "bot", Task: "refund", Input: `{"q":"où est ma commande?"}`, Output: "on its way", StopReason: "completed",
		Model: "gpt-4o", PromptVersion: "p7", InputRef: s("blob"), OutputStatus: "ok",
		InputTokens: 1 << 40, OutputTokens: 300, CostUSD: 0.0123, CostSource: "reported", LatencyMS: 900.25,
		Tool: "lookup_order", Args: `{"order":"ORD-1"}`, Authorization: "allowed", RetryCount: 3,
		IdempotencyKey: s("idem"), SideEffect: "read",
		SourceIDs: []string{"kb-1", s("kb")}, FreshnessStale: true, FreshnessAgeS: 30.5, AccessDecision: "allowed",
		CitationRequired: true,
		Op:               "read", ReadIDs: []string{s("mem")}, WriteIDs: []string{"w-1", "w-2"}, RetentionClass: "30d", PolicyBasis: "consent",
		PolicyVersion: "refund@7", Decision: "deny", ReasonCode: "over_limit", Enforcement: "block",
		ApproverRole: "lead", Action: "refund", ExpiresAt: ts.Add(time.Hour).Truncate(time.Millisecond), Result: "approved",
		Evaluator: "helpfulness", EvaluatorVersion: "v3", Score: 0.8, Threshold: 0.7, Passed: true,
		Attributes:         `{"session":"s-1","turn":2}`,
		ContractViolations: []string{"stop_reason", "status:invalid"}, Redactions: 3,
		RedactionCounts: map[string]uint32{"email": 2, "aws_key": 1}, Source: "otlp", StorageRetention: "long",
		RetentionDays: 400, IngestID: "20261120T090000Z-0123456789abcdef",
	}
}

// writeRecords writes recs as an events file and returns its bytes.
func writeRecords(tb testing.TB, recs []parquet.Record) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf)
	if _, err := w.Write(recs); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(tb testing.TB, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "in.parquet")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func mustContain(tb testing.TB, got, want string) {
	tb.Helper()
	if !strings.Contains(got, want) {
		tb.Fatalf("%q does not contain %q", got, want)
	}
}
