package rollout

import (
	"math"
	"slices"
)

// The comparisons with the baseline: each a one-sided test of whether the
// release is worse than the baseline by more than the check allows, at
// the config's alpha, run only when both sides have at least min_runs
// samples. Evidence names the test and every figure it used.

// Test is one comparison's method and result.
type Test struct {
	// Name is testProportions or testExceedance.
	Name  string  `json:"name"`
	Alpha float64 `json:"alpha"`
	// Margin is the change the check allows (max_increase,
	// max_decrease, max_drop or max_increase_ratio).
	Margin     float64 `json:"margin"`
	MinSamples int     `json:"min_samples"`
	N          int     `json:"n"`          // the release's samples
	NBaseline  int     `json:"n_baseline"` // the baseline's
	// X and XBaseline are the counts compared: the events counted (errors,
	// denials, …) or, for a p95, the runs above the bound.
	X         int `json:"x"`
	XBaseline int `json:"x_baseline"`
	// Bound is, for a p95, the release's runs' bound: the baseline's p95
	// × (1 + margin).
	Bound *float64 `json:"bound,omitempty"`
	// Z is the standardized difference; PValue its upper tail.
	Z      float64 `json:"z"`
	PValue float64 `json:"p_value"`
	// Significant: PValue < Alpha, the release worse by more than Margin.
	Significant bool `json:"significant"`
}

const (
	testProportions = "two-proportion z (Agresti-Caffo, one-sided, margin)"
	testExceedance  = "p95 exceedance: two-proportion z (Agresti-Caffo, one-sided) of the release's runs above the baseline's p95 × (1+margin) against the baseline's runs above its p95"
)

// upperTail is P(Z > z) for a standard normal Z.
func upperTail(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// proportionWorse tests H0: p1 - p2 <= margin against H1: p1 - p2 >
// margin, where p1 = x1/n1 is the release's rate and p2 = x2/n2 the
// baseline's, with Agresti and Caffo's adjustment: one success and one
// failure added to each side (p̃ = (x+1)/(n+2)) before the unpooled
// standard error is taken. The adjustment keeps the test honest where
// the plain Wald test is not: at rates near 0 or 1, as a baseline with no
// errors has (Wald's standard error is then too small, and 3 errors in 30
// against 0 in 30 would breach at 0.05; Fisher's exact p is 0.12), and the
// standard error is never 0, so z is always finite.
func proportionWorse(x1, n1, x2, n2 int, margin, alpha float64, min int) Test {
	t := Test{Name: testProportions, Alpha: alpha, Margin: margin, MinSamples: min, N: n1, NBaseline: n2, X: x1, XBaseline: x2, PValue: 1}
	if n1 < min || n2 < min || n1 == 0 || n2 == 0 {
		return t
	}
	p1, p2 := float64(x1+1)/float64(n1+2), float64(x2+1)/float64(n2+2)
	se := math.Sqrt(p1*(1-p1)/float64(n1+2) + p2*(1-p2)/float64(n2+2))
	t.Z = (p1 - p2 - margin) / se
	t.PValue = upperTail(t.Z)
	t.Significant = t.PValue < alpha
	return t
}

// exceedanceWorse tests whether the release's p95 is above the
// baseline's × (1 + margin): if it is not, at most 5% of the release's
// runs lie above that bound, as about 5% of the baseline's lie above its
// own p95. So it compares those two shares with proportionWorse (margin
// 0). A test of the shares beyond the tail's bound, not of the whole
// distribution, so a regression of the slowest or costliest runs alone is
// found while the median stays put.
func exceedanceWorse(release, baseline []float64, margin, alpha float64, min int) Test {
	b95 := quantile(baseline, 0.95)
	bound := b95 * (1 + margin)
	x1, x2 := 0, 0
	for _, v := range release {
		if v > bound {
			x1++
		}
	}
	for _, v := range baseline {
		if v > b95 {
			x2++
		}
	}
	t := proportionWorse(x1, len(release), x2, len(baseline), 0, alpha, min)
	t.Name, t.Margin, t.Bound = testExceedance, margin, &bound
	return t
}

// quantile is the q-quantile of vs by linear interpolation between the
// closest ranks (ClickHouse's quantileExactInclusive); 0 for none.
func quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}
