package incidents_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/incidents"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/restamp"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// failedRun is a failed production run, stamped within the hour before now.
var failedRun = string(restamp.ToNow([]byte(failedRunFixed), time.Now()))

const failedRunFixed = `{"kind":"run","trace_id":"tr-bad","span_id":"s1","run_id":"run-bad","tenant":"acme","environment":"production","release":"2.4.0","ts":"2026-11-21T10:00:00Z","duration_ms":900,"status":"error","actor":"bot","task":"password_reset","input":{"message":"reset please, my token is ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"},"output":"here: https://x/reset?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop","stop_reason":"completed"}
{"kind":"tool","trace_id":"tr-bad","span_id":"s2","parent_span_id":"s1","run_id":"run-bad","tenant":"acme","environment":"production","release":"2.4.0","ts":"2026-11-21T10:00:01Z","duration_ms":30,"status":"ok","tool":"send_email","args":{"to":"julia@example.net"},"authorization":"allowed","retry_count":0,"idempotency_key":"k1","side_effect":"external"}
`

// ingestFailedRun stores failedRun.
func ingestFailedRun(t *testing.T, conn driver.Conn) {
	t.Helper()
	ctx := context.Background()
	p, _ := ingest.NewPipeline(ingest.NewWriter(conn, 0, 0), ingest.Options{Urgent: true})
	p.ReadNDJSON(ctx, "t", strings.NewReader(failedRun))
	if _, err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T) (*incidents.Store, *datasets.Store) {
	t.Helper()
	is, ds, _ := setupConn(t)
	return is, ds
}

// setupConn is setup that also returns the connection, to read tables back.
func setupConn(t *testing.T) (*incidents.Store, *datasets.Store, driver.Conn) {
	t.Helper()
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	ingestFailedRun(t, s.Conn)
	ds := datasets.New(s.Conn)
	if _, err := ds.Create(ctx, "support-bot", []datasets.Case{{CaseID: "c001", Input: "hi", Expected: map[string]any{"answer": "hello"}}}, datasets.Provenance{By: "t"}); err != nil {
		t.Fatal(err)
	}
	return incidents.New(s.Conn, ds), ds, s.Conn
}

func TestOpenValidates(t *testing.T) {
	inc, _ := setup(t)
	ctx := context.Background()
	if _, err := inc.Open(ctx, []string{"no-such-trace"}, "x", "sev2", "me"); err == nil || !strings.Contains(err.Error(), "not in the store") {
		t.Fatalf("unknown trace: %v", err)
	}
	var fe *incidents.FieldError
	if _, err := inc.Open(ctx, []string{"tr-bad"}, "x", "sev9", "me"); !errors.As(err, &fe) || fe.Field != "severity" || !strings.Contains(err.Error(), `severity "sev9"`) {
		t.Fatalf("bad severity: %v", err)
	}
	for _, tc := range []struct {
		traces      []string
		title, want string
	}{{nil, "x", "trace_ids"}, {[]string{"tr-bad"}, " ", "title"}} {
		if _, err := inc.Open(ctx, tc.traces, tc.title, "sev2", "me"); !errors.As(err, &fe) || fe.Field != tc.want || strings.Contains(err.Error(), "--") {
			t.Fatalf("Open(%v, %q): %v, want a FieldError on %s naming no flag", tc.traces, tc.title, err, tc.want)
		}
	}
	a, err := inc.Open(ctx, []string{"tr-bad"}, "token in chat", "sev2", "me")
	if err != nil || a.ID != "INC-1" {
		t.Fatalf("%+v %v", a, err)
	}
	b, _ := inc.Open(ctx, []string{"tr-bad"}, "again", "sev3", "me")
	if b.ID != "INC-2" {
		t.Fatalf("second incident %s", b.ID)
	}
	all, _ := inc.List(ctx)
	if len(all) != 2 {
		t.Fatalf("%d incidents", len(all))
	}
}

func TestPromoteDraftThenApprove(t *testing.T) {
	inc, ds := setup(t)
	ctx := context.Background()
	i, _ := inc.Open(ctx, []string{"tr-bad"}, "token in chat", "sev2", "me")
	expect := map[string]any{"must_not_contain": "reset?t="}
	res, err := inc.Promote(ctx, i.ID, "support-bot", expect, "oncall", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version.Ref() != "support-bot@v2" || res.Version.Status != datasets.StatusDraft || !res.Created {
		t.Fatalf("draft: %+v", res.Version)
	}
	// A draft is not latest until approved.
	if v, _ := ds.Resolve(ctx, "support-bot@latest"); v.Number != 1 {
		t.Fatalf("latest before approval: v%d", v.Number)
	}
	if _, err := ds.Approve(ctx, "support-bot", 2); err != nil {
		t.Fatal(err)
	}
	v, _ := ds.Resolve(ctx, "support-bot@latest")
	cases, _ := ds.Cases(ctx, v)
	if v.Number != 2 || len(cases) != 2 {
		t.Fatalf("after approval: v%d with %d cases", v.Number, len(cases))
	}
	var fx datasets.Case
	for _, c := range cases {
		if c.CaseID != "c001" {
			fx = c
		}
	}
	if fx.CaseID != "incident-run-bad" || fx.Provenance["incident"] != "INC-1" || fx.Provenance["trace_id"] != "tr-bad" {
		t.Fatalf("fixture: %+v", fx)
	}
	for _, secret := range []string{"ghp_0123456789", "eyJhbGciOiJIUzI1NiJ9", "julia@example.net"} {
		if strings.Contains(fx.Snapshot, secret) || strings.Contains(toText(fx.Input), secret) {
			t.Errorf("fixture carries %s", secret)
		}
	}
	if !strings.Contains(fx.Snapshot, `"send_email"`) {
		t.Errorf("snapshot lacks the trace's tool call: %s", fx.Snapshot)
	}
	// Promoting the same run again (from another incident too) adds nothing.
	j, _ := inc.Open(ctx, []string{"tr-bad"}, "dup", "sev3", "me")
	res, err = inc.Promote(ctx, j.ID, "support-bot", expect, "oncall", false)
	if err != nil || res.Created || res.Version.Number != 2 {
		t.Fatalf("re-promotion: created %v v%d %v", res.Created, res.Version.Number, err)
	}
}

func TestPromoteNeedsExpectation(t *testing.T) {
	inc, _ := setup(t)
	ctx := context.Background()
	i, _ := inc.Open(ctx, []string{"tr-bad"}, "x", "sev2", "me")
	if _, err := inc.Promote(ctx, i.ID, "support-bot", nil, "me", false); err == nil {
		t.Fatal("promoted without an expectation")
	}
	if _, err := inc.Promote(ctx, "INC-99", "support-bot", map[string]any{"a": 1}, "me", false); err == nil {
		t.Fatal("promoted an unknown incident")
	}
}

func toText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b := new(strings.Builder)
	for k, x := range v.(map[string]any) {
		b.WriteString(k + "=" + toText(x) + ";")
	}
	return b.String()
}
