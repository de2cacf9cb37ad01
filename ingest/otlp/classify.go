package otlp

import (
	"strings"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// role says what a span becomes.
type role uint8

const (
	// roleFold: a structural span (a LangGraph node, a Mastra step, an
	// HTTP span around the agent). No event; its id and name are listed on
	// its run's event under otel.folded_spans.
	roleFold role = iota
	// roleEvent: an event of class.kind.
	roleEvent
	// roleAgent: an agent span. The run event when no ancestor in the
	// request is a run; folded otherwise (sub-agents and agent steps share
	// their run's run_id).
	roleAgent
	// roleRootChain: an OpenInference CHAIN. The run event only when it
	// is the first convention span of its trace (every ancestor is in the
	// request and none carries a convention); folded otherwise.
	roleRootChain
)

// class is what classify decided for a span.
type class struct {
	kind envelope.Kind
	role role
	// via names the attribute that decided, e.g. "gen_ai.operation.name=chat".
	via string
	// memOp is the memory op derived from gen_ai.operation.name.
	memOp string
	// mastraScorer marks a Mastra scorer_run span (an eval of another trace).
	mastraScorer bool
}

// classify decides a span's kind from its attributes, first match wins:
//
//  1. evalhouse.kind (one of the eight kinds; "run" is always a run event)
//  2. gen_ai.operation.name (OTel GenAI; also OpenLLMetry's guard and
//     Mastra's scorer_run)
//  3. openinference.span.kind
//  4. traceloop.span.kind (OpenLLMetry)
//  5. llm.request.type (legacy OpenLLMetry model spans)
//  6. gen_ai.request.model or gen_ai.response.model: a model call
//  7. evalhouse.approval.* / policy.* / memory.* / retrieval.* / tool.*
//
// A span none of these match is folded. classify only reads a.
func classify(a attrs) class {
	if k, ok := a.str("evalhouse.kind"); ok && envelope.ValidKind(envelope.Kind(k)) {
		return class{kind: envelope.Kind(k), role: roleEvent, via: "evalhouse.kind"}
	}
	fold := class{role: roleFold}
	if op, ok := a.str("gen_ai.operation.name"); ok {
		if c, ok := genAIOp(op, a); ok {
			return c
		}
		fold.via = "gen_ai.operation.name=" + op
	}
	if sk, ok := a.str("openinference.span.kind"); ok {
		via := "openinference.span.kind=" + sk
		switch strings.ToUpper(sk) {
		case "AGENT":
			return class{kind: envelope.KindRun, role: roleAgent, via: via}
		case "CHAIN":
			return class{kind: envelope.KindRun, role: roleRootChain, via: via}
		case "LLM", "EMBEDDING":
			return class{kind: envelope.KindModel, role: roleEvent, via: via}
		case "TOOL":
			return class{kind: envelope.KindTool, role: roleEvent, via: via}
		case "RETRIEVER":
			return class{kind: envelope.KindRetrieval, role: roleEvent, via: via}
		case "GUARDRAIL":
			return class{kind: envelope.KindPolicy, role: roleEvent, via: via}
		case "EVALUATOR":
			return class{kind: envelope.KindEval, role: roleEvent, via: via}
		}
		return class{role: roleFold, via: via}
	}
	if tk, ok := a.str("traceloop.span.kind"); ok {
		via := "traceloop.span.kind=" + tk
		switch tk {
		case "workflow", "agent":
			return class{kind: envelope.KindRun, role: roleAgent, via: via}
		case "tool":
			return class{kind: envelope.KindTool, role: roleEvent, via: via}
		}
		return class{role: roleFold, via: via}
	}
	if rt, ok := a.str("llm.request.type"); ok {
		switch rt {
		case "chat", "completion", "embedding", "embeddings":
			return class{kind: envelope.KindModel, role: roleEvent, via: "llm.request.type=" + rt}
		}
	}
	for _, k := range []string{"gen_ai.response.model", "gen_ai.request.model"} {
		if _, ok := a.str(k); ok {
			return class{kind: envelope.KindModel, role: roleEvent, via: k}
		}
	}
	for _, p := range []struct {
		prefix string
		kind   envelope.Kind
	}{
		{"evalhouse.approval.", envelope.KindApproval},
		{"evalhouse.policy.", envelope.KindPolicy},
		{"evalhouse.memory.", envelope.KindMemory},
		{"evalhouse.retrieval.", envelope.KindRetrieval},
		{"evalhouse.tool.", envelope.KindTool},
	} {
		for k := range a {
			if strings.HasPrefix(k, p.prefix) {
				return class{kind: p.kind, role: roleEvent, via: p.prefix + "*"}
			}
		}
	}
	return fold
}

// genAIOp classifies a gen_ai.operation.name; false for names it leaves
// to the other conventions.
func genAIOp(op string, a attrs) (class, bool) {
	via := "gen_ai.operation.name=" + op
	ev := func(k envelope.Kind) (class, bool) { return class{kind: k, role: roleEvent, via: via}, true }
	switch op {
	case "invoke_agent", "create_agent":
		return class{kind: envelope.KindRun, role: roleAgent, via: via}, true
	case "chat", "text_completion", "generate_content", "embeddings":
		return ev(envelope.KindModel)
	case "execute_tool":
		return ev(envelope.KindTool)
	case "retrieval":
		return ev(envelope.KindRetrieval)
	case "guard":
		return ev(envelope.KindPolicy)
	case "scorer_run":
		if t, _ := a.str("mastra.span.type"); t == "scorer_run" {
			c, _ := ev(envelope.KindEval)
			c.mastraScorer = true
			return c, true
		}
	}
	if verb, ok := memoryVerb(op); ok {
		c, _ := ev(envelope.KindMemory)
		c.memOp = memoryOp(verb)
		return c, true
	}
	return class{}, false
}

// memoryVerb splits "search_memory" or "memory_search" (or with '.') into
// its verb.
func memoryVerb(op string) (string, bool) {
	for _, sep := range []string{"_", "."} {
		if v, ok := strings.CutSuffix(op, sep+"memory"); ok && v != "" {
			return v, true
		}
		if v, ok := strings.CutPrefix(op, "memory"+sep); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// memoryOp maps a memory verb to the envelope's op ("" when unknown).
func memoryOp(verb string) string {
	switch verb {
	case "search", "get", "read", "retrieve", "query", "list", "load", "recall", "fetch":
		return "read"
	case "update", "create", "add", "store", "write", "save", "upsert", "put", "insert", "remember":
		return "write"
	case "delete", "remove", "clear", "forget", "purge", "erase":
		return "delete"
	}
	return ""
}
