package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// migrated returns a fresh store with the schema applied.
func migrated(t *testing.T) *store.Store {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func ingestString(t *testing.T, s *store.Store, opts ingest.Options, origin, data string) ingest.Summary {
	t.Helper()
	ctx := context.Background()
	opts.Urgent = true
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadNDJSON(ctx, origin, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	sum, err := p.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func count(t *testing.T, s *store.Store, q string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := s.Conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// testBase is when the test events happen: a day ago, whatever the date.
var testBase = time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)

// event renders one contract-clean event of the given kind.
func event(kind string, i int, extra string) string {
	common := fmt.Sprintf(`"trace_id":"tr%03d","span_id":"sp%03d","run_id":"run%03d","tenant":"acme","environment":"staging","release":"2.4.0","ts":%q,"duration_ms":%d,"status":"ok"`,
		i/10, i, i/10, testBase.Add(time.Duration(i)*time.Second).Format(time.RFC3339), 10+i)
	body := map[string]string{
		"run":       `"actor":"support-bot","task":"refund_request","input":"where is my order","output":"on its way","stop_reason":"completed"`,
		"model":     `"model":"gpt-4o","prompt_version":"p7","input_ref":"blob://in","output_status":"ok","input_tokens":1200,"output_tokens":300,"latency_ms":900`,
		"tool":      `"tool":"lookup_order","args":{"order":"ORD-1"},"authorization":"allowed","retry_count":0,"idempotency_key":"idem-1","side_effect":"read"`,
		"retrieval": `"source_ids":["kb-1","kb-2"],"freshness":{"stale":false,"age_s":30},"access_decision":"allowed","citation_required":true`,
		"memory":    `"op":"read","read_ids":["mem-1"],"retention_class":"30d","policy_basis":"consent"`,
		"policy":    `"policy_version":"refund-policy@7","decision":"deny","reason_code":"refund_over_limit","enforcement":"block"`,
		"approval":  `"approver_role":"support_lead","action":"issue_refund","expires_at":"` + testBase.Add(24*time.Hour).Format(time.RFC3339) + `","result":"approved"`,
		"eval":      `"case_id":"c001","evaluator":"helpfulness","evaluator_version":"v3","score":0.8,"threshold":0.7,"passed":true`,
	}[kind]
	if extra != "" {
		body += "," + extra
	}
	return `{"kind":"` + kind + `",` + common + "," + body + "}"
}

var kinds = []string{"run", "model", "tool", "retrieval", "memory", "policy", "approval", "eval"}

func corpus(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(event(kinds[i%len(kinds)], i, ""))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestIngestTwiceStoresOnce(t *testing.T) {
	s := migrated(t)
	data := corpus(2500)
	first := ingestString(t, s, ingest.Options{BatchSize: 1000}, "a.ndjson", data)
	if first.Accepted != 2500 || first.Duplicates != 0 || first.Rejected != 0 {
		t.Fatalf("first ingest: %+v", first)
	}
	second := ingestString(t, s, ingest.Options{BatchSize: 700}, "a.ndjson", data)
	if second.Accepted != 0 || second.Duplicates != 2500 {
		t.Fatalf("second ingest: accepted %d duplicates %d", second.Accepted, second.Duplicates)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 2500 {
		t.Fatalf("count() = %d after two ingests, want 2500", n)
	}
	// Repeats inside one file are duplicates too.
	third := ingestString(t, s, ingest.Options{}, "b.ndjson", event("tool", 9000, "")+"\n"+event("tool", 9000, "")+"\n")
	if third.Accepted != 1 || third.Duplicates != 1 {
		t.Fatalf("in-file repeat: %+v", third)
	}
	if n := count(t, s, "SELECT count() FROM ingest_log"); n != 3 {
		t.Fatalf("ingest_log has %d rows, want 3", n)
	}
	if n := count(t, s, "SELECT count() FROM run_summaries FINAL"); n != 2500/10+1 {
		t.Fatalf("run_summaries has %d runs, want %d", n, 2500/10+1)
	}
}

func TestMalformedLineIsNamedAndTheRestLand(t *testing.T) {
	s := migrated(t)
	lines := []string{
		event("run", 1, ""),
		event("model", 2, ""),
		`{"kind":"tool","trace_id": `,
		event("tool", 4, ""),
		`{"kind":"model","trace_id":"x","ts":"` + testBase.Format(time.RFC3339) + `","input_tokens":"many"}`,
		"",
		event("eval", 7, ""),
	}
	var dl bytes.Buffer
	sum := ingestString(t, s, ingest.Options{DeadLetter: &dl}, "mixed.ndjson", strings.Join(lines, "\n"))
	if sum.Accepted != 4 || sum.Rejected != 2 {
		t.Fatalf("summary: %+v", sum)
	}
	if got := sum.Errors[0]; got.Line != 3 || got.Origin != "mixed.ndjson" || !strings.Contains(got.Reason, "invalid JSON") {
		t.Fatalf("first error: %+v", got)
	}
	if got := sum.Errors[1]; got.Line != 5 || !strings.Contains(got.Reason, `"input_tokens"`) {
		t.Fatalf("second error: %+v", got)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 4 {
		t.Fatalf("stored %d events, want 4", n)
	}
	if got := strings.Count(dl.String(), "\n"); got != 2 {
		t.Fatalf("dead letter has %d lines, want 2:\n%s", got, dl.String())
	}
}

func TestContractViolationsAreCountedAndStored(t *testing.T) {
	s := migrated(t)
	var b strings.Builder
	for i := 0; i < 3; i++ {
		// A tool event without idempotency_key.
		b.WriteString(strings.Replace(event("tool", 100+i, ""), `"idempotency_key":"idem-1",`, "", 1) + "\n")
	}
	b.WriteString(strings.Replace(event("tool", 200, ""), `"authorization":"allowed"`, `"authorization":"maybe"`, 1) + "\n")
	b.WriteString(event("policy", 201, "") + "\n")
	sum := ingestString(t, s, ingest.Options{}, "c.ndjson", b.String())
	if sum.Violations["tool.idempotency_key"] != 3 || sum.Violations["tool.authorization:invalid"] != 1 || sum.ViolatingEvents != 4 {
		t.Fatalf("violations: %+v", sum.Violations)
	}
	n := count(t, s, "SELECT count() FROM agent_events WHERE kind = 'tool' AND has(contract_violations, 'idempotency_key')")
	if n != 3 {
		t.Fatalf("stored: %d tool events lack idempotency_key, want 3", n)
	}

	// --strict rejects them instead.
	s2 := migrated(t)
	sum = ingestString(t, s2, ingest.Options{Strict: true}, "c.ndjson", b.String())
	if sum.Accepted != 1 || sum.Rejected != 4 || !strings.Contains(sum.Errors[0].Reason, "idempotency_key missing") {
		t.Fatalf("strict: %+v", sum)
	}
}

func TestModelCostFromPriceTable(t *testing.T) {
	s := migrated(t)
	ingestString(t, s, ingest.Options{}, "m.ndjson",
		event("model", 1, "")+"\n"+strings.Replace(event("model", 2, `"cost_usd":0.5`), "", "", 1)+"\n")
	var cost float64
	var src string
	s.Conn.QueryRow(context.Background(), "SELECT cost_usd, cost_source FROM agent_events WHERE span_id = 'sp001'").Scan(&cost, &src)
	// gpt-4o: 1200 input and 300 output tokens at the table's prices.
	if cost <= 0 || !strings.HasPrefix(src, "price_table@") {
		t.Fatalf("computed cost %v from %q", cost, src)
	}
	s.Conn.QueryRow(context.Background(), "SELECT cost_usd, cost_source FROM agent_events WHERE span_id = 'sp002'").Scan(&cost, &src)
	if cost != 0.5 || src != "reported" {
		t.Fatalf("reported cost %v from %q", cost, src)
	}
}

func TestRetentionClass(t *testing.T) {
	s := migrated(t)
	ingestString(t, s, ingest.Options{Retention: "short"}, "r.ndjson", event("tool", 1, "")+"\n"+event("policy", 2, "")+"\n")
	var days uint16
	s.Conn.QueryRow(context.Background(), "SELECT retention_days FROM agent_events WHERE kind = 'tool'").Scan(&days)
	if days != 7 {
		t.Fatalf("tool retention %d days, want 7", days)
	}
	s.Conn.QueryRow(context.Background(), "SELECT retention_days FROM agent_events WHERE kind = 'policy'").Scan(&days)
	if days != ingest.RetentionDays["audit"] {
		t.Fatalf("policy retention %d days, want audit", days)
	}
	if _, err := ingest.NewPipeline(nil, ingest.Options{Retention: "forever"}); err == nil {
		t.Fatal("unknown retention class accepted")
	}
}

// Concurrent writers share one Writer: their rows are coalesced, none is
// lost, and an event sent by two writers at once is stored once.
func TestConcurrentWritersCoalesceAndDedup(t *testing.T) {
	s := migrated(t)
	w := ingest.NewWriter(s.Conn, 100000, 0)
	ctx := context.Background()
	var wg sync.WaitGroup
	sums := make([]ingest.Summary, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			p, _ := ingest.NewPipeline(w, ingest.Options{})
			var b strings.Builder
			for i := 0; i < 50; i++ {
				b.WriteString(event("tool", g*1000+i, "") + "\n")
			}
			b.WriteString(event("run", 99999, "") + "\n") // shared by all writers
			if err := p.ReadNDJSON(ctx, "w", strings.NewReader(b.String())); err != nil {
				t.Error(err)
			}
			sums[g], _ = p.Close(ctx)
		}(g)
	}
	wg.Wait()
	accepted, dups := 0, 0
	for _, s := range sums {
		accepted += s.Accepted
		dups += s.Duplicates
	}
	if accepted != 8*50+1 || dups != 7 {
		t.Fatalf("accepted %d duplicates %d, want %d and 7", accepted, dups, 8*50+1)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 8*50+1 {
		t.Fatalf("stored %d", n)
	}
}

func TestOverlongLineIsRejected(t *testing.T) {
	s := migrated(t)
	long := `{"kind":"run","input":"` + strings.Repeat("x", ingest.MaxLine) + `"}`
	sum := ingestString(t, s, ingest.Options{}, "long.ndjson", event("run", 1, "")+"\n"+long+"\n"+event("tool", 2, "")+"\n")
	if sum.Accepted != 2 || sum.Rejected != 1 || sum.Errors[0].Line != 2 || !strings.Contains(sum.Errors[0].Reason, "longer than") {
		t.Fatalf("summary: %+v", sum)
	}
}

// A full default batch of events with derived (32-hex) ids: the duplicate
// check must stay within the server's query size limit.
func TestFullBatchOfDerivedIDs(t *testing.T) {
	s := migrated(t)
	data := corpus(12000)
	if sum := ingestString(t, s, ingest.Options{}, "big.ndjson", data); sum.Accepted != 12000 {
		t.Fatalf("first: %+v", sum)
	}
	if sum := ingestString(t, s, ingest.Options{}, "big.ndjson", data); sum.Duplicates != 12000 || sum.Accepted != 0 {
		t.Fatalf("second: accepted %d duplicates %d", sum.Accepted, sum.Duplicates)
	}
}

// Sub-second timestamps at the edges of a batch's time window are still
// found by the duplicate check.
func TestDedupWithSubSecondTimestamps(t *testing.T) {
	s := migrated(t)
	var b strings.Builder
	for i := 0; i < 50; i++ {
		ev := event("tool", i, "")
		ev = strings.Replace(ev, fmt.Sprintf(`:%02dZ"`, i%60), fmt.Sprintf(`:%02d.%06dZ"`, i%60, 999999-i), 1)
		b.WriteString(ev + "\n")
	}
	ingestString(t, s, ingest.Options{}, "a", b.String())
	sum := ingestString(t, s, ingest.Options{}, "a", b.String())
	if sum.Duplicates != 50 || sum.Accepted != 0 {
		t.Fatalf("second ingest: accepted %d duplicates %d", sum.Accepted, sum.Duplicates)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 50 {
		t.Fatalf("stored %d", n)
	}
}

// Secrets in text fields are redacted as in payloads; an id list holding a
// secret rejects its event (identifiers are never rewritten).
func TestSecretsInTextFields(t *testing.T) {
	s := migrated(t)
	key := "AKIAIOSFODNN7EXAMPLE"
	ev := strings.Replace(event("policy", 1, ""), `"reason_code":"refund_over_limit"`, `"reason_code":"leaked `+key+`"`, 1)
	ev2 := strings.Replace(event("retrieval", 2, ""), `"kb-1"`, `"`+key+`"`, 1)
	sum := ingestString(t, s, ingest.Options{}, "t", ev+"\n"+ev2+"\n")
	if sum.Redactions["aws_key"] != 1 || sum.Accepted != 1 || sum.Rejected != 1 ||
		!strings.Contains(sum.Errors[0].Reason, `field "source_ids[0]": identifier holds a secret (aws_key)`) {
		t.Fatalf("summary %+v", sum)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE position(reason_code, ?) > 0 OR has(source_ids, ?)", key, key); n != 0 {
		t.Fatalf("%d rows keep the key", n)
	}
}
