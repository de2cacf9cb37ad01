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
	// Name is "two-proportion z (Wald, one-sided, margin)" or
	// "Mann-Whitney U (one-sided, normal approximation, ties and
	// continuity corrected, baseline scaled by 1+margin)".
	Name  string  `json:"name"`
	Alpha float64 `json:"alpha"`
	// Margin is the change the check allows (max_increase,
	// max_decrease, max_drop or max_increase_ratio).
	Margin     float64 `json:"margin"`
	MinSamples int     `json:"min_samples"`
	N          int     `json:"n"`          // the release's samples
	NBaseline  int     `json:"n_baseline"` // the baseline's
	// Statistic is z for proportions, U (the release's) for Mann-Whitney;
	// Z is the standardized statistic either way.
	Statistic float64 `json:"statistic"`
	Z         float64 `json:"z"`
	PValue    float64 `json:"p_value"`
	// Significant: PValue < Alpha, the release worse by more than Margin.
	Significant bool `json:"significant"`
}

const (
	testProportions = "two-proportion z (Wald, one-sided, margin)"
	testMannWhitney = "Mann-Whitney U (one-sided, normal approximation, ties and continuity corrected, baseline scaled by 1+margin)"
)

// upperTail is P(Z > z) for a standard normal Z.
func upperTail(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// proportionWorse tests H0: p1 - p2 <= margin against H1: p1 - p2 >
// margin, where p1 = x1/n1 is the release's rate and p2 = x2/n2 the
// baseline's, with the unpooled (Wald) standard error. A zero standard
// error (both rates 0 or 1) decides by the difference alone.
func proportionWorse(x1, n1, x2, n2 int, margin, alpha float64, min int) Test {
	t := Test{Name: testProportions, Alpha: alpha, Margin: margin, MinSamples: min, N: n1, NBaseline: n2, PValue: 1}
	if n1 < min || n2 < min || n1 == 0 || n2 == 0 {
		return t
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	d := p1 - p2 - margin
	switch {
	case se == 0 && d > 0:
		t.Z, t.PValue = math.Inf(1), 0
	case se == 0:
		t.Z, t.PValue = 0, 1
	default:
		t.Z = d / se
		t.PValue = upperTail(t.Z)
	}
	t.Statistic = t.Z
	t.Significant = t.PValue < alpha
	return t
}

// mannWhitneyWorse tests whether the release's values are stochastically
// larger than the baseline's scaled by 1+margin: U is the release's
// statistic (pairs where its value is larger, ties counting half), z its
// normal approximation with the tie-corrected variance and a continuity
// correction of 1/2.
func mannWhitneyWorse(release, baseline []float64, margin, alpha float64, min int) Test {
	n1, n2 := len(release), len(baseline)
	t := Test{Name: testMannWhitney, Alpha: alpha, Margin: margin, MinSamples: min, N: n1, NBaseline: n2, PValue: 1}
	if n1 < min || n2 < min || n1 == 0 || n2 == 0 {
		return t
	}
	type obs struct {
		v       float64
		release bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range release {
		all = append(all, obs{v, true})
	}
	for _, v := range baseline {
		all = append(all, obs{v * (1 + margin), false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	var r1, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // ranks i+1..j, averaged
		for k := i; k < j; k++ {
			if all[k].release {
				r1 += rank
			}
		}
		if c := float64(j - i); c > 1 {
			ties += c*c*c - c
		}
		i = j
	}
	f1, f2, n := float64(n1), float64(n2), float64(n1+n2)
	u := r1 - f1*(f1+1)/2
	mean := f1 * f2 / 2
	variance := f1 * f2 / 12 * ((n + 1) - ties/(n*(n-1)))
	t.Statistic = u
	switch {
	case variance <= 0: // every value equal
		t.Z, t.PValue = 0, 1
	default:
		t.Z = (u - mean - 0.5) / math.Sqrt(variance)
		t.PValue = upperTail(t.Z)
	}
	t.Significant = t.PValue < alpha
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
