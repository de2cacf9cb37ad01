package redact

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const (
	jwtTok  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	ghpTok  = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	awsID   = "AKIAIOSFODNN7EXAMPLE"
	awsSec  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	pemBody = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ=="
)

var (
	mAWS    = Marker(TypeAWSKey)
	mGH     = Marker(TypeGitHubToken)
	mSlack  = Marker(TypeSlackToken)
	mBearer = Marker(TypeBearerToken)
	mJWT    = Marker(TypeJWT)
	mPEM    = Marker(TypePrivateKey)
	mCred   = Marker(TypeCredential)
	mCard   = Marker(TypeCardNumber)
	mEmail  = Marker(TypeEmail)
)

type tcase struct{ name, in, want string }

// typeTables has, per marker type, positive cases and negative ones
// (near misses, want == in). The "mixed" table holds cases that involve
// several types.
var typeTables = []struct {
	typ   string
	cases []tcase
}{
	{TypeAWSKey, []tcase{
		{"aws id", "key=" + awsID + " ok", "key=" + mAWS + " ok"},
		{"aws sts id", "id ASIAY34FZKBOKMUTVV7A.", "id " + mAWS + "."},
		{"aws id glued", "x" + awsID + "y", "x" + mAWS + "y"},
		{"aws secret kv", "aws_secret_access_key=" + awsSec, "aws_secret_access_key=" + mAWS},
		{"aws secret json", `{"aws_secret_access_key": "` + awsSec + `"}`, `{"aws_secret_access_key": "` + mAWS + `"}`},
		{"aws sts json", `{"AccessKeyId": "ASIAY34FZKBOKMUTVV7A", "SecretAccessKey": "` + awsSec + `", "SessionToken": "IQoJb3JpZ2lu"}`,
			`{"AccessKeyId": "` + mAWS + `", "SecretAccessKey": "` + mAWS + `", "SessionToken": "` + mCred + `"}`},
		{"aws id too short", "AKIAIOSFODNN7EXAM", "AKIAIOSFODNN7EXAM"},
		{"aws id lowercase", "akiaiosfodnn7example", "akiaiosfodnn7example"},
		{"aws other prefix", "AROAIOSFODNN7EXAMPLE", "AROAIOSFODNN7EXAMPLE"},
	}},
	{TypeGitHubToken, []tcase{
		{"ghp", "token " + ghpTok + " used", "token " + mGH + " used"},
		{"ghs long", "ghs_" + strings.Repeat("a1", 20), mGH},
		{"github pat", "GH=github_pat_11ABCDEFG0abcdefghijklmnop_qrstu", "GH=" + mGH},
		{"ghp 35 chars", "ghp_" + strings.Repeat("a", 35), "ghp_" + strings.Repeat("a", 35)},
		{"ghx prefix", "ghx_" + strings.Repeat("a", 40), "ghx_" + strings.Repeat("a", 40)},
		{"github pat short", "github_pat_abc", "github_pat_abc"},
	}},
	{TypeSlackToken, []tcase{
		{"xoxb", "use xoxb-123456789012-abcdefABCDEF now", "use " + mSlack + " now"},
		{"xoxp", "xoxp-1-2-3-abcdefgh", mSlack},
		{"slack webhook", "POST https://hooks.slack.com/services/T000/B000/XXXX ok", "POST " + mSlack + " ok"},
		{"xoxz", "xoxz-123456789012-abcdef", "xoxz-123456789012-abcdef"},
		{"xoxb short", "xoxb-123", "xoxb-123"},
		{"slack home", "see https://slack.com/services/T000", "see https://slack.com/services/T000"},
	}},
	{TypeBearerToken, []tcase{
		{"bearer", "Authorization: Bearer abcdef123456", "Authorization: Bearer " + mBearer},
		{"bearer lower", "bearer abc.def~ghi+jk/l=", "bearer " + mBearer},
		{"bearer upper", "BEARER   0123456789", "BEARER   " + mBearer},
		{"bearer short", "bearer abc1234", "bearer abc1234"},
		{"bearer glued", "xbearer abcdefgh1234", "xbearer abcdefgh1234"},
		{"bearer no token", "the bearer of bad news", "the bearer of bad news"},
	}},
	{TypeJWT, []tcase{
		{"jwt", "t=" + jwtTok + ";", "t=" + mJWT + ";"},
		{"jwt in json", `{"id_token":"` + jwtTok + `"}`, `{"id_token":"` + mJWT + `"}`},
		{"jwt two segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"},
		{"jwt no eyJ", "abc.def.ghi", "abc.def.ghi"},
	}},
	{TypePrivateKey, []tcase{
		{"pem", "key:\n-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "\n-----END RSA PRIVATE KEY-----\nbye", "key:\n" + mPEM + "\nbye"},
		{"pem json escaped", `{"k":"-----BEGIN PRIVATE KEY-----\nMIIB\nAAA=\n-----END PRIVATE KEY-----\n","n":1}`, `{"k":"` + mPEM + `\n","n":1}`},
		{"pem openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----", mPEM},
		{"pem truncated", "x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE...", "x " + mPEM},
		{"pem certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{"pem public key", "-----BEGIN PUBLIC KEY-----\nMIIB", "-----BEGIN PUBLIC KEY-----\nMIIB"},
	}},
	{TypeCredential, []tcase{
		{"api_key eq", "api_key=abc123&x=1", "api_key=" + mCred + "&x=1"},
		{"apikey colon", "apikey: abc123", "apikey: " + mCred},
		{"api-key header", "X-Api-Key: abc123", "X-Api-Key: " + mCred},
		{"password json", `{"user":"bob","password":"p4ss w0rd"}`, `{"user":"bob","password":"` + mCred + `"}`},
		{"passwd quoted", `PASSWD="hunter2"`, `PASSWD="` + mCred + `"`},
		{"secret single quoted", `secret='s3'`, `secret='` + mCred + `'`},
		{"token eq", "next token=abc.def", "next token=" + mCred},
		{"access_token", "access_token: xyz789", "access_token: " + mCred},
		{"client_secret", `client_secret = "abc"`, `client_secret = "` + mCred + `"`},
		{"authorization basic", "Authorization: Basic Zm9vOmJhcg==", "Authorization: Basic " + mCred},
		{"escaped json", `{\"password\": \"x\\\"y\", \"u\": 1}`, `{\"password\": \"` + mCred + `\", \"u\": 1}`},
		{"env var", "export DB_PASSWORD=s3cr3t", "export DB_PASSWORD=" + mCred},
		{"ruby hash", `:token => "abc"`, `:token => "` + mCred + `"`},
		{"url password", "postgres://app:pw123@db:5432/x", "postgres://app:" + mCred + "@db:5432/x"},
		{"url user is a key", "x://token:,pw@h", "x://token:" + mCred + "@h"},
		{"value after marker", "password=abc" + jwtTok + " x", "password=" + mCred + mJWT + " x"},
		{"max_tokens", `{"max_tokens": 512, "input_tokens": 3}`, `{"max_tokens": 512, "input_tokens": 3}`},
		{"tokenizer", "tokenizer: cl100k", "tokenizer: cl100k"},
		{"comparison", "if token == nil { return }", "if token == nil { return }"},
		{"go decl", "token := f()", "token := f()"},
		{"scope", "Token::new()", "Token::new()"},
		{"json literal", `{"secret": true, "token": null, "password": ""}`, `{"secret": true, "token": null, "password": ""}`},
		{"no separator", "reset your password please", "reset your password please"},
		{"url no password", "ssh://git@gitserver:22/x", "ssh://git@gitserver:22/x"},
	}},
	{TypeCardNumber, []tcase{
		{"visa", "card 4111111111111111 ok", "card " + mCard + " ok"},
		{"visa spaced", "4111 1111 1111 1111", mCard},
		{"mc dashed", "5555-5555-5555-4444.", mCard + "."},
		{"card after a group of another separator", "000 5555-5555-5555-4444", "000 " + mCard},
		{"mixed separators are no card", "4111 1111-1111-1111", "4111 1111-1111-1111"},
		{"amex", "378282246310005", mCard},
		{"card then expiry", "4111 1111 1111 1111 12/27", mCard + " 12/27"},
		{"card luhn fail", "4111111111111112", "4111111111111112"},
		{"card spaced luhn fail", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"too short", "411111111111", "411111111111"},
		{"too long", "41111111111111111111", "41111111111111111111"},
		{"double space", "4111  1111 1111 1111", "4111  1111 1111 1111"},
		{"in hex id", "a4111111111111111f", "a4111111111111111f"},
		{"float fraction", "0.4111111111111111", "0.4111111111111111"},
	}},
	{TypeEmail, []tcase{
		{"email", "mail jane.doe@example.com now", "mail " + mEmail + " now"},
		{"email plus", "<ops+alerts@eval-house.co.uk>", "<" + mEmail + ">"},
		{"no tld", "user@localhost", "user@localhost"},
		{"at handle", "ping @alice", "ping @alice"},
		{"version", "pkg@1.2.3", "pkg@1.2.3"},
	}},
	{"mixed", []tcase{
		{"bearer jwt one marker", "Authorization: Bearer " + jwtTok, "Authorization: Bearer " + mJWT},
		{"marker kept", "token=" + mCred + " " + mJWT, "token=" + mCred + " " + mJWT},
		{"jwt after token=", "token=" + jwtTok, "token=" + mJWT},
		{"ghp in env", "GITHUB_TOKEN=" + ghpTok, "GITHUB_TOKEN=" + mGH},
		{"pem under private_key", `{"private_key": "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n"}`,
			`{"private_key": "` + mPEM + `\n"}`},
		{"clean", "The agent called search(q=\"weather in Paris\") and got 3 results.", "The agent called search(q=\"weather in Paris\") and got 3 results."},
	}},
}

// allCases returns the cases of every table.
func allCases() []tcase {
	var all []tcase
	for _, tt := range typeTables {
		all = append(all, tt.cases...)
	}
	return all
}

func TestTypes(t *testing.T) {
	r := New(DefaultConfig())
	for _, tt := range typeTables {
		t.Run(tt.typ, func(t *testing.T) {
			for _, tc := range tt.cases {
				t.Run(tc.name, func(t *testing.T) {
					c := Counts{}
					got := r.String(tc.in, c)
					if got != tc.want {
						t.Fatalf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
					}
					if want := strings.Count(tc.want, markerPrefix) - strings.Count(tc.in, markerPrefix); c.Total() != want {
						t.Errorf("counts %v, want %d redactions", c, want)
					}
					if tc.want != tc.in && tt.typ != "mixed" && c[tt.typ] == 0 {
						t.Errorf("counts %v, want some %s", c, tt.typ)
					}
					assertFixedPoint(t, r, got)
				})
			}
		})
	}
}

func assertFixedPoint(t *testing.T, r *Redactor, s string) {
	t.Helper()
	c := Counts{}
	if again := r.String(s, c); again != s || c.Total() != 0 {
		t.Errorf("not idempotent: String(%q) = %q, counts %v", s, again, c)
	}
}

func TestEmailsOff(t *testing.T) {
	r := New(Config{})
	in := "mail jane.doe@example.com, card 4111111111111111"
	if got, want := r.String(in, nil), "mail jane.doe@example.com, card "+mCard; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := New(DefaultConfig()).String(in, nil); strings.Contains(got, "jane") {
		t.Fatalf("default config kept the e-mail: %q", got)
	}
}

func TestCounts(t *testing.T) {
	r := New(DefaultConfig())
	c := Counts{}
	in := "Bearer " + jwtTok + " and password=x and " + awsID + " " + awsID + " jane@example.com"
	r.String(in, c)
	want := Counts{TypeJWT: 1, TypeCredential: 1, TypeAWSKey: 2, TypeEmail: 1}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("counts %v, want %v", c, want)
	}
	sum := Counts{TypeJWT: 2}
	sum.Add(c)
	if sum[TypeJWT] != 3 || sum.Total() != 7 {
		t.Fatalf("Add: %v", sum)
	}
	var none Counts
	if none.Total() != 0 {
		t.Fatal("nil Total")
	}
	none.Add(Counts{}) // must not panic
	if got := r.String(in, nil); strings.Contains(got, awsID) {
		t.Fatal("nil counts changed the result")
	}
}

func TestValue(t *testing.T) {
	r := New(DefaultConfig())
	v := map[string]any{
		"prompt": "use key " + awsID,
		"n":      42.0,
		"ok":     true,
		"none":   nil,
		"args": []any{
			"plain",
			map[string]any{"deep": []any{"mail jane@example.com", 7.0}},
			[]string{"Bearer abcdefgh12345"},
		},
		"headers":       map[string]string{"Authorization": "Basic Zm9vOmJhcg==", "Accept": "*/*"},
		"password":      "hunter2",
		"api_key":       "",
		"access_token":  jwtTok,
		"credentials":   map[string]any{"client_secret": map[string]any{"value": "abc", "n": 1.0}},
		"Authorization": "Bearer abcdefgh12345",
		"http":          map[string][]string{"X-Api-Key": {"k1"}, "Via": {"proxy"}},
		"max_tokens":    "512",
	}
	c := Counts{}
	got := r.Value(v, c)
	if reflect.ValueOf(got).Pointer() != reflect.ValueOf(v).Pointer() {
		t.Fatal("Value did not return the same map")
	}
	want := map[string]any{
		"prompt": "use key " + mAWS,
		"n":      42.0,
		"ok":     true,
		"none":   nil,
		"args": []any{
			"plain",
			map[string]any{"deep": []any{"mail " + mEmail, 7.0}},
			[]string{"Bearer " + mBearer},
		},
		"headers":       map[string]string{"Authorization": "Basic " + mCred, "Accept": "*/*"},
		"password":      mCred,
		"api_key":       "",
		"access_token":  mJWT,
		"credentials":   map[string]any{"client_secret": map[string]any{"value": mCred, "n": 1.0}},
		"Authorization": "Bearer " + mBearer,
		"http":          map[string][]string{"X-Api-Key": {mCred}, "Via": {"proxy"}},
		"max_tokens":    "512",
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("Value:\n got %#v\nwant %#v", v, want)
	}
	wantC := Counts{TypeAWSKey: 1, TypeEmail: 1, TypeBearerToken: 2, TypeCredential: 4, TypeJWT: 1}
	if !reflect.DeepEqual(c, wantC) {
		t.Errorf("counts %v, want %v", c, wantC)
	}
	c2 := Counts{}
	r.Value(v, c2)
	if !reflect.DeepEqual(v, want) || c2.Total() != 0 {
		t.Errorf("second Value changed something: counts %v", c2)
	}
	if got := r.Value("x "+ghpTok, nil); got != "x "+mGH {
		t.Errorf("top-level string: %v", got)
	}
	for _, x := range []any{nil, 1.5, false, int64(3)} {
		if got := r.Value(x, c); got != x {
			t.Errorf("Value(%v) = %v", x, got)
		}
	}
}

func TestValueCleanNoAlloc(t *testing.T) {
	r := New(DefaultConfig())
	v := map[string]any{
		"input": "summarise the attached report in three bullet points",
		"args":  []any{"a", map[string]any{"k": "v", "n": 1.0}, []string{"x"}},
		"token": "",
	}
	s := strings.Repeat("plain words and numbers 12345 ", 30)
	if n := testing.AllocsPerRun(100, func() { r.Value(v, nil); r.String(s, nil) }); n != 0 {
		t.Fatalf("clean Value/String allocated %v times", n)
	}
}

// TestPEMJSONEscaped: a private key inside a raw JSON line (dead-letter
// file), its newlines escaped as the two characters \n.
func TestPEMJSONEscaped(t *testing.T) {
	r := New(DefaultConfig())
	body := strings.ReplaceAll(pemBody, "\n", `\n`)
	line := `{"kind":"tool","args":{"file":"-----BEGIN RSA PRIVATE KEY-----\n` + body +
		`\n-----END RSA PRIVATE KEY-----\n"},"status":"ok"}`
	c := Counts{}
	got := r.String(line, c)
	want := `{"kind":"tool","args":{"file":"` + mPEM + `\n"},"status":"ok"}`
	if got != want || c[TypePrivateKey] != 1 || c.Total() != 1 {
		t.Fatalf("got %q (counts %v), want %q", got, c, want)
	}
}

// TestPlanted redacts a corpus of realistic strings with planted secrets,
// as strings and inside a Value, and checks that no secret survives.
func TestPlanted(t *testing.T) {
	r := New(DefaultConfig())
	for _, p := range readPlanted(t) {
		c := Counts{}
		got := r.String(p.context, c)
		if strings.Contains(got, p.secret) || c.Total() == 0 {
			t.Errorf("line %d: secret %q survived: %q (counts %v)", p.line, p.secret, got, c)
		}
		assertFixedPoint(t, r, got)
		v := map[string]any{"text": p.context, "list": []any{p.context}}
		r.Value(v, nil)
		if strings.Contains(v["text"].(string), p.secret) || strings.Contains(v["list"].([]any)[0].(string), p.secret) {
			t.Errorf("line %d: Value kept secret %q", p.line, p.secret)
		}
	}
}

type planted struct {
	line            int
	secret, context string
}

func readPlanted(t testing.TB) []planted {
	f, err := os.Open("testdata/planted.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []planted
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		secret, context, ok := strings.Cut(line, "\t")
		if !ok || secret == "" || !strings.Contains(context, secret) {
			t.Fatalf("planted.txt:%d: want SECRET<TAB>CONTEXT containing it: %q", n, line)
		}
		out = append(out, planted{n, secret, context})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("planted.txt: only %d entries", len(out))
	}
	return out
}

func TestConcurrent(t *testing.T) {
	r := New(DefaultConfig())
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Counts{}
			for _, tc := range allCases() {
				if got := r.String(tc.in, c); got != tc.want {
					t.Errorf("%s: got %q", tc.name, got)
				}
			}
		}()
	}
	wg.Wait()
}
