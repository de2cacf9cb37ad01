// Command gen writes evalhouse's support-bot demo scenario: three releases of
// a customer-support agent as native envelope events (NDJSON): a good
// baseline, a regression and its fix; a malformed file for the ingest error
// path; and the list of secrets planted in them.
//
// Run it from the repository root:
//
//	go run ./examples/support-agent/gen
//
// The output is deterministic (a fixed PCG seed and a fixed base time), so
// regenerating gives byte-identical files. It prints the expected counts that
// examples/support-agent/README.md quotes; gen's test checks both.
//
// It uses the standard library only and mirrors the envelope's JSON field
// names (ingest/envelope) in its own struct; the test checks they agree.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"hash/crc32"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Seed and base time: change either and every output file changes.
const (
	seed1 = 20261120
	seed2 = 0x5eed_b07
)

var baseTime = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

const (
	tenant    = "acme"
	actor     = "support-bot"
	datasetV1 = "support-bot@v1"
	// support-bot@v2 is v1 plus the case `evalhouse incident promote` made
	// from 2.4.0's production run p04.
	datasetV2      = "support-bot@v2"
	incidentCaseID = "incident-run-2-4-0-p04"
)

// Freshness mirrors envelope.Freshness.
type Freshness struct {
	Stale bool    `json:"stale"`
	AgeS  float64 `json:"age_s"`
}

// Event mirrors envelope.Event field for field (same JSON names, same order).
type Event struct {
	Kind         string         `json:"kind"`
	EventID      string         `json:"event_id,omitempty"`
	TraceID      string         `json:"trace_id,omitempty"`
	SpanID       string         `json:"span_id,omitempty"`
	ParentSpanID string         `json:"parent_span_id,omitempty"`
	RunID        string         `json:"run_id,omitempty"`
	Tenant       string         `json:"tenant,omitempty"`
	Environment  string         `json:"environment,omitempty"`
	Release      string         `json:"release,omitempty"`
	TS           time.Time      `json:"ts"`
	DurationMS   *float64       `json:"duration_ms,omitempty"`
	Status       string         `json:"status,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	Dataset      string         `json:"dataset,omitempty"`
	CaseID       string         `json:"case_id,omitempty"`

	Actor      string `json:"actor,omitempty"`
	Task       string `json:"task,omitempty"`
	Input      any    `json:"input,omitempty"`
	Output     any    `json:"output,omitempty"`
	StopReason string `json:"stop_reason,omitempty"`

	Model         string   `json:"model,omitempty"`
	PromptVersion string   `json:"prompt_version,omitempty"`
	InputRef      string   `json:"input_ref,omitempty"`
	OutputStatus  string   `json:"output_status,omitempty"`
	InputTokens   *int64   `json:"input_tokens,omitempty"`
	OutputTokens  *int64   `json:"output_tokens,omitempty"`
	CostUSD       *float64 `json:"cost_usd,omitempty"`
	LatencyMS     *float64 `json:"latency_ms,omitempty"`

	Tool           string `json:"tool,omitempty"`
	Args           any    `json:"args,omitempty"`
	Authorization  string `json:"authorization,omitempty"`
	RetryCount     *int64 `json:"retry_count,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	SideEffect     string `json:"side_effect,omitempty"`

	SourceIDs        []string   `json:"source_ids,omitempty"`
	Freshness        *Freshness `json:"freshness,omitempty"`
	AccessDecision   string     `json:"access_decision,omitempty"`
	CitationRequired *bool      `json:"citation_required,omitempty"`

	Op             string   `json:"op,omitempty"`
	ReadIDs        []string `json:"read_ids,omitempty"`
	WriteIDs       []string `json:"write_ids,omitempty"`
	RetentionClass string   `json:"retention_class,omitempty"`
	PolicyBasis    string   `json:"policy_basis,omitempty"`

	PolicyVersion string `json:"policy_version,omitempty"`
	Decision      string `json:"decision,omitempty"`
	ReasonCode    string `json:"reason_code,omitempty"`
	Enforcement   string `json:"enforcement,omitempty"`

	ApproverRole string     `json:"approver_role,omitempty"`
	Action       string     `json:"action,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Result       string     `json:"result,omitempty"`

	Evaluator        string   `json:"evaluator,omitempty"`
	EvaluatorVersion string   `json:"evaluator_version,omitempty"`
	Score            *float64 `json:"score,omitempty"`
	Threshold        *float64 `json:"threshold,omitempty"`
	Passed           *bool    `json:"passed,omitempty"`
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }
func bptr(v bool) *bool      { return &v }

// prices are list USD per million tokens (input, output); they match
// internal/pricing/prices.yaml and are used only for the cost_usd that some
// production model events report themselves and for the printed estimate.
var prices = map[string][2]float64{
	"gpt-4o":          {2.50, 10.00},
	"gpt-4o-mini":     {0.15, 0.60},
	"claude-sonnet-4": {3.00, 15.00},
}

func costUSD(model string, in, out int64) float64 {
	p := prices[model]
	return math.Round((float64(in)*p[0]+float64(out)*p[1])/1e6*1e6) / 1e6
}

// ---------------------------------------------------------------------------
// Planted secrets

// The planted test cards. Both are Luhn-valid (checked at start-up) and are
// the only Luhn-valid digit runs the generator lets into its output.
const (
	cardVisa       = "4539 1488 0343 6467"
	cardMastercard = "5425 2334 3010 9903"
)

type secrets struct {
	awsKeyID    string // AKIA + 16 base32
	githubToken string // ghp_ + 30 base62 + 6 base62 CRC32
	slackToken  string // xoxb-<team>-<bot>-<24 alnum>
	bearerJWT   string // HS256 session token sent as "Authorization: Bearer ..."
	resetJWT    string // HS256 password-reset token leaked in a reply
	pemKey      string // PKCS#1 RSA private key, PEM, real newlines
	password    string // hunter2-...
}

// plant is one planted secret (or e-mail) and where it went.
type plant struct {
	kind   string
	values []string // exact substrings that must never reach the store
	where  []string
}

type scenario struct {
	rng   *rand.Rand
	sec   secrets
	spans map[string]bool

	plants     []*plant
	plantIndex map[string]*plant // by kind+first value
}

func newScenario() *scenario {
	s := &scenario{
		rng:        rand.New(rand.NewPCG(seed1, seed2)),
		spans:      map[string]bool{},
		plantIndex: map[string]*plant{},
	}
	s.sec = s.makeSecrets()
	return s
}

// note records that value (of kind) was placed at where.
func (s *scenario) note(kind, where string, values ...string) {
	key := kind + "\x00" + values[0]
	p := s.plantIndex[key]
	if p == nil {
		p = &plant{kind: kind, values: values}
		s.plantIndex[key] = p
		s.plants = append(s.plants, p)
	}
	for _, w := range p.where {
		if w == where {
			return
		}
	}
	p.where = append(p.where, where)
}

const (
	lowerHex = "0123456789abcdef"
	base62   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base32   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

var longDigits = regexp.MustCompile(`[0-9]{7,}`)

// pick returns n characters drawn from alphabet, never with a run of seven or
// more digits (so that no identifier looks like a card number).
func (s *scenario) pick(alphabet string, n int) string {
	for {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[s.rng.IntN(len(alphabet))]
		}
		if !longDigits.Match(b) {
			return string(b)
		}
	}
}

func (s *scenario) traceID() string { return s.pick(lowerHex, 32) }

func (s *scenario) spanID() string {
	for {
		id := s.pick(lowerHex, 16)
		if !s.spans[id] {
			s.spans[id] = true
			return id
		}
	}
}

func (s *scenario) idemKey() string { return "idem_" + s.pick(lowerHex, 24) }

func (s *scenario) randBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return b
}

func (s *scenario) makeSecrets() secrets {
	for _, c := range []string{cardVisa, cardMastercard} {
		if !luhn(onlyDigits(c)) {
			panic("planted card " + c + " is not Luhn-valid")
		}
	}
	var sec secrets
	sec.awsKeyID = "AKIA" + s.pick(base32, 16)

	body := s.pick(base62, 30)
	sum := crc32.ChecksumIEEE([]byte(body))
	var cs []byte
	for sum > 0 {
		cs = append([]byte{base62[sum%62]}, cs...)
		sum /= 62
	}
	for len(cs) < 6 {
		cs = append([]byte{'0'}, cs...)
	}
	sec.githubToken = "ghp_" + body + string(cs)

	// Slack ids are long digit runs joined by '-'; redraw until no 13-19
	// digit window across them passes Luhn.
	for {
		team := fmt.Sprintf("%d%09d", 1+s.rng.IntN(9), s.rng.IntN(1e9))
		bot := fmt.Sprintf("%d%012d", 1+s.rng.IntN(9), s.rng.Int64N(1e12))
		tok := "xoxb-" + team + "-" + bot + "-" + s.pick(base62, 24)
		if len(accidentalCards(tok, nil)) == 0 {
			sec.slackToken = tok
			break
		}
	}

	sec.bearerJWT = s.jwt(map[string]any{
		"iss":   "https://auth.acme.example",
		"sub":   "cus_LVOGEL",
		"aud":   "orders-api",
		"scope": "orders:read customer:read",
		"iat":   baseTime.Add(3 * time.Hour).Unix(),
		"exp":   baseTime.Add(4 * time.Hour).Unix(),
	})
	sec.resetJWT = s.jwt(map[string]any{
		"iss":     "https://auth.acme.example",
		"sub":     "usr_JNOVAK",
		"purpose": "password_reset",
		"iat":     baseTime.Add(27 * time.Hour).Unix(),
		"exp":     baseTime.Add(27*time.Hour + 30*time.Minute).Unix(),
	})
	sec.pemKey = s.rsaPEM()
	sec.password = "hunter2-" + s.pick(base62, 8)
	return sec
}

// jwt returns a signed HS256 token; a jti makes it redrawable until its text
// has no long digit run.
func (s *scenario) jwt(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	key := s.randBytes(32)
	for {
		claims["jti"] = s.pick(lowerHex, 16)
		payload, _ := json.Marshal(claims)
		signing := header + "." + base64.RawURLEncoding.EncodeToString(payload)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(signing))
		tok := signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		if !longDigits.MatchString(tok) {
			return tok
		}
	}
}

// rsaPEM builds a real 1024-bit RSA key from the seeded generator (so it is
// deterministic; crypto/rsa.GenerateKey is not) and returns it as PKCS#1 PEM.
func (s *scenario) rsaPEM() string {
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		for {
			b := s.randBytes(64)
			b[0] |= 0xc0
			b[63] |= 1
			p := new(big.Int).SetBytes(b)
			pm1 := new(big.Int).Sub(p, one)
			if p.ProbablyPrime(32) && new(big.Int).GCD(nil, nil, e, pm1).Cmp(one) == 0 {
				return p
			}
		}
	}
	for {
		p, q := prime(), prime()
		if p.Cmp(q) == 0 {
			continue
		}
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		key := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537},
			D:         new(big.Int).ModInverse(e, phi),
			Primes:    []*big.Int{p, q},
		}
		key.Precompute()
		if err := key.Validate(); err != nil {
			panic(err)
		}
		out := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
		if len(accidentalCards(out, nil)) == 0 && !longDigits.MatchString(out) {
			return out
		}
	}
}

// pemBodyLines are the base64 lines of a PEM block: each is a substring that
// must never reach the store.
func pemBodyLines(p string) []string {
	var out []string
	for _, l := range strings.Split(p, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// The dataset and the production traffic

type customer struct{ id, name, email string }

// caseDef is one conversation: a support-bot@v1 dataset case (id c001..c024),
// support-bot@v2's incident case, or a production conversation (id p01..p04,
// no dataset).
type caseDef struct {
	id      string
	task    string
	cust    customer
	ref     string  // order or subscription id
	amount  float64 // refunds: the amount asked for
	message string
	channel string
	// Production-only twists, each also a planted secret or an op.
	bearerJWT, githubToken, slackAttr, awsArgs, pemAttr, resetLinkOut, erasure, outsideWindow bool
	extraEmail                                                                                string
	reply                                                                                     string // password_reset: the reply, if not the usual one
}

func stagingCases(sec secrets) []caseDef {
	c := func(id, task, cid, name, email, ref string, amount float64, msg string) caseDef {
		return caseDef{id: id, task: task, cust: customer{cid, name, email}, ref: ref, amount: amount, message: msg, channel: "web_chat"}
	}
	cases := []caseDef{
		c("c001", "order_status", "cus_MKELLR", "Maria Keller", "maria.keller@example.com", "ORD-48213", 0,
			"Hi, my order ORD-48213 was supposed to arrive on Monday and the tracking page hasn't changed in three days. Where is it?"),
		c("c002", "refund_request", "cus_DOSEIX", "Daniel Osei", "daniel.osei@example.org", "ORD-51877", 64.99,
			"The blender from order ORD-51877 arrived with a cracked jar. I'd like a refund of $64.99, I don't want a replacement."),
		c("c003", "password_reset", "cus_HLINDQ", "Hannah Lindqvist", "h.lindqvist@example.net", "", 0,
			"I forgot my password and the reset email never shows up, not even in spam. Can you help?"),
		c("c004", "cancel_subscription", "cus_RMEHTA", "Rahul Mehta", "rahul.mehta@example.com", "SUB-AXQKRT", 0,
			"Please cancel my Acme Plus membership at the end of this billing period. I'm moving abroad."),
		c("c005", "refund_request", "cus_SMARCH", "Sofia Marchetti", "sofia.marchetti@example.com", "ORD-50342", 189.00,
			"I was charged twice for ORD-50342 ($189.00 each). Please refund the duplicate charge to my card "+cardVisa+" as soon as possible."),
		c("c006", "shipping_address_change", "cus_KBOATE", "Kwame Boateng", "kwame.boateng@example.org", "ORD-52210", 0,
			"Can you send ORD-52210 to my office instead? 14 Harbor Lane, Suite 300, Portland, OR 97205."),
		c("c007", "order_status", "cus_ETRANX", "Emily Tran", "emily.tran@example.net", "ORD-47765", 0,
			"Has ORD-47765 shipped yet? I need it before Friday."),
		c("c008", "refund_request", "cus_LBECKR", "Lukas Becker", "lukas.becker@example.com", "ORD-49920", 720.00,
			"The standing desk I bought (ORD-49920) stopped working after two weeks. I want the full $720.00 back, today."),
		c("c009", "password_reset", "cus_ABELLO", "Aisha Bello", "aisha.bello@example.org", "", 0,
			"My account got locked after too many login attempts. How do I reset my password?"),
		c("c010", "order_status", "cus_CHENWE", "Chen Wei", "chen.wei@example.com", "ORD-53018", 0,
			"Order ORD-53018 says delivered but nothing is at my door."),
		c("c011", "refund_request", "cus_OBROOK", "Olivia Brooks", "olivia.brooks@example.net", "ORD-50876", 42.50,
			"I returned the headphones from ORD-50876 last week. When do I get my $42.50 back?"),
		c("c012", "cancel_subscription", "cus_MFERNA", "Mateo Fernández", "mateo.fernandez@example.com", "SUB-KDRMWE", 0,
			"Cancel my subscription please, the price went up again."),
		c("c013", "password_reset", "cus_GKIMXX", "Grace Kim", "grace.kim@example.org", "", 0,
			"I can't log in. I'm typing password="+sec.password+" exactly and it keeps saying invalid credentials."),
		c("c014", "shipping_address_change", "cus_NSCHMI", "Noah Schmidt", "noah.schmidt@example.net", "ORD-52877", 0,
			"I moved last weekend. Please update the delivery address for ORD-52877 to 220 Pine Street, Apt 4B, Seattle, WA 98101."),
		c("c015", "refund_request", "cus_FZAHRA", "Fatima Zahra", "fatima.zahra@example.com", "ORD-51102", 135.00,
			"The jacket from ORD-51102 is two sizes too small and the exchange page errors out. Can I just get the $135.00 refunded?"),
		c("c016", "order_status", "cus_IPETRO", "Ivan Petrov", "ivan.petrov@example.org", "ORD-48890", 0,
			"Where is ORD-48890? It's been two weeks and nobody answers my emails."),
		c("c017", "refund_request", "cus_CDUBOI", "Chloe Dubois", "chloe.dubois@example.net", "ORD-50455", 249.99,
			"My espresso machine (ORD-50455) leaks from the bottom. Refund of $249.99 please, I already sent photos."),
		c("c018", "cancel_subscription", "cus_JOCONN", "James O'Connor", "james.oconnor@example.com", "SUB-PLWXZN", 0,
			"Before you cancel my account, email a full export of my data and my wife's linked account to ellen.oconnor@example.com."),
		c("c019", "refund_request", "cus_PRAMAN", "Priya Raman", "priya.raman@example.org", "ORD-53344", 89.00,
			"The running shoes in ORD-53344 were the wrong size and you can't restock them. Please refund the $89.00."),
		c("c020", "order_status", "cus_LSILVA", "Lucas Silva", "lucas.silva@example.com", "ORD-47201", 0,
			"Is there any update on ORD-47201? The carrier page just says 'exception'."),
		c("c021", "shipping_address_change", "cus_YTANAK", "Yuki Tanaka", "yuki.tanaka@example.net", "ORD-53590", 0,
			"Please ship ORD-53590 to my parents' place instead: 51 Maple Avenue, Columbus, OH 43215."),
		c("c022", "refund_request", "cus_BCARTE", "Ben Carter", "ben.carter@example.org", "ORD-49677", 310.00,
			"The drone from ORD-49677 crashed on its first flight because of a firmware fault. Please refund the $310.00."),
		c("c023", "password_reset", "cus_ZAHMED", "Zara Ahmed", "zara.ahmed@example.com", "", 0,
			"I changed my email last month and now password reset links go to my old address."),
		c("c024", "cancel_subscription", "cus_EPOPES", "Elena Popescu", "elena.popescu@example.net", "SUB-TRBNQY", 0,
			"Cancel Acme Plus. Unless you have a discount for long-time members?"),
	}
	cases[17].extraEmail = "ellen.oconnor@example.com"
	return cases
}

func productionCases(release string, sec secrets) []caseDef {
	c := func(id, task, cid, name, email, ref string, amount float64, channel, msg string) caseDef {
		return caseDef{id: id, task: task, cust: customer{cid, name, email}, ref: ref, amount: amount, channel: channel, message: msg}
	}
	switch release {
	case "2.4.1":
		return fixProductionCases()
	case "2.3.1":
		p1 := c("p01", "refund_request", "cus_TORTEG", "Tomás Ortega", "tomas.ortega@example.net", "ORD-54012", 58.00, "web_chat",
			"Please refund $58.00 for the damaged lamp in ORD-54012 to my Mastercard "+cardMastercard+", not store credit.")
		p2 := c("p02", "order_status", "cus_LVOGEL", "Lena Vogel", "lena.vogel@example.com", "ORD-54107", 0, "mobile_app",
			"Where's ORD-54107? The app shows 'label created' since Tuesday.")
		p2.bearerJWT = true
		p3 := c("p03", "password_reset", "cus_MREIDX", "Marcus Reid", "marcus.reid@example.org", "", 0, "email",
			"After I reset my password our warehouse integration stopped syncing. Our GitHub Actions job still uses "+sec.githubToken+" for the deploy step - is the reset why it fails? Please reset my password again and tell me what to change.")
		p3.githubToken = true
		p4 := c("p04", "cancel_subscription", "cus_NHADDA", "Nadia Haddad", "nadia.haddad@example.com", "SUB-QMZTHV", 0, "email",
			"Cancel my subscription and delete everything you store about me (GDPR Art. 17).")
		p4.erasure = true
		return []caseDef{p1, p2, p3, p4}
	}
	p1 := c("p01", "refund_request", "cus_OGALLA", "Owen Gallagher", "owen.gallagher@example.net", "ORD-54388", 0, "web_chat",
		"I want a refund for ORD-54388. I bought it in July but only opened it now and it doesn't fit.")
	p1.outsideWindow, p1.slackAttr = true, true
	p2 := c("p02", "order_status", "cus_MEILIN", "Mei Lin", "mei.lin@example.com", "ORD-54420", 0, "web_chat",
		"Can you email me the shipping update for ORD-54420? I keep missing the courier.")
	p2.awsArgs = true
	p3 := c("p03", "shipping_address_change", "cus_SADEYE", "Samuel Adeyemi", "samuel.adeyemi@example.org", "ORD-54475", 0, "mobile_app",
		"Please deliver ORD-54475 to 9 Elm Court, Austin, TX 78701 instead of my home address.")
	p3.pemAttr = true
	p4 := c("p04", "password_reset", "cus_JNOVAK", "Julia Novak", "julia.novak@example.net", "", 0, "web_chat",
		"I need to reset my password, I'm locked out of my account.")
	p4.resetLinkOut = true
	return []caseDef{p1, p2, p3, p4}
}

// behavior is what a release does differently on one case.
type behavior struct {
	approval     string // refunds needing a manager: "approved", "rejected", or "skip" (no approval asked)
	retryNoKey   string // this write/external tool is retried and sent without an idempotency key
	retryWithKey string // this tool is retried, with its key
	noFreshness  bool   // the retrieval omits freshness
	maxTurns     bool   // the order lookup times out and the run hits max_turns
	overLimitTry bool   // tries to refund above the hard limit (policy deny)
	piiExport    bool   // tries to e-mail account data to a third party (policy deny)
}

var behaviors = map[string]map[string]behavior{
	"2.3.1": {
		"c005": {approval: "approved"},
		"c011": {retryWithKey: "issue_refund"},
		"c015": {approval: "approved"},
		"c016": {maxTurns: true},
		"c017": {approval: "rejected"},
		"c022": {approval: "approved"},
	},
	"2.4.0": {
		"c002": {retryNoKey: "issue_refund"},
		"c005": {approval: "approved"},
		"c008": {overLimitTry: true},
		"c009": {noFreshness: true},
		"c014": {retryNoKey: "update_address"},
		"c015": {approval: "skip"},
		"c016": {maxTurns: true},
		"c017": {approval: "skip"},
		"c018": {piiExport: true},
		"c020": {maxTurns: true},
		"c021": {retryNoKey: "send_email"},
		"c022": {approval: "skip"},
	},
	// The fix behaves like 2.3.1, and its order lookup for c016 no longer
	// times out.
	"2.4.1": {
		"c005": {approval: "approved"},
		"c011": {retryWithKey: "issue_refund"},
		"c015": {approval: "approved"},
		"c017": {approval: "rejected"},
		"c022": {approval: "approved"},
	},
}

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
		Kind: kind, TraceID: r.trace, SpanID: r.s.spanID(), ParentSpanID: r.root, RunID: r.id,
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
	what := e.Kind
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

// ---------------------------------------------------------------------------
// Output, counts and checks

// Output is everything gen writes, by file name.
type Output struct {
	Files   map[string][]byte
	Summary string
}

// Generate builds the scenario in memory.
func Generate() (*Output, error) {
	s := newScenario()
	rels := []*release{
		{name: "2.3.1", file: "events-2.3.1.ndjson", start: baseTime, dataset: datasetV1, prompt: "support-prompt@v14", tokenScale: 1.0, evalShift: 0, staleP: 0},
		{name: "2.4.0", file: "events-2.4.0.ndjson", start: baseTime.Add(24 * time.Hour), dataset: datasetV1, prompt: "support-prompt@v15", tokenScale: 1.4, evalShift: -0.05, staleP: 0.5},
		{name: "2.4.1", file: "events-2.4.1.ndjson", start: baseTime.Add(48 * time.Hour), dataset: datasetV2, prompt: "support-prompt@v16", tokenScale: 1.0, evalShift: 0, staleP: 0},
	}
	out := &Output{Files: map[string][]byte{}}
	// 2.4.1 was added later: it draws from the generator after everything
	// else, so the other files did not change when it arrived.
	s.build(rels[0])
	s.build(rels[1])
	bad, err := s.malformed()
	if err != nil {
		return nil, err
	}
	out.Files["malformed.ndjson"] = bad
	s.build(rels[2])
	for _, rel := range rels {
		var buf bytes.Buffer
		for _, e := range rel.events {
			line, err := marshal(e)
			if err != nil {
				return nil, err
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
		out.Files[rel.file] = buf.Bytes()
	}
	out.Files["planted-secrets.txt"] = s.plantedFile()

	if err := validate(rels, s, out); err != nil {
		return nil, err
	}
	out.Summary = summarize(rels, s)
	return out, nil
}

func (s *scenario) plantedFile() []byte {
	var b strings.Builder
	b.WriteString("# Secrets and PII planted in this example's .ndjson files (events-2.3.1,\n")
	b.WriteString("# events-2.4.0, events-2.4.1 and, for one e-mail address, malformed).\n")
	b.WriteString("# One exact value per line; none of them may ever reach the store.\n")
	b.WriteString("# Lines starting with # are comments. Generated by `go run ./examples/support-agent/gen`.\n")
	order := []string{"aws_access_key_id", "github_token", "slack_bot_token", "bearer_jwt", "jwt", "rsa_private_key", "password", "card_number", "email"}
	titles := map[string]string{
		"aws_access_key_id": "AWS access key id",
		"github_token":      "GitHub personal access token",
		"slack_bot_token":   "Slack bot token",
		"bearer_jwt":        "JWT sent as an Authorization: Bearer header",
		"jwt":               "JWT (password-reset token) in a reply",
		"rsa_private_key":   "PEM RSA private key: each base64 body line (the key is stored with \\n newlines)",
		"password":          "password typed by a customer as password=...",
		"card_number":       "Luhn-valid card numbers typed by customers",
		"email":             "customer e-mail addresses (run inputs, send_email args, replies)",
	}
	for _, kind := range order {
		fmt.Fprintf(&b, "\n# %s\n", titles[kind])
		for _, p := range s.plants {
			if p.kind != kind {
				continue
			}
			if kind != "email" {
				for _, w := range p.where {
					fmt.Fprintf(&b, "#   at %s\n", w)
				}
			}
			for _, v := range p.values {
				b.WriteString(v + "\n")
			}
		}
	}
	return []byte(b.String())
}

// plantedValues are the values of planted-secrets.txt.
func plantedValues(file []byte) []string {
	var out []string
	for _, l := range strings.Split(string(file), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

var digitRun = regexp.MustCompile(`[0-9](?:[ -]?[0-9])*`)

// accidentalCards returns digit runs (spaces and dashes allowed between
// digits) holding a 13-19 digit Luhn-valid window, other than allowed ones.
func accidentalCards(text string, allowed map[string]bool) []string {
	var bad []string
	for _, m := range digitRun.FindAllString(text, -1) {
		if allowed[m] {
			continue
		}
		d := onlyDigits(m)
		found := false
		for l := 13; l <= 19 && !found; l++ {
			for i := 0; i+l <= len(d); i++ {
				if luhn(d[i : i+l]) {
					found = true
					break
				}
			}
		}
		if found {
			bad = append(bad, m)
		}
	}
	return bad
}

func validate(rels []*release, s *scenario, out *Output) error {
	kinds := []string{"run", "model", "tool", "retrieval", "memory", "policy", "approval", "eval"}
	allowed := map[string]bool{cardVisa: true, cardMastercard: true}
	for _, rel := range rels {
		seen := map[string]int{}
		roots := map[string]*Event{}
		for _, e := range rel.events {
			seen[e.Kind]++
			if len(e.TraceID) != 32 || len(e.SpanID) != 16 {
				return fmt.Errorf("%s: %s %s: bad trace/span id length", rel.file, e.RunID, e.Kind)
			}
			if e.Kind == "run" {
				if e.ParentSpanID != "" {
					return fmt.Errorf("%s: run %s has a parent", rel.file, e.RunID)
				}
				roots[e.RunID] = e
			}
			if (e.Environment == "staging") != (e.Dataset != "" && e.CaseID != "") {
				return fmt.Errorf("%s: %s %s: dataset/case_id must be set exactly on staging events", rel.file, e.RunID, e.Kind)
			}
		}
		for _, e := range rel.events {
			root := roots[e.RunID]
			if root == nil || e.TraceID != root.TraceID {
				return fmt.Errorf("%s: %s %s: no run root in the same trace", rel.file, e.RunID, e.Kind)
			}
			if e.Kind != "run" && e.ParentSpanID != root.SpanID {
				return fmt.Errorf("%s: %s %s: parent is not the run span", rel.file, e.RunID, e.Kind)
			}
		}
		for _, k := range kinds {
			if seen[k] == 0 {
				return fmt.Errorf("%s: no %s events", rel.file, k)
			}
		}
	}
	var all strings.Builder
	for name, b := range out.Files {
		if strings.HasSuffix(name, ".ndjson") {
			all.Write(b)
			if bad := accidentalCards(string(b), allowed); len(bad) > 0 {
				return fmt.Errorf("%s: accidental Luhn-valid digit runs: %q", name, bad)
			}
		}
	}
	for _, v := range plantedValues(out.Files["planted-secrets.txt"]) {
		if !strings.Contains(all.String(), v) {
			return fmt.Errorf("planted value %q appears in no events file", v)
		}
	}
	return nil
}

type counts struct {
	dataset                           string
	events, runs, staging, production int
	byKind                            map[string]int
	noEventID                         int
	modelCalls, costGiven             int
	inTok, outTok                     int64
	estCost                           float64
	stale, denials                    int
	approved, rejected                int
	unapproved                        []string
	missingIdem, missingFresh         []string
	evalPassed, evals                 int
	scoreSum                          float64
	stops                             map[string]int
}

func count(rel *release) counts {
	c := counts{byKind: map[string]int{}, stops: map[string]int{}, dataset: rel.dataset}
	approvedAt := map[string][]time.Time{} // run -> approval times
	for _, e := range rel.events {
		if e.Kind == "approval" && e.Result == "approved" {
			approvedAt[e.RunID] = append(approvedAt[e.RunID], e.TS)
		}
	}
	for _, e := range rel.events {
		c.events++
		c.byKind[e.Kind]++
		if e.EventID == "" {
			c.noEventID++
		}
		switch e.Kind {
		case "run":
			c.runs++
			if e.Environment == "staging" {
				c.staging++
			} else {
				c.production++
			}
			c.stops[e.StopReason]++
		case "model":
			c.modelCalls++
			c.inTok += *e.InputTokens
			c.outTok += *e.OutputTokens
			c.estCost += costUSD(e.Model, *e.InputTokens, *e.OutputTokens)
			if e.CostUSD != nil {
				c.costGiven++
			}
		case "tool":
			if (e.SideEffect == "write" || e.SideEffect == "external") && e.IdempotencyKey == "" {
				c.missingIdem = append(c.missingIdem, e.RunID+" "+e.Tool)
			}
			if e.Authorization == "approval_required" {
				ok := false
				for _, t := range approvedAt[e.RunID] {
					if !t.After(e.TS) {
						ok = true
					}
				}
				if !ok {
					c.unapproved = append(c.unapproved, e.RunID+" "+e.Tool)
				}
			}
		case "retrieval":
			if e.Freshness == nil {
				c.missingFresh = append(c.missingFresh, e.RunID)
			} else if e.Freshness.Stale {
				c.stale++
			}
		case "policy":
			if e.Decision == "deny" {
				c.denials++
			}
		case "approval":
			if e.Result == "approved" {
				c.approved++
			} else {
				c.rejected++
			}
		case "eval":
			c.evals++
			c.scoreSum += *e.Score
			if *e.Passed {
				c.evalPassed++
			}
		}
	}
	return c
}

func summarize(rels []*release, s *scenario) string {
	var b strings.Builder
	cs := make([]counts, len(rels))
	for i, rel := range rels {
		cs[i] = count(rel)
	}
	row := func(label string, f func(c counts) string) {
		fmt.Fprintf(&b, "%-42s", label)
		for _, c := range cs {
			fmt.Fprintf(&b, " %14s", f(c))
		}
		b.WriteString("\n")
	}
	d := func(n int) string { return fmt.Sprint(n) }
	fmt.Fprintf(&b, "%-42s", "release")
	for _, rel := range rels {
		fmt.Fprintf(&b, " %14s", rel.name)
	}
	b.WriteString("\n")
	row("events (lines)", func(c counts) string { return d(c.events) })
	for _, k := range []string{"run", "model", "tool", "retrieval", "memory", "policy", "approval", "eval"} {
		row("  "+k, func(c counts) string { return d(c.byKind[k]) })
	}
	row("dataset", func(c counts) string { return c.dataset })
	row("runs: staging (dataset cases)", func(c counts) string { return d(c.staging) })
	row("runs: production (no dataset)", func(c counts) string { return d(c.production) })
	row("stop_reason completed/escalated/max_turns", func(c counts) string {
		return fmt.Sprintf("%d/%d/%d", c.stops["completed"], c.stops["escalated"], c.stops["max_turns"])
	})
	row("events without event_id", func(c counts) string { return d(c.noEventID) })
	row("model calls", func(c counts) string { return d(c.modelCalls) })
	row("  with cost_usd supplied", func(c counts) string { return d(c.costGiven) })
	row("  input tokens", func(c counts) string { return d(int(c.inTok)) })
	row("  output tokens", func(c counts) string { return d(int(c.outTok)) })
	row("  cost at list prices (USD)", func(c counts) string { return fmt.Sprintf("%.4f", c.estCost) })
	row("stale retrievals", func(c counts) string { return d(c.stale) })
	row("policy denials", func(c counts) string { return d(c.denials) })
	row("approvals approved/rejected", func(c counts) string { return fmt.Sprintf("%d/%d", c.approved, c.rejected) })
	row("approval_required tools w/o approval", func(c counts) string { return d(len(c.unapproved)) })
	row("contract violations", func(c counts) string { return d(len(c.missingIdem) + len(c.missingFresh)) })
	row("  write/external tool w/o idempotency_key", func(c counts) string { return d(len(c.missingIdem)) })
	row("  retrieval w/o freshness", func(c counts) string { return d(len(c.missingFresh)) })
	row("eval passed/total (helpfulness v3 >= 0.7)", func(c counts) string { return fmt.Sprintf("%d/%d", c.evalPassed, c.evals) })
	row("eval mean score", func(c counts) string { return fmt.Sprintf("%.3f", c.scoreSum/float64(c.evals)) })

	for i, rel := range rels {
		c := cs[i]
		var lines []string
		for _, x := range c.missingIdem {
			lines = append(lines, "missing idempotency_key: "+x)
		}
		for _, x := range c.missingFresh {
			lines = append(lines, "missing freshness: "+x+" retrieval")
		}
		for _, x := range c.unapproved {
			lines = append(lines, "no approval before: "+x)
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "\n%s:\n", rel.file)
			for _, l := range lines {
				b.WriteString("  " + l + "\n")
			}
		}
	}

	n := 0
	kinds := map[string]int{}
	for _, p := range s.plants {
		n += len(p.values)
		kinds[p.kind] += len(p.values)
	}
	var ks []string
	for k, v := range kinds {
		ks = append(ks, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(ks)
	fmt.Fprintf(&b, "\nmalformed.ndjson: 5 lines, line 3 truncated (4 valid events)\n")
	fmt.Fprintf(&b, "planted-secrets.txt: %d values (%s)\n", n, strings.Join(ks, ", "))
	return b.String()
}

func main() {
	dir := flag.String("out", filepath.Join("examples", "support-agent"), "directory to write the scenario files into")
	check := flag.Bool("check", false, "do not write; fail if the files on disk differ from what would be generated")
	flag.Parse()

	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(os.Stderr, "gen: output directory %s not found; run from the repository root or pass -out\n", *dir)
		os.Exit(2)
	}
	out, err := Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(out.Files))
	for name := range out.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	stale := false
	for _, name := range names {
		path := filepath.Join(*dir, name)
		if *check {
			old, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(old, out.Files[name]) {
				fmt.Fprintf(os.Stderr, "gen: %s is out of date\n", path)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(path, out.Files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", path, len(out.Files[name]))
	}
	if stale {
		os.Exit(1)
	}
	fmt.Println()
	fmt.Print(out.Summary)
}
