// Package pricing is evalhouse's versioned model price table: it turns a
// model name and token counts into a cost in US dollars.
//
// The default table is embedded from prices.yaml. A table maps model names
// or name prefixes to per-million-token prices; Version identifies the
// table so that every computed cost can say which prices it used.
package pricing

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed prices.yaml
var defaultYAML []byte

// micro is the fixed-point scale of stored prices: a price of 1 USD/Mtok
// is stored as 1e6, so a stored price times a token count is an exact
// integer count of 1e-12 USD.
const micro = 1e6

// Price is one entry of a table, in USD per million tokens.
type Price struct {
	Key                   string  // the table key, lower case
	InputUSDPerMTok       float64 // uncached input tokens
	OutputUSDPerMTok      float64 // output tokens
	CachedInputUSDPerMTok float64 // cached input tokens; equals InputUSDPerMTok when the table gives none
}

type entry struct {
	key                 string
	input, output, cach int64 // micro-USD per Mtok
}

// Table is an immutable, versioned model price table, safe for concurrent
// use.
type Table struct {
	version string
	exact   map[string]*entry
	byLen   []*entry // longest key first, then alphabetical
}

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Load(bytes.NewReader(defaultYAML))
	if err != nil {
		panic("pricing: embedded prices.yaml: " + err.Error())
	}
	return t
})

// Default returns the table embedded from prices.yaml.
func Default() *Table { return defaultTable() }

// Version returns the table's version, an ISO date such as "2026-11-01".
func (t *Table) Version() string { return t.version }

// Lookup finds the entry that prices model. The name is matched
// case-insensitively after surrounding space and any provider path (all
// up to the last '/', as in "openai/gpt-4o") are removed. An exact key
// wins; otherwise the longest key that is a prefix of the name and is
// followed in it by '-', ':' or '@' (so "gpt-4o-2024-08-06" matches gpt-4o
// and "gpt-4o-mini-2024-07-18" matches gpt-4o-mini, but "gpt-4.5" does not
// match a "gpt-4" key).
func (t *Table) Lookup(model string) (Price, bool) {
	e := t.find(model)
	if e == nil {
		return Price{}, false
	}
	return Price{
		Key:                   e.key,
		InputUSDPerMTok:       float64(e.input) / micro,
		OutputUSDPerMTok:      float64(e.output) / micro,
		CachedInputUSDPerMTok: float64(e.cach) / micro,
	}, true
}

func (t *Table) find(model string) *entry {
	name := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return nil
	}
	if e, ok := t.exact[name]; ok {
		return e
	}
	for _, e := range t.byLen {
		if len(name) > len(e.key) && strings.HasPrefix(name, e.key) {
			switch name[len(e.key)] {
			case '-', ':', '@':
				return e
			}
		}
	}
	return nil
}

// Cost returns the cost in USD of a call to model with the given token
// counts, and whether the table prices model. Negative counts give
// ok=false. The result is the correctly rounded float64 of the exact
// decimal cost whenever that cost is below about 9000 USD; above, it is
// computed in floating point.
func (t *Table) Cost(model string, inputTokens, outputTokens int64) (usd float64, ok bool) {
	return t.CostCached(model, inputTokens, 0, outputTokens)
}

// CostCached is Cost with prompt caching: inputTokens are the uncached
// input tokens, billed at the input price, and cachedInputTokens are billed
// at the cached-input price (the input price when the entry has none).
// Callers whose provider reports cached tokens inside the input count
// subtract them first.
func (t *Table) CostCached(model string, inputTokens, cachedInputTokens, outputTokens int64) (usd float64, ok bool) {
	e := t.find(model)
	if e == nil || inputTokens < 0 || cachedInputTokens < 0 || outputTokens < 0 {
		return 0, false
	}
	// Exact integer arithmetic in units of 1e-12 USD while it cannot
	// overflow; prices are at most 1e6 USD/Mtok, i.e. 1e12 micro.
	const limit = 1 << 53
	terms := [3][2]int64{{inputTokens, e.input}, {cachedInputTokens, e.cach}, {outputTokens, e.output}}
	var sum int64
	exact := true
	for _, tp := range terms {
		if tp[1] != 0 && tp[0] > (limit-sum)/tp[1] {
			exact = false
			break
		}
		sum += tp[0] * tp[1]
	}
	if exact {
		return float64(sum) / 1e12, true
	}
	var f float64
	for _, tp := range terms {
		f += float64(tp[0]) * float64(tp[1])
	}
	return f / 1e12, true
}

// Load reads a price table in the YAML form of prices.yaml:
//
//	version: "2026-11-01"          # required, YYYY-MM-DD
//	models:                        # required, at least one entry
//	  gpt-4o:                      # model name or prefix, unique ignoring case
//	    input_usd_per_mtok: 2.50   # required
//	    output_usd_per_mtok: 10.00 # required
//	    cached_input_usd_per_mtok: 1.25 # optional
//
// Prices are numbers >= 0 and <= 1,000,000 with at most 6 decimals. Unknown
// keys are errors. Errors name the offending YAML key and its line.
func Load(r io.Reader) (*Table, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("pricing: want a mapping with keys version and models")
	}
	t := &Table{exact: map[string]*entry{}}
	var haveVersion, haveModels bool
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if (k.Value == "version" && haveVersion) || (k.Value == "models" && haveModels) {
			return nil, keyErr(k, k.Value, "duplicate key")
		}
		switch k.Value {
		case "version":
			haveVersion = true
			if v.Kind != yaml.ScalarNode || v.Tag != "!!str" && v.Tag != "!!timestamp" {
				return nil, keyErr(k, "version", "want a date string such as \"2026-11-01\"")
			}
			if _, err := time.Parse(time.DateOnly, v.Value); err != nil {
				return nil, keyErr(k, "version", "want a date string such as \"2026-11-01\"")
			}
			t.version = v.Value
		case "models":
			haveModels = true
			if err := t.loadModels(k, v); err != nil {
				return nil, err
			}
		default:
			return nil, keyErr(k, k.Value, "unknown key, want version or models")
		}
	}
	switch {
	case !haveVersion:
		return nil, fmt.Errorf("pricing: version: missing")
	case !haveModels || len(t.exact) == 0:
		return nil, fmt.Errorf("pricing: models: missing or empty")
	}
	for _, e := range t.exact {
		t.byLen = append(t.byLen, e)
	}
	slices.SortFunc(t.byLen, func(a, b *entry) int {
		if len(a.key) != len(b.key) {
			return len(b.key) - len(a.key)
		}
		return strings.Compare(a.key, b.key)
	})
	return t, nil
}

func (t *Table) loadModels(k, v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return keyErr(k, "models", "want a mapping from model name to prices")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		mk, mv := v.Content[i], v.Content[i+1]
		name := strings.ToLower(strings.TrimSpace(mk.Value))
		path := "models." + mk.Value
		if name == "" || strings.ContainsRune(name, '/') {
			return keyErr(mk, path, "want a model name without '/'")
		}
		if _, dup := t.exact[name]; dup {
			return keyErr(mk, path, "duplicate model (names ignore case)")
		}
		if mv.Kind != yaml.MappingNode {
			return keyErr(mk, path, "want a mapping of prices")
		}
		e := &entry{key: name, cach: -1}
		var haveIn, haveOut bool
		for j := 0; j+1 < len(mv.Content); j += 2 {
			pk, pv := mv.Content[j], mv.Content[j+1]
			p := path + "." + pk.Value
			var dst *int64
			switch pk.Value {
			case "input_usd_per_mtok":
				dst, haveIn = &e.input, true
			case "output_usd_per_mtok":
				dst, haveOut = &e.output, true
			case "cached_input_usd_per_mtok":
				dst = &e.cach
			default:
				return keyErr(pk, p, "unknown key, want input_usd_per_mtok, output_usd_per_mtok or cached_input_usd_per_mtok")
			}
			n, err := microPrice(pv)
			if err != nil {
				return keyErr(pk, p, err.Error())
			}
			*dst = n
		}
		switch {
		case !haveIn:
			return keyErr(mk, path+".input_usd_per_mtok", "missing")
		case !haveOut:
			return keyErr(mk, path+".output_usd_per_mtok", "missing")
		}
		if e.cach < 0 {
			e.cach = e.input
		}
		t.exact[name] = e
	}
	return nil
}

// microPrice converts a YAML price to micro-USD per Mtok.
func microPrice(v *yaml.Node) (int64, error) {
	bad := fmt.Errorf("want a number >= 0 and <= 1000000 with at most 6 decimals")
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" && v.Tag != "!!float" {
		return 0, bad
	}
	var f float64
	if err := v.Decode(&f); err != nil || !(f >= 0 && f <= 1e6) {
		return 0, bad
	}
	n := math.Round(f * micro)
	if math.Abs(n-f*micro) > 1e-3 {
		return 0, bad
	}
	return int64(n), nil
}

func keyErr(k *yaml.Node, path, msg string) error {
	return fmt.Errorf("pricing: line %d: %s: %s", k.Line, path, msg)
}
