package ingest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
)

// Luhn-valid numeric strings: what a card detector would flag, and what
// order numbers and all-zero span ids routinely are.
var luhn = []string{"0000000000000000", "4111111111111111", "79927398713", "5555555555554444", "378282246310005"}

// TestRedactionNeverRewritesIdentifiers plants Luhn-valid numbers in every
// identifier an event can carry and checks each is stored as sent, while
// the same number in free text is still redacted.
func TestRedactionNeverRewritesIdentifiers(t *testing.T) {
	s := migrated(t)
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	ids := func(i int) string {
		return `"event_id":"` + luhn[i%5] + `1","trace_id":"` + luhn[(i+1)%5] + `","span_id":"` + luhn[0] + `","parent_span_id":"` + luhn[(i+2)%5] +
			`","run_id":"` + luhn[(i+3)%5] + `","case_id":"` + luhn[(i+4)%5] + `","dataset":"` + luhn[1] + `@v1","tenant":"acme","environment":"prod","release":"1.0","ts":"` + ts + `","duration_ms":5,"status":"ok"`
	}
	lines := []string{
		`{"kind":"run",` + ids(0) + `,"actor":"bot","task":"t","input":"card 4111111111111111","output":"ok","stop_reason":"completed"}`,
		`{"kind":"tool",` + ids(1) + `,"tool":"refund","args":{"order":"` + luhn[2] + `"},"authorization":"allowed","retry_count":0,"idempotency_key":"` + luhn[3] + `","side_effect":"write"}`,
		`{"kind":"retrieval",` + ids(2) + `,"source_ids":["` + luhn[0] + `","` + luhn[4] + `"],"freshness":{"stale":false,"age_s":1},"access_decision":"allowed","citation_required":false}`,
		`{"kind":"memory",` + ids(3) + `,"op":"write","read_ids":["` + luhn[1] + `"],"write_ids":["` + luhn[2] + `"],"retention_class":"30d","policy_basis":"consent"}`,
	}
	sum := ingestString(t, s, ingest.Options{}, "ids.ndjson", strings.Join(lines, "\n")+"\n")
	if sum.Accepted != 4 || sum.Rejected != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Redactions["card_number"] != 1 {
		t.Fatalf("the card number in free text was not redacted once: %v", sum.Redactions)
	}
	rows, err := s.Conn.Query(context.Background(), `SELECT event_id, trace_id, span_id, parent_span_id, run_id, case_id, dataset,
		idempotency_key, source_ids, read_ids, write_ids, redactions FROM agent_events ORDER BY event_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e, tr, sp, par, run, cs, ds, idem string
		var src, rd, wr []string
		var red uint32
		if err := rows.Scan(&e, &tr, &sp, &par, &run, &cs, &ds, &idem, &src, &rd, &wr, &red); err != nil {
			t.Fatal(err)
		}
		all := append([]string{e, tr, sp, par, run, cs, ds, idem}, append(append(src, rd...), wr...)...)
		for _, v := range all {
			if strings.Contains(v, "REDACTED") {
				t.Errorf("identifier rewritten: %q in %v", v, all)
			}
		}
		if sp != luhn[0] || ds != luhn[1]+"@v1" {
			t.Errorf("span_id %q dataset %q", sp, ds)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("%d rows", n)
	}
	if got := count(t, s, "SELECT count() FROM agent_events WHERE idempotency_key = ? AND has(source_ids, '') = 0", luhn[3]); got != 1 {
		t.Fatalf("idempotency key stored %d times as sent", got)
	}
	if got := count(t, s, "SELECT count() FROM agent_events WHERE has(source_ids, ?) AND has(source_ids, ?)", luhn[0], luhn[4]); got != 1 {
		t.Fatalf("source_ids not stored as sent (%d)", got)
	}
}

// An identifier that is itself a secret rejects its event: the field and
// the kind of secret are named, the value is not quoted, nothing is stored.
func TestSecretInIdentifierRejectsEvent(t *testing.T) {
	s := migrated(t)
	tok := "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
	for _, c := range []struct{ field, line string }{
		{"run_id", strings.Replace(event("run", 1, ""), `"run_id":"run000"`, `"run_id":"`+tok+`"`, 1)},
		{"trace_id", strings.Replace(event("model", 2, ""), `"trace_id":"tr000"`, `"trace_id":"jane@example.com"`, 1)},
		{"idempotency_key", strings.Replace(event("tool", 3, ""), `"idempotency_key":"idem-1"`, `"idempotency_key":"`+tok+`"`, 1)},
		{"write_ids[1]", strings.Replace(event("memory", 4, ""), `"read_ids":["mem-1"]`, `"write_ids":["ok","`+tok+`"]`, 1)},
	} {
		sum := ingestString(t, s, ingest.Options{}, "bad.ndjson", c.line+"\n")
		if sum.Rejected != 1 || sum.Accepted != 0 || len(sum.Errors) != 1 {
			t.Fatalf("%s: summary %+v", c.field, sum)
		}
		r := sum.Errors[0].Reason
		if !strings.Contains(r, `field "`+c.field+`": identifier holds a secret`) || strings.Contains(r, tok) || strings.Contains(r, "jane@") {
			t.Fatalf("%s: reason %q", c.field, r)
		}
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 0 {
		t.Fatalf("%d rows stored", n)
	}
}
