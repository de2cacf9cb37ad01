package gen

import (
	"strconv"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/pricing"
)

// generator holds the state of one Write.
type generator struct {
	cfg       Config
	r         rng
	rels      []release
	tenantCum []float64
	start     time.Time // runs start in [start, end)
	end       time.Time
	step      time.Duration // between releases
	prices    *pricing.Table

	out   []byte // lines not yet handed to the writer
	kids  []byte // the current run's children, in order
	marks []kidMark
	ctx   []byte // the fields every event of the current run shares
	root  [16]byte
	ln    line
	tmp   []byte
	rs    runState
	stats Stats
}

// kidMark records where a child ends in kids, its kind and when it ends
// (zero for eval events, which come after the run).
type kidMark struct {
	off  int
	kind envelope.Kind
	end  time.Time
}

// runState is what the steps of one run share.
type runState struct {
	task     *task
	rel      *release
	env      string
	tenant   string
	c        Case
	dataset  bool
	cur      time.Time
	ord, sub string
	sku      string
	amt      float64
	cust     string
	status   string
	stop     string
	handoff  bool
	actions  []string
	models   int
}

func newGenerator(cfg Config) *generator {
	g := &generator{cfg: cfg, r: rng{s: cfg.Seed}, rels: makeReleases(cfg.Releases), prices: pricing.Default()}
	w := make([]float64, cfg.Tenants)
	for i := range w {
		w[i] = 1 / float64(i+1)
	}
	g.tenantCum = cumulative(w...)
	g.end = cfg.Now.Add(-time.Hour)
	g.start = cfg.Now.Add(-cfg.Since)
	g.step = g.end.Sub(g.start) / time.Duration(cfg.Releases)
	g.stats.Kinds = make(map[envelope.Kind]int, len(envelope.Kinds))
	g.stats.From, g.stats.To = g.start, cfg.Now
	return g
}

// ms returns a duration of lo to hi milliseconds.
func (g *generator) ms(lo, hi int) time.Duration {
	return time.Duration(g.r.between(lo, hi)) * time.Millisecond
}

// run plans one run and appends it, cut to the events still owed, to out.
func (g *generator) run() {
	r := &g.r
	s := &g.rs
	*s = runState{actions: s.actions[:0], status: "ok", stop: "completed"}
	g.kids, g.marks = g.kids[:0], g.marks[:0]

	// Runs start in time order: the share of events written so far
	// places the run in the window, with jitter of a few seconds.
	frac := float64(g.stats.Events) / float64(g.cfg.Events)
	start := g.start.Add(time.Duration(frac*float64(g.end.Sub(g.start))) + g.ms(0, 5000))
	if !start.Before(g.end) {
		start = g.end.Add(-time.Minute)
	}
	s.tenant = tenantNames[r.weighted(g.tenantCum)]
	s.dataset = r.chance(g.cfg.DatasetShare)
	s.env = "production"
	if s.dataset || r.chance(0.15) {
		s.env = "staging"
	}
	s.rel = &g.rels[releaseAt(start, g.start, g.step, s.env, len(g.rels))]
	s.task = &tasks[r.weighted(taskCum)]
	s.amt = float64(r.between(1500, 72000)) / 100
	if s.dataset {
		v, _ := strconv.Atoi(s.rel.dataset[len("support-bot@v"):])
		s.c = caseOf(r.between(1, datasetCases(v)))
		s.task = taskNamed(s.c.Task)
		s.amt = s.c.Amount
	}
	s.ord = "ORD-" + strconv.Itoa(r.between(40000, 99999))
	s.sub = "SUB-" + string(r.appendUpper(g.tmp[:0], 6))
	s.sku = pick(r, skus)
	s.cust = "cus_" + string(r.appendUpper(g.tmp[:0], 6))
	s.cur = start.Add(g.ms(8, 25))

	// The fields every event of the run carries.
	c := line{b: g.ctx[:0]}
	c.hex("trace_id", "", r, 32)
	c.hex("run_id", "run-", r, 20)
	c.str("tenant", s.tenant)
	c.str("environment", s.env)
	c.str("release", s.rel.name)
	if s.dataset {
		c.str("dataset", s.rel.dataset)
		c.str("case_id", s.c.ID)
	}
	g.ctx = c.b
	r.appendHex(g.root[:0], 16)

	g.steps()

	owed := g.cfg.Events - g.stats.Events
	kept := len(g.marks)
	if kept+1 > owed {
		kept = owed - 1
	}
	end := s.cur
	if kept < len(g.marks) {
		end = start
		for _, m := range g.marks[:kept] {
			if m.end.After(end) {
				end = m.end
			}
		}
	}
	g.runEvent(start, end)
	cut := 0
	if kept > 0 {
		cut = g.marks[kept-1].off
	}
	g.out = append(g.out, g.kids[:cut]...)
	for _, m := range g.marks[:kept] {
		g.stats.Kinds[m.kind]++
	}
	g.stats.Events += 1 + kept
	g.stats.Runs++
	if s.dataset {
		g.stats.DatasetRuns++
	}
}

func taskNamed(name string) *task {
	for i := range tasks {
		if tasks[i].name == name {
			return &tasks[i]
		}
	}
	return &tasks[0]
}

// steps plans the run's children: memory, retrieval, the planning call,
// tools (each gated one after its policy decision and approval), a
// guardrail, the reply, a memory write, and the evals of a dataset run.
func (g *generator) steps() {
	r, s := &g.r, &g.rs
	if r.chance(0.7) {
		g.memory("read")
	}
	n := 0
	switch {
	case s.task.name == "product_question":
		n = r.between(2, 3)
	case r.chance(0.6):
		n = 1
	}
	for i := 0; i < n; i++ {
		g.retrieval()
	}
	if !g.model("plan", s.rel.planModel, 1800, 140, "tool_calls") {
		g.model("plan", s.rel.planModel, 1800, 140, "tool_calls") // the agent retries a failed call once
	}
	for _, t := range s.task.tools {
		if !g.tool(t) {
			break
		}
	}
	if s.handoff || r.chance(0.04) {
		s.handoff = true
		g.tool("create_ticket")
	}
	if r.chance(0.3) {
		g.guardrail()
	}
	if s.task.name == "product_question" && r.chance(0.3) {
		g.model("summarize", "gpt-4o-mini", 2600, 220, "stop")
	}
	if !g.model("reply", g.replyModel(), 2400, 260, "stop") {
		s.status, s.stop = "error", "model_error"
	}
	if r.chance(0.4) {
		g.memory("write")
	}
	if r.chance(0.005) {
		g.memory("delete")
	}
	if r.chance(0.004) && s.status == "ok" {
		s.stop = "max_steps"
	}
	if s.dataset {
		g.evals()
	}
}

func (g *generator) replyModel() string {
	if g.rs.tenant == "globex" {
		return "claude-sonnet-4"
	}
	return g.rs.rel.replyModel
}

// child opens a child event starting at the cursor and lasting d, and
// moves the cursor past it.
func (g *generator) child(kind envelope.Kind, d time.Duration, status string) *line {
	s := &g.rs
	l := &g.ln
	l.b = g.kids
	l.open(string(kind))
	l.hex("event_id", "evt_", &g.r, 24)
	l.hex("span_id", "", &g.r, 16)
	l.key("parent_span_id")
	l.b = append(append(append(l.b, '"'), g.root[:]...), '"')
	l.b = append(l.b, g.ctx...)
	l.time("ts", s.cur)
	l.int("duration_ms", d.Milliseconds())
	l.str("status", status)
	end := s.cur.Add(d)
	if kind == envelope.KindEval {
		end = time.Time{}
	}
	g.marks = append(g.marks, kidMark{kind: kind, end: end})
	s.cur = s.cur.Add(d + g.ms(3, 40))
	return l
}

// done closes the child child opened.
func (g *generator) done() {
	g.ln.close()
	g.kids = g.ln.b
	g.marks[len(g.marks)-1].off = len(g.kids)
}

// runEvent appends the run's own event, which spans start to end.
func (g *generator) runEvent(start, end time.Time) {
	r, s := &g.r, &g.rs
	l := line{b: g.out}
	l.open("run")
	l.hex("event_id", "evt_", r, 24)
	l.key("span_id")
	l.b = append(append(append(l.b, '"'), g.root[:]...), '"')
	l.b = append(l.b, g.ctx...)
	l.time("ts", start)
	l.int("duration_ms", end.Sub(start).Milliseconds())
	l.str("status", s.status)
	a := newObj(g.tmp[:0])
	a.str("agent.build", s.rel.name+"+"+s.rel.prompt)
	a.str("channel", pick(r, channels))
	a.str("locale", pick(r, locales))
	a.int("turns", int64(r.between(1, 4)))
	g.tmp = a.end()
	l.raw("attributes", g.tmp)
	l.str("actor", "user:"+strconv.Itoa(r.between(1000, 5999)))
	l.str("task", s.task.name)
	in := newObj(g.tmp[:0])
	in.str("channel", "web_chat")
	in.key("customer")
	in.b = append(in.b, `{"id":`...)
	in.b = appendString(in.b, s.cust)
	in.b = append(in.b, `},"messages":[{"role":"user","content":`...)
	in.b = g.fill(in.b, s.task.messages[r.intn(len(s.task.messages))])
	in.b = append(in.b, "}]"...)
	g.tmp = in.end()
	l.raw("input", g.tmp)
	out := newObj(g.tmp[:0])
	out.strs("actions", s.actions...)
	out.bool("handoff", s.handoff)
	out.key("reply")
	switch {
	case s.stop == "policy_blocked":
		out.b = appendString(out.b, "I can't complete that request automatically; a colleague from our support team will follow up within one business day.")
	case s.status == "error":
		out.b = appendString(out.b, "Sorry, something went wrong on our side. Please try again in a few minutes.")
	default:
		out.b = g.fill(out.b, s.task.reply)
	}
	g.tmp = out.end()
	l.raw("output", g.tmp)
	l.str("stop_reason", s.stop)
	l.close()
	g.out = l.b
	g.stats.Kinds[envelope.KindRun]++
}

var (
	channels = []string{"web_chat", "web_chat", "mobile_app", "email"}
	locales  = []string{"en-US", "en-US", "en-GB", "de-DE", "fr-FR", "es-ES"}
)

// fill appends tmpl as a JSON string with the run's {ord}, {sub}, {sku}
// and {amt} filled in. Templates hold nothing JSON must escape.
func (g *generator) fill(b []byte, tmpl string) []byte {
	s := &g.rs
	b = append(b, '"')
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '{' || i+4 >= len(tmpl) || tmpl[i+4] != '}' {
			b = append(b, tmpl[i])
			continue
		}
		switch tmpl[i+1 : i+4] {
		case "ord":
			b = append(b, s.ord...)
		case "sub":
			b = append(b, s.sub...)
		case "sku":
			b = append(b, s.sku...)
		case "amt":
			b = strconv.AppendFloat(b, s.amt, 'f', 2, 64)
		default:
			b = append(b, tmpl[i:i+5]...)
		}
		i += 4
	}
	return append(b, '"')
}

// appendUpper appends n random upper-case letters.
func (r *rng) appendUpper(b []byte, n int) []byte {
	for i := 0; i < n; i++ {
		b = append(b, byte('A'+r.intn(26)))
	}
	return b
}
