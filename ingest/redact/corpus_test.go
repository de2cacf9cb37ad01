package redact

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// corpusSecret is one row of testdata/corpus/secrets.tsv: a fake secret of
// a marker type, planted in a text the way agents leak it.
type corpusSecret struct {
	line                    int
	typ, value, place, text string
}

func readCorpus(t testing.TB) []corpusSecret {
	f, err := os.Open("testdata/corpus/secrets.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusSecret
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("secrets.tsv:%d: want TYPE<TAB>VALUE<TAB>PLACE<TAB>TEXT, got %d fields", n, len(f))
		}
		text, err := strconv.Unquote(f[3])
		if err != nil || f[1] == "" || !strings.Contains(text, f[1]) {
			t.Fatalf("secrets.tsv:%d: TEXT must be a quoted string holding VALUE (%v)", n, err)
		}
		out = append(out, corpusSecret{n, f[0], f[1], f[2], text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusRecall redacts every planted secret of the corpus, as a string
// and inside a decoded JSON value, and requires recall = 100%: the value is
// gone and a marker of the row's type is there. It logs a table of recall
// per type (docs/redaction.md).
func TestCorpusRecall(t *testing.T) {
	rows := readCorpus(t)
	if len(rows) < 300 {
		t.Fatalf("corpus has %d secrets, want at least 300", len(rows))
	}
	r := New(DefaultConfig())
	total, found := map[string]int{}, map[string]int{}
	places := map[string]map[string]bool{}
	for _, row := range rows {
		if !slices.Contains(Types(), row.typ) {
			t.Fatalf("secrets.tsv:%d: unknown type %q", row.line, row.typ)
		}
		total[row.typ]++
		if places[row.typ] == nil {
			places[row.typ] = map[string]bool{}
		}
		places[row.typ][row.place] = true
		c := Counts{}
		got := r.String(row.text, c)
		v := map[string]any{"text": row.text}
		r.Value(v, nil)
		ok := !strings.Contains(got, row.value) && strings.Contains(got, Marker(row.typ)) && c[row.typ] > 0 &&
			!strings.Contains(v["text"].(string), row.value)
		if ok {
			found[row.typ]++
		} else {
			t.Errorf("secrets.tsv:%d (%s, %s): secret kept or wrong marker:\n in  %q\n out %q\n counts %v", row.line, row.typ, row.place, row.text, got, c)
		}
		assertFixedPoint(t, r, got)
	}
	var b strings.Builder
	b.WriteString("| type | planted | redacted | recall | places |\n|---|---|---|---|---|\n")
	for _, typ := range Types() {
		if total[typ] == 0 {
			t.Errorf("corpus has no secret of type %s", typ)
			continue
		}
		ps := make([]string, 0, len(places[typ]))
		for p := range places[typ] {
			ps = append(ps, p)
		}
		slices.Sort(ps)
		fmt.Fprintf(&b, "| `%s` | %d | %d | %.0f%% | %s |\n", typ, total[typ], found[typ],
			100*float64(found[typ])/float64(total[typ]), strings.Join(ps, ", "))
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | %.1f%% | |\n", len(rows), sum(found), 100*float64(sum(found))/float64(len(rows)))
	t.Log("\n" + b.String())
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestCorpusBenign redacts at least 10,000 benign values (benignCorpus)
// and requires a false-positive rate (values changed at all) of at most
// 0.5%; it logs the rate per kind of value.
func TestCorpusBenign(t *testing.T) {
	r := New(DefaultConfig())
	vals := benignCorpus()
	if len(vals) < 10000 {
		t.Fatalf("benign corpus has %d values, want at least 10,000", len(vals))
	}
	n, fp := map[string]int{}, map[string]int{}
	kinds := []string{}
	total := 0
	for _, v := range vals {
		if n[v.kind] == 0 {
			kinds = append(kinds, v.kind)
		}
		n[v.kind]++
		c := Counts{}
		if got := r.String(v.text, c); got != v.text {
			fp[v.kind]++
			total++
			if total <= 20 {
				t.Logf("false positive (%s): %q -> %q", v.kind, v.text, got)
			}
		}
	}
	var b strings.Builder
	b.WriteString("| benign kind | values | changed |\n|---|---|---|\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", k, n[k], fp[k])
	}
	rate := float64(total) / float64(len(vals))
	fmt.Fprintf(&b, "| **all** | %d | %d (%.2f%%) |\n", len(vals), total, 100*rate)
	t.Log("\n" + b.String())
	if rate > 0.005 {
		t.Fatalf("false-positive rate %.2f%% > 0.5%%", 100*rate)
	}
}

// TestCorpusFixedPoint runs the FuzzString checks (checkProperties) on
// every text of the corpus and every benign value: one detector pass
// reaches the fixed point, so String runs no second pass, and the
// prefilter hides no match.
func TestCorpusFixedPoint(t *testing.T) {
	rs := []*Redactor{New(DefaultConfig()), New(Config{})}
	for _, row := range readCorpus(t) {
		for _, r := range rs {
			checkProperties(t, r, row.text)
		}
	}
	for _, v := range benignCorpus() {
		for _, r := range rs {
			checkProperties(t, r, v.text)
		}
	}
}
