package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/schema"
)

// evilModel is a model name as an attacker would send it.
const evilModel = `<script>alert(1)</script>`

// fixture is a store with two tenants' runs over the last hours: model
// calls (one model named evilModel), tools and policy decisions.
func fixture(t testing.TB) (driver.Conn, url.Values) {
	t.Helper()
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var b strings.Builder
	models := []string{"gpt-4o", "gpt-4o-mini", evilModel}
	for i := range 60 {
		tenant, release := "acme", "2.4.0"
		if i%3 == 0 {
			tenant, release = "globex", "2.3.1"
		}
		ts := now.Add(-time.Duration(i*7) * time.Minute).Format(time.RFC3339Nano)
		common := fmt.Sprintf(`"trace_id":"t%02d","run_id":"r%02d","tenant":%q,"environment":"prod","release":%q,"ts":%q,"status":"ok"`, i, i, tenant, release, ts)
		fmt.Fprintf(&b, `{"kind":"run","event_id":"e%02d-run","span_id":"s%02d0",%s,"duration_ms":%d,"actor":"bot","task":"t","input":"q","output":"a","stop_reason":"completed"}`+"\n", i, i, common, 900+i)
		fmt.Fprintf(&b, `{"kind":"model","event_id":"e%02d-m","span_id":"s%02d1",%s,"duration_ms":%d,"model":%q,"prompt_version":"p","input_ref":"x","output_status":"ok","input_tokens":%d,"output_tokens":%d,"latency_ms":%d,"cost_usd":%g}`+"\n",
			i, i, common, 300+i, models[i%3], 100+i, 10+i%7, 200+i*3, 0.001*float64(1+i%5))
		decision := []string{"allow", "deny", "require_approval"}[i%3]
		fmt.Fprintf(&b, `{"kind":"policy","event_id":"e%02d-p","span_id":"s%02d2",%s,"duration_ms":1,"policy_version":"refund@7","decision":%q,"reason_code":"r%d","enforcement":"enforced"}`+"\n", i, i, common, decision, i%2)
	}
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadNDJSON(ctx, "fixture", strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	if sum, err := p.Close(ctx); err != nil || sum.Accepted != 180 {
		t.Fatalf("fixture: %+v, %v", sum, err)
	}
	q := url.Values{"since": {now.Add(-24 * time.Hour).Format(time.RFC3339)}, "until": {now.Add(time.Hour).Format(time.RFC3339)}}
	return s.Conn, q
}

// get asks h for path?q as p (no principal when p is nil).
func get(t testing.TB, h http.Handler, p *auth.Principal, path string, q url.Values) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path+"?"+q.Encode(), nil)
	if p != nil {
		req = req.WithContext(auth.WithPrincipal(req.Context(), *p))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

var (
	srcRe = regexp.MustCompile(`data-src="([^"]+)"`)
	trRe  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	tdRe  = regexp.MustCompile(`(?s)<td(?: class="num")?>(.*?)</td>`)
)

// cells are the rows of a fragment's first table body, as text.
var tagRe = regexp.MustCompile(`<[^>]*>`)

func cells(frag string) []string {
	body := frag[strings.Index(frag, "<tbody>"):]
	var rows []string
	for _, tr := range trRe.FindAllStringSubmatch(body, -1) {
		var cs []string
		for _, td := range tdRe.FindAllStringSubmatch(tr[1], -1) {
			cs = append(cs, html.UnescapeString(tagRe.ReplaceAllString(td[1], ""))) // a run's link around its id
		}
		rows = append(rows, strings.Join(cs, "|"))
	}
	return rows
}

func tableCells(tb *reports.Table) []string {
	var rows []string
	for i := range tb.Rows {
		rows = append(rows, strings.Join(tb.Cells(i), "|"))
	}
	return rows
}

// A report's page names a part per table; fetched one by one, the parts
// show the rows Build's tables have, cell for cell, in every report.
func TestPagePartsShowTheReport(t *testing.T) {
	conn, q := fixture(t)
	h := New(conn, Config{})
	p, err := reports.Params{Since: q.Get("since"), Until: q.Get("until")}.Options(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	defer func() {
		if compared < 20 {
			t.Errorf("only %d rows compared: the fixture or the parse is broken", compared)
		}
	}()
	for _, name := range reports.Names() {
		if name == "diff" {
			continue // needs two releases; TestDiffPage
		}
		code, page := get(t, h, nil, "/ui/report/"+name, q)
		if code != 200 {
			t.Fatalf("%s: %d %s", name, code, page)
		}
		want, err := reports.Build(context.Background(), conn, name, p)
		if err != nil {
			t.Fatal(err)
		}
		srcs := srcRe.FindAllStringSubmatch(page, -1)
		parts, _ := reports.Parts(name)
		if len(srcs) != len(parts) {
			t.Fatalf("%s: %d parts on the page, %d in the report", name, len(srcs), len(parts))
		}
		// A part a table, but the last part of a report that adds more
		// than its sections: it holds every table it adds.
		frags := make([]string, len(srcs))
		for i := range srcs {
			u, _ := url.Parse(html.UnescapeString(srcs[i][1]))
			var code int
			if code, frags[i] = get(t, h, nil, u.Path, u.Query()); code != 200 {
				t.Fatalf("%s part %d: %d\n%s", name, i, code, frags[i])
			}
		}
		for i, tb := range want.Tables {
			frag := frags[min(i, len(frags)-1)]
			if !strings.Contains(frag, "<h2>"+html.EscapeString(tb.Title)+"</h2>") {
				t.Fatalf("%s: no part shows %q", name, tb.Title)
			}
			compared += len(tb.Rows)
			got, want := strings.Join(cells(frag), "\n"), strings.Join(tableCells(tb), "\n")
			if i < len(frags)-1 && got != want || !strings.Contains(got, want) {
				t.Errorf("%s, %s: the part shows\n%s\nBuild has\n%s", name, tb.Title, got, want)
			}
		}
	}
}

// A key confined to a tenant reads that tenant only: its parts and its
// JSON hold the other tenant's nothing, naming the other tenant is
// refused, and a key that may not read gets nothing.
func TestTenantScopedKeyReadsItsTenant(t *testing.T) {
	conn, q := fixture(t)
	h := New(conn, Config{})
	globex := &auth.Principal{Name: "gx", Role: auth.RoleRead, Tenant: "globex"}
	code, frag := get(t, h, globex, "/ui/report/cost/part/"+partOf(t, "cost", "Cost by tenant"), q)
	if code != 200 || !strings.Contains(frag, "globex") || strings.Contains(frag, "acme") {
		t.Errorf("globex's Cost by tenant: %d\n%s", code, frag)
	}
	code, js := get(t, h, globex, "/ui/report/policy.json", q)
	if code != 200 || strings.Contains(js, "acme") || strings.Contains(js, "2.4.0") {
		t.Errorf("globex's policy JSON: %d\n%s", code, js)
	}
	qq := url.Values{"tenant": {"acme"}}
	for k, v := range q {
		qq[k] = v
	}
	for _, path := range []string{"/ui/report/cost.json", "/ui/report/cost", "/ui/report/cost/part/0"} {
		if code, body := get(t, h, globex, path, qq); code != 403 || strings.Contains(body, "gpt-4o") {
			t.Errorf("%s?tenant=acme by globex's key: %d %s", path, code, body)
		}
		if code, _ := get(t, h, &auth.Principal{Name: "in", Role: auth.RoleIngest}, path, q); code != 403 {
			t.Errorf("%s by an ingest key: %d", path, code)
		}
	}
}

// Event data shown on a page is escaped: a model named like a script tag
// is text in the table and the chart.
func TestPartsEscapeEventData(t *testing.T) {
	conn, q := fixture(t)
	code, frag := get(t, New(conn, Config{}), nil, "/ui/report/cost/part/0", q) // by model
	if code != 200 || strings.Contains(frag, evilModel) || !strings.Contains(frag, html.EscapeString(evilModel)) {
		t.Errorf("%d: the model name is not escaped\n%s", code, frag)
	}
}

// Bad addresses and filters are answered with what is wrong, naming it.
func TestBadRequests(t *testing.T) {
	conn, q := fixture(t)
	h := New(conn, Config{})
	with := func(k, v string) url.Values {
		c := url.Values{k: {v}}
		for kk, vv := range q {
			if kk != k {
				c[kk] = vv
			}
		}
		return c
	}
	for _, c := range []struct {
		path string
		q    url.Values
		code int
		want string
	}{
		{"/ui/report/nope", q, 404, `unknown report "nope"`},
		{"/ui/report/cost/part/99", q, 404, "no part 99"},
		{"/ui/report/cost/part/x", q, 404, `part "x"`},
		{"/ui/report/cost", with("sinc", "7d"), 400, `parameter "sinc": unknown`},
		{"/ui/report/cost", url.Values{"since": {"1d", "2d"}}, 400, `"since": given 2 times`},
		{"/ui/report/cost", with("since", "soon"), 400, `since "soon"`},
		{"/ui/report/cost", with("top", "-2"), 400, `top "-2"`},
		{"/ui/report/cost", with("format", "pdf"), 400, `format "pdf"`},
		{"/ui/report/cost", with("by", "secret_column"), 400, "by: "},
		{"/ui/nope", q, 404, ""},
	} {
		if code, body := get(t, h, nil, c.path, c.q); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s?%s: %d %q, want %d %q", c.path, c.q.Encode(), code, body, c.code, c.want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/ui/report/cost", nil))
	if rec.Code != 405 {
		t.Errorf("POST: %d", rec.Code)
	}
}

// FuzzParams: any query string is read or refused with the parameter
// named, never a panic; a refused query names what it refuses.
func FuzzParams(f *testing.F) {
	for _, s := range []string{"since=7d&by=model,release", "release=a&release=b,c&attr=k=v", "top=x", "exact=maybe", "since=1d&since=2d", "%zz", "tz=Mars/X&bucket=day", "by=attr.%3Cx%3E"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http would hand the handler the pairs that parse
		}
		p, _, err := parseParams(q)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parameter ") {
				t.Fatalf("%q: %v does not name the parameter", raw, err)
			}
			return
		}
		if _, err := p.Options(now); err != nil && !regexp.MustCompile(`^(since|until|tz|bucket|attr|by|top)\b`).MatchString(err.Error()) {
			t.Fatalf("%q: %v does not name the parameter", raw, err)
		}
	})
}

// partOf is the number of the part of report name titled title.
func partOf(t *testing.T, name, title string) string {
	t.Helper()
	parts, _ := reports.Parts(name)
	i := slices.Index(parts, title)
	if i < 0 {
		t.Fatalf("%s has no part %q: %v", name, title, parts)
	}
	return strconv.Itoa(i)
}

// The diff page takes the two releases as release= and against=, and
// shows what `report diff` shows; without against it is refused, naming
// the parameter.
func TestDiffPage(t *testing.T) {
	conn, q := fixture(t)
	h := New(conn, Config{})
	qq := url.Values{}
	for k, v := range q {
		qq[k] = v
	}
	qq.Set("release", "2.4.0")
	qq.Set("against", "2.3.1")
	code, js := get(t, h, nil, "/ui/report/diff.json", qq)
	p, err := reports.Params{Since: q.Get("since"), Until: q.Get("until"), Releases: []string{"2.4.0"}, Against: "2.3.1"}.Options(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want, err := reports.Build(context.Background(), conn, "diff", p)
	if err != nil {
		t.Fatal(err)
	}
	var got reports.Report
	if code != 200 || json.Unmarshal([]byte(js), &got) != nil || len(got.Tables) != len(want.Tables) || len(got.Tables) == 0 {
		t.Fatalf("diff.json: %d\n%.2000s", code, js)
	}
	for i := range want.Tables {
		if g, w := tableCells(got.Tables[i]), tableCells(want.Tables[i]); strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("diff %s: %v, want %v", want.Tables[i].Title, g, w)
		}
	}
	qq.Del("against")
	if code, body := get(t, h, nil, "/ui/report/diff.json", qq); code != 400 || !strings.Contains(body, "against") {
		t.Errorf("diff without against: %d %s", code, body)
	}
}
