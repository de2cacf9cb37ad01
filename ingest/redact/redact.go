// Package redact removes secrets from agent trace data (tool args,
// prompts, outputs, attributes) before anything is stored, logged or
// written to a dead-letter file.
//
// A Redactor replaces every secret it recognises with a typed marker
// "[REDACTED:<type>]" (the Type constants) and counts the replacements.
// It recognises, in this order:
//
//   - private_key: PEM/PGP/SSH2 private key blocks of any label and case,
//     BEGIN through END, also with JSON-escaped newlines (raw JSON lines),
//     and PuTTY key files
//   - jwt: eyJ... three-segment JSON Web Tokens
//   - aws_key: AKIA/ASIA access key ids
//   - github_token: gh[pousr]_ and github_pat_ tokens
//   - slack_token: xox[abprs]- tokens and hooks.slack.com webhook URLs
//   - vendor tokens with a fixed prefix (vendor.go): anthropic_key,
//     openai_key, stripe_key, google_api_key, sendgrid_key,
//     huggingface_token, npm_token, gitlab_token, twilio_key,
//     telegram_bot_token, discord_webhook
//   - bearer_token: the token after "Bearer " (the word is kept)
//   - credential (aws_key, azure_storage_key, session_cookie by key): the
//     value of api_key=, password:, "token": "...", pwd=, auth:,
//     AccountKey=, sessionid=, .env lines such as STRIPE_KEY=..., the
//     whole value of an Authorization: header of any scheme (the scheme
//     word is kept) and similar assignments (the key is kept), and URL
//     passwords (scheme://user:password@host)
//   - basic_auth: "Basic <base64 of user:pass>" anywhere else
//   - email: e-mail addresses, when Config.Emails is set
//   - card_number: card numbers with an issuer prefix and length, a valid
//     Luhn sum, and one consistent separator (see card.go)
//
// Self-delimiting secrets go first so that a JWT after "Bearer " or after
// "token=" becomes one marker, not two. Markers are never matched again:
// String(String(s)) == String(s), and the second pass counts nothing.
//
// Most strings carry no secret, so every call first runs a cheap
// prefilter, eight bytes at a time, for the bytes that can start a
// secret; only the detectors it flags run, and a clean string is
// returned as is, without allocating.
package redact

import "strings"

// Marker types: the <type> in "[REDACTED:<type>]" and the keys of Counts.
const (
	TypeAWSKey      = "aws_key"      // AWS access key ids and secret access keys
	TypeGitHubToken = "github_token" // ghp_/gho_/ghu_/ghs_/ghr_ tokens and github_pat_ tokens
	TypeSlackToken  = "slack_token"  // xox[abprs]- tokens and Slack webhook URLs
	TypeBearerToken = "bearer_token" // the token after "Bearer "
	TypeJWT         = "jwt"          // JSON Web Tokens
	TypePrivateKey  = "private_key"  // PEM / PGP / SSH2 private key blocks, PuTTY key files
	TypeCredential  = "credential"   // values of api_key=, password:, token=, ... and URL passwords
	TypeCardNumber  = "card_number"  // Luhn-valid payment card numbers
	TypeEmail       = "email"        // e-mail addresses (Config.Emails)

	TypeGoogleAPIKey     = "google_api_key"     // AIza... Google API keys
	TypeOpenAIKey        = "openai_key"         // sk-proj-, sk-svcacct-, sk-admin- and legacy sk- keys
	TypeAnthropicKey     = "anthropic_key"      // sk-ant- keys
	TypeStripeKey        = "stripe_key"         // sk_/rk_ live and test keys, whsec_ webhook secrets
	TypeSendGridKey      = "sendgrid_key"       // SG.<id>.<secret> keys
	TypeHuggingFaceToken = "huggingface_token"  // hf_ tokens
	TypeNPMToken         = "npm_token"          // npm_ tokens
	TypeGitLabToken      = "gitlab_token"       // glpat-, gldt-, glrt-, glptt- tokens
	TypeTwilioKey        = "twilio_key"         // SK API key sids; auth tokens after an AC account sid
	TypeTelegramToken    = "telegram_bot_token" // <bot id>:AA... bot tokens
	TypeDiscordWebhook   = "discord_webhook"    // discord.com/api/webhooks/<id>/<token> URLs
	TypeAzureStorageKey  = "azure_storage_key"  // AccountKey= and SharedAccessKey= values
	TypeBasicAuth        = "basic_auth"         // "Basic <base64 of user:pass>" outside an Authorization key
	TypeSessionCookie    = "session_cookie"     // values of session cookies (sessionid=, PHPSESSID=, ...)
)

// Types returns every marker type, in a fixed order (a new slice).
func Types() []string {
	return []string{
		TypeAWSKey, TypeGitHubToken, TypeSlackToken, TypeBearerToken, TypeJWT, TypePrivateKey,
		TypeCredential, TypeCardNumber, TypeEmail, TypeGoogleAPIKey, TypeOpenAIKey, TypeAnthropicKey,
		TypeStripeKey, TypeSendGridKey, TypeHuggingFaceToken, TypeNPMToken, TypeGitLabToken,
		TypeTwilioKey, TypeTelegramToken, TypeDiscordWebhook, TypeAzureStorageKey, TypeBasicAuth,
		TypeSessionCookie,
	}
}

const (
	markerPrefix = "[REDACTED:"
	markerSuffix = "]"
)

// Marker returns the marker text that replaces a secret of type typ,
// "[REDACTED:" + typ + "]".
func Marker(typ string) string { return markerPrefix + typ + markerSuffix }

// Config selects optional detectors. The zero Config disables the optional
// ones; use DefaultConfig for the recommended settings.
type Config struct {
	// Emails redacts e-mail addresses. Default true (use DefaultConfig()).
	Emails bool
}

// DefaultConfig returns the recommended configuration: every detector on,
// including e-mail addresses.
func DefaultConfig() Config { return Config{Emails: true} }

// Counts maps a marker type (TypeAWSKey, ...) to the number of secrets of
// that type that were replaced. A nil Counts can be passed to String and
// Value to skip counting.
type Counts map[string]int

// Add adds every count of other to c. c must be non-nil unless other is
// empty.
func (c Counts) Add(other Counts) {
	for k, n := range other {
		c[k] += n
	}
}

// Total returns the number of redactions of all types in c; zero for nil.
func (c Counts) Total() int {
	t := 0
	for _, n := range c {
		t += n
	}
	return t
}

func (c Counts) inc(typ string) {
	if c != nil {
		c[typ]++
	}
}

// Redactor replaces secrets in strings and decoded JSON values. It is
// immutable after New and safe for concurrent use by multiple goroutines.
type Redactor struct {
	cfg Config
}

// New returns a Redactor for cfg. The Redactor holds no mutable state.
func New(cfg Config) *Redactor {
	return &Redactor{cfg: cfg}
}

// String returns s with every secret replaced by a typed marker
// "[REDACTED:<type>]", adding one to c[type] per replacement (c may be nil;
// like any map it must not be shared by concurrent calls).
// Only the secret is replaced: for credential assignments and bearer tokens
// the key or the word "Bearer" is kept. The result is a fixed point:
// String(String(s)) == String(s), with nothing counted the second time.
// A string without secrets is returned unchanged and without allocating.
func (r *Redactor) String(s string, c Counts) string {
	out, _ := r.redact(s, c)
	return out
}

// Identifier reports the type of a secret that identifier holds, or "" if
// it holds none. Identifiers (trace, span, run and case ids, dataset names,
// idempotency keys) are never rewritten: a join on a rewritten id breaks
// silently. Card numbers are not looked for in identifiers, since numeric
// ids (order numbers, all-zero span ids) pass the Luhn check as often as
// cards do; every other detector is.
func (r *Redactor) Identifier(identifier string) string {
	m := r.scan(identifier) &^ bitCard
	if m == 0 {
		return ""
	}
	c := Counts{}
	r.pass(identifier, m, c)
	typ := ""
	for t := range c {
		if typ == "" || t < typ {
			typ = t
		}
	}
	return typ
}

// redact is String that also reports whether anything was replaced.
func (r *Redactor) redact(s string, c Counts) (string, bool) {
	return r.redactMask(s, c, 0)
}

// redactMask is redact with the detectors whose bits are in off disabled.
//
// One pass is enough: the detectors are ordered so that none of them can
// match in what a later one leaves (markers are never matched, and a
// context detector skips a value that is only markers), so the output is
// a fixed point. FuzzString, TestFragmentCombos and the corpus tests
// (TestCorpusRecall, TestCorpusFixedPoint) check this on every input they
// make: a second pass over the output must find nothing.
func (r *Redactor) redactMask(s string, c Counts, off uint32) (string, bool) {
	m := r.scan(s) &^ off
	if m == 0 {
		return s, false
	}
	out := r.pass(s, m, c)
	return out, out != s
}

// pass runs, in order, every detector whose bit is set in m. Order
// matters: whole-block and self-delimiting secrets (private keys, JWTs,
// vendor tokens) go first so that the context-based detectors (bearer,
// credential assignments) see their markers and leave them alone.
func (r *Redactor) pass(s string, m uint32, c Counts) string {
	if m&bitPEM != 0 {
		s = redactPEM(s, c)
	}
	if m&bitPuTTY != 0 {
		s = redactPuTTY(s, c)
	}
	if m&bitJWT != 0 {
		s = redactJWTs(s, c)
	}
	if m&bitAWS != 0 {
		s = redactAWSIDs(s, c)
	}
	if m&bitGitHub != 0 {
		s = redactGitHub(s, c)
	}
	if m&bitSlack != 0 {
		s = redactSlack(s, c)
	}
	if m&(bitVendorDash|bitVendorUnder|bitVendorGoogle) != 0 {
		s = redactVendor(s, m, c)
	}
	if m&bitTwilio != 0 {
		s = redactTwilio(s, c)
	}
	if m&bitTelegram != 0 {
		s = redactTelegram(s, c)
	}
	if m&bitDiscord != 0 {
		s = redactDiscord(s, c)
	}
	if m&bitBearer != 0 {
		s = redactBearer(s, c)
	}
	if m&bitCred != 0 {
		s = redactCredentials(s, c)
	}
	if m&bitURL != 0 {
		s = redactURLPasswords(s, c)
	}
	if m&bitBasic != 0 {
		s = redactBasic(s, c)
	}
	if m&bitEmail != 0 && r.cfg.Emails {
		s = redactEmails(s, c)
	}
	if m&bitCard != 0 {
		s = redactCards(s, c)
	}
	return s
}

// editor builds a copy of a string with some byte ranges replaced by
// markers. Ranges must be added in increasing, non-overlapping order.
type editor struct {
	b    strings.Builder
	last int
	n    int
}

func (e *editor) replace(s string, start, end int, typ string, c Counts) {
	if e.n == 0 {
		e.b.Grow(len(s) + 16)
	}
	e.b.WriteString(s[e.last:start])
	e.b.WriteString(markerPrefix)
	e.b.WriteString(typ)
	e.b.WriteString(markerSuffix)
	e.last = end
	e.n++
	c.inc(typ)
}

func (e *editor) finish(s string) string {
	if e.n == 0 {
		return s
	}
	e.b.WriteString(s[e.last:])
	return e.b.String()
}

// markerLen returns the length of the marker starting at s[0], or 0.
func markerLen(s string) int {
	if !strings.HasPrefix(s, markerPrefix) {
		return 0
	}
	i := len(markerPrefix)
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] == '_') {
		i++
	}
	if i == len(markerPrefix) || i >= len(s) || s[i] != ']' {
		return 0
	}
	return i + 1
}

// onlyMarkers reports whether s is one or more markers, optionally
// separated or surrounded by blanks (see trimBlanks).
func onlyMarkers(s string) bool {
	seen := false
	for {
		s = trimBlanks(s)
		if s == "" {
			return seen
		}
		n := markerLen(s)
		if n == 0 {
			return false
		}
		s, seen = s[n:], true
	}
}

// trimBlanks strips blanks from both ends of s: spaces, tabs, CR, LF and
// their JSON escapes \t, \r, \n (raw JSON lines carry those).
func trimBlanks(s string) string {
	for {
		if s != "" && isBlank(s[0]) {
			s = s[1:]
		} else if len(s) >= 2 && s[0] == '\\' && isBlankEscape(s[1]) {
			s = s[2:]
		} else {
			break
		}
	}
	for {
		n := len(s)
		if n > 0 && isBlank(s[n-1]) {
			s = s[:n-1]
		} else if n >= 2 && s[n-2] == '\\' && isBlankEscape(s[n-1]) {
			s = s[:n-2]
		} else {
			return s
		}
	}
}

func isBlank(b byte) bool       { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }
func isBlankEscape(b byte) bool { return b == 't' || b == 'r' || b == 'n' }
