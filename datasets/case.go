// Package datasets keeps versioned datasets of cases: the inputs a release
// is run against and what each run is expected to do. Versions are
// immutable and numbered v1, v2, … per dataset; each carries a content hash
// over its canonical cases, so the same cases hash the same whether they
// came from JSONL, Parquet or the store.
package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case is one dataset case. Input, Expected, Tags and ChangeTypes are its
// content: they make up the content hash and are what rules see. Provenance
// and Snapshot travel with the case (store, export, import) but do not
// change its identity.
type Case struct {
	// CaseID names the case within its dataset, e.g. "c001".
	CaseID string `json:"case_id"`
	// Input is what the agent is given: any JSON value.
	Input any `json:"input"`
	// Expected is what a correct run does, e.g. {"answer": "…", "must_escalate": false}.
	Expected map[string]any `json:"expected"`
	// Tags label the case for selection and reporting.
	Tags []string `json:"tags"`
	// ChangeTypes name the kinds of change the case guards (prompt, model, tool, …).
	ChangeTypes []string `json:"change_types,omitempty"`
	// Provenance says where a promoted case came from (incident id, source
	// trace id, promoted_by); set by callers, nil for authored cases.
	Provenance map[string]any `json:"provenance,omitempty"`
	// Snapshot is a JSON snapshot of the trace a case was promoted from, kept
	// because traces expire.
	Snapshot string `json:"snapshot,omitempty"`
}

// Content fields, as Diff names them.
const (
	FieldInput       = "input"
	FieldExpected    = "expected"
	FieldTags        = "tags"
	FieldChangeTypes = "change_types"
)

// maxCaseID bounds a case id's length in bytes.
const maxCaseID = 200

// canonCase is a case in canonical form: the stored row's content and the
// unit of hashing.
type canonCase struct {
	CaseID      string
	Input       []byte // canonical JSON
	Expected    []byte // canonical JSON object
	Tags        []string
	ChangeTypes []string
	Provenance  []byte // canonical JSON object, or nil
	Snapshot    string
	line        []byte // canonical JSON of the content fields
}

// hashLine is the canonical content of a case. Fields marshal in this order.
type hashLine struct {
	CaseID      string          `json:"case_id"`
	Input       json.RawMessage `json:"input"`
	Expected    json.RawMessage `json:"expected"`
	Tags        []string        `json:"tags"`
	ChangeTypes []string        `json:"change_types"`
}

// fieldError is a case's problem with one field. It never quotes the value.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return "field " + e.field + ": " + e.msg }

// canonical validates c and puts it in canonical form.
func (c Case) canonical() (canonCase, error) {
	if err := checkCaseID(c.CaseID); err != nil {
		return canonCase{}, &fieldError{"case_id", err.Error()}
	}
	in, err := canonicalJSON(c.Input)
	if err != nil {
		return canonCase{}, &fieldError{"input", err.Error()}
	}
	exp := []byte("{}")
	if c.Expected != nil {
		if exp, err = canonicalJSON(c.Expected); err != nil {
			return canonCase{}, &fieldError{"expected", err.Error()}
		}
	}
	tags, err := canonicalStrings(c.Tags)
	if err != nil {
		return canonCase{}, &fieldError{"tags", err.Error()}
	}
	cts, err := canonicalStrings(c.ChangeTypes)
	if err != nil {
		return canonCase{}, &fieldError{"change_types", err.Error()}
	}
	var prov []byte
	if c.Provenance != nil {
		if prov, err = canonicalJSON(c.Provenance); err != nil {
			return canonCase{}, &fieldError{"provenance", err.Error()}
		}
	}
	if !utf8.ValidString(c.Snapshot) {
		return canonCase{}, &fieldError{"snapshot", "not valid UTF-8"}
	}
	cc := canonCase{CaseID: c.CaseID, Input: in, Expected: exp, Tags: tags, ChangeTypes: cts, Provenance: prov, Snapshot: c.Snapshot}
	cc.line, err = marshal(hashLine{cc.CaseID, cc.Input, cc.Expected, cc.Tags, cc.ChangeTypes})
	return cc, err
}

// itemHash is the hex sha256 of a case's canonical content.
func (cc canonCase) itemHash() string {
	sum := sha256.Sum256(cc.line)
	return hex.EncodeToString(sum[:])
}

// toCase turns canonical form back into a Case, with JSON numbers as float64.
func (cc canonCase) toCase() (Case, error) {
	c := Case{CaseID: cc.CaseID, Tags: cc.Tags, ChangeTypes: cc.ChangeTypes, Snapshot: cc.Snapshot}
	if err := json.Unmarshal(cc.Input, &c.Input); err != nil {
		return Case{}, &fieldError{"input", "not valid JSON"}
	}
	if err := json.Unmarshal(cc.Expected, &c.Expected); err != nil || c.Expected == nil {
		return Case{}, &fieldError{"expected", "not a JSON object"}
	}
	if len(cc.Provenance) > 0 {
		if err := json.Unmarshal(cc.Provenance, &c.Provenance); err != nil || c.Provenance == nil {
			return Case{}, &fieldError{"provenance", "not a JSON object"}
		}
	}
	return c, nil
}

func checkCaseID(id string) error {
	switch {
	case id == "":
		return errors.New("missing or empty")
	case len(id) > maxCaseID:
		return fmt.Errorf("longer than %d bytes", maxCaseID)
	case !utf8.ValidString(id):
		return errors.New("not valid UTF-8")
	case strings.TrimSpace(id) != id:
		return errors.New("leading or trailing white space")
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return errors.New("contains a control character")
	}
	return nil
}

// canonicalStrings sorts and deduplicates a set of labels; nil becomes empty.
func canonicalStrings(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for i, s := range in {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("element %d is empty", i)
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("element %d is not valid UTF-8", i)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// canonicalJSON encodes v canonically: object keys sorted (bytewise, as
// encoding/json sorts map keys), every number as the float64 it denotes in
// Go's shortest round-trip form (1, 1.0 and 1e0 all become 1; -0 becomes
// 0), strings with invalid UTF-8 replaced by U+FFFD, no HTML escaping and no
// insignificant white space. v may be any value encoding/json accepts.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, errors.New("not encodable as JSON")
	}
	return canonicalRaw(raw)
}

// canonicalRaw canonicalizes one JSON text.
func canonicalRaw(raw []byte) ([]byte, error) {
	x, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	return marshal(x)
}

// decodeJSON decodes exactly one JSON value, with numbers as float64 and -0
// as 0. Its errors say what is wrong, never what the value was.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, jsonProblem(err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return normalize(x), nil
}

func jsonProblem(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("number out of range at byte %d", te.Offset)
	default:
		return errors.New("invalid or truncated JSON")
	}
}

func normalize(x any) any {
	switch v := x.(type) {
	case float64:
		if v == 0 {
			return float64(0)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
	}
	return x
}

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.New("not encodable as JSON")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// canonicalize validates cases (each valid, case ids unique) and returns
// them in canonical form, sorted by case id.
func canonicalize(cases []Case) ([]canonCase, error) {
	out := make([]canonCase, 0, len(cases))
	seen := make(map[string]int, len(cases))
	var errs []error
	for i, c := range cases {
		cc, err := c.canonical()
		if err != nil {
			errs = append(errs, fmt.Errorf("case %d: %w", i+1, err))
			continue
		}
		if j, dup := seen[c.CaseID]; dup {
			errs = append(errs, fmt.Errorf("case %d: field case_id: duplicate of case %d", i+1, j+1))
			continue
		}
		seen[c.CaseID] = i
		out = append(out, cc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(out, func(a, b canonCase) int { return strings.Compare(a.CaseID, b.CaseID) })
	return out, nil
}

// hashCanon is the content hash of canonical cases sorted by case id: the
// hex sha256 over each case's canonical content line, newline-terminated.
func hashCanon(cs []canonCase) string {
	h := sha256.New()
	for _, cc := range cs {
		h.Write(cc.line)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Hash returns the content hash a version holding exactly these cases gets:
// the hex sha256 over the cases' canonical content, sorted by case id. Case
// order, tag order and JSON formatting do not change it; provenance and
// snapshots are not part of it.
func Hash(cases []Case) (string, error) {
	cs, err := canonicalize(cases)
	if err != nil {
		return "", err
	}
	return hashCanon(cs), nil
}

// changedFields lists which content fields differ between two versions of
// one case.
func changedFields(a, b canonCase) []string {
	var out []string
	if !bytes.Equal(a.Input, b.Input) {
		out = append(out, FieldInput)
	}
	if !bytes.Equal(a.Expected, b.Expected) {
		out = append(out, FieldExpected)
	}
	if !slices.Equal(a.Tags, b.Tags) {
		out = append(out, FieldTags)
	}
	if !slices.Equal(a.ChangeTypes, b.ChangeTypes) {
		out = append(out, FieldChangeTypes)
	}
	return out
}
