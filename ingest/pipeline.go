// Package ingest is the one pipeline every source feeds. Each event is, in
// this order: decoded; checked for a storable timestamp and, by its
// retention class, not already expired; redacted; priced (cost_usd from the
// price table, so the contract sees it); checked against the trace
// contract; turned into a row and batched. The Writer then drops duplicates
// and stores each batch. Sources (envelope files and stdin, HTTP, OTLP,
// Kafka, Parquet) differ only in how they produce events.
package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/pricing"
)

// MaxLine is the longest envelope line accepted; longer lines are rejected
// (and skipped) without being held in memory whole.
const MaxLine = 16 << 20

// MaxErrors bounds how many line errors a Summary keeps (all are counted).
const MaxErrors = 100

// RetentionDays maps a storage retention class to how long events of that
// class are kept. Policy and approval events are always kept as "audit".
var RetentionDays = map[string]uint16{"short": 7, "standard": 90, "long": 400, "audit": 2555}

// The timestamps the store keeps: agent_events.ts is DateTime64 (from
// 1900), and its TTL adds up to seven years of retention to ts as a 32-bit
// DateTime (which ends in February 2106), so ts must fall before 2099.
var (
	MinTS = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTS = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Options configure a Pipeline. The zero value is usable.
type Options struct {
	// Strict rejects events that break the trace contract instead of
	// storing them with their violations recorded.
	Strict bool
	// Redactor scrubs secrets; nil means redact.New(redact.DefaultConfig()).
	Redactor *redact.Redactor
	// Prices computes cost_usd when a model event lacks it; nil means pricing.Default().
	Prices *pricing.Table
	// BatchSize is how many rows are handed to the Writer at once; 0 means 10,000.
	BatchSize int
	// Retention is the storage retention class of the events (see
	// RetentionDays); "" means "standard".
	Retention string
	// Source names where events came from ("envelope", "otlp", ...); "" means "envelope".
	Source string
	// DeadLetter receives rejected lines, redacted, one JSON object each
	// ({"origin","line","reason","raw"}): the dead-letter file. A failed
	// write stops the ingest with its error.
	DeadLetter io.Writer
	// OnReject, when set, is told of every rejected or expired input, with
	// its raw bytes redacted, as it happens (a Kafka source dead-letters
	// them in its own records). An error stops the ingest, as a failed
	// DeadLetter write does.
	OnReject func(Rejection) error
	// Urgent flushes every batch at once (files); otherwise the Writer may
	// hold a batch briefly to coalesce it with others' (HTTP).
	Urgent bool
	// Log receives one line per rejection; nil discards.
	Log *slog.Logger
	// Now is the clock that decides which events are already past their
	// retention; nil means time.Now.
	Now func() time.Time
	// TenantScope, when set, is the only tenant the events may belong to
	// (a tenant-scoped ingest key's): an event or row naming no tenant is
	// given it, one naming another tenant is rejected (counted, named by
	// its origin and line; the rest land). Deduplication is per (tenant,
	// event_id), so a scoped sender can never pre-claim another tenant's
	// event.
	TenantScope string
	// OnClose, when set, is told once, by Close, of the ingest's source
	// and final summary (what was stored, rejected, expired, duplicate
	// and redacted), whether Close succeeded or not: serve's metrics. It
	// must not block or keep the summary's maps.
	OnClose func(source string, sum Summary)
}

// LineError says why one input line was rejected. It never quotes input.
type LineError struct {
	Origin string `json:"origin"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (e LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Origin, e.Line, e.Reason) }

// Summary is what a pipeline did.
type Summary struct {
	IngestID   string `json:"ingest_id"`
	Accepted   int    `json:"accepted"`
	Rejected   int    `json:"rejected"`
	Expired    int    `json:"expired"` // past their retention on arrival: not stored
	Duplicates int    `json:"duplicates"`
	// Conflicts are rejected events (counted in Rejected too) whose
	// event_id was stored before with other content.
	Conflicts       int            `json:"conflicts"`
	Redactions      redact.Counts  `json:"redactions"`
	Violations      map[string]int `json:"contract_violations"` // "kind.field" → events
	ViolatingEvents int            `json:"violating_events"`
	Errors          []LineError    `json:"errors,omitempty"` // rejected and expired lines, the first MaxErrors
}

// Pipeline turns events into stored rows. It is not safe for concurrent
// use: give each source (file, request, partition) its own, sharing one Writer.
type Pipeline struct {
	w       *Writer
	opts    Options
	red     *redact.Redactor
	prices  *pricing.Table
	batch   []events.Row
	pos     []linePos // where each row of batch came from
	sum     Summary
	started time.Time
	origins map[string]bool   // scrubbed origins (scrubOrigin)
	seen    map[string]string // origin as given → scrubbed, so each is scrubbed once
	log     *slog.Logger

	inflight chan writeOutcome // the batch being written in the background
	dlErr    error             // the first failed dead-letter write: it stops the ingest
}

// linePos is where a row came from, to name it if the store refuses it.
type linePos struct {
	origin string
	line   int
}

// NewPipeline returns a pipeline writing through w.
func NewPipeline(w *Writer, opts Options) (*Pipeline, error) {
	if opts.Retention == "" {
		opts.Retention = "standard"
	}
	if _, ok := RetentionDays[opts.Retention]; !ok {
		return nil, fmt.Errorf("ingest: unknown retention class %q (want short, standard, long or audit)", opts.Retention)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 10000
	}
	if opts.Source == "" {
		opts.Source = "envelope"
	}
	p := &Pipeline{w: w, opts: opts, red: opts.Redactor, prices: opts.Prices, started: time.Now().UTC(),
		origins: map[string]bool{}, seen: map[string]string{}, log: opts.Log}
	if p.red == nil {
		p.red = redact.New(redact.DefaultConfig())
	}
	if p.prices == nil {
		p.prices = pricing.Default()
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.opts.Now == nil {
		p.opts.Now = time.Now
	}
	p.sum = Summary{IngestID: newID(), Redactions: redact.Counts{}, Violations: map[string]int{}}
	return p, nil
}

// Line decodes one envelope line and passes it on. Blank lines are
// skipped. A bad line is rejected and counted; the error is only for
// failures that stop the ingest (the store).
func (p *Pipeline) Line(ctx context.Context, origin string, n int, raw []byte) error {
	if isBlank(raw) {
		return nil
	}
	d, err := DecodeEnvelope(raw)
	if err != nil {
		p.reject(origin, n, raw, err.Error())
		return p.dlErr
	}
	return p.event(ctx, origin, n, raw, d.Events[0])
}

// Event passes one decoded event on, for sources that decode themselves.
func (p *Pipeline) Event(ctx context.Context, origin string, n int, ev *envelope.Event) error {
	return p.event(ctx, origin, n, nil, ev)
}

// Row passes on one row a store exported, for sources that restore whole
// rows (ingest/parquet). Its text is redacted again (redaction is
// idempotent: only new findings count, added to the row's own counts),
// and what its first ingest recorded is kept: cost_usd and cost_source,
// contract_violations, source, storage_retention, retention_days and
// ingest_id, filled as for an event only where empty. A row without a
// known kind, a ts or an event_id, or with an unknown storage_retention, is
// rejected; under Strict, so is one with contract violations. Duplicates
// are dropped as for events. The pipeline owns row, its slices and map
// included, after the call.
func (p *Pipeline) Row(ctx context.Context, origin string, n int, row events.Row) error {
	if p.dlErr != nil {
		return p.dlErr
	}
	origin = p.scrubOrigin(origin)
	reason := p.scope(&row.Tenant)
	switch {
	case reason != "":
	case row.Kind == "":
		reason = `field "kind": missing`
	case !envelope.ValidKind(envelope.Kind(row.Kind)):
		reason = `field "kind": not one of run, model, tool, retrieval, memory, policy, approval, eval`
	case row.TS.IsZero():
		reason = `field "ts": missing`
	case row.EventID == "":
		reason = `field "event_id": missing`
	case outOfRange(row.TS):
		reason = tsReason(row.TS)
	case p.opts.Strict && len(row.ContractViolations) > 0:
		reason = fmt.Sprintf("trace contract: %d violation(s) recorded", len(row.ContractViolations))
	}
	if row.StorageRetention == "" {
		row.StorageRetention = p.class(envelope.Kind(row.Kind))
	}
	days, ok := RetentionDays[row.StorageRetention]
	if !ok && reason == "" {
		reason = `field "storage_retention": not one of short, standard, long, audit`
	}
	if reason != "" {
		p.reject(origin, n, nil, reason)
		return nil
	}
	if row.RetentionDays == 0 {
		row.RetentionDays = days
	}
	if p.expired(origin, n, nil, row.TS, row.RetentionDays, row.StorageRetention) {
		return nil
	}
	if row.Source == "" {
		row.Source = p.opts.Source
	}
	if row.IngestID == "" {
		row.IngestID = p.sum.IngestID
	}
	if reason := secretInIdentifier(p.red, &row); reason != "" {
		p.reject(origin, n, nil, reason)
		return nil
	}
	counts := redact.Counts{}
	redactRow(p.red, &row, counts)
	if len(counts) > 0 && row.RedactionCounts == nil {
		row.RedactionCounts = make(map[string]uint32, len(counts))
	}
	for t, c := range counts {
		row.Redactions += uint32(c)
		row.RedactionCounts[t] += uint32(c)
	}
	p.sum.Redactions.Add(counts)
	for _, v := range row.ContractViolations {
		p.sum.Violations[string(row.Kind)+"."+v]++
	}
	if len(row.ContractViolations) > 0 {
		p.sum.ViolatingEvents++
	}
	p.batch = append(p.batch, row)
	p.pos = append(p.pos, linePos{origin, n})
	if len(p.batch) >= p.opts.BatchSize {
		return p.flushFull(ctx)
	}
	return nil
}

func (p *Pipeline) event(ctx context.Context, origin string, n int, raw []byte, ev *envelope.Event) error {
	if p.dlErr != nil {
		return p.dlErr
	}
	origin = p.scrubOrigin(origin)
	if reason := p.scope(&ev.Tenant); reason != "" {
		p.reject(origin, n, raw, reason)
		return nil
	}
	if outOfRange(ev.TS) {
		p.reject(origin, n, raw, tsReason(ev.TS))
		return nil
	}
	class := p.class(ev.Kind)
	if p.expired(origin, n, raw, ev.TS, RetentionDays[class], class) {
		return nil
	}
	counts := redact.Counts{}
	redactPayloads(p.red, ev, counts)

	costSource := ""
	if ev.FillCost(p.prices) {
		costSource = "price_table@" + p.prices.Version()
	}
	violations := envelope.Check(ev)
	if p.opts.Strict && len(violations) > 0 {
		p.reject(origin, n, raw, "trace contract: "+describe(violations))
		return nil
	}

	row := ToRow(ev)
	if reason := secretInIdentifier(p.red, &row); reason != "" {
		p.reject(origin, n, raw, reason)
		return nil
	}
	redactText(p.red, &row, counts)
	if costSource != "" {
		row.CostSource = costSource
	}
	for _, v := range violations {
		f := v.Field
		if v.Problem != envelope.ProblemMissing {
			f += ":" + v.Problem
		}
		row.ContractViolations = append(row.ContractViolations, f)
		p.sum.Violations[string(v.Kind)+"."+f]++
	}
	if len(violations) > 0 {
		p.sum.ViolatingEvents++
	}
	if len(counts) > 0 {
		row.RedactionCounts = make(map[string]uint32, len(counts))
		for t, c := range counts {
			row.Redactions += uint32(c)
			row.RedactionCounts[t] = uint32(c)
		}
	}
	p.sum.Redactions.Add(counts)
	row.Source = p.opts.Source
	row.StorageRetention = class
	row.RetentionDays = RetentionDays[class]
	row.IngestID = p.sum.IngestID
	p.batch = append(p.batch, row)
	p.pos = append(p.pos, linePos{origin, n})
	if len(p.batch) >= p.opts.BatchSize {
		return p.flushFull(ctx)
	}
	return nil
}

// Flush hands the pending batch to the Writer and waits until it is stored.
// Writes are never abandoned when ctx ends (a killed ingest): the Writer
// inserts detached from its callers anyway, and waiting for the outcome is
// what keeps the summary and ingest_log true.
func (p *Pipeline) Flush(ctx context.Context) error {
	if err := p.wait(); err != nil {
		return err
	}
	if p.dlErr != nil {
		return p.dlErr
	}
	if len(p.batch) == 0 {
		return nil
	}
	batch, pos := p.take()
	res, err := p.w.Write(context.WithoutCancel(ctx), batch, p.opts.Urgent)
	return p.settle(writeOutcome{rows: len(batch), pos: pos, res: res, err: err})
}

// flushFull hands a full batch to the Writer in the background, so the next
// batch is decoded while this one is inserted; at most one is in flight.
// Its outcome is collected by the next flushFull or Flush.
func (p *Pipeline) flushFull(ctx context.Context) error {
	if err := p.wait(); err != nil {
		return err
	}
	batch, pos := p.take()
	done := make(chan writeOutcome, 1)
	p.inflight = done
	go func() {
		res, err := p.w.Write(context.WithoutCancel(ctx), batch, p.opts.Urgent)
		done <- writeOutcome{rows: len(batch), pos: pos, res: res, err: err}
	}()
	return nil
}

func (p *Pipeline) take() ([]events.Row, []linePos) {
	batch, pos := p.batch, p.pos
	p.batch, p.pos = make([]events.Row, 0, p.opts.BatchSize), make([]linePos, 0, p.opts.BatchSize)
	return batch, pos
}

type writeOutcome struct {
	rows int
	pos  []linePos
	res  WriteResult
	err  error
}

// wait collects the in-flight write, if any.
func (p *Pipeline) wait() error {
	if p.inflight == nil {
		return nil
	}
	o := <-p.inflight
	p.inflight = nil
	return p.settle(o)
}

// settle counts a write's outcome: rows the store refused for good are
// rejected, named by their origin and line; the rest are accepted or
// duplicates.
func (p *Pipeline) settle(o writeOutcome) error {
	if o.err != nil {
		return o.err
	}
	for _, r := range o.res.Refused {
		p.reject(o.pos[r.Index].origin, o.pos[r.Index].line, nil, r.Reason)
	}
	for _, i := range o.res.Conflicts {
		p.reject(o.pos[i].origin, o.pos[i].line, nil, "event_id was stored before with other content (a conflict, not a duplicate): not stored; send a changed event under a new event_id")
		p.sum.Conflicts++
	}
	p.sum.Duplicates += o.res.Duplicates
	p.sum.Accepted += o.rows - o.res.Duplicates - len(o.res.Refused) - len(o.res.Conflicts)
	return nil
}

// Close flushes, records the ingest in ingest_log, and returns the summary.
//
// When the flush fails (the store, a cancelled context: a killed ingest),
// Close still records what was stored before it, if anything was, and
// returns the flush's error: ingest_log accounts for every stored row.
func (p *Pipeline) Close(ctx context.Context) (Summary, error) {
	if p.opts.OnClose != nil {
		defer func() { p.opts.OnClose(p.opts.Source, p.sum) }()
	}
	if err := p.Flush(ctx); err != nil {
		if p.sum.Accepted > 0 {
			if rerr := p.record(ctx); rerr != nil {
				return p.sum, fmt.Errorf("%w (and %v)", err, rerr)
			}
		}
		return p.sum, err
	}
	if p.sum.Accepted+p.sum.Rejected+p.sum.Expired+p.sum.Duplicates == 0 {
		return p.sum, nil
	}
	return p.sum, p.record(ctx)
}

// scrubOrigin records where input came from (a file name, a topic, a
// sender) and returns it redacted (Scrub): an origin is kept in
// ingest_log.origin and named in errors, the log and dead-letter records,
// and a file name may hold a secret. Every origin passes here before it
// is kept anywhere; each distinct one is scrubbed once.
func (p *Pipeline) scrubOrigin(origin string) string {
	red, ok := p.seen[origin]
	if !ok {
		red = redact.Scrub(p.red, origin, nil)
		p.seen[origin], p.seen[red] = red, red
	}
	p.origins[red] = true
	return red
}

// Summary is what the pipeline has done so far.
func (p *Pipeline) Summary() Summary { return p.sum }

func (p *Pipeline) record(ctx context.Context) error {
	// Record what the caller is told even when its context has ended (a
	// killed ingest): the row says what landed before it stopped.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	origin := ""
	for o := range p.origins {
		if origin != "" {
			origin += ", "
		}
		origin += o
	}
	red := map[string]uint64{}
	for k, v := range p.sum.Redactions {
		red[k] = uint64(v)
	}
	vio := map[string]uint64{}
	for k, v := range p.sum.Violations {
		vio[k] = uint64(v)
	}
	err := events.RecordIngest(ctx, p.w.conn, events.IngestLog{
		IngestID: p.sum.IngestID, Started: p.started, Finished: time.Now().UTC(), Source: p.opts.Source, Origin: origin,
		Accepted: uint64(p.sum.Accepted), Rejected: uint64(p.sum.Rejected), Expired: uint64(p.sum.Expired),
		Duplicates: uint64(p.sum.Duplicates), Conflicts: uint64(p.sum.Conflicts), Redactions: red, Violations: vio})
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	return nil
}

// Reject records an input the source could not turn into an event (a
// malformed span, say): counted, kept in the summary's errors, logged. The
// reason must not quote input values.
func (p *Pipeline) Reject(origin string, n int, reason string) {
	p.reject(origin, n, nil, reason)
}

// SetSource names where the events fed from now on come from ("envelope",
// "otlp", …), for pipelines fed by several kinds of source.
func (p *Pipeline) SetSource(source string) {
	if source != "" {
		p.opts.Source = source
	}
}

// scope applies Options.TenantScope to an event's tenant: it fills an
// empty one, and returns the rejection reason for another (never quoting
// the tenant the input named).
func (p *Pipeline) scope(tenant *string) string {
	s := p.opts.TenantScope
	switch {
	case s == "" || *tenant == s:
		return ""
	case *tenant == "":
		*tenant = s
		return ""
	}
	return fmt.Sprintf(`field "tenant": names another tenant than %q, the only one this sender may write`, s)
}

// class is the retention class an event of kind is stored under: the
// pipeline's, except policy and approval events, which are always "audit".
func (p *Pipeline) class(kind envelope.Kind) string {
	if kind == envelope.KindPolicy || kind == envelope.KindApproval {
		return "audit"
	}
	return p.opts.Retention
}

// expired drops an event already past its retention when it arrives (the
// store's TTL would delete it at once): counted as expired, named and
// dead-lettered, never counted as accepted. It reports whether it did.
func (p *Pipeline) expired(origin string, n int, raw []byte, ts time.Time, days uint16, class string) bool {
	now := p.opts.Now()
	if ts.AddDate(0, 0, int(days)).After(now) {
		return false
	}
	p.sum.Expired++
	p.keep(origin, n, raw, fmt.Sprintf("expired: ts %s is past the %d-day retention of class %q; not stored",
		ts.UTC().Format(time.RFC3339), days, class), true)
	return true
}

func outOfRange(ts time.Time) bool { return ts.Before(MinTS) || !ts.Before(MaxTS) }

func tsReason(ts time.Time) string {
	return fmt.Sprintf(`field "ts": %s is outside what the store keeps (%s to %s)`,
		ts.UTC().Format(time.RFC3339), MinTS.Format("2006-01-02"), MaxTS.AddDate(0, 0, -1).Format("2006-01-02"))
}

func describe(vs []envelope.Violation) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += v.Field + " " + v.Problem
	}
	return s
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
