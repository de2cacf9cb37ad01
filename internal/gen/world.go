package gen

import (
	"strconv"
	"time"
)

// release is one version of the generated support agent. Release k reaches
// staging at the k-th step of the window and production half a step later,
// so every day of the window has a release in each environment and the
// newest ones are in staging only.
type release struct {
	name       string
	prompt     string  // prompt_version
	planModel  string  // the planning call's model
	replyModel string  // the answering call's model
	tokenScale float64 // prompt growth between releases
	staleP     float64 // share of retrievals served from a stale index
	evalShift  float64 // added to every eval score
	flipP      float64 // share of dataset runs whose policy decision differs from the case's expectation
	policy     string  // policy_version of the refund policy
	refundCap  float64 // refunds above this need approval
	toolErrP   float64 // share of tool calls that fail
	dataset    string  // the dataset version its staging runs execute
}

// traits cycle when more releases are asked for than listed.
var traits = []release{
	{prompt: "support-prompt@v14", planModel: "gpt-4o-mini", replyModel: "gpt-4o", tokenScale: 1.0, staleP: 0.04, evalShift: 0, flipP: 0.02, policy: "refunds@v3", refundCap: 100, toolErrP: 0.03},
	{prompt: "support-prompt@v15", planModel: "gpt-4o-mini", replyModel: "gpt-4o", tokenScale: 1.4, staleP: 0.05, evalShift: -0.02, flipP: 0.03, policy: "refunds@v3", refundCap: 100, toolErrP: 0.04},
	{prompt: "support-prompt@v15", planModel: "gpt-4o-mini", replyModel: "claude-sonnet-4", tokenScale: 1.3, staleP: 0.12, evalShift: -0.06, flipP: 0.08, policy: "refunds@v4", refundCap: 150, toolErrP: 0.05},
	{prompt: "support-prompt@v16", planModel: "gpt-4.1-mini", replyModel: "claude-sonnet-4", tokenScale: 1.1, staleP: 0.03, evalShift: 0.01, flipP: 0.02, policy: "refunds@v4", refundCap: 150, toolErrP: 0.03},
	{prompt: "support-prompt@v17", planModel: "gpt-4.1-mini", replyModel: "gpt-4.1", tokenScale: 1.0, staleP: 0.02, evalShift: 0.02, flipP: 0.01, policy: "refunds@v5", refundCap: 200, toolErrP: 0.02},
	{prompt: "support-prompt@v18", planModel: "gemini-2.5-flash", replyModel: "gpt-4.1", tokenScale: 0.9, staleP: 0.03, evalShift: -0.01, flipP: 0.04, policy: "refunds@v5", refundCap: 200, toolErrP: 0.03},
}

func makeReleases(n int) []release {
	out := make([]release, n)
	for i := range out {
		r := traits[i%len(traits)]
		r.name = "support-agent@2." + strconv.Itoa(3+i/10) + "." + strconv.Itoa(i%10)
		r.dataset = "support-bot@v" + strconv.Itoa(1+i/3)
		out[i] = r
	}
	return out
}

// tenant names, most traffic first; the weights fall off as 1/(i+1).
var tenantNames = []string{"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "soylent",
	"wonka", "oscorp", "massive", "aperture", "vandelay", "prestige"}

// task is one kind of support conversation.
type task struct {
	name     string
	weight   float64
	messages []string // the customer's message; {ord}, {sub}, {amt}, {sku} are filled in
	reply    string
	tools    []string // in call order; the gated ones get a policy decision first
}

var tasks = []task{
	{name: "order_status", weight: 30, tools: []string{"lookup_order"},
		messages: []string{
			"Hi, my order {ord} was supposed to arrive on Monday and the tracking page hasn't changed in three days. Where is it?",
			"Has {ord} shipped yet? I need it before Friday.",
			"Order {ord} says delivered but nothing is at my door.",
		},
		reply: "Your order {ord} is with the carrier and is expected to arrive within two business days."},
	{name: "refund_request", weight: 22, tools: []string{"lookup_order", "issue_refund"},
		messages: []string{
			"The blender from order {ord} arrived with a cracked jar. I'd like a refund of ${amt}, I don't want a replacement.",
			"I returned the headphones from {ord} last week. When do I get my ${amt} back?",
			"I was charged twice for {ord}. Please refund the duplicate charge of ${amt}.",
		},
		reply: "I've refunded ${amt} for {ord}; it will show on your statement in 3 to 5 business days."},
	{name: "password_reset", weight: 14, tools: []string{"lookup_account", "send_reset_link"},
		messages: []string{
			"I forgot my password and the reset email never shows up, not even in spam. Can you help?",
			"My account got locked after too many login attempts. How do I reset my password?",
		},
		reply: "I've sent a fresh password reset link to the address on your account; it is valid for one hour."},
	{name: "cancel_subscription", weight: 10, tools: []string{"get_subscription", "cancel_subscription"},
		messages: []string{
			"Please cancel my Plus membership {sub} at the end of this billing period. I'm moving abroad.",
			"Cancel my subscription {sub} please, the price went up again.",
		},
		reply: "Your subscription {sub} is cancelled and stays active until the end of the current billing period."},
	{name: "shipping_address_change", weight: 9, tools: []string{"lookup_order", "update_address"},
		messages: []string{
			"Can you send {ord} to my office instead? The new address is in my profile.",
			"I moved last weekend. Please update the delivery address for {ord}.",
		},
		reply: "The delivery address for {ord} is updated; the carrier has the new address."},
	{name: "product_question", weight: 15, tools: []string{"search_catalog"},
		messages: []string{
			"Does the {sku} work with a 220 V outlet? The manual doesn't say.",
			"What's the warranty on the {sku}, and does it cover accidental damage?",
			"Is the {sku} dishwasher safe?",
		},
		reply: "According to the product sheet for {sku}, yes; I've linked the relevant section below."},
}

var taskCum = func() []float64 {
	w := make([]float64, len(tasks))
	for i, t := range tasks {
		w[i] = t.weight
	}
	return cumulative(w...)
}()

// toolDef describes one tool the agent calls.
type toolDef struct {
	sideEffect string
	gated      bool    // a policy decides before the call
	errScale   float64 // multiplies the release's tool error rate
	ms         [2]int  // duration range
	approver   string  // who approves when the policy asks
	reasonOK   string  // reason_code when allowed
}

var tools = map[string]toolDef{
	"lookup_order":        {sideEffect: "read", errScale: 0.5, ms: [2]int{60, 400}},
	"lookup_account":      {sideEffect: "read", errScale: 0.5, ms: [2]int{40, 250}},
	"get_subscription":    {sideEffect: "read", errScale: 0.5, ms: [2]int{40, 250}},
	"search_catalog":      {sideEffect: "read", errScale: 1, ms: [2]int{120, 900}},
	"issue_refund":        {sideEffect: "external", gated: true, errScale: 2, ms: [2]int{300, 2500}, approver: "support_lead", reasonOK: "within_auto_limit"},
	"send_reset_link":     {sideEffect: "external", gated: true, errScale: 1, ms: [2]int{150, 800}, approver: "security_officer", reasonOK: "verified_account_owner"},
	"cancel_subscription": {sideEffect: "write", gated: true, errScale: 1, ms: [2]int{100, 600}, approver: "billing_manager", reasonOK: "self_service_cancellation"},
	"update_address":      {sideEffect: "write", errScale: 1, ms: [2]int{80, 500}},
	"create_ticket":       {sideEffect: "write", errScale: 0.5, ms: [2]int{90, 400}},
}

// modelSpeed is time to first token (ms) and ms per output token.
var modelSpeed = map[string][2]int{
	"gpt-4o": {380, 14}, "gpt-4o-mini": {260, 8}, "gpt-4.1": {400, 13}, "gpt-4.1-mini": {240, 7},
	"claude-sonnet-4": {620, 17}, "gemini-2.5-flash": {210, 5},
}

var providers = map[string]string{
	"gpt-4o": "openai", "gpt-4o-mini": "openai", "gpt-4.1": "openai", "gpt-4.1-mini": "openai",
	"claude-sonnet-4": "anthropic", "gemini-2.5-flash": "google",
}

// Knowledge-base sources a retrieval may return, by task; forbidden are
// sources the agent must not read (their access is denied).
var (
	kbSources = map[string][]string{
		"order_status":            {"kb:shipping#1", "kb:shipping#4", "kb:carriers#2"},
		"refund_request":          {"kb:refund-policy#3", "kb:refund-policy#5", "kb:returns#1"},
		"password_reset":          {"kb:account-security#2", "kb:account-security#7"},
		"cancel_subscription":     {"kb:subscriptions#1", "kb:subscriptions#3"},
		"shipping_address_change": {"kb:shipping#6", "kb:address-changes#1"},
		"product_question":        {"catalog:specs#{sku}", "kb:warranty#2", "kb:care-instructions#4", "manuals:{sku}#p12"},
	}
	forbidden = []string{"hr:employee-directory", "finance:ledger-2026", "kb:internal-escalations#9"}
)

var skus = []string{"SKU-BL200", "SKU-HP310", "SKU-SD720", "SKU-KT105", "SKU-VC880", "SKU-AF450", "SKU-CM130", "SKU-TR990"}

// evaluator is a rule the generated eval events report.
type evaluator struct {
	name, version string
	threshold     float64
	base          float64 // mean score before the release's shift
}

var evaluators = []evaluator{
	{"task_success", "1.2.0", 0.8, 0.88},
	{"policy_compliance", "1.0.0", 1, 0.97},
	{"groundedness", "2.1.0", 0.7, 0.82},
}

// Case is one generated dataset case: what a run of it is asked and the
// policy decision a correct run reaches.
type Case struct {
	ID             string
	Task           string
	Amount         float64 // refunds only
	PolicyDecision string  // allow, deny or require_approval; "" when no policy applies
}

// datasetCases is how many cases version v of the dataset holds: 40 in
// v1, 8 more in each later version (a version keeps every earlier case).
func datasetCases(v int) int { return 32 + 8*v }

// expectedRefundCap is the refund amount above which a dataset case
// expects an approval (releases' policies differ, which is what the policy
// report's false allows and denies measure).
const expectedRefundCap = 150

// caseOf returns case i (from 1) of the generated dataset: the same case
// in every version that has it.
func caseOf(i int) Case {
	r := rng{s: uint64(i) * 0x2545f4914f6cdd1d}
	t := tasks[r.weighted(taskCum)]
	c := Case{ID: "c" + pad3(i), Task: t.name}
	switch t.name {
	case "refund_request":
		c.Amount = float64(r.between(1500, 72000)) / 100
		switch {
		case c.Amount > 500:
			c.PolicyDecision = "deny"
		case c.Amount > expectedRefundCap:
			c.PolicyDecision = "require_approval"
		default:
			c.PolicyDecision = "allow"
		}
	case "password_reset", "cancel_subscription":
		c.PolicyDecision = "allow"
		switch x := r.float(); {
		case x < 0.15 && t.name == "password_reset":
			c.PolicyDecision = "deny" // a fraud hold
		case x < 0.35:
			c.PolicyDecision = "require_approval"
		}
	}
	return c
}

func pad3(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// releaseAt returns the index of the release live at t in env: release k
// reaches staging at start+k*step and production at start+(k+0.5)*step.
func releaseAt(t, start time.Time, step time.Duration, env string, n int) int {
	d := t.Sub(start)
	if env == "production" {
		d -= step / 2
	}
	if d < 0 {
		return 0
	}
	k := int(d / step)
	if k >= n {
		k = n - 1
	}
	return k
}
