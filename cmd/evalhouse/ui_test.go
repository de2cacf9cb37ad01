package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/reports"
)

// serve's /ui/report/NAME.json gives, byte for byte, what `evalhouse
// report NAME --format json` prints for the same filters; a read key
// confined to a tenant gets that tenant's report whatever it asks for, and
// is refused another tenant's; keys that do not read are refused.
func TestServeUIEqualsReportJSON(t *testing.T) {
	store, _ := storeFlag(t)
	if out, code := run(t, nil, store, "ingest", filepath.Join(examples, "events-2.3.1.ndjson"), filepath.Join(examples, "events-2.4.0.ndjson")); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	// A second tenant, so the scope has something to hide.
	now := time.Now().UTC()
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, `{"kind":"model","model":"gpt-4o","prompt_version":"p","input_ref":"x","output_status":"ok","input_tokens":100,"output_tokens":10,"latency_ms":%d,"cost_usd":0.5,`+
			`"event_id":"gx-%d","trace_id":"gxt%d","span_id":"gxs%d","run_id":"gxr%d","tenant":"globex","environment":"prod","release":"9.9","ts":%q,"duration_ms":5,"status":"ok"}`+"\n",
			100+i, i, i, i, i, now.Add(-time.Duration(90+i)*time.Minute).Format(time.RFC3339Nano))
	}
	if out, code := run(t, strings.NewReader(b.String()), store, "ingest", "-"); code != 0 {
		t.Fatalf("ingest globex: exit %d\n%s", code, out)
	}
	since, until := now.Add(-48*time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)
	cli := func(args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{store, "report", "cost", "--format", "json", "--since", since, "--until", until}, args...)...)
		if code != 0 {
			t.Fatalf("report cost %v: exit %d\n%s", args, code, out)
		}
		return out
	}
	all, byModel, globexOnly := cli(), cli("--by", "model,release"), cli("--tenant", "globex")
	if !strings.Contains(all, `"globex"`) || !strings.Contains(all, `"acme"`) || strings.Contains(globexOnly, `"acme"`) {
		t.Fatalf("the CLI's reports do not tell the tenants apart:\n%s", all)
	}

	admin := createKey(t, store, "--role", "admin", "--name", "ops")
	reader := createKey(t, store, "--role", "read", "--name", "analyst")
	scoped := createKey(t, store, "--role", "read", "--tenant", "globex", "--name", "globex-analyst")
	ingest := createKey(t, store, "--role", "ingest", "--name", "in")
	lines, _, _ := background(t, store, "serve", "--listen", "127.0.0.1:0", "--rules-dir", filepath.Join(exampleRoot, "rules"))
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))
	q := url.Values{"since": {since}, "until": {until}}
	page := func(key, path string, extra url.Values) reply {
		t.Helper()
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		for k, v := range extra {
			qq[k] = v
		}
		return do(t, "GET", api+path+"?"+qq.Encode(), key, nil)
	}
	for _, c := range []struct {
		name, key string
		extra     url.Values
		want      string
	}{
		{"admin", admin, nil, all},
		{"reader", reader, nil, all},
		{"reader by model,release", reader, url.Values{"by": {"model,release"}}, byModel},
		{"globex's key", scoped, nil, globexOnly},
		{"globex's key naming its tenant", scoped, url.Values{"tenant": {"globex"}}, globexOnly},
	} {
		r := page(c.key, "/ui/report/cost.json", c.extra)
		if r.code != 200 || !sameJSON(t, r.body, c.want) {
			t.Errorf("%s: /ui/report/cost.json %d, differs from the CLI's JSON:\n%s\nwant\n%s", c.name, r.code, r.body, c.want)
		}
		if f := page(c.key, "/ui/report/cost", url.Values{"format": {"json"}}); c.extra == nil && !sameJSON(t, f.body, c.want) {
			t.Errorf("%s: ?format=json differs from NAME.json", c.name)
		}
	}
	if r := page(scoped, "/ui/report/cost.json", url.Values{"tenant": {"acme"}}); r.code != 403 || strings.Contains(r.body, "gpt-4o") {
		t.Errorf("globex's key asking for acme: %d %s", r.code, r.body)
	}
	// The page of parts: a scoped key's parts read its tenant too.
	parts, _ := reports.Parts("cost")
	r := page(scoped, "/ui/report/cost/part/"+strconv.Itoa(slices.Index(parts, "Cost by tenant")), nil)
	if r.code != 200 || !strings.Contains(r.body, "globex") || strings.Contains(r.body, "acme") {
		t.Errorf("globex's key, part Cost by tenant: %d\n%s", r.code, r.body)
	}
	for _, c := range []struct {
		key  string
		want int
	}{{"", 401}, {ingest, 403}, {"eh_not-a-key", 401}} {
		for _, p := range []string{"/ui", "/ui/report/cost", "/ui/report/cost.json", "/ui/report/cost/part/0"} {
			if r := page(c.key, p, nil); r.code != c.want || strings.Contains(r.body, "gpt-4o") {
				t.Errorf("%s with key %q: %d, want %d", p, c.key, r.code, c.want)
			}
		}
	}
	if r := page(reader, "/ui/report/cost", nil); r.code != 200 || !strings.Contains(r.hdr.Get("Content-Security-Policy"), "default-src 'none'") || strings.Count(r.body, "data-src=") != len(parts) {
		t.Errorf("the cost page: %d %v\n%s", r.code, r.hdr, r.body)
	}
}

// sameJSON reports whether two JSON documents are equal, their numbers
// within a relative 1e-12: the engine sums floats in no fixed order, so
// two runs of one query may differ in the last bit (3.3262045 and
// 3.3262045000000002), which no format shows (reports.Cell).
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return near(x, y)
}

func near(x, y any) bool {
	switch x := x.(type) {
	case float64:
		y, ok := y.(float64)
		return ok && math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y))
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !near(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := y.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !near(x[k], y[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(x, y)
}
