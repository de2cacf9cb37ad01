package rollout

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// Two proportions, worked by hand with Agresti and Caffo's adjustment:
// 12 errors in 100 runs against 4 in 100, margin .02: p̃1 = 13/102 =
// .127451, p̃2 = 5/102 = .049020; se = sqrt(.127451·.872549/102 +
// .049020·.950980/102) = .0393357; z = (.127451 - .049020 - .02)/.0393357
// = 1.485456; the upper tail .068712: not significant at .05, at .1 it is.
func TestProportionWorseByHand(t *testing.T) {
	got := proportionWorse(12, 100, 4, 100, 0.02, 0.05, 30)
	if !near(got.Z, 1.485456) || !near(got.PValue, 0.0687116) || got.Significant || got.N != 100 || got.NBaseline != 100 || got.X != 12 || got.XBaseline != 4 {
		t.Errorf("12/100 vs 4/100, margin .02 = %+v", got)
	}
	if got := proportionWorse(12, 100, 4, 100, 0.02, 0.1, 30); !got.Significant {
		t.Errorf("at alpha .1: %+v, want significant", got)
	}
	// 5/100 vs 4/100: p̃ 6/102 and 5/102, z = (.058824 - .049020 - .02)/.0316197 = -.322460.
	if got := proportionWorse(5, 100, 4, 100, 0.02, 0.05, 30); !near(got.Z, -0.3224599) || !near(got.PValue, 0.6264478) || got.Significant {
		t.Errorf("5/100 vs 4/100 = %+v", got)
	}
	// 3 errors in 30 against none in 30, margin 0: Wald's z would be 1.83
	// (p .034, a breach); adjusted, p̃ 4/32 and 1/32, se .0660607, z =
	// .09375/.0660607 = 1.419150, p .077928 (Fisher's exact p is .119).
	if got := proportionWorse(3, 30, 0, 30, 0, 0.05, 30); !near(got.Z, 1.41915) || !near(got.PValue, 0.0779277) || got.Significant {
		t.Errorf("3/30 vs 0/30 = %+v", got)
	}
	// Too few samples: no test, never significant.
	if got := proportionWorse(9, 10, 0, 100, 0, 0.05, 30); got.Significant || got.PValue != 1 {
		t.Errorf("10 runs under a minimum of 30: %+v", got)
	}
	// All or nothing: z stays finite (evidence is JSON), 0/50 vs 0/50 is
	// no change, 50/50 vs 0/50 is certain.
	if got := proportionWorse(0, 50, 0, 50, 0, 0.05, 30); got.Significant || got.Z != 0 {
		t.Errorf("0/50 vs 0/50: %+v", got)
	}
	if got := proportionWorse(50, 50, 0, 50, 0.1, 0.05, 30); !got.Significant || !near(got.Z, 31.987449) || math.IsInf(got.Z, 0) {
		t.Errorf("50/50 vs 0/50: %+v", got)
	}
}

// The p95 exceedance test, worked by hand: baseline runs valued 1..60
// (p95 = 57.05), the release the same but its slowest 12 runs tripled
// (49·3 … 60·3): the median stays 30.5, the p95 becomes 171.15. Margin
// .25: bound 57.05·1.25 = 71.3125; 12 of the release's runs lie above it,
// 3 of the baseline's (58, 59, 60) above its p95. p̃ 13/62 = .209677 and
// 4/62 = .064516, se = .0603840, z = .145161/.0603840 = 2.403967, p =
// .008109: a tail regression a test of the whole distribution misses.
func TestExceedanceWorseByHand(t *testing.T) {
	var base, rel []float64
	for i := 1; i <= 60; i++ {
		base = append(base, float64(i))
		if i >= 49 {
			rel = append(rel, float64(3*i))
		} else {
			rel = append(rel, float64(i))
		}
	}
	got := exceedanceWorse(rel, base, 0.25, 0.05, 30)
	if got.X != 12 || got.XBaseline != 3 || !near(*got.Bound, 71.3125) || !near(got.Z, 2.403967) || !near(got.PValue, 0.0081091) || !got.Significant || got.Margin != 0.25 {
		t.Errorf("tail regression = %+v (bound %v)", got, *got.Bound)
	}
	if q := quantile(rel, 0.5); q != 30.5 {
		t.Errorf("release median %v, want unchanged 30.5", q)
	}
	// The same runs: nothing beyond the bound, z = (1/62 - 4/62)/se < 0.
	if got := exceedanceWorse(base, base, 0.25, 0.05, 30); got.X != 0 || got.Significant {
		t.Errorf("no change = %+v", got)
	}
	if got := exceedanceWorse(rel[:10], base, 0.25, 0.05, 30); got.Significant || got.PValue != 1 {
		t.Errorf("10 runs under a minimum of 30: %+v", got)
	}
}

func TestQuantileInterpolates(t *testing.T) {
	// 0.95·(5-1) = 3.8: between 40 and 50, at .8.
	if got := quantile([]float64{50, 10, 30, 20, 40}, 0.95); !near(got, 48) {
		t.Errorf("p95 = %v, want 48", got)
	}
	if quantile(nil, 0.95) != 0 || quantile([]float64{7}, 0.95) != 7 {
		t.Error("p95 of none or one")
	}
}
