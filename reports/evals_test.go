package reports

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// A gate config's checks become pass-rate thresholds: min_pass_rate as it
// is, max_failures N as (cases − N) / cases, the stricter of both; only on
// the dataset (and pinned version) the config judges.
func TestThreshold(t *testing.T) {
	cfg, err := gate.ParseConfig([]byte(`dataset: bot@latest
checks:
  - rule: task
    min_pass_rate: 0.9
  - rule: safe
    max_failures: 2
  - rule: both
    min_pass_rate: 0.5
    max_failures: 1
  - metric: error_rate
    max: 0.1
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dataset string
		version uint32
		rule    string
		cases   int
		want    float64
		check   string
		ok      bool
	}{
		{"bot", 1, "task", 24, 0.9, "min_pass_rate 0.9", true},
		{"bot", 7, "safe", 20, 0.9, "max_failures 2", true}, // (20-2)/20
		{"bot", 1, "safe", 1, 0, "max_failures 2", true},    // more allowed than cases
		{"bot", 1, "both", 4, 0.75, "min_pass_rate 0.5, max_failures 1", true},
		{"bot", 1, "other", 4, 0, "", false},
		{"other", 1, "task", 4, 0, "", false},
		{"", 0, "task", 4, 0, "", false}, // production results
	} {
		got, check, ok := Threshold(cfg, c.dataset, c.version, c.rule, c.cases)
		if got != c.want || check != c.check || ok != c.ok {
			t.Errorf("%s@v%d %s (%d cases) = %v %q %v, want %v %q %v", c.dataset, c.version, c.rule, c.cases, got, check, ok, c.want, c.check, c.ok)
		}
	}
	pinned, err := gate.ParseConfig([]byte("dataset: bot@v2\nchecks:\n  - rule: task\n    min_pass_rate: 0.8\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := Threshold(pinned, "bot", 1, "task", 4); ok {
		t.Error("a config pinned to bot@v2 gave bot@v1 a threshold")
	}
	if th, _, ok := Threshold(pinned, "bot", 2, "task", 4); !ok || th != 0.8 {
		t.Errorf("bot@v2: %v %v", th, ok)
	}
	if _, _, ok := Threshold(nil, "bot", 1, "task", 4); ok {
		t.Error("no config gave a threshold")
	}
}

func TestDelta(t *testing.T) {
	for _, c := range []struct {
		a, b, delta, pct float64
		ok               bool
	}{
		{60, 57, 3, 3.0 / 57, true},
		{0, 4, -4, -1, true},
		{0, 0, 0, 0, true},
		{11, 0, 11, 0, false}, // no relative change from nothing
	} {
		d, pct, ok := Delta(c.a, c.b)
		if d != c.delta || pct != c.pct || ok != c.ok {
			t.Errorf("Delta(%v, %v) = %v %v %v, want %v %v %v", c.a, c.b, d, pct, ok, c.delta, c.pct, c.ok)
		}
	}
}

// The diff compares every metric the six presets show: each metric of
// their sections is in it, percentiles once per kind of event.
func TestDiffCoversThePresets(t *testing.T) {
	got := map[string]bool{}
	for _, m := range diffMetrics() {
		key := m.metric.Name
		if m.metric.Quantile() {
			key += "/" + kindsLabel(m.kinds)
		}
		if got[key] {
			t.Errorf("%s twice", key)
		}
		got[key] = true
	}
	for _, name := range DiffOf {
		i := slices.IndexFunc(presets, func(p preset) bool { return p.name == name })
		if i < 0 {
			t.Fatalf("DiffOf names %s, no preset", name)
		}
		for _, s := range presets[i].sections {
			for _, m := range s.q.Metrics {
				key := m
				if mm, _ := events.MetricNamed(m); mm.Quantile() {
					key += "/" + kindsLabel(s.q.Filter.Kinds)
				}
				if !got[key] {
					t.Errorf("%s's %q shows %s; the diff does not", name, s.title, key)
				}
			}
		}
	}
	if !got["duration_p95/run"] || !got["duration_p95/tool"] {
		t.Error("run and tool durations are not both compared")
	}
}

// Without its releases the diff refuses before it reads anything; the
// evals report of a store with no results says so.
func TestEvalsAndDiffOnAnEmptyStore(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC()
	o := Options{Window: Window{Since: now.Add(-time.Hour), Until: now}}
	if _, err := Build(ctx, nil, "diff", o); !errors.Is(err, ErrDiffRelease) {
		t.Errorf("diff without --release: %v", err)
	}
	o.Filter.Releases = []string{"2.0"}
	if _, err := Build(ctx, nil, "diff", o); !errors.Is(err, ErrDiffAgainst) {
		t.Errorf("diff without --against: %v", err)
	}
	o.Against = "2.0"
	if _, err := Build(ctx, nil, "diff", o); !errors.Is(err, ErrDiffAgainst) {
		t.Errorf("diff against itself: %v", err)
	}

	s := storetest.New(t)
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Build(ctx, s.Conn, "evals", Options{Window: o.Window})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tables) != 4 || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "no eval results") }) {
		t.Fatalf("evals of an empty store: %d tables, notes %q", len(r.Tables), r.Notes)
	}
	for _, tb := range r.Tables {
		if len(tb.Rows) != 0 {
			t.Errorf("%s: %d rows", tb.Title, len(tb.Rows))
		}
	}
	o.Against = "1.0"
	r, err = Build(ctx, s.Conn, "diff", o)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Tables); n != len(diffUnits)+1 {
		t.Errorf("diff of an empty store: %d tables, want %d", n, len(diffUnits)+1)
	}
}
