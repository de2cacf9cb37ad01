package rollout

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// Two proportions, worked by hand: 12 errors in 100 runs against 4 in 100,
// margin 0.02. se = sqrt(.12·.88/100 + .04·.96/100) = sqrt(.001056 +
// .000384) = .0379473; z = (.12 - .04 - .02)/.0379473 = 1.581139; the
// upper tail of z is .056923: not significant at .05, significant at .1.
func TestProportionWorseByHand(t *testing.T) {
	got := proportionWorse(12, 100, 4, 100, 0.02, 0.05, 30)
	if !near(got.Z, 1.5811388) || !near(got.PValue, 0.0569231) || got.Significant || got.N != 100 || got.NBaseline != 100 {
		t.Errorf("12/100 vs 4/100, margin .02 = %+v", got)
	}
	if got := proportionWorse(12, 100, 4, 100, 0.02, 0.1, 30); !got.Significant {
		t.Errorf("at alpha .1: %+v, want significant", got)
	}
	// 5/100 vs 4/100: z = (.05-.04-.02)/sqrt(.0475/100+.0384/100) = -.341196.
	if got := proportionWorse(5, 100, 4, 100, 0.02, 0.05, 30); !near(got.Z, -0.3411956) || !near(got.PValue, 0.6335218) || got.Significant {
		t.Errorf("5/100 vs 4/100 = %+v", got)
	}
	// Too few samples: no test, never significant.
	if got := proportionWorse(9, 10, 0, 100, 0, 0.05, 30); got.Significant || got.PValue != 1 {
		t.Errorf("10 runs under a minimum of 30: %+v", got)
	}
	// Zero variance: 0/50 vs 0/50 is no change; 50/50 vs 0/50 is certain.
	if got := proportionWorse(0, 50, 0, 50, 0, 0.05, 30); got.Significant {
		t.Errorf("0/50 vs 0/50: %+v", got)
	}
	if got := proportionWorse(50, 50, 0, 50, 0.1, 0.05, 30); !got.Significant || got.PValue != 0 {
		t.Errorf("50/50 vs 0/50: %+v", got)
	}
}

// Mann-Whitney, worked by hand: release {3,4,5,6}, baseline {1,2,3}.
// Ranks 1 2 3.5 3.5 5 6 7; the release's sum 21.5, U = 21.5 - 4·5/2 =
// 11.5 (pairs it wins: 2.5+3+3+3). Mean 6; one tie of two: variance =
// 4·3/12·(8 - 6/42) = 7.857143; z = (11.5 - 6 - .5)/2.803060 = 1.783765,
// upper tail .037231. With margin .5 the baseline is {1.5,3,4.5}: ranks
// 1 2.5 2.5 4 5 6 7, the release's 19.5, U = 9.5, z = 3/2.803060 = 1.070259,
// p = .142251.
func TestMannWhitneyWorseByHand(t *testing.T) {
	rel, base := []float64{3, 4, 5, 6}, []float64{1, 2, 3}
	got := mannWhitneyWorse(rel, base, 0, 0.05, 3)
	if got.Statistic != 11.5 || !near(got.Z, 1.7837652) || !near(got.PValue, 0.0372309) || !got.Significant {
		t.Errorf("margin 0 = %+v", got)
	}
	got = mannWhitneyWorse(rel, base, 0.5, 0.05, 3)
	if got.Statistic != 9.5 || !near(got.Z, 1.0702591) || !near(got.PValue, 0.1422513) || got.Significant {
		t.Errorf("margin .5 = %+v", got)
	}
	if got := mannWhitneyWorse(rel, base, 0, 0.05, 4); got.Significant || got.PValue != 1 {
		t.Errorf("3 baseline values under a minimum of 4: %+v", got)
	}
	if got := mannWhitneyWorse([]float64{2, 2, 2}, []float64{2, 2, 2}, 0, 0.05, 1); got.Significant || got.Z != 0 {
		t.Errorf("all equal: %+v", got)
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
