package datasets

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func readFile(t *testing.T, path string) []Case {
	t.Helper()
	cs, err := ReadCases(path)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func mustHash(t *testing.T, cs []Case) string {
	t.Helper()
	h, err := Hash(cs)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReadJSONL(t *testing.T) {
	cs := readFile(t, "testdata/cases.jsonl")
	if len(cs) != 3 {
		t.Fatalf("%d cases, want 3", len(cs))
	}
	r3 := cs[2]
	if r3.CaseID != "r3" || r3.Expected["must_escalate"] != true || r3.Provenance["incident"] != "INC-1042" || !strings.Contains(r3.Snapshot, "run-9") {
		t.Errorf("r3 = %+v", r3)
	}
	if s, ok := cs[1].Input.(string); !ok || s != "Where is ORD-2?" {
		t.Errorf("r2 input = %#v, want the text", cs[1].Input)
	}
}

// Writing and reading back, in either format, keeps the content hash, and
// so does everything that is not content: case order, tag order, key
// order, number spelling.
func TestFileRoundTripKeepsHash(t *testing.T) {
	cs := readFile(t, "testdata/cases.jsonl")
	want := mustHash(t, cs)
	for _, name := range []string{"out.jsonl", "out.ndjson", "out.parquet"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if err := WriteCases(path, cs); err != nil {
				t.Fatal(err)
			}
			back := readFile(t, path)
			if got := mustHash(t, back); got != want {
				t.Fatalf("hash after %s round trip %s, want %s", name, got, want)
			}
			if back[2].Snapshot != cs[2].Snapshot || back[2].Provenance["promoted_by"] != "ana" {
				t.Errorf("provenance or snapshot lost: %+v", back[2])
			}
		})
	}
}

func TestHashIgnoresFormatting(t *testing.T) {
	a := []Case{
		{CaseID: "x", Input: map[string]any{"b": 1, "a": []any{1.0, 2.5}}, Expected: map[string]any{"n": int64(0)}, Tags: []string{"t2", "t1", "t1"}},
		{CaseID: "y", Input: "hi <there> & co"},
	}
	b := []Case{
		{CaseID: "y", Input: "hi <there> & co", Expected: map[string]any{}, Tags: []string{}},
		{CaseID: "x", Input: map[string]any{"a": []any{1, 2.50}, "b": 1.0}, Expected: map[string]any{"n": math.Copysign(0, -1)}, Tags: []string{"t1", "t2"}},
	}
	if ha, hb := mustHash(t, a), mustHash(t, b); ha != hb {
		t.Fatalf("equivalent cases hash %s and %s", ha, hb)
	}
	c := []Case{a[0], {CaseID: "y", Input: "hi <there> & co", ChangeTypes: []string{"prompt"}}}
	if mustHash(t, a) == mustHash(t, c) {
		t.Fatal("change_types do not change the hash")
	}
	d := []Case{a[0], {CaseID: "y", Input: "hi <there> & co", Snapshot: "{}", Provenance: map[string]any{"incident": "INC-1"}}}
	if mustHash(t, a) != mustHash(t, d) {
		t.Fatal("provenance or snapshot change the hash")
	}
	if _, err := Hash([]Case{{CaseID: "x"}, {CaseID: "x"}}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate case ids: %v", err)
	}
}

// A Parquet file another tool wrote, with only the required columns, reads.
func TestParquetWithRequiredColumnsOnly(t *testing.T) {
	type minimal struct {
		CaseID   string `parquet:"case_id"`
		Input    string `parquet:"input"`
		Expected string `parquet:"expected"`
	}
	path := filepath.Join(t.TempDir(), "min.parquet")
	if err := parquet.WriteFile(path, []minimal{{"b", `{"q": 1.0}`, `{"answer":"x"}`}, {"a", `"text"`, `{}`}}); err != nil {
		t.Fatal(err)
	}
	cs := readFile(t, path)
	want := mustHash(t, []Case{{CaseID: "a", Input: "text"}, {CaseID: "b", Input: map[string]any{"q": 1}, Expected: map[string]any{"answer": "x"}}})
	if got := mustHash(t, cs); got != want {
		t.Fatalf("hash %s, want %s (cases %+v)", got, want, cs)
	}

	type noExpected struct {
		CaseID string `parquet:"case_id"`
		Input  string `parquet:"input"`
	}
	if err := parquet.WriteFile(path, []noExpected{{"a", `1`}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCases(path); err == nil || !strings.Contains(err.Error(), "missing column expected") {
		t.Fatalf("file without expected: %v", err)
	}
	if err := parquet.WriteFile(path, []minimal{{"a", `{"x":`, `{}`}, {"a", `1`, `[]`}}); err != nil {
		t.Fatal(err)
	}
	_, err := ReadCases(path)
	for _, want := range []string{"min.parquet: row 1: field input: invalid", "min.parquet: row 2: field expected: want a JSON object"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad rows: error %v lacks %q", err, want)
		}
	}
}

// Bad files are reported by file:line and field, never quoting a value.
func TestBadFiles(t *testing.T) {
	for file, want := range map[string]string{
		"truncated.jsonl":           "truncated.jsonl:2: invalid or truncated JSON",
		"expected-not-object.jsonl": "expected-not-object.jsonl:1: field expected: want a JSON object",
		"duplicate.jsonl":           "duplicate.jsonl:3: field case_id: duplicate of line 1",
		"tags-not-array.jsonl":      "tags-not-array.jsonl:1: field tags: want an array of strings",
		"unknown-field.jsonl":       `unknown-field.jsonl:1: unknown field "expect"`,
		"missing-input.jsonl":       "missing-input.jsonl:1: field input: missing",
		"empty-case-id.jsonl":       "empty-case-id.jsonl:1: field case_id: missing or empty",
		"not-object.jsonl":          "not-object.jsonl:1: want a JSON object",
		"empty-tag.jsonl":           "empty-tag.jsonl:1: field tags: element 1 is empty",
		"number-range.jsonl":        "number-range.jsonl:1: field input: number out of range",
		"trailing.jsonl":            "trailing.jsonl:1: trailing data",
	} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", file)
			_, err := ReadCases(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), filepath.ToSlash(path[len("testdata/bad/"):])) || !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
			if strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error quotes a value: %q", err)
			}
		})
	}
	if _, err := ReadCases("testdata/cases.csv"); err == nil || !strings.Contains(err.Error(), "want .jsonl, .ndjson or .parquet") {
		t.Errorf("unknown extension: %v", err)
	}
}

func TestReadJSONLCapsErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.jsonl")
	if err := os.WriteFile(path, []byte(strings.Repeat("{}\n", 25)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadCases(path)
	if err == nil || strings.Count(err.Error(), "\n") != maxErrors || !strings.Contains(err.Error(), "15 more bad lines") {
		t.Fatalf("25 bad lines: %v", err)
	}
}
