// Package otlp maps OpenTelemetry traces (OTLP) of AI agents to evalhouse
// events and accepts them over OTLP/HTTP (POST /v1/traces) and from OTLP
// export files. It understands the OTel GenAI and OpenInference semantic
// conventions, OpenLLMetry's, a little of Mastra's, and evalhouse.*
// attributes for what no convention covers. docs/otlp.md has the mapping
// table and the precedence rules.
//
// Map is a pure function (no store): the handler and the file reader feed
// its events through an ingest.Pipeline.
package otlp

import (
	"encoding/hex"
	"math"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Defaults are a tenant, environment and release for events whose
// telemetry does not name them.
type Defaults struct {
	Tenant      string
	Environment string
	Release     string
}

// Options configure Map. The zero value is usable.
type Options struct {
	// Sender holds what the sender said outside the payload (the
	// X-Evalhouse-Tenant/-Environment/-Release headers). It beats the OTel
	// resource conventions and loses to evalhouse.* attributes.
	Sender Defaults
	// Fallback holds the server's configured defaults, used when nothing
	// else names a value.
	Fallback Defaults
}

// Result is what Map made of a request. Every span is accounted for:
// Spans == Mapped + Folded + len(Rejected).
type Result struct {
	// Events in request order; a span's evaluation events follow it.
	Events []*envelope.Event
	// Spans is the number of spans in the request.
	Spans int
	// Mapped spans became one event each.
	Mapped int
	// Folded spans carry no convention of ours (or are agent steps inside
	// a run); they are listed on their run's event, or, when their run is
	// not in the request, listed in Unattached: such a span maps to no
	// event and has no run to be listed on, so it is not stored, and Feed
	// reports it as rejected with that reason (never a silent drop).
	Folded     int
	Unattached []SpanError
	// Rejected spans are unusable (bad ids, no start time).
	Rejected []SpanError
}

// SpanError says why one span was rejected. It never quotes attribute values.
type SpanError struct {
	// Pos is the span's 1-based position in the request.
	Pos     int    `json:"pos"`
	TraceID string `json:"trace_id,omitempty"`
	SpanID  string `json:"span_id,omitempty"`
	Reason  string `json:"reason"`
}

// unattachedReason is why a span with no event kind and no run is not stored.
const unattachedReason = "maps to no event kind (no gen_ai.*, openinference.* or evalhouse.* attributes) and its run is not in the request, so it has nothing to be stored with; send it with its run, or mark it with evalhouse.kind"

// maxFolded bounds the otel.folded_spans list on one run event.
const maxFolded = 500

// node is one span while a request is mapped.
type node struct {
	span          *tracepb.Span
	res           *resource
	scope         *commonpb.InstrumentationScope
	trace, id     string // hex
	parent        string // hex; "" for a root
	a             attrs
	cls           class
	own           runCtx
	parentNode    *node
	state         uint8 // 0 new, 1 being settled, 2 settled
	ctx           runCtx
	isRun, mapped bool
	underRun      bool   // some ancestor in the request is a run
	topClean      bool   // every ancestor is in the request and folded, up to the trace root
	effParent     string // nearest ancestor that is (or may be) an event
	mappedAnc     *node  // nearest ancestor in the request that maps to an event
	ev            *envelope.Event
	pos           int // 1-based position in the request
}

// runCtx is what evalhouse.* attributes say about a span's run.
type runCtx struct{ tenant, env, release, runID, dataset, caseID string }

func (c *runCtx) take(a attrs) {
	c.tenant, _ = a.takeStr("evalhouse.tenant")
	c.env, _ = a.takeStr("evalhouse.environment")
	c.release, _ = a.takeStr("evalhouse.release")
	c.runID, _ = a.takeStr("evalhouse.run_id")
	c.dataset, _ = a.takeStr("evalhouse.dataset")
	c.caseID, _ = a.takeStr("evalhouse.case_id")
}

// under fills c's gaps from p.
func (c runCtx) under(p runCtx) runCtx {
	for _, f := range []struct{ dst, src *string }{
		{&c.tenant, &p.tenant}, {&c.env, &p.env}, {&c.release, &p.release},
		{&c.runID, &p.runID}, {&c.dataset, &p.dataset}, {&c.caseID, &p.caseID},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	return c
}

// resource is one ResourceSpans' resource.
type resource struct {
	a                    attrs // stored whole on each event under otel.resource
	own                  runCtx
	env, release, tenant string // from OTel conventions
}

func newResource(kvs []*commonpb.KeyValue) *resource {
	r := &resource{a: toAttrs(kvs)}
	probe := make(attrs, 8)
	for _, k := range []string{"evalhouse.tenant", "evalhouse.environment", "evalhouse.release", "evalhouse.run_id", "evalhouse.dataset", "evalhouse.case_id"} {
		if v, ok := r.a[k]; ok {
			probe[k] = v
		}
	}
	r.own.take(probe)
	r.env = first(r.a, "deployment.environment.name", "deployment.environment")
	r.release = first(r.a, "service.version")
	r.tenant = first(r.a, "service.namespace")
	return r
}

func first(a attrs, keys ...string) string {
	for _, k := range keys {
		if s, ok := a.str(k); ok {
			return s
		}
	}
	return ""
}

// Map turns a request into events; see the package doc and docs/otlp.md.
func Map(req *coltracepb.ExportTraceServiceRequest, opts Options) Result {
	var res Result
	var nodes []*node
	byID := map[string]*node{}
	pos := 0
	for _, rs := range req.GetResourceSpans() {
		r := newResource(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				pos++
				n, reason := newNode(sp, r, ss.GetScope())
				n.pos = pos
				if reason != "" {
					res.Rejected = append(res.Rejected, SpanError{Pos: pos, TraceID: n.trace, SpanID: n.id, Reason: reason})
					continue
				}
				nodes = append(nodes, n)
				if _, dup := byID[n.trace+n.id]; !dup {
					byID[n.trace+n.id] = n
				}
			}
		}
	}
	res.Spans = pos
	for _, n := range nodes {
		if n.parent != "" {
			n.parentNode = byID[n.trace+n.parent]
		}
	}
	for _, n := range nodes {
		settle(n)
	}
	runs := map[string]*node{} // run_id → first run event in the request
	for _, n := range nodes {
		if n.isRun {
			rid := runID(n)
			if runs[rid] == nil {
				runs[rid] = n
			}
		}
	}
	for _, n := range nodes {
		if n.mapped {
			n.ev = event(n, opts)
			res.Mapped++
		}
	}
	for _, n := range nodes {
		if n.mapped {
			res.Events = append(res.Events, n.ev)
		} else {
			res.Folded++
			if !fold(n, runs) {
				res.Unattached = append(res.Unattached, SpanError{Pos: n.pos, TraceID: n.trace, SpanID: n.id, Reason: unattachedReason})
			}
		}
		res.Events = append(res.Events, spanEvents(n, opts)...)
	}
	return res
}

// newNode validates a span and converts its attributes.
func newNode(sp *tracepb.Span, r *resource, scope *commonpb.InstrumentationScope) (*node, string) {
	n := &node{span: sp, res: r, scope: scope}
	tid, sid, pid := sp.GetTraceId(), sp.GetSpanId(), sp.GetParentSpanId()
	n.trace, n.id, n.parent = hex.EncodeToString(tid), hex.EncodeToString(sid), hex.EncodeToString(pid)
	switch {
	case len(tid) != 16 || allZero(tid):
		return n, "trace_id is not 16 non-zero bytes"
	case len(sid) != 8 || allZero(sid):
		return n, "span_id is not 8 non-zero bytes"
	case len(pid) != 0 && len(pid) != 8:
		return n, "parent_span_id is not 8 bytes"
	case sp.GetStartTimeUnixNano() == 0:
		return n, "start_time_unix_nano is missing"
	case sp.GetStartTimeUnixNano() > math.MaxInt64:
		return n, "start_time_unix_nano is out of range"
	}
	if allZero(pid) {
		n.parent = ""
	}
	n.a = toAttrs(sp.GetAttributes())
	n.cls = classify(n.a)
	n.own.take(n.a)
	return n, ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// settle decides, ancestors first, each span's run context, whether it is
// a run, whether it maps to an event and where it hangs in the stored tree.
// It walks up iteratively (a request may hold a very deep chain) and
// treats a parent cycle as a missing parent.
func settle(n *node) {
	var chain []*node
	for cur := n; cur != nil && cur.state == 0; cur = cur.parentNode {
		cur.state = 1
		chain = append(chain, cur)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		p := c.parentNode
		if p != nil && p.state != 2 {
			p = nil // a cycle
		}
		base := c.res.own
		if p != nil {
			base = p.ctx
		}
		c.ctx = c.own.under(base)
		c.underRun = p != nil && (p.isRun || p.underRun)
		c.topClean = c.parent == "" || (p != nil && p.cls.role == roleFold && p.topClean)
		switch c.cls.role {
		case roleEvent:
			c.mapped = true
			c.isRun = c.cls.kind == envelope.KindRun
		case roleAgent:
			c.isRun = !c.underRun
			c.mapped = c.isRun
		case roleRootChain:
			c.isRun = c.topClean
			c.mapped = c.isRun
		}
		switch {
		case p == nil:
			c.effParent = c.parent
		case p.mapped:
			c.effParent = p.id
		default:
			c.effParent = p.effParent
		}
		if p != nil {
			c.mappedAnc = p.mappedAnc
			if p.mapped {
				c.mappedAnc = p
			}
		}
		c.state = 2
	}
}

// runID is the span's run: evalhouse.run_id (on the span, the nearest
// ancestor in the request, or the resource), else the trace id.
func runID(n *node) string {
	if n.ctx.runID != "" {
		return n.ctx.runID
	}
	return n.trace
}

// event builds the event of a mapped span: common fields here, the kind's
// own in fillKind.
func event(n *node, opts Options) *envelope.Event {
	sp := n.span
	kind := n.cls.kind
	ev := &envelope.Event{
		Kind:         kind,
		EventID:      n.trace + n.id,
		TraceID:      n.trace,
		SpanID:       n.id,
		ParentSpanID: n.effParent,
		RunID:        runID(n),
		TS:           time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC(),
		Status:       "ok",
		Dataset:      n.ctx.dataset,
		CaseID:       n.ctx.caseID,
	}
	ev.Tenant, ev.Environment, ev.Release = placement(n.ctx, n.res, opts)
	if end := sp.GetEndTimeUnixNano(); end >= sp.GetStartTimeUnixNano() && end <= math.MaxInt64 {
		d := float64(end-sp.GetStartTimeUnixNano()) / 1e6
		ev.DurationMS = &d
	}
	if sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		ev.Status = "error"
	}
	if n.cls.via == "evalhouse.kind" {
		delete(n.a, "evalhouse.kind")
	}
	fillKind(ev, n)
	if n.effParent != n.parent {
		n.a.setIfFree("otel.parent_span_id", n.parent)
	}
	meta(n)
	ev.Attributes = map[string]any(n.a)
	return ev
}

// placement resolves tenant, environment and release: evalhouse.*
// attributes (span, ancestors, resource) > Sender (headers) > OTel
// resource conventions > Fallback (server config).
func placement(c runCtx, r *resource, opts Options) (tenant, env, release string) {
	pick := func(vs ...string) string {
		for _, v := range vs {
			if v != "" {
				return v
			}
		}
		return ""
	}
	tenant = pick(c.tenant, opts.Sender.Tenant, r.tenant, opts.Fallback.Tenant)
	env = pick(c.env, opts.Sender.Environment, r.env, opts.Fallback.Environment)
	release = pick(c.release, opts.Sender.Release, r.release, opts.Fallback.Release)
	return
}

var spanKinds = map[tracepb.Span_SpanKind]string{
	tracepb.Span_SPAN_KIND_INTERNAL: "internal", tracepb.Span_SPAN_KIND_SERVER: "server",
	tracepb.Span_SPAN_KIND_CLIENT: "client", tracepb.Span_SPAN_KIND_PRODUCER: "producer",
	tracepb.Span_SPAN_KIND_CONSUMER: "consumer",
}

// meta records the span's OTLP envelope under otel.* attribute keys (a
// key the span itself used wins).
func meta(n *node) {
	sp, a := n.span, n.a
	a.setIfFree("otel.span.name", sp.GetName())
	if k, ok := spanKinds[sp.GetKind()]; ok {
		a.setIfFree("otel.span.kind", k)
	}
	if s := n.scope.GetName(); s != "" {
		a.setIfFree("otel.scope.name", s)
	}
	if s := n.scope.GetVersion(); s != "" {
		a.setIfFree("otel.scope.version", s)
	}
	if s := sp.GetStatus().GetMessage(); s != "" {
		a.setIfFree("otel.status_description", s)
	}
	if len(n.res.a) > 0 {
		a.setIfFree("otel.resource", clone(map[string]any(n.res.a)))
	}
	if n.cls.via != "" {
		a.setIfFree("otel.mapped_by", n.cls.via)
	}
	if c := sp.GetDroppedAttributesCount(); c > 0 {
		a.setIfFree("otel.dropped_attributes_count", int64(c))
	}
	var evs []any
	for _, e := range sp.GetEvents() {
		if e.GetName() == evalEventName {
			continue // its own eval event
		}
		m := map[string]any{"name": e.GetName(), "time": time.Unix(0, int64(min(e.GetTimeUnixNano(), math.MaxInt64))).UTC().Format(time.RFC3339Nano)}
		if len(e.GetAttributes()) > 0 {
			m["attributes"] = map[string]any(toAttrs(e.GetAttributes()))
		}
		evs = append(evs, m)
	}
	if len(evs) > 0 {
		a.setIfFree("otel.events", evs)
	}
	var links []any
	for _, l := range sp.GetLinks() {
		m := map[string]any{"trace_id": hex.EncodeToString(l.GetTraceId()), "span_id": hex.EncodeToString(l.GetSpanId())}
		if len(l.GetAttributes()) > 0 {
			m["attributes"] = map[string]any(toAttrs(l.GetAttributes()))
		}
		links = append(links, m)
	}
	if len(links) > 0 {
		a.setIfFree("otel.links", links)
	}
}

// clone deep-copies a decoded value, so that redacting one event's copy
// leaves the others alone.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = clone(e)
		}
		return s
	}
	return v
}

// fold lists a folded span on the event of its nearest ancestor that has
// one, else on the request's run event with the same run_id. False when
// there is none in the request.
func fold(n *node, runs map[string]*node) bool {
	r := n.mappedAnc
	if r == nil {
		r = runs[runID(n)]
	}
	if r == nil || r.ev == nil {
		return false
	}
	a := r.ev.Attributes
	list, ok := a["otel.folded_spans"].([]any)
	if _, taken := a["otel.folded_spans"]; taken && !ok {
		return true // the run span uses the key itself: keep its value
	}
	if len(list) >= maxFolded {
		c, _ := a["otel.folded_spans_omitted"].(int64)
		a["otel.folded_spans_omitted"] = c + 1
		return true
	}
	f := map[string]any{"span_id": n.id, "parent_span_id": n.parent, "name": n.span.GetName()}
	if n.cls.via != "" {
		f["via"] = n.cls.via
	}
	if end, start := n.span.GetEndTimeUnixNano(), n.span.GetStartTimeUnixNano(); end >= start && end <= math.MaxInt64 {
		f["duration_ms"] = float64(end-start) / 1e6
	}
	if n.span.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		f["status"] = "error"
	}
	a["otel.folded_spans"] = append(list, f)
	return true
}
