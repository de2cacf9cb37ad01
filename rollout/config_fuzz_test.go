package rollout_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/evalhouse/evalhouse/rollout"
)

// FuzzParseConfig: a stage gate config (a POST /v1/gates body) parses to a
// config or an error, never both; an accepted one holds only finite,
// non-negative thresholds, rates within [0, 1], a stage among its stages,
// and encodes as JSON (as evidence must).
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile("../examples/rollout/canary.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(stageCfg))
	f.Add([]byte("stage: canary\nstages: [staging, canary]\nchecks: [{metric: error_rate, max: .inf}]\n"))
	f.Add([]byte(`{"stage":"cohort","window":"90m","checks":[{"rule":"r","min_pass_rate":1e308}]}`))
	f.Add([]byte("stage: cohort\ncohort: {percent: .nan}\nchecks: [{metric: false_allow, max: 0}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := rollout.ParseConfig(data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("config %v with error %v", cfg, err)
		}
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted, then invalid: %v", err)
		}
		found := false
		for _, s := range cfg.Stages {
			found = found || s == cfg.Stage
		}
		if !found || cfg.Window <= 0 || cfg.MinRuns < 1 || !(cfg.Alpha > 0 && cfg.Alpha < 0.5) || math.IsNaN(cfg.Cohort.Percent) {
			t.Fatalf("accepted %+v", cfg)
		}
		for _, c := range cfg.Checks {
			for _, v := range []*float64{c.Max, c.Min, c.MaxIncrease, c.MaxIncreaseRatio, c.MaxDecrease, c.MinPassRate, c.MaxDrop} {
				if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
					t.Fatalf("accepted threshold %v in %+v", *v, c)
				}
			}
			for _, v := range []*float64{c.MinPassRate, c.MaxDrop} {
				if v != nil && *v > 1 {
					t.Fatalf("accepted rate %v in %+v", *v, c)
				}
			}
		}
		if _, err := json.Marshal(cfg); err != nil {
			t.Fatalf("accepted config does not encode: %v", err)
		}
	})
}
