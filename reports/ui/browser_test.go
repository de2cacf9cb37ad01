package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/evalhouse/evalhouse/reports"
)

// chromium finds the browser: $CHROMIUM_PATH, else chromium on PATH
// (`make tools`, a step of `make test`, installs Debian's). Missing, the
// test fails in CI ($CI set) and is skipped elsewhere.
func chromium(t *testing.T) string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found in CI: `make tools` installs it (apt-get install chromium), or set CHROMIUM_PATH")
		}
		t.Skip("chromium not found: `make tools` installs it (apt-get install chromium), or set CHROMIUM_PATH")
	}
	return p
}

// artifacts is where screenshots go: $TEST_ARTIFACTS, else a directory
// under the system's temporary one that outlives the test (its path is
// logged).
func artifacts(t *testing.T) string {
	dir := os.Getenv("TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "evalhouse-test-artifacts")
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts headless Chromium; requests lists every URL the page
// asked for.
func browser(t *testing.T) (ctx context.Context, requests func() []string) {
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1200, 1000),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	var mu sync.Mutex
	var urls []string
	bctx, cancelB := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}))
	ctx, cancelT := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), urls...) }
}

// shown is what the browser renders of each section: its title, its
// rows' cells (flag and "(no events)" cells aside), and its charts: how
// many, and the narrowest one's rendered width.
type shown struct {
	Title    string   `json:"title"`
	Rows     []string `json:"rows"`
	Charts   int      `json:"charts"`
	MinWidth float64  `json:"minWidth"`
	Shapes   int      `json:"shapes"`
}

const readSections = `Array.from(document.querySelectorAll("main section")).map(function (s) {
  var svgs = Array.from(s.querySelectorAll("svg.chart"));
  return {
    title: s.querySelector("h2").textContent,
    rows: Array.from(s.querySelectorAll("tbody tr")).filter(function (tr) { return !tr.querySelector("td[colspan]"); }).map(function (tr) {
      return Array.from(tr.querySelectorAll("td")).filter(function (td) { return !td.classList.contains("flag"); }).map(function (td) { return td.textContent; }).join("|");
    }),
    charts: svgs.length,
    minWidth: svgs.length ? Math.min.apply(null, svgs.map(function (g) { return g.getBoundingClientRect().width; })) : 0,
    shapes: s.querySelectorAll("svg.chart rect, svg.chart polyline").length
  };
})`

// check compares what the browser shows with the report's tables.
func check(t *testing.T, where string, got []shown, want *reports.Report) {
	t.Helper()
	if len(got) != len(want.Tables)+len(want.Matrices) {
		t.Fatalf("%s: %d sections shown, want %d", where, len(got), len(want.Tables)+len(want.Matrices))
	}
	for i, tb := range want.Tables {
		g := got[i]
		if g.Title != tb.Title || strings.Join(g.Rows, "\n") != strings.Join(tableCells(tb), "\n") {
			t.Errorf("%s, %s: the browser shows %q\n%s\nthe report has\n%s", where, tb.Title, g.Title, strings.Join(g.Rows, "\n"), strings.Join(tableCells(tb), "\n"))
		}
		if reports.ChartKind(tb) != "" && (g.Charts == 0 || g.MinWidth < 100 || g.Shapes == 0) {
			t.Errorf("%s, %s: charts %d (narrowest %.0f px, %d shapes): the SVG did not render", where, tb.Title, g.Charts, g.MinWidth, g.Shapes)
		}
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// report.html, opened from disk in headless Chromium, shows the report's
// numbers and draws its charts, and asks the network for nothing.
func TestBrowserOpensReportHTMLOffline(t *testing.T) {
	ctx, requests := browser(t)
	conn, q := fixture(t)
	o, err := reports.Params{Since: q.Get("since"), Until: q.Get("until")}.Options(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cost", "policy"} {
		r, err := reports.Build(context.Background(), conn, name, o)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), name+".html")
		f, _ := os.Create(file)
		if err := reports.WriteHTML(f, r); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]shown](readSections))
		if err != nil {
			t.Fatal(err)
		}
		check(t, name+".html", got, r)
		data, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("report-data").textContent`))
		var back reports.Report
		if err != nil || json.Unmarshal([]byte(data), &back) != nil || back.Name != name || len(back.Tables) != len(r.Tables) {
			t.Errorf("%s: the report's JSON inside does not read back: %v", name, err)
		}
		screenshot(t, ctx, name+"-html.png")
	}
	for _, u := range requests() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("report.html asked for %s", u)
		}
	}
}

// A live page on serve's handler loads each table by its own request and
// shows the numbers its JSON (the CLI's --format json) holds.
func TestBrowserLivePageShowsTheJSONNumbers(t *testing.T) {
	ctx, requests := browser(t)
	conn, q := fixture(t)
	srv := httptest.NewServer(New(conn, Config{}))
	defer srv.Close()
	for _, name := range []string{"cost", "policy"} {
		resp, err := http.Get(srv.URL + "/ui/report/" + name + ".json?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var want reports.Report
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s.json: %v\n%s", name, err, b)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/ui/report/"+name+"?"+q.Encode())); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("section[data-src], section[data-failed]").length === 0`,
			chromedp.WithPollingTimeout(time.Minute))); err != nil {
			failed, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
			t.Fatalf("%s: the parts did not all load: %v\n%s", name, err, failed)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]shown](readSections))
		if err != nil {
			t.Fatal(err)
		}
		check(t, "/ui/report/"+name, got, &want)
		screenshot(t, ctx, name+"-live.png")
	}
	parts := 0
	for _, u := range requests() {
		if strings.Contains(u, "/part/") {
			parts++
		}
		if !strings.HasPrefix(u, srv.URL) {
			t.Errorf("the live page asked for %s", u)
		}
	}
	if parts < 6+5 {
		t.Errorf("the pages fetched %d parts, want one request per table (11)", parts)
	}
}
