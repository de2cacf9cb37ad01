package envelope

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaPath = "../../docs/envelope.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("envelope.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("envelope.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func schemaErr(t *testing.T, sch *jsonschema.Schema, line []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		t.Fatalf("schema test cannot parse line: %v", err)
	}
	return sch.Validate(inst)
}

func TestSchemaAcceptsValidEvents(t *testing.T) {
	sch := compileSchema(t)
	var kinds []Kind
	for i, line := range readLines(t, "testdata/valid.ndjson") {
		if err := schemaErr(t, sch, line); err != nil {
			t.Errorf("valid.ndjson:%d: schema rejects: %v", i+1, err)
		}
		ev, err := Decode(line)
		if err != nil {
			t.Errorf("valid.ndjson:%d: Decode: %v", i+1, err)
			continue
		}
		if v := Check(ev); len(v) > 0 {
			t.Errorf("valid.ndjson:%d: Check = %v, want none", i+1, v)
		}
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, Kinds) {
		t.Errorf("valid.ndjson kinds = %v, want one per kind in order %v", kinds, Kinds)
	}
}

func TestSchemaRejectsInvalidContractEvents(t *testing.T) {
	sch := compileSchema(t)
	for i, line := range readLines(t, "testdata/invalid-contract.ndjson") {
		if schemaErr(t, sch, line) == nil {
			t.Errorf("invalid-contract.ndjson:%d: schema accepts", i+1)
		}
		ev, err := Decode(line)
		if err != nil {
			t.Errorf("invalid-contract.ndjson:%d: Decode: %v (lines must decode)", i+1, err)
			continue
		}
		if len(Check(ev)) == 0 {
			t.Errorf("invalid-contract.ndjson:%d: Check finds no violation", i+1)
		}
	}
}

// mutate rewrites a JSON line through f.
func mutate(t *testing.T, line []byte, f func(m map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaAgreesWithCheck removes, nulls or empties each required field
// of each valid event, and sets each enumerated field to an unknown value:
// the schema must reject every result and Check must name the field.
func TestSchemaAgreesWithCheck(t *testing.T) {
	sch := compileSchema(t)
	for _, line := range readLines(t, "testdata/valid.ndjson") {
		ev, err := Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		k := ev.Kind
		type change struct {
			name, field, problem string
			f                    func(m map[string]any)
		}
		var changes []change
		for _, field := range RequiredFields(k) {
			changes = append(changes,
				change{"delete", field, ProblemMissing, func(m map[string]any) { delete(m, field) }},
				change{"null", field, ProblemMissing, func(m map[string]any) { m[field] = nil }})
			switch fields[field].typ {
			case tString, tAny:
				changes = append(changes, change{"empty", field, ProblemMissing, func(m map[string]any) { m[field] = "" }})
			case tStrings:
				changes = append(changes, change{"empty", field, ProblemMissing, func(m map[string]any) { m[field] = []any{} }})
			}
		}
		for _, e := range enums {
			changes = append(changes, change{"unknown value", e.field, ProblemInvalid, func(m map[string]any) { m[e.field] = "bogus" }})
		}
		for _, field := range nonNegative {
			changes = append(changes, change{"negative", field, ProblemInvalid, func(m map[string]any) { m[field] = -1 }})
		}
		for _, c := range changes {
			bad := mutate(t, line, c.f)
			if schemaErr(t, sch, bad) == nil {
				t.Errorf("%s: %s %s: schema accepts", k, c.name, c.field)
			}
			ev, err := Decode(bad)
			if c.field == "ts" { // Decode itself requires a parsable ts
				if err == nil {
					t.Errorf("%s: %s ts: Decode accepts", k, c.name)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %s %s: Decode: %v", k, c.name, c.field, err)
				continue
			}
			want := Violation{Kind: k, Field: c.field, Problem: c.problem}
			if v := Check(ev); !slices.Contains(v, want) {
				t.Errorf("%s: %s %s: Check = %v, want it to contain %v", k, c.name, c.field, v, want)
			}
		}
	}
}

// TestSchemaListsMatchGo compares the schema's required lists and enums
// with RequiredFields and EnumValues.
func TestSchemaListsMatchGo(t *testing.T) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string
		Properties map[string]struct{ Enum []any }
		AllOf      []struct {
			If struct {
				Properties map[string]struct{ Const string }
			}
			Then struct{ Required []string }
		}
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Required, append([]string{"kind"}, commonRequired...); !slices.Equal(got, want) {
		t.Errorf("schema required = %v, want %v", got, want)
	}
	seen := map[Kind]bool{}
	for _, a := range s.AllOf {
		kp, ok := a.If.Properties["kind"]
		if !ok || len(a.If.Properties) != 1 {
			continue // memory op and dataset rules
		}
		k := Kind(kp.Const)
		seen[k] = true
		if got, want := a.Then.Required, RequiredFields(k)[len(commonRequired):]; !slices.Equal(got, want) {
			t.Errorf("schema %s requires %v, RequiredFields has %v", k, got, want)
		}
	}
	if len(seen) != len(Kinds) {
		t.Errorf("schema has per-kind rules for %v, want all of %v", seen, Kinds)
	}
	for _, e := range enums {
		var got []string
		for _, v := range s.Properties[e.field].Enum {
			if v, ok := v.(string); ok && v != "" {
				got = append(got, v)
			}
		}
		if !slices.Equal(got, e.values) {
			t.Errorf("schema enum %s = %v, want %v", e.field, got, e.values)
		}
	}
	var props, known []string
	for p := range s.Properties {
		props = append(props, p)
	}
	for _, f := range fieldList {
		known = append(known, f.name)
	}
	sort.Strings(props)
	sort.Strings(known)
	if !slices.Equal(props, known) {
		t.Errorf("schema properties = %s\nwant %s", strings.Join(props, ","), strings.Join(known, ","))
	}
}

// TestDocsShowValidExamples keeps docs/envelope.md's examples in step with
// testdata/valid.ndjson.
func TestDocsShowValidExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/envelope.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range readLines(t, "testdata/valid.ndjson") {
		if !bytes.Contains(doc, l) {
			t.Errorf("docs/envelope.md lacks valid.ndjson line %d", i+1)
		}
	}
}
