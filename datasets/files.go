package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxLine bounds one JSONL line (a case with its trace snapshot).
const maxLine = 64 << 20

// maxErrors is how many problems a bad file reports before summarizing.
const maxErrors = 10

// ReadCases reads a dataset file: JSON Lines (.jsonl, .ndjson) or Parquet
// (.parquet), chosen by extension. Errors name the file and line (or row)
// and the field, never a value. Two cases with one case_id are an error.
func ReadCases(path string) ([]Case, error) {
	switch format(path) {
	case "jsonl":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadJSONL(path, f)
	case "parquet":
		return readParquet(path)
	}
	return nil, fmt.Errorf("%s: unknown dataset format: want .jsonl, .ndjson or .parquet", path)
}

// WriteCases writes cases to path as JSON Lines or Parquet, by extension,
// in canonical form and case id order. The file is replaced atomically.
func WriteCases(path string, cases []Case) error {
	kind := format(path)
	if kind == "" {
		return fmt.Errorf("%s: unknown dataset format: want .jsonl, .ndjson or .parquet", path)
	}
	cs, err := canonicalize(cases)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dataset-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if kind == "jsonl" {
		bw := bufio.NewWriter(tmp)
		err = writeJSONL(bw, cs)
		if err == nil {
			err = bw.Flush()
		}
	} else {
		err = writeParquet(tmp, cs)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func format(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return "jsonl"
	case ".parquet":
		return "parquet"
	}
	return ""
}

// fileLine is a case as one JSONL line; fields marshal in this order.
type fileLine struct {
	CaseID      string          `json:"case_id"`
	Input       json.RawMessage `json:"input"`
	Expected    json.RawMessage `json:"expected"`
	Tags        []string        `json:"tags"`
	ChangeTypes []string        `json:"change_types,omitempty"`
	Provenance  json.RawMessage `json:"provenance,omitempty"`
	Snapshot    string          `json:"snapshot,omitempty"`
}

// WriteJSONL writes cases as JSON Lines, canonical and sorted by case id.
func WriteJSONL(w io.Writer, cases []Case) error {
	cs, err := canonicalize(cases)
	if err != nil {
		return err
	}
	return writeJSONL(w, cs)
}

func writeJSONL(w io.Writer, cs []canonCase) error {
	for _, cc := range cs {
		b, err := marshal(fileLine{cc.CaseID, cc.Input, cc.Expected, cc.Tags, cc.ChangeTypes, cc.Provenance, cc.Snapshot})
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// ReadJSONL reads cases, one JSON object per line, from r; name is used in
// errors ("name:LINE: field F: …"). Blank lines are skipped. Each line has
// case_id (string), input (any JSON), expected (object), and optionally
// tags and change_types (arrays of strings), provenance (object) and
// snapshot (string); any other field is an error.
func ReadJSONL(name string, r io.Reader) ([]Case, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var (
		cases  []Case
		errs   []error
		nerr   int
		lineOf = map[string]int{}
		n      int
	)
	fail := func(line int, err error) {
		nerr++
		if nerr <= maxErrors {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, line, err))
		}
	}
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		c, err := parseLine(b)
		if err != nil {
			fail(n, err)
			continue
		}
		if first, dup := lineOf[c.CaseID]; dup {
			fail(n, fmt.Errorf("field case_id: duplicate of line %d", first))
			continue
		}
		lineOf[c.CaseID] = n
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d MiB", name, n+1, maxLine>>20)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if nerr > maxErrors {
		errs = append(errs, fmt.Errorf("%s: … and %d more bad lines", name, nerr-maxErrors))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cases, nil
}

var knownFields = []string{"case_id", "input", "expected", "tags", "change_types", "provenance", "snapshot"}

// parseLine decodes one case. Its errors name fields, never values.
func parseLine(b []byte) (Case, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Case{}, errors.New("want a JSON object")
		}
		return Case{}, jsonProblem(err)
	}
	if m == nil {
		return Case{}, errors.New("want a JSON object")
	}
	if dec.More() {
		return Case{}, errors.New("trailing data after the JSON object")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(knownFields, k) {
			return Case{}, fmt.Errorf("unknown field %q (want %s)", clip(k, 40), strings.Join(knownFields, ", "))
		}
	}
	var c Case
	raw, ok := m["case_id"]
	if !ok || json.Unmarshal(raw, &c.CaseID) != nil {
		return Case{}, &fieldError{"case_id", "want a string"}
	}
	raw, ok = m["input"]
	if !ok {
		return Case{}, &fieldError{"input", "missing"}
	}
	in, err := decodeJSON(raw)
	if err != nil {
		return Case{}, &fieldError{"input", err.Error()}
	}
	c.Input = in
	raw, ok = m["expected"]
	if !ok {
		return Case{}, &fieldError{"expected", "missing"}
	}
	if c.Expected, err = decodeObject(raw); err != nil || c.Expected == nil {
		return Case{}, &fieldError{"expected", "want a JSON object"}
	}
	if c.Tags, err = decodeStrings(m["tags"]); err != nil {
		return Case{}, &fieldError{"tags", err.Error()}
	}
	if c.ChangeTypes, err = decodeStrings(m["change_types"]); err != nil {
		return Case{}, &fieldError{"change_types", err.Error()}
	}
	if raw, ok := m["provenance"]; ok {
		if c.Provenance, err = decodeObject(raw); err != nil {
			return Case{}, &fieldError{"provenance", "want a JSON object or null"}
		}
	}
	if raw, ok := m["snapshot"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &c.Snapshot) != nil {
			return Case{}, &fieldError{"snapshot", "want a string"}
		}
	}
	if _, err := c.canonical(); err != nil {
		return Case{}, err
	}
	return c, nil
}

// decodeObject decodes a JSON object or null (nil map).
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	x, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return nil, nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

// decodeStrings decodes an absent or null field as nil, or an array of strings.
func decodeStrings(raw json.RawMessage) ([]string, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	var out []string
	if json.Unmarshal(raw, &out) != nil {
		return nil, errors.New("want an array of strings")
	}
	return out, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
