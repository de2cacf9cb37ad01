package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// ---------------------------------------------------------------------------
// Releases and runs

type release struct {
	name       string
	file       string
	start      time.Time
	dataset    string // the dataset version its staging runs execute
	prompt     string
	tokenScale float64 // 2.4.0's new system prompt is ~40% longer
	evalShift  float64
	staleP     float64 // share of retrievals served from a stale index
	events     []*Event
}

type run struct {
	s        *scenario
	rel      *release
	c        caseDef
	b        behavior
	env      string
	id       string
	trace    string
	root     string
	dataset  string
	caseID   string
	start    time.Time
	cur      time.Time
	children []*Event
	models   int
	actions  []string
}

func (s *scenario) ms(lo, hi int) time.Duration {
	return time.Duration(lo+s.rng.IntN(hi-lo+1)) * time.Millisecond
}

func durMS(d time.Duration) *float64 { return f64(float64(d.Milliseconds())) }

func (s *scenario) newRun(rel *release, c caseDef, env string, start time.Time) *run {
	r := &run{s: s, rel: rel, c: c, b: behaviors[rel.name][c.id], env: env, start: start, cur: start.Add(s.ms(8, 25))}
	r.id = "run-" + rel.name + "-" + c.id
	r.trace = s.traceID()
	r.root = s.spanID()
	if env == "staging" {
		r.dataset, r.caseID = rel.dataset, c.id
	} else {
		r.b = behavior{} // the twists are dataset-case behaviours
	}
	return r
}

// base fills the fields every event carries. Roughly one event in ten has no
// event_id, so ingest derives one.
func (r *run) base(kind string, ts time.Time, d time.Duration) *Event {
	e := &Event{
		Kind: envelope.Kind(kind), TraceID: r.trace, SpanID: r.s.spanID(), ParentSpanID: r.root, RunID: r.id,
		Tenant: tenant, Environment: r.env, Release: r.rel.name, TS: ts, DurationMS: durMS(d),
		Status: "ok", Dataset: r.dataset, CaseID: r.caseID,
	}
	if r.s.rng.Float64() >= 0.1 {
		e.EventID = "evt_" + r.s.pick(lowerHex, 24)
	}
	return e
}

// child appends a child span that starts now and lasts d.
func (r *run) child(kind string, d time.Duration) *Event {
	e := r.base(kind, r.cur, d)
	r.children = append(r.children, e)
	r.cur = r.cur.Add(d + r.s.ms(3, 40))
	return e
}

func (r *run) where(e *Event, path string) string {
	what := string(e.Kind)
	switch e.Kind {
	case "tool":
		what = "tool " + e.Tool
	case "memory":
		what = "memory " + e.Op
	}
	return fmt.Sprintf("%s %s %s %s", r.rel.file, r.id, what, path)
}

var modelSpeed = map[string][2]int{ // time to first token (ms), ms per output token
	"gpt-4o":          {380, 14},
	"gpt-4o-mini":     {260, 8},
	"claude-sonnet-4": {620, 17},
}

var provider = map[string]string{"gpt-4o": "openai", "gpt-4o-mini": "openai", "claude-sonnet-4": "anthropic"}

func (r *run) model(model, step string, inBase, outBase int, outStatus string) *Event {
	s := r.s
	scale := r.rel.tokenScale * (0.96 + 0.08*s.rng.Float64())
	in := int64(math.Round(float64(inBase) * (0.85 + 0.3*s.rng.Float64()) * scale))
	out := int64(math.Round(float64(outBase) * (0.75 + 0.5*s.rng.Float64()) * scale))
	in += int64(len(r.children)) * 45 // the transcript grows
	sp := modelSpeed[model]
	lat := time.Duration(sp[0]+int(out)*sp[1]+s.rng.IntN(120)) * time.Millisecond
	d := lat + s.ms(12, 45)
	e := r.child("model", d)
	r.models++
	e.Model = model
	e.PromptVersion = r.rel.prompt
	e.InputRef = fmt.Sprintf("blob://acme-support-transcripts/%s/model-%d.json", r.id, r.models)
	e.OutputStatus = outStatus
	e.InputTokens, e.OutputTokens = i64(in), i64(out)
	e.LatencyMS = durMS(lat)
	e.Attributes = map[string]any{"gen_ai.system": provider[model], "step": step, "temperature": 0.2}
	if r.env == "production" {
		// The production LLM gateway reports its own cost; staging leaves
		// cost_usd out and lets evalhouse price it from the table.
		e.CostUSD = f64(costUSD(model, in, out))
		e.Attributes["gateway"] = "acme-llm-gateway"
	}
	return e
}

func (r *run) tool(name string, args map[string]any, auth string, d time.Duration) *Event {
	e := r.child("tool", d)
	e.Tool = name
	e.Args = args
	e.Authorization = auth
	e.RetryCount = i64(0)
	e.SideEffect = map[string]string{
		"lookup_order": "read", "search_kb": "read", "issue_refund": "external",
		"update_address": "write", "send_email": "external",
	}[name]
	if e.SideEffect == "write" || e.SideEffect == "external" {
		e.IdempotencyKey = r.s.idemKey()
	} else {
		// Reads carry a key too (the trace contract asks every tool call
		// for one); derived from the span so the RNG sequence is unchanged.
		e.IdempotencyKey = "idem_" + e.SpanID
	}
	switch {
	case r.b.retryWithKey == name:
		e.RetryCount = i64(1)
		e.Attributes = map[string]any{"retry.reason": "upstream_timeout"}
	case r.b.retryNoKey == name:
		// 2.4.0's new tool router drops the idempotency key when it retries.
		e.RetryCount = i64(1)
		e.IdempotencyKey = ""
		e.Attributes = map[string]any{"retry.reason": "upstream_timeout", "router": "tool-router@2"}
	}
	if auth == "denied" {
		e.Status = "error"
		e.Attributes = map[string]any{"error": "blocked by policy"}
	}
	if auth != "denied" && e.Status == "ok" {
		r.actions = append(r.actions, name)
	}
	return e
}

func (r *run) retrieval(sources []string, citation bool) *Event {
	s := r.s
	e := r.child("retrieval", s.ms(35, 180))
	e.SourceIDs = sources
	e.AccessDecision = "allowed"
	e.CitationRequired = bptr(citation)
	switch {
	case r.b.noFreshness:
		// contract violation: no freshness reported
	case s.rng.Float64() < r.rel.staleP:
		e.Freshness = &Freshness{Stale: true, AgeS: float64(86400 * (75 + s.rng.IntN(60)))}
		e.Attributes = map[string]any{"index": "kb-snapshot-2026-08-01"}
	default:
		e.Freshness = &Freshness{Stale: false, AgeS: float64(3600 * (1 + s.rng.IntN(140)))}
		e.Attributes = map[string]any{"index": "kb-live"}
	}
	return e
}

func (r *run) memRead() *Event {
	e := r.child("memory", r.s.ms(4, 22))
	e.Op = "read"
	e.ReadIDs = []string{"prefs:" + r.c.cust.id}
	e.RetentionClass = "365d"
	e.PolicyBasis = "consent"
	return e
}

func (r *run) memWrite() *Event {
	e := r.child("memory", r.s.ms(6, 30))
	e.Op = "write"
	e.WriteIDs = []string{"summary:" + r.id}
	e.RetentionClass = "30d"
	e.PolicyBasis = "consent"
	return e
}

func (r *run) policy(version, decision, reason string) *Event {
	e := r.child("policy", r.s.ms(2, 14))
	e.PolicyVersion = version
	e.Decision = decision
	e.ReasonCode = reason
	e.Enforcement = "enforced"
	return e
}

func (r *run) refundPolicy(decision, reason string) *Event {
	e := r.policy("refund-policy@7", decision, reason)
	e.Attributes = map[string]any{"amount_usd": r.c.amount, "auto_limit_usd": 100, "hard_limit_usd": 500}
	return e
}

func (r *run) approval(result string) *Event {
	wait := r.s.ms(45_000, 540_000) // a support lead answers in 1-9 minutes
	ts := r.cur
	e := r.child("approval", wait)
	e.ApproverRole = "support_lead"
	e.Action = "issue_refund"
	exp := ts.Add(30 * time.Minute)
	e.ExpiresAt = &exp
	e.Result = result
	e.Attributes = map[string]any{"order_id": r.c.ref, "amount_usd": r.c.amount}
	return e
}

func (r *run) email(template string, extra map[string]any) *Event {
	args := map[string]any{"to": r.c.cust.email, "template": template, "vars": map[string]any{"customer_name": r.c.cust.name}}
	for k, v := range extra {
		args[k] = v
	}
	r.s.note("email", r.where(&Event{Kind: "tool", Tool: "send_email"}, "args.to"), r.c.cust.email)
	return r.tool("send_email", args, "allowed", r.s.ms(180, 650))
}

func (r *run) lookup(args map[string]any) *Event {
	return r.tool("lookup_order", args, "allowed", r.s.ms(60, 320))
}

func (r *run) searchKB(query string, sources []string, citation bool) {
	r.tool("search_kb", map[string]any{"query": query, "top_k": 3}, "allowed", r.s.ms(40, 150))
	r.retrieval(sources, citation)
}

// play runs one conversation and returns the reply and stop reason.
func (r *run) play() (reply, stop string) {
	c := r.c
	amount := fmt.Sprintf("$%.2f", c.amount)
	switch c.task {
	case "order_status":
		r.memRead()
		r.model("gpt-4o-mini", "plan", 1450, 110, "tool_calls")
		if r.b.maxTurns {
			for i := 0; i < 2; i++ {
				e := r.lookup(map[string]any{"order_id": c.ref, "fields": []string{"status", "carrier", "eta"}})
				e.Status, e.RetryCount = "error", i64(2)
				e.Attributes = map[string]any{"error": "orders-api: context deadline exceeded"}
				if i == 0 {
					r.model("gpt-4o-mini", "plan", 1450, 110, "tool_calls")
				}
			}
			r.model("gpt-4o", "reply", 2100, 140, "stop")
			r.memWrite()
			return "Sorry, I couldn't reach our order system just now. A teammate will look into " + c.ref + " and e-mail you today.", "max_turns"
		}
		args := map[string]any{"order_id": c.ref, "fields": []string{"status", "carrier", "eta"}}
		if c.bearerJWT {
			// The mobile app's session token is forwarded to the orders API.
			args["headers"] = map[string]any{"Authorization": "Bearer " + r.s.sec.bearerJWT, "X-Request-Source": "mobile_app"}
			r.s.note("bearer_jwt", r.where(&Event{Kind: "tool", Tool: "lookup_order"}, "args.headers.Authorization"), r.s.sec.bearerJWT)
		}
		r.lookup(args)
		if c.awsArgs {
			// 2.4.0's e-mail adapter puts its SES credentials into the call.
			e := r.email("shipping_update", map[string]any{"config": map[string]any{
				"provider": "ses", "region": "us-east-1", "aws_access_key_id": r.s.sec.awsKeyID,
			}})
			r.s.note("aws_access_key_id", r.where(e, "args.config.aws_access_key_id"), r.s.sec.awsKeyID)
		}
		r.model("gpt-4o", "reply", 2150, 190, "stop")
		r.memWrite()
		return "Your order " + c.ref + " is with the carrier and is expected to arrive within two business days. I've added a note to notify you if that changes.", "completed"

	case "refund_request":
		r.memRead()
		r.model("gpt-4o-mini", "plan", 1500, 120, "tool_calls")
		r.lookup(map[string]any{"order_id": c.ref, "fields": []string{"status", "payment", "items", "delivered_at"}})
		if c.outsideWindow {
			r.retrieval([]string{"kb:returns-window#v6"}, true)
			r.model("gpt-4o", "reply", 2200, 210, "stop")
			r.memWrite()
			return "That order is outside our 30-day return window, so I can't refund it myself. I've passed it to a support lead who can review an exception.", "escalated"
		}
		r.retrieval([]string{"kb:refund-policy#v4", "kb:payment-methods#v2"}, true)
		refundArgs := map[string]any{"order_id": c.ref, "amount": map[string]any{"value": c.amount, "currency": "USD"}, "method": "original_payment"}
		switch {
		case c.amount > 500:
			r.model("claude-sonnet-4", "decide", 1900, 170, "tool_calls")
			if !r.b.overLimitTry {
				// The 2.3.1 prompt escalates anything above the hard limit
				// without trying the refund.
				r.model("gpt-4o", "reply", 2300, 220, "stop")
				r.memWrite()
				return "A refund of " + amount + " is above what I can approve, so I've escalated " + c.ref + " to a support lead. You'll hear back within one business day.", "escalated"
			}
			r.refundPolicy("deny", "refund_over_limit")
			r.tool("issue_refund", refundArgs, "denied", r.s.ms(3, 12))
			r.model("gpt-4o", "reply", 2300, 220, "stop")
			r.memWrite()
			return "I wasn't able to process a refund of " + amount + " for " + c.ref + ". I've asked a support lead to review it.", "escalated"
		case c.amount > 100:
			r.refundPolicy("require_approval", "requires_manager")
			r.model("claude-sonnet-4", "decide", 1900, 170, "tool_calls")
			switch r.b.approval {
			case "rejected":
				r.approval("rejected")
				r.model("gpt-4o", "reply", 2300, 220, "stop")
				r.memWrite()
				return "A support lead needs to inspect the item before refunding " + amount + ". They'll contact you about a return label.", "escalated"
			case "approved":
				r.approval("approved")
			}
			r.tool("issue_refund", refundArgs, "approval_required", r.s.ms(650, 1600))
		default:
			r.refundPolicy("allow", "within_limit")
			r.tool("issue_refund", refundArgs, "allowed", r.s.ms(650, 1600))
		}
		r.email("refund_confirmation", map[string]any{"order_id": c.ref})
		r.model("gpt-4o", "reply", 2300, 220, "stop")
		r.memWrite()
		return "I've refunded " + amount + " for " + c.ref + " to your original payment method. It usually shows up within 5-10 business days.", "completed"

	case "password_reset":
		r.model("gpt-4o-mini", "plan", 1350, 90, "tool_calls")
		r.searchKB("password reset email not received account locked", []string{"kb:password-reset#v9", "kb:account-lockout#v3"}, false)
		if c.id == "c023" {
			r.model("gpt-4o", "reply", 2000, 200, "stop")
			r.memWrite()
			return "For your security I can't send a reset link to a new address from chat. I've opened a verified e-mail change request; our team will confirm your identity by phone.", "escalated"
		}
		r.email("password_reset", nil)
		r.model("gpt-4o", "reply", 2000, 170, "stop")
		r.memWrite()
		if c.resetLinkOut {
			// 2.4.0's new prompt pastes the reset link into the chat reply.
			return "Here's your reset link, it's valid for 30 minutes: https://account.acme.example/reset?token=" + r.s.sec.resetJWT, "completed"
		}
		if c.reply != "" {
			return c.reply, "completed"
		}
		return "I've sent a fresh password reset link to " + c.cust.email + ". It expires in 30 minutes; check the spam folder if it hasn't arrived in five.", "completed"

	case "cancel_subscription":
		r.memRead()
		r.lookup(map[string]any{"subscription_id": c.ref, "fields": []string{"plan", "renews_at", "status"}})
		r.searchKB("cancel subscription end of billing period refund", []string{"kb:cancellation#v5"}, true)
		if c.id == "c024" {
			e := r.retrieval([]string{"kb:retention-offers-internal#v2"}, false)
			e.AccessDecision = "denied"
			e.Attributes = map[string]any{"reason": "internal_only", "index": "kb-live"}
		}
		if r.b.piiExport {
			r.model("gpt-4o", "reply", 2100, 160, "tool_calls")
			r.policy("pii-policy@3", "deny", "pii_export_blocked")
			e := r.tool("send_email", map[string]any{"to": c.extraEmail, "template": "account_data_export",
				"vars": map[string]any{"accounts": []string{c.cust.id, "linked:" + c.cust.id}}}, "denied", r.s.ms(3, 12))
			r.s.note("email", r.where(e, "args.to"), c.extraEmail)
		}
		r.model("gpt-4o", "reply", 2100, 200, "stop")
		r.email("cancellation_confirmation", map[string]any{"subscription_id": c.ref})
		if c.erasure {
			e := r.child("memory", r.s.ms(10, 40))
			e.Op = "delete"
			e.WriteIDs = []string{"prefs:" + c.cust.id, "summary:" + c.cust.id + ":*"}
			e.PolicyBasis = "erasure_request"
			e.RetentionClass = "365d"
			r.memWrite().WriteIDs = []string{"erasure-receipt:" + c.cust.id}
			return "Your subscription " + c.ref + " is cancelled and I've deleted the preferences and conversation history we kept for you. You'll get an e-mail confirming the erasure.", "completed"
		}
		r.memWrite()
		reply := "Your subscription " + c.ref + " is cancelled at the end of the current billing period; you won't be charged again."
		if c.extraEmail != "" {
			reply += " I can only send an account export to the verified address on your own account."
		}
		return reply, "completed"

	case "shipping_address_change":
		r.memRead()
		r.model("gpt-4o-mini", "plan", 1400, 130, "tool_calls")
		r.lookup(map[string]any{"order_id": c.ref, "fields": []string{"status", "shipping_address"}})
		r.retrieval([]string{"kb:shipping-address-changes#v3"}, false)
		r.tool("update_address", map[string]any{"order_id": c.ref, "address": addressOf(c.message)}, "allowed", r.s.ms(120, 420))
		r.email("address_change_confirmation", map[string]any{"order_id": c.ref})
		r.model("gpt-4o", "reply", 2150, 180, "stop")
		w := r.memWrite()
		if c.pemAttr {
			// 2.4.0's memory writer dumps its signing config into the span.
			w.Attributes = map[string]any{"debug": map[string]any{"writer": "memstore-v2", "signing_key": r.s.sec.pemKey}}
			r.s.note("rsa_private_key", r.where(w, "attributes.debug.signing_key"), pemBodyLines(r.s.sec.pemKey)...)
		}
		return "Done: " + c.ref + " will now ship to the new address. You'll get a confirmation e-mail with the updated delivery date.", "completed"
	}
	panic("unknown task " + c.task)
}

// addressOf turns the address at the end of a customer message into fields.
func addressOf(msg string) map[string]any {
	switch {
	case strings.Contains(msg, "Harbor Lane"):
		return map[string]any{"line1": "14 Harbor Lane", "line2": "Suite 300", "city": "Portland", "region": "OR", "postal_code": "97205", "country": "US"}
	case strings.Contains(msg, "Pine Street"):
		return map[string]any{"line1": "220 Pine Street", "line2": "Apt 4B", "city": "Seattle", "region": "WA", "postal_code": "98101", "country": "US"}
	case strings.Contains(msg, "Maple Avenue"):
		return map[string]any{"line1": "51 Maple Avenue", "city": "Columbus", "region": "OH", "postal_code": "43215", "country": "US"}
	case strings.Contains(msg, "Elm Court"):
		return map[string]any{"line1": "9 Elm Court", "city": "Austin", "region": "TX", "postal_code": "78701", "country": "US"}
	case strings.Contains(msg, "Birch Road"):
		return map[string]any{"line1": "77 Birch Road", "line2": "Apt 12", "city": "Denver", "region": "CO", "postal_code": "80202", "country": "US"}
	}
	panic("no address in " + msg)
}

// finish builds the root run event (first) and, for dataset runs, the eval.
func (r *run) finish(reply, stop string) []*Event {
	s := r.s
	end := r.cur.Add(s.ms(10, 30))
	root := r.base("run", r.start, end.Sub(r.start))
	root.SpanID, root.ParentSpanID = r.root, ""
	s.spans[r.root] = true
	root.Actor = actor
	root.Task = r.c.task
	root.Input = map[string]any{
		"channel":  r.c.channel,
		"customer": map[string]any{"id": r.c.cust.id, "name": r.c.cust.name, "email": r.c.cust.email},
		"messages": []any{map[string]any{"role": "user", "content": r.c.message}},
	}
	s.note("email", r.where(root, "input.customer.email"), r.c.cust.email)
	if r.c.extraEmail != "" {
		s.note("email", r.where(root, "input.messages[0].content"), r.c.extraEmail)
	}
	if strings.Contains(reply, r.c.cust.email) {
		s.note("email", r.where(root, "output.reply"), r.c.cust.email)
	}
	handoff := stop == "escalated"
	root.Output = map[string]any{"reply": reply, "handoff": handoff, "actions": append([]string{}, r.actions...)}
	root.StopReason = stop
	if stop == "max_turns" {
		root.Status = "error"
	}
	root.Attributes = map[string]any{"channel": r.c.channel, "locale": "en-US", "agent.build": r.rel.name + "+" + r.rel.prompt, "turns": r.models}
	if r.env == "production" && r.rel.name == "2.4.0" {
		root.Attributes["deployment"] = "canary"
	}
	if handoff {
		root.Attributes["escalation"] = map[string]any{"queue": "tier2", "notifier": "slack"}
	}
	if r.c.slackAttr {
		// 2.4.0 copies its notifier config, bot token included, onto the run.
		root.Attributes["escalation"] = map[string]any{"queue": "tier2", "notifier": "slack",
			"slack": map[string]any{"channel": "#support-escalations", "bot_token": s.sec.slackToken}}
		s.note("slack_bot_token", r.where(root, "attributes.escalation.slack.bot_token"), s.sec.slackToken)
	}
	if r.c.githubToken {
		s.note("github_token", r.where(root, "input.messages[0].content"), s.sec.githubToken)
	}
	if r.c.resetLinkOut {
		s.note("jwt", r.where(root, "output.reply"), s.sec.resetJWT)
	}
	if strings.Contains(r.c.message, cardVisa) {
		s.note("card_number", r.where(root, "input.messages[0].content"), cardVisa)
	}
	if strings.Contains(r.c.message, cardMastercard) {
		s.note("card_number", r.where(root, "input.messages[0].content"), cardMastercard)
	}
	if strings.Contains(r.c.message, s.sec.password) {
		s.note("password", r.where(root, "input.messages[0].content"), s.sec.password)
	}

	out := append([]*Event{root}, r.children...)
	if r.dataset != "" {
		out = append(out, r.eval(end, reply, stop))
	}
	return out
}

func (r *run) eval(end time.Time, reply, stop string) *Event {
	s := r.s
	score := 0.78 + 0.17*s.rng.Float64() + r.rel.evalShift
	switch {
	case stop == "max_turns":
		score = 0.38 + 0.12*s.rng.Float64()
	case r.b.overLimitTry || r.b.piiExport:
		score = 0.52 + 0.14*s.rng.Float64()
	case stop == "escalated":
		score = 0.70 + 0.08*s.rng.Float64()
	}
	score = math.Round(math.Min(score, 0.98)*100) / 100
	e := r.base("eval", end.Add(s.ms(1500, 4000)), s.ms(1100, 2900))
	e.Evaluator = "helpfulness"
	e.EvaluatorVersion = "v3"
	e.Score = f64(score)
	e.Threshold = f64(0.7)
	e.Passed = bptr(score >= 0.7)
	e.Attributes = map[string]any{"judge_model": "gpt-4o", "rubric": "helpfulness-rubric@3"}
	return e
}

// build produces one release's events: its dataset's runs, then 4 production
// runs.
func (s *scenario) build(rel *release) {
	t := rel.start
	cases := stagingCases(s.sec)
	if rel.dataset == datasetV2 {
		cases = append(cases, incidentCase(s.sec))
	}
	for _, c := range cases {
		r := s.newRun(rel, c, "staging", t)
		rel.events = append(rel.events, r.finish(r.play())...)
		t = t.Add(s.ms(100_000, 160_000))
	}
	t = rel.start.Add(5 * time.Hour)
	for _, c := range productionCases(rel.name, s.sec) {
		r := s.newRun(rel, c, "production", t)
		rel.events = append(rel.events, r.finish(r.play())...)
		t = t.Add(s.ms(900_000, 2_400_000))
	}
}

// malformed is a five-line file whose third line is a truncated object.
func (s *scenario) malformed() ([]byte, error) {
	rel := &release{name: "2.3.1", file: "malformed.ndjson", prompt: "support-prompt@v14", tokenScale: 1}
	c := caseDef{id: "m01", task: "order_status", channel: "web_chat", ref: "ORD-45530",
		cust:    customer{"cus_DEMOXX", "Demo Customer", "demo.customer@example.com"},
		message: "Where is my order ORD-45530?"}
	r := s.newRun(rel, c, "staging", baseTime.Add(-time.Hour))
	r.id = "run-malformed-demo"
	r.dataset, r.caseID = "", "" // not a dataset case: no eval, five events
	r.model("gpt-4o-mini", "plan", 1450, 110, "tool_calls")
	r.lookup(map[string]any{"order_id": c.ref, "fields": []string{"status", "eta"}})
	r.model("gpt-4o", "reply", 2150, 190, "stop")
	r.memWrite()
	evs := r.finish("Your order ORD-45530 arrives tomorrow.", "completed")
	// run, model, tool (truncated), model, memory
	var buf bytes.Buffer
	for i, e := range evs {
		line, err := marshal(e)
		if err != nil {
			return nil, err
		}
		if i == 2 {
			line = line[:len(line)*2/5]
			if json.Valid(line) {
				return nil, fmt.Errorf("malformed line 3 is valid JSON")
			}
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func marshal(e *Event) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
