package pricing

import (
	"strings"
	"testing"
)

func TestDefaultLoads(t *testing.T) {
	tb := Default()
	if got, want := tb.Version(), "2026-11-01"; got != want {
		t.Errorf("Version() = %q, want %q", got, want)
	}
	for _, m := range []string{
		"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini",
		"claude-sonnet-4", "claude-3-5-haiku", "claude-opus-4",
		"gemini-2.5-pro", "gemini-2.5-flash", "text-embedding-3-small",
	} {
		p, ok := tb.Lookup(m)
		if !ok || p.Key != m {
			t.Errorf("Lookup(%q) = %+v, %v; want exact entry", m, p, ok)
		}
		if p.InputUSDPerMTok <= 0 {
			t.Errorf("%s: input price %v, want > 0", m, p.InputUSDPerMTok)
		}
	}
	if Default() != tb {
		t.Error("Default() returned a different table on the second call")
	}
}

func TestCostExact(t *testing.T) {
	tb := Default()
	tests := []struct {
		model   string
		in, out int64
		want    float64
	}{
		{"gpt-4o", 1000, 500, 0.0075}, // 2.50 and 10.00 per Mtok
		{"gpt-4o-2024-08-06", 1_000_000, 1_000_000, 12.5},
		{"gpt-4o-mini", 1234, 567, 0.0005253}, // 0.15, 0.60
		{"gpt-4o-mini-2024-07-18", 1_000_000, 0, 0.15},
		{"gpt-4.1", 10_000, 2_000, 0.036}, // 2.00, 8.00
		{"gpt-4.1-mini-2025-04-14", 10_000, 2_000, 0.0072},
		{"gpt-4.1-nano", 10_000, 2_000, 0.0018}, // not captured by gpt-4.1
		{"o3", 3, 7, 0.000062},                  // 2.00, 8.00
		{"o3-mini-2025-01-31", 1_000_000, 1_000_000, 5.5},
		{"o4-mini", 2_000, 1_000, 0.0066},                // 1.10, 4.40
		{"claude-sonnet-4-20250514", 12_000, 800, 0.048}, // 3, 15
		{"anthropic/claude-3-5-haiku-20241022", 1_000, 1_000, 0.0048},
		{"claude-opus-4", 1, 1, 0.00009},
		{"Claude-Opus-4-1-20250805", 1000, 0, 0.015},
		{"gemini-2.5-pro", 100_000, 10_000, 0.225}, // 1.25, 10
		{"google/gemini-2.5-flash", 100_000, 10_000, 0.055},
		{"gemini-2.5-flash-lite", 100_000, 10_000, 0.014},
		{"openai/text-embedding-3-small", 50_000, 0, 0.001},
		{"gpt-4o", 0, 0, 0},
	}
	for _, tt := range tests {
		got, ok := tb.Cost(tt.model, tt.in, tt.out)
		if !ok || got != tt.want {
			t.Errorf("Cost(%q, %d, %d) = %v, %v; want %v, true", tt.model, tt.in, tt.out, got, ok, tt.want)
		}
	}
}

func TestCostCached(t *testing.T) {
	tb := Default()
	// gpt-4o: 2.50 input, 1.25 cached, 10 output.
	if got, ok := tb.CostCached("gpt-4o", 1000, 3000, 100); !ok || got != 0.00725 {
		t.Errorf("CostCached gpt-4o = %v, %v; want 0.00725", got, ok)
	}
	// o3-pro has no cached price: cached tokens bill at the input price.
	if got, ok := tb.CostCached("o3-pro", 0, 1000, 0); !ok || got != 0.02 {
		t.Errorf("CostCached o3-pro = %v, %v; want 0.02", got, ok)
	}
	if p, _ := tb.Lookup("o3-pro"); p.CachedInputUSDPerMTok != p.InputUSDPerMTok {
		t.Errorf("o3-pro cached price %v, want input price %v", p.CachedInputUSDPerMTok, p.InputUSDPerMTok)
	}
}

func TestCostUnknownOrBad(t *testing.T) {
	tb := Default()
	for _, m := range []string{"", "llama-3-70b", "gpt-4", "gpt-4.5-preview", "o3x", "gpt-4omni", "openai/"} {
		if got, ok := tb.Cost(m, 10, 10); ok {
			t.Errorf("Cost(%q) = %v, true; want not found", m, got)
		}
	}
	if _, ok := tb.Cost("gpt-4o", -1, 0); ok {
		t.Error("Cost with negative tokens: ok, want not ok")
	}
}

func TestCostHugeCountsStayFinite(t *testing.T) {
	got, ok := Default().Cost("claude-opus-4", 1<<62, 1<<62)
	if !ok || got <= 0 || got > 1e30 {
		t.Errorf("Cost(huge) = %v, %v", got, ok)
	}
}

func TestLookupPrefersLongestPrefix(t *testing.T) {
	tb := Default()
	for name, key := range map[string]string{
		"gpt-4o-2024-08-06":      "gpt-4o",
		"gpt-4o-mini-2024-07-18": "gpt-4o-mini",
		"GPT-4O-MINI":            "gpt-4o-mini",
		" gpt-4.1-mini ":         "gpt-4.1-mini",
		"openrouter/openai/o3":   "o3",
		"o4-mini@2025-04-16":     "o4-mini",
		"claude-sonnet-4:beta":   "claude-sonnet-4",
	} {
		p, ok := tb.Lookup(name)
		if !ok || p.Key != key {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, p.Key, ok, key)
		}
	}
}

func TestLoadErrorsNameKey(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"models: {a: {input_usd_per_mtok: 1, output_usd_per_mtok: 1}}", "version: missing"},
		{"version: 2026-11-01", "models: missing"},
		{"version: nope\nmodels: {}", "version: want a date"},
		{"version: 2026-11-01\nmodels: {}", "models: missing or empty"},
		{"version: 2026-11-01\nprices: {}", "prices: unknown key"},
		{"version: 2026-11-01\nmodels:\n  m1:\n    output_usd_per_mtok: 1", "models.m1.input_usd_per_mtok: missing"},
		{"version: 2026-11-01\nmodels:\n  m1:\n    input_usd_per_mtok: 1", "models.m1.output_usd_per_mtok: missing"},
		{"version: 2026-11-01\nmodels:\n  m1:\n    input_usd_per_mtok: cheap\n    output_usd_per_mtok: 1", "line 4: models.m1.input_usd_per_mtok: want a number"},
		{"version: 2026-11-01\nmodels:\n  m1:\n    input_usd_per_mtok: -1\n    output_usd_per_mtok: 1", "models.m1.input_usd_per_mtok: want a number >= 0"},
		{"version: 2026-11-01\nmodels:\n  m1:\n    input_usd_per_mtok: 0.0000001\n    output_usd_per_mtok: 1", "at most 6 decimals"},
		{"version: 2026-11-01\nmodels:\n  m1:\n    input_usd_per_mtok: 1\n    output_usd_per_mtok: 1\n    batch: 1", "models.m1.batch: unknown key"},
		{"version: 2026-11-01\nmodels:\n  m1: {input_usd_per_mtok: 1, output_usd_per_mtok: 1}\n  M1: {input_usd_per_mtok: 1, output_usd_per_mtok: 1}", "models.M1: duplicate model"},
		{"version: 2026-11-01\nmodels:\n  openai/m1: {input_usd_per_mtok: 1, output_usd_per_mtok: 1}", "models.openai/m1: want a model name"},
		{"version: 2026-11-01\nmodels: [a]", "models: want a mapping"},
		{"- 1", "want a mapping"},
		{"version: [", "pricing: yaml"},
	}
	for _, tt := range tests {
		_, err := Load(strings.NewReader(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q) error = %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}

func TestLoadCustom(t *testing.T) {
	tb, err := Load(strings.NewReader(`
version: "2027-01-15"
models:
  acme-1:
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 3
`))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Version() != "2027-01-15" {
		t.Errorf("Version() = %q", tb.Version())
	}
	if got, ok := tb.Cost("acme-1-large", 1_000_000, 1); !ok || got != 0.000004 {
		t.Errorf("Cost = %v, %v; want 0.000004", got, ok)
	}
}
