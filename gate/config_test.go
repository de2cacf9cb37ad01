package gate_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/gate"
)

// expectedErrors reads a fixture's "# error: …" header lines: each is a
// fragment its load error must contain.
func expectedErrors(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(b), "\n") {
		if frag, ok := strings.CutPrefix(line, "# error: "); ok {
			want = append(want, strings.TrimSpace(frag))
		}
	}
	return want
}

// TestBadConfigFixtures is the expected-error table for testdata/*.bad.yaml,
// in the manner of Prometheus's rule-file fixtures: every fixture must fail
// to load, the error must name the file, and every "# error:" line of the
// fixture must appear in it.
func TestBadConfigFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) < 20 {
		t.Fatalf("%d fixtures in testdata", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := expectedErrors(t, f)
			if len(want) == 0 {
				t.Fatal(`fixture has no "# error: …" line saying what it must fail with`)
			}
			cfg, err := gate.LoadConfig(f)
			if err == nil || cfg != nil {
				t.Fatalf("loaded: cfg=%+v err=%v", cfg, err)
			}
			if !strings.HasPrefix(err.Error(), "gate: "+f+": ") {
				t.Errorf("error does not name the file: %v", err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// The forms the fixtures refuse have valid neighbours: the example gate,
// change_types.default, "*", and JSON.
func TestGoodConfigs(t *testing.T) {
	if _, err := gate.LoadConfig("../examples/gate.yaml"); err != nil {
		t.Fatalf("examples/gate.yaml: %v", err)
	}
	for _, y := range []string{
		baseCfg + "  default: [\"*\"]\n",
		"dataset: sb@v1\nchecks: [{rule: a, min_pass_rate: 0}, {rule: b, min_pass_rate: 1}, {metric: error_rate, min: 0, max: 1}]\nchange_types: {memory: [], default: [a]}",
		"dataset: sb@v1\nchecks: [{rule: a, max_failures: 0}]\nbaseline: {release: r, max_drop: 1}\n---\n",
		`{"dataset": "sb@latest", "checks": [{"metric": "cost_usd_p95", "max": 0.08}]}`,
	} {
		_, err := gate.ParseConfig([]byte(y))
		if strings.HasSuffix(y, "---\n") {
			if err == nil {
				t.Errorf("a trailing --- document was accepted:\n%s", y)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v:\n%s", err, y)
		}
	}
}

// FuzzParseConfig: no input panics the parser; it returns a config or an
// error, never both; and an accepted config holds only finite thresholds,
// rates within [0, 1], and encodes as JSON (as evidence must).
func FuzzParseConfig(f *testing.F) {
	for _, pat := range []string{"testdata/*.bad.yaml", "../examples/gate.yaml"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(baseCfg))
	f.Add([]byte(baseCfg + "baseline: {release: \"2.3.1\", max_drop: 0.02}\n  default: [\"*\"]\n"))
	f.Add([]byte("dataset: sb@v1\nchecks:\n  - &c {rule: a, min_pass_rate: 0.5}\n  - *c\n"))
	f.Add([]byte(`{"dataset":"sb@v1","checks":[{"metric":"error_rate","max":1e308}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := gate.ParseConfig(data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("config %v with error %v", cfg, err)
		}
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted, then invalid: %v", err)
		}
		finite := func(what string, v *float64, lo, hi float64) {
			if v != nil && (math.IsNaN(*v) || *v < lo || *v > hi) {
				t.Fatalf("accepted %s %v", what, *v)
			}
		}
		for _, c := range cfg.Checks {
			finite("min_pass_rate", c.MinPassRate, 0, 1)
			finite("max", c.Max, 0, math.MaxFloat64)
			finite("min", c.Min, 0, math.MaxFloat64)
		}
		if cfg.Baseline != nil {
			finite("max_drop", &cfg.Baseline.MaxDrop, 0, 1)
		}
		if len(cfg.Checks) == 0 || cfg.Dataset == "" {
			t.Fatalf("accepted a config with nothing to check: %+v", cfg)
		}
		if _, err := json.Marshal(cfg); err != nil {
			t.Fatalf("accepted config does not encode: %v", err)
		}
	})
}
