package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/releases"
)

// releaseEvents is release 7.0's traffic, stamped relative to now: acme in
// staging, acme and globex in production, two models and prompt versions,
// tool refund at schema version 2 (an attribute), two policy versions.
func releaseEvents(now time.Time) string {
	var b strings.Builder
	n := 0
	ev := func(tenant, env, kind string, ago time.Duration, extra string) {
		n++
		fmt.Fprintf(&b, `{"kind":%q,"event_id":"rel-%d","trace_id":"tr-%s-%s","span_id":"sp%d","run_id":"run-%s-%s","tenant":%q,"environment":%q,"release":"7.0","ts":%q,"duration_ms":5,"status":"ok"%s}`+"\n",
			kind, n, tenant, env, n, tenant, env, tenant, env, now.Add(-ago).Format(time.RFC3339Nano), extra)
	}
	for _, r := range []struct{ tenant, env, model, prompt, policy string }{
		{"acme", "staging", "gpt-4o-mini", "support@v15", "refund@6"},
		{"acme", "production", "gpt-4o-mini", "support@v15", "refund@7"},
		{"globex", "production", "gpt-4o", "support@v16", "refund@7"},
	} {
		ev(r.tenant, r.env, "run", 40*time.Minute, `,"actor":"bot","task":"t"`)
		ev(r.tenant, r.env, "model", 39*time.Minute, fmt.Sprintf(`,"model":%q,"prompt_version":%q,"input_ref":"x","output_status":"ok","input_tokens":10,"output_tokens":5,"latency_ms":20`, r.model, r.prompt))
		ev(r.tenant, r.env, "tool", 38*time.Minute, `,"tool":"refund","args":{},"authorization":"allowed","side_effect":"write","idempotency_key":"k","attributes":{"evalhouse.tool.schema_version":"2"}`)
		ev(r.tenant, r.env, "policy", 37*time.Minute, fmt.Sprintf(`,"policy_version":%q,"decision":"allow","reason_code":"ok","enforcement":"enforced"`, r.policy))
	}
	return b.String()
}

// release show lists what the events say release 7.0 ran with; release
// record stores stage transitions (an unknown stage exits 2 naming the
// list, --stages admits a rollout's own names, a cohort is tenants or a
// percentage), release log lists them in order, and serve's GET
// /v1/releases/7.0 answers what release show --format json prints, to a
// key that reads and no other; a tenant-scoped key is refused.
func TestReleaseRecordAndLog(t *testing.T) {
	store, _ := storeFlag(t)
	now := time.Now().UTC()
	if out, code := run(t, strings.NewReader(releaseEvents(now)), store, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	out, code := run(t, nil, store, "release", "show", "7.0")
	if code != 0 {
		t.Fatalf("release show: exit %d\n%s", code, out)
	}
	for _, want := range []string{"gpt-4o-mini", "gpt-4o ", "support@v15", "support@v16", "refund@6", "refund@7", "production", "globex", "stages: none recorded"} {
		if !strings.Contains(out, want) {
			t.Errorf("release show lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^  refund\s+3\s.*\s2$`).MatchString(out) {
		t.Errorf("release show: tool refund with its 3 events and schema version 2 missing:\n%s", out)
	}
	if out, code := run(t, nil, store, "release", "show", "7.1"); code != exitInvalid || !strings.Contains(out, "knows nothing of release 7.1") {
		t.Errorf("unknown release: exit %d\n%s", code, out)
	}

	record := func(args ...string) (string, int) {
		t.Helper()
		return run(t, nil, append([]string{store, "release", "record", "7.0", "--owner", "ana", "--rollback-owner", "bo", "--by", "ci"}, args...)...)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--stage", "canary"}, `--stage "canary": not one of the stages (local, staging, internal, cohort, expanded, full)`},
		{[]string{"--stage", "cohort", "--tenants", "acme", "--percent", "5"}, "--tenants and --percent: name tenants or a percentage, not both"},
		{[]string{"--stage", "cohort", "--percent", "150"}, `--percent "150": a percentage of traffic, from 0 to 100`},
		{[]string{"--stage", "x", "--stages", "a,A"}, `--stages "A"`},
		{[]string{"--stage", "cohort", "--rollback-owner", ""}, "--rollback-owner: required"},
	} {
		if out, code := record(c.args...); code != exitUsage || !strings.Contains(out, c.says) {
			t.Errorf("record %v: exit %d, want 2 saying %q\n%s", c.args, code, c.says, out)
		}
	}
	for _, args := range [][]string{
		{"--stage", "staging", "--environment", "staging"},
		{"--stage", "cohort", "--environment", "production", "--tenants", "acme,globex", "--note", "refund tool v2"},
		{"--stages", "local,staging,canary,full", "--stage", "canary", "--environment", "production", "--percent", "5"},
	} {
		if out, code := record(args...); code != 0 || !strings.Contains(out, "recorded 7.0: stage") {
			t.Fatalf("record %v: exit %d\n%s", args, code, out)
		}
	}
	// Typed texts are redacted before they are stored or printed.
	secret := "N5VqXhc3ivRIAVF4jCDMi9xE"
	if out, code := run(t, nil, store, "release", "record", "7.8", "--stage", "local", "--owner", "a", "--rollback-owner", "b",
		"--note", "STRIPE_KEY="+secret, "--format", "json"); code != 0 || strings.Contains(out, secret) || !strings.Contains(out, "[REDACTED:credential]") {
		t.Errorf("record with a secret in --note: exit %d\n%s", code, out)
	}
	if out, _ := run(t, nil, store, "release", "log", "7.8"); strings.Contains(out, secret) || !strings.Contains(out, "[REDACTED:credential]") {
		t.Errorf("release log shows the secret:\n%s", out)
	}
	if out, code := run(t, nil, store, "release", "record", "7.9", "--stage", "local", "--owner", "a", "--rollback-owner", "b"); code != 0 || !strings.Contains(out, "warning: no events of release 7.9") {
		t.Errorf("record before traffic: exit %d\n%s", code, out)
	}
	out, code = run(t, nil, store, "release", "log", "7.0")
	if code != 0 {
		t.Fatalf("release log: exit %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], " staging ") || !strings.Contains(lines[2], "tenants acme,globex") ||
		!strings.Contains(lines[2], "refund tool v2") || !strings.Contains(lines[3], " canary ") || !strings.Contains(lines[3], "5%") {
		t.Errorf("release log:\n%s", out)
	}
	var log []releases.Stage
	out, _ = run(t, nil, store, "release", "log", "7.0", "--format", "json")
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log) != 3 || log[1].Evidence.Environment != "production" || len(log[1].Evidence.Seen) != 2 {
		t.Errorf("release log --format json: %v\n%s", err, out)
	}
	cli, code := run(t, nil, store, "release", "show", "7.0", "--environment", "production", "--format", "json")
	if code != 0 {
		t.Fatalf("release show --format json: exit %d\n%s", code, cli)
	}

	admin := createKey(t, store, "--role", "admin", "--name", "ops")
	reader := createKey(t, store, "--role", "read", "--name", "deployer")
	scoped := createKey(t, store, "--role", "read", "--tenant", "globex", "--name", "globex-reader")
	ingest := createKey(t, store, "--role", "ingest", "--name", "in")
	lines2, _, _ := background(t, store, "serve", "--listen", "127.0.0.1:0")
	api := lines2.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))
	for _, key := range []string{admin, reader} {
		r := do(t, "GET", api+"/v1/releases/7.0?environment=production", key, nil)
		if r.code != 200 || !sameJSON(t, withoutTakenAt(t, r.body), withoutTakenAt(t, cli)) {
			t.Errorf("GET /v1/releases/7.0: %d, differs from release show --format json:\n%s\nwant\n%s", r.code, r.body, cli)
		}
	}
	for _, c := range []struct {
		key, path string
		code      int
	}{
		{scoped, "/v1/releases/7.0", 403}, {ingest, "/v1/releases/7.0", 403}, {"", "/v1/releases/7.0", 401},
		{reader, "/v1/releases/7.1", 404}, {reader, "/v1/releases/", 400},
	} {
		if r := do(t, "GET", api+c.path, c.key, nil); r.code != c.code || strings.Contains(r.body, "gpt-4o") {
			t.Errorf("GET %s with key %.12q: %d, want %d\n%s", c.path, c.key, r.code, c.code, r.body)
		}
	}
	if r := do(t, "POST", api+"/v1/releases/7.0", admin, []byte("{}")); r.code != 405 {
		t.Errorf("POST /v1/releases/7.0: %d", r.code)
	}
}

// withoutTakenAt drops what differs between two reads of one record: when
// each was taken.
func withoutTakenAt(t *testing.T, s string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	if rec, ok := v["record"].(map[string]any); ok {
		delete(rec, "taken_at")
	}
	b, _ := json.Marshal(v)
	return string(b)
}
