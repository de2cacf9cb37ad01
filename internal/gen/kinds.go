package gen

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// memory writes a memory event: a read of the customer's preferences, a
// write of the conversation summary, or an erasure.
func (g *generator) memory(op string) {
	s := &g.rs
	l := g.child(envelope.KindMemory, g.ms(3, 30), "ok")
	l.str("op", op)
	switch op {
	case "read":
		l.strs("read_ids", "prefs:"+s.cust)
		l.str("retention_class", "365d")
		l.str("policy_basis", "consent")
	case "write":
		l.strs("write_ids", "conv:"+s.cust+":"+s.task.name)
		l.str("retention_class", "30d")
		l.str("policy_basis", "contract")
	default:
		l.strs("write_ids", "prefs:"+s.cust, "conv:"+s.cust+":"+s.task.name)
		l.str("retention_class", "365d")
		l.str("policy_basis", "erasure_request")
	}
	g.done()
}

// retrieval writes a knowledge-base lookup. A few try a forbidden source
// (denied); a few find nothing (attributes.hits 0, source_ids naming the
// index searched); some are served from a stale index.
func (g *generator) retrieval() {
	r, s := &g.r, &g.rs
	l := g.child(envelope.KindRetrieval, g.ms(25, 180), "ok")
	src := kbSources[s.task.name]
	denied := r.chance(0.02)
	hits := r.between(1, 3)
	switch {
	case denied:
		l.strs("source_ids", pick(r, forbidden))
	case r.chance(0.03):
		hits = 0
		l.strs("source_ids", "index:support-kb")
	case hits == 1:
		l.strs("source_ids", g.source(src))
	case hits == 2:
		l.strs("source_ids", g.source(src), "orders:"+s.ord)
	default:
		l.strs("source_ids", g.source(src), g.source(src), "orders:"+s.ord)
	}
	stale := r.chance(s.rel.staleP)
	age := float64(r.between(60, 5*86400))
	if stale {
		age = float64(r.between(8*86400, 90*86400))
	}
	l.key("freshness")
	l.b = append(l.b, `{"stale":`...)
	l.b = strconv.AppendBool(l.b, stale)
	l.b = append(l.b, `,"age_s":`...)
	l.b = strconv.AppendInt(l.b, int64(age), 10)
	l.b = append(l.b, '}')
	if denied {
		l.str("access_decision", "denied")
	} else {
		l.str("access_decision", "allowed")
	}
	l.bool("citation_required", !strings.HasPrefix(src[0], "catalog:"))
	a := newObj(g.tmp[:0])
	a.int("hits", int64(hits))
	a.str("index", "support-kb")
	g.tmp = a.end()
	l.raw("attributes", g.tmp)
	g.done()
}

func (g *generator) source(src []string) string {
	return strings.Replace(pick(&g.r, src), "{sku}", g.rs.sku, 1)
}

// model writes a model call and reports whether it succeeded. Three in
// four carry the agent's own cost (a few of them discounted for cached
// input, so they disagree with the price table); the rest leave cost_usd
// for ingest to compute.
func (g *generator) model(step, model string, inBase, outBase int, outStatus string) bool {
	r, s := &g.r, &g.rs
	scale := s.rel.tokenScale * (0.9 + 0.2*r.float())
	in := int64(math.Round(float64(inBase)*(0.8+0.4*r.float())*scale)) + int64(len(g.marks))*45
	out := int64(math.Round(float64(outBase) * (0.6 + 0.8*r.float())))
	failed := r.chance(0.012)
	if failed {
		out = 0
	}
	sp := modelSpeed[model]
	ttft := sp[0] + r.intn(150)
	lat := time.Duration(ttft+int(out)*sp[1]+r.intn(120)) * time.Millisecond
	status := "ok"
	if failed {
		status, outStatus = "error", "error"
	}
	l := g.child(envelope.KindModel, lat+g.ms(10, 40), status)
	s.models++
	cached := int64(0)
	if step == "reply" && r.chance(0.5) {
		cached = in * int64(r.between(20, 70)) / 100
	}
	a := newObj(g.tmp[:0])
	a.str("gen_ai.system", providers[model])
	a.str("step", step)
	a.num("temperature", 0.2, 1)
	if cached > 0 {
		a.int("gen_ai.usage.cache_read.input_tokens", cached)
	}
	if !failed {
		a.int("time_to_first_token_ms", int64(ttft))
	}
	g.tmp = a.end()
	l.raw("attributes", g.tmp)
	l.str("model", model)
	l.str("prompt_version", s.rel.prompt)
	l.key("input_ref")
	l.b = append(l.b, `"blob://support-transcripts/`...)
	l.b = append(l.b, s.tenant...)
	l.b = append(l.b, '/')
	l.b = r.appendHex(l.b, 12)
	l.b = append(l.b, "/model-"...)
	l.b = strconv.AppendInt(l.b, int64(s.models), 10)
	l.b = append(l.b, `.json"`...)
	l.str("output_status", outStatus)
	l.int("input_tokens", in)
	l.int("output_tokens", out)
	if r.chance(0.75) {
		cost, _ := g.prices.Cost(model, in, out)
		if cached > 0 && r.chance(0.1) {
			cost, _ = g.prices.CostCached(model, in-cached, cached, out)
		}
		l.num("cost_usd", cost, 8)
	}
	l.int("latency_ms", int64(lat/time.Millisecond))
	g.done()
	return !failed
}

// tool writes a tool call (after its policy decision and approval when
// the tool is gated, and a retry when it fails) and reports whether the
// run goes on.
func (g *generator) tool(name string) bool {
	r, s := &g.r, &g.rs
	def := tools[name]
	auth := "allowed"
	if def.gated {
		auth = g.gate(name, def)
	}
	s.actions = append(s.actions, name)
	idem := r.appendHex(append(g.tmp[:0], "idem_"...), 16)
	key := string(idem)
	if auth != "allowed" {
		g.toolEvent(name, def, auth, key, 0, "error", g.ms(1, 8))
		s.stop, s.handoff = "policy_blocked", true
		return false
	}
	errP := s.rel.toolErrP * def.errScale
	for retry := int64(0); ; retry++ {
		if !r.chance(errP) {
			g.toolEvent(name, def, auth, key, retry, "ok", g.ms(def.ms[0], def.ms[1]))
			return true
		}
		g.toolEvent(name, def, auth, key, retry, "error", g.ms(def.ms[1], 3*def.ms[1]))
		if retry == 2 || r.chance(0.3) {
			s.status, s.stop = "error", "tool_error"
			return false
		}
	}
}

func (g *generator) toolEvent(name string, def toolDef, auth, key string, retry int64, status string, d time.Duration) {
	s := &g.rs
	l := g.child(envelope.KindTool, d, status)
	l.str("tool", name)
	a := newObj(g.tmp[:0])
	switch name {
	case "lookup_order", "update_address":
		a.str("order_id", s.ord)
		if name == "lookup_order" {
			a.strs("fields", "status", "carrier", "eta")
		}
	case "issue_refund":
		a.str("order_id", s.ord)
		a.key("amount")
		a.b = append(a.b, `{"value":`...)
		a.b = appendNum(a.b, s.amt, 2)
		a.b = append(a.b, `,"currency":"USD"}`...)
	case "get_subscription", "cancel_subscription":
		a.str("subscription_id", s.sub)
	case "search_catalog":
		a.str("sku", s.sku)
	case "create_ticket":
		a.str("queue", "tier2")
		a.str("reason", s.task.name)
	default:
		a.str("customer_id", s.cust)
	}
	g.tmp = a.end()
	l.raw("args", g.tmp)
	l.str("authorization", auth)
	l.int("retry_count", retry)
	l.str("idempotency_key", key)
	l.str("side_effect", def.sideEffect)
	if status == "error" && auth == "allowed" {
		a := newObj(g.tmp[:0])
		a.str("error.type", pick(&g.r, toolErrors))
		g.tmp = a.end()
		l.raw("attributes", g.tmp)
	}
	g.done()
}

var toolErrors = []string{"timeout", "upstream_503", "rate_limited", "invalid_state"}

// gate writes the policy decision before a gated tool, and the approval
// when it asks for one, and returns the tool's authorization.
func (g *generator) gate(name string, def toolDef) string {
	r, s := &g.r, &g.rs
	version, decision, reason := "account-security@v2", "allow", def.reasonOK
	switch name {
	case "issue_refund":
		version = s.rel.policy
		switch {
		case s.amt > 500:
			decision, reason = "deny", "amount_over_hard_limit"
		case r.chance(0.03):
			decision, reason = "deny", "outside_refund_window"
		case s.amt > s.rel.refundCap:
			decision, reason = "require_approval", "amount_over_auto_limit"
		}
	case "send_reset_link":
		switch x := r.float(); {
		case x < 0.03:
			decision, reason = "deny", "account_fraud_hold"
		case x < 0.10:
			decision, reason = "require_approval", "unverified_contact_change"
		}
	case "cancel_subscription":
		version = "subscriptions@v1"
		if r.chance(0.1) {
			decision, reason = "require_approval", "annual_contract_early_exit"
		}
	}
	if s.dataset && s.c.PolicyDecision != "" {
		// Dataset runs reach the case's expected decision unless the
		// release gets it wrong.
		decision = s.c.PolicyDecision
		if r.chance(s.rel.flipP) {
			decision = pick(r, otherDecisions[decision])
		}
		reason = reasonFor[decision]
		if decision == "allow" {
			reason = def.reasonOK
		}
	}
	enforcement := "blocking"
	if s.env == "staging" && r.chance(0.2) {
		enforcement = "audit"
	}
	l := g.child(envelope.KindPolicy, g.ms(1, 12), "ok")
	l.str("policy_version", version)
	l.str("decision", decision)
	l.str("reason_code", reason)
	l.str("enforcement", enforcement)
	g.done()
	switch decision {
	case "deny":
		if enforcement == "audit" {
			return "allowed"
		}
		return "denied"
	case "require_approval":
		return g.approval(name, def)
	}
	return "allowed"
}

var (
	otherDecisions = map[string][]string{
		"allow": {"deny", "require_approval"}, "deny": {"allow"}, "require_approval": {"allow", "deny"},
	}
	reasonFor = map[string]string{"deny": "policy_denied", "require_approval": "needs_human_review"}
)

// approvalTTL is how long an approval request stays open.
const approvalTTL = 15 * time.Minute

// approval writes a human approval and returns the tool's authorization:
// most are approved within minutes, some rejected, some expire.
func (g *generator) approval(action string, def toolDef) string {
	r := &g.r
	result, auth := "approved", "allowed"
	d := time.Duration(r.between(20, 600)) * time.Second
	switch x := r.float(); {
	case x < 0.07:
		result, auth, d = "expired", "approval_required", approvalTTL
	case x < 0.17:
		result, auth = "rejected", "denied"
	}
	ts := g.rs.cur
	l := g.child(envelope.KindApproval, d, "ok")
	role := def.approver
	if action == "issue_refund" && g.rs.amt > 300 {
		role = "finance_manager"
	}
	l.str("approver_role", role)
	l.str("action", action)
	l.time("expires_at", ts.Add(approvalTTL))
	l.str("result", result)
	g.done()
	return auth
}

// guardrail writes an output-content policy check before the reply.
func (g *generator) guardrail() {
	r := &g.r
	decision, reason := "allow", "no_pii_detected"
	if r.chance(0.03) {
		decision, reason = "deny", "pii_in_output"
	}
	l := g.child(envelope.KindPolicy, g.ms(2, 20), "ok")
	l.str("policy_version", "content-safety@v2")
	l.str("decision", decision)
	l.str("reason_code", reason)
	l.str("enforcement", "audit")
	g.done()
}

// evals writes one eval event per evaluator after the run.
func (g *generator) evals() {
	r, s := &g.r, &g.rs
	for _, e := range evaluators {
		score := e.base + s.rel.evalShift + (r.float()-0.5)*0.3
		if e.name == "policy_compliance" {
			score = 1
			if s.stop == "policy_blocked" && s.c.PolicyDecision == "allow" || r.chance(0.02) {
				score = 0
			}
		}
		score = math.Max(0, math.Min(1, math.Round(score*1000)/1000))
		l := g.child(envelope.KindEval, g.ms(150, 900), "ok")
		l.str("evaluator", e.name)
		l.str("evaluator_version", e.version)
		l.num("score", score, 3)
		l.num("threshold", e.threshold, 2)
		l.bool("passed", score >= e.threshold)
		g.done()
	}
}
