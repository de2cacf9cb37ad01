// Package incidents turns production failures into dataset fixtures: an
// incident names failed runs by trace; promoting it writes the run, redacted
// again, with its expected behaviour, provenance and a snapshot of its
// trace, into the next version of a dataset, in one audited step.
package incidents

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/internal/chsql"
)

// The incidents package owns the incidents table: its statements are
// sql/*.sql. It reads runs' events only to promote them.

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("incidents", sqlFS)

// ErrNotFound is returned for an unknown incident id.
var ErrNotFound = errors.New("incidents: not found")

// FieldError is an input to Open or Promote that the caller must fix. Field
// names it as Incident's JSON does (trace_ids, title, severity) or, for
// Promote's expected behaviour, as the case stores it (expected); a CLI
// maps it to its flag.
type FieldError struct {
	Field   string
	Value   string // the value refused, "" when it is missing
	Problem string
}

// Error names the field, the value refused (if any) and the problem.
func (e *FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("incidents: %s %q: %s", e.Field, redact.Scrub(errRed, e.Value, nil), e.Problem)
	}
	return "incidents: " + e.Field + ": " + e.Problem
}

// errRed redacts what an error quotes.
var errRed = redact.New(redact.DefaultConfig())

// Severities an incident may have.
var Severities = []string{"sev1", "sev2", "sev3", "sev4"}

// Incident is one incident record.
type Incident struct {
	ID         string    `json:"id" ch:"incident_id"`
	Title      string    `json:"title" ch:"title"`
	Severity   string    `json:"severity" ch:"severity"`
	Owner      string    `json:"owner" ch:"owner"`
	TraceIDs   []string  `json:"trace_ids" ch:"trace_ids"`
	Status     string    `json:"status" ch:"status"` // open | promoted | promoted-draft
	PromotedTo string    `json:"promoted_to,omitempty" ch:"promoted_to"`
	OpenedAt   time.Time `json:"opened_at" ch:"opened_at"`
	UpdatedAt  time.Time `json:"updated_at" ch:"updated_at"`
}

// Store keeps incidents in the store's incidents table.
type Store struct {
	conn driver.Conn
	ds   *datasets.Store
	red  *redact.Redactor
	now  func() time.Time
}

// New returns an incident store over conn; promotions write through ds.
func New(conn driver.Conn, ds *datasets.Store) *Store {
	return &Store{conn: conn, ds: ds, red: redact.New(redact.DefaultConfig()), now: func() time.Time { return time.Now().UTC() }}
}

// Open records a new incident on one or more traces, which must be stored.
// Its title and owner are redacted (ingest.Scrub) before they are stored
// or returned; trace ids are identifiers, kept as they are, and an error
// quotes one only redacted.
func (s *Store) Open(ctx context.Context, traceIDs []string, title, severity, owner string) (Incident, error) {
	if len(traceIDs) == 0 {
		return Incident{}, &FieldError{Field: "trace_ids", Problem: "name at least one trace"}
	}
	if strings.TrimSpace(title) == "" {
		return Incident{}, &FieldError{Field: "title", Problem: "required"}
	}
	if !slices.Contains(Severities, severity) {
		return Incident{}, &FieldError{Field: "severity", Value: severity, Problem: "want one of " + strings.Join(Severities, ", ")}
	}
	for _, tr := range traceIDs {
		n, err := events.TraceEventCount(ctx, s.conn, tr)
		if err != nil {
			return Incident{}, fmt.Errorf("incidents: look up trace %s: %w", s.scrub(tr), err)
		}
		if n == 0 {
			return Incident{}, fmt.Errorf("incidents: trace %s is not in the store", s.scrub(tr))
		}
	}
	var maxN uint64
	if err := s.conn.QueryRow(ctx, stmts.Get("next_number")).Scan(&maxN); err != nil {
		return Incident{}, fmt.Errorf("incidents: %w", err)
	}
	now := s.now()
	inc := Incident{ID: "INC-" + strconv.FormatUint(maxN+1, 10), Title: s.scrub(title), Severity: severity, Owner: s.scrub(owner),
		TraceIDs: traceIDs, Status: "open", OpenedAt: now, UpdatedAt: now}
	return inc, s.save(ctx, inc)
}

// scrub redacts one text the store keeps or quotes.
func (s *Store) scrub(text string) string { return redact.Scrub(s.red, text, nil) }

func (s *Store) save(ctx context.Context, inc Incident) error {
	err := s.conn.Exec(ctx, stmts.Get("insert"), inc.ID, inc.Title, inc.Severity, inc.Owner, inc.TraceIDs, inc.Status, inc.PromotedTo, inc.OpenedAt, inc.UpdatedAt)
	if err != nil {
		return fmt.Errorf("incidents: save %s: %w", inc.ID, err)
	}
	return nil
}

// List returns every incident, newest first.
func (s *Store) List(ctx context.Context) ([]Incident, error) {
	var out []Incident
	if err := s.conn.Select(ctx, &out, stmts.Get("list")); err != nil {
		return nil, fmt.Errorf("incidents: list: %w", err)
	}
	return out, nil
}

// Get returns one incident.
func (s *Store) Get(ctx context.Context, id string) (Incident, error) {
	var out []Incident
	if err := s.conn.Select(ctx, &out, stmts.Get("get"), strings.ToUpper(id)); err != nil {
		return Incident{}, fmt.Errorf("incidents: %w", err)
	}
	if len(out) == 0 {
		return Incident{}, fmt.Errorf("%w: %s (see `evalhouse incident list`)", ErrNotFound, id)
	}
	return out[0], nil
}

// PromoteResult says what a promotion did.
type PromoteResult struct {
	Incident Incident         `json:"incident"`
	Version  datasets.Version `json:"version"`
	Created  bool             `json:"created"` // false: the fixture was already there
	Cases    []datasets.Case  `json:"cases"`
}

// Promote turns the incident's runs into fixtures of dataset name, with the
// expected behaviour expect, as the dataset's next version (a draft with
// draft set). A run already promoted yields the same fixture, so promoting
// it again creates no version. expect and by are redacted (values and
// keys) before they are stored or returned, as are the run's input and
// snapshot.
func (s *Store) Promote(ctx context.Context, id, name string, expect map[string]any, by string, draft bool) (PromoteResult, error) {
	inc, err := s.Get(ctx, id)
	if err != nil {
		return PromoteResult{}, err
	}
	if len(expect) == 0 {
		return PromoteResult{}, &FieldError{Field: "expected", Problem: "must describe the expected behaviour (a JSON object)"}
	}
	expect, err = s.redactExpect(expect)
	if err != nil {
		return PromoteResult{}, err
	}
	by = s.scrub(by)
	var cases []datasets.Case
	for _, tr := range inc.TraceIDs {
		c, err := s.fixture(ctx, inc, tr, expect, by)
		if err != nil {
			return PromoteResult{}, err
		}
		cases = append(cases, c)
	}
	prov := datasets.Provenance{By: by, Source: "incident " + inc.ID, Note: inc.Title}
	v, created, err := s.ds.Add(ctx, name, cases, prov, draft)
	if errors.Is(err, datasets.ErrNotFound) && !draft {
		v, err = s.ds.Create(ctx, name, cases, prov)
		created = err == nil
	}
	if err != nil {
		return PromoteResult{}, err
	}
	inc.Status, inc.PromotedTo, inc.UpdatedAt = "promoted", v.Ref(), s.now()
	if draft {
		inc.Status = "promoted-draft"
	}
	if err := s.save(ctx, inc); err != nil {
		return PromoteResult{}, err
	}
	return PromoteResult{Incident: inc, Version: v, Created: created, Cases: cases}, nil
}

// redactExpect returns a redacted copy of expect (the caller's map is not
// changed).
func (s *Store) redactExpect(expect map[string]any) (map[string]any, error) {
	b, err := json.Marshal(expect)
	if err != nil {
		return nil, &FieldError{Field: "expected", Problem: "not encodable as JSON"}
	}
	var cp map[string]any
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, &FieldError{Field: "expected", Problem: "not a JSON object"}
	}
	out, _ := redact.ScrubValue(s.red, cp, nil).(map[string]any)
	return out, nil
}

var nonID = regexp.MustCompile(`[^a-z0-9]+`)

// fixture builds the case for one trace's run.
func (s *Store) fixture(ctx context.Context, inc Incident, traceID string, expect map[string]any, by string) (datasets.Case, error) {
	run, err := events.TraceRun(ctx, s.conn, traceID)
	if err != nil {
		return datasets.Case{}, fmt.Errorf("incidents: %s: trace %s has no run event to promote: %w", inc.ID, traceID, err)
	}
	counts := redact.Counts{}
	runID, release, task := run.RunID, run.Release, run.Task
	var in any = redact.Scrub(s.red, run.Input, counts)
	var parsed any
	if json.Unmarshal([]byte(run.Input), &parsed) == nil {
		in = redact.ScrubValue(s.red, parsed, counts)
	}
	snap, err := s.snapshot(ctx, traceID, counts)
	if err != nil {
		return datasets.Case{}, err
	}
	tags := []string{"incident"}
	if task != "" {
		tags = append(tags, task)
	}
	short := nonID.ReplaceAllString(strings.ToLower(runID), "-")
	if len(short) > 40 {
		short = short[:40]
	}
	return datasets.Case{
		CaseID:   "incident-" + strings.Trim(short, "-"),
		Input:    in,
		Expected: expect,
		// Tags come from the run alone, so the same run promoted from
		// another incident is the same fixture.
		Tags: tags,
		Provenance: map[string]any{
			datasets.ProvIncident: inc.ID, datasets.ProvSeverity: inc.Severity, datasets.ProvTraceID: traceID,
			datasets.ProvRunID: runID, datasets.ProvRelease: release, datasets.ProvTask: task, datasets.ProvPromotedBy: by,
			datasets.ProvPromotedAt: s.now().Format(time.RFC3339), datasets.ProvRedactions: counts.Total(),
		},
		Snapshot: snap,
	}, nil
}

// snapshot is the trace's events as a JSON array, redacted once more, so
// the fixture outlives the trace's retention.
func (s *Store) snapshot(ctx context.Context, traceID string, counts redact.Counts) (string, error) {
	rows, err := events.TraceEvents(ctx, s.conn, traceID)
	if err != nil {
		return "", fmt.Errorf("incidents: snapshot %s: %w", traceID, err)
	}
	evs := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		ev := map[string]any{"kind": r.Kind, "span_id": r.SpanID, "parent_span_id": r.ParentSpanID, "ts": r.TS.Format(time.RFC3339Nano),
			"duration_ms": r.DurationMS, "status": r.Status}
		for k, v := range map[string]string{"input": r.Input, "output": r.Output, "model": r.Model, "tool": r.Tool, "args": r.Args,
			"authorization": r.Authorization, "side_effect": r.SideEffect, "idempotency_key": r.IdempotencyKey, "decision": r.Decision,
			"reason_code": r.ReasonCode, "result": r.Result, "attributes": r.Attributes} {
			if v != "" {
				ev[k] = redact.Scrub(s.red, v, counts)
			}
		}
		if r.InputTokens+r.OutputTokens > 0 {
			ev["input_tokens"], ev["output_tokens"], ev["cost_usd"] = r.InputTokens, r.OutputTokens, r.CostUSD
		}
		evs = append(evs, ev)
	}
	b, err := json.Marshal(evs)
	return string(b), err
}
