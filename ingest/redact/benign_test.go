package redact

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// benignValue is a value with no secret, of a kind (uuid, sha, ...).
type benignValue struct{ kind, text string }

// benignCorpus generates, from a fixed seed, the benign values that
// TestCorpusBenign redacts: identifiers, numbers, blobs, paths and prose
// of the shapes trace data carries, including near misses of the
// detectors (token counts, "pass the test", Basic English, 20-digit order
// numbers, 32-hex trace ids). Timestamps are relative to a fixed instant,
// not to the calendar.
func benignCorpus() []benignValue {
	rng := rand.New(rand.NewPCG(10, 10))
	hex := func(n int) string {
		const h = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = h[rng.IntN(16)]
		}
		return string(b)
	}
	digits := func(n int) string {
		b := make([]byte, n)
		b[0] = byte('1' + rng.IntN(9))
		for i := 1; i < n; i++ {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	words := strings.Fields(`the agent called tool search with query results token count pass test basic usage
		session started auth flow user asked summarise report key points secret sauce password reset link sent
		bearer of news cookie banner api call latency ms retries model output evaluator score faithfulness
		credentials page docs private beta public launch card layout order shipped invoice total`)
	gens := []struct {
		kind string
		gen  func() string
	}{
		{"uuid", func() string {
			h := hex(32)
			return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
		}},
		{"hex id (16/32)", func() string { return hex(pick16or32(rng)) }},
		{"git sha", func() string { return hex(40) }},
		{"timestamp", func() string {
			t := base.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
			return pick(t.Format(time.RFC3339Nano), t.Format("2006-01-02 15:04:05"), fmt.Sprint(t.UnixNano()), fmt.Sprint(t.UnixMilli()))
		}},
		{"base64 blob", func() string {
			b := make([]byte, 8+rng.IntN(60))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			return pick(base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
		}},
		{"file path", func() string {
			return pick("/usr/local/lib/", "/home/dev/src/", "./internal/", "C:\\Users\\dev\\") +
				pick("auth", "session", "token", "keys", "pkg") + "/" + hex(6) + pick(".go", ".py", ".json", ".pem.example", ".ts")
		}},
		{"order number", func() string { return pick("order #", "order_id=", "invoice ", "") + digits(8+rng.IntN(13)) }},
		{"semver", func() string {
			return fmt.Sprintf("%s%d.%d.%d%s", pick("v", ""), rng.IntN(20), rng.IntN(50), rng.IntN(200), pick("", "-rc.1", "-beta.2", "+build."+hex(7)))
		}},
		{"number", func() string {
			return pick(fmt.Sprintf("%.6f", rng.Float64()*1000), fmt.Sprintf("%d.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256)),
				"+1 555 "+digits(3)+" "+digits(4), fmt.Sprintf("$%d,%03d.%02d", rng.IntN(999), rng.IntN(1000), rng.IntN(100)), "0."+digits(16))
		}},
		{"key=value", func() string {
			return pick("max_tokens=", "input_tokens: ", "token_count=", "retries=", "session.id=", "tokenizer: cl100k_", "passed: ", "auth_method: oauth", "key_id=", "page=") + digits(1+rng.IntN(5))
		}},
		{"url", func() string {
			return pick("https://", "http://") + pick("api.example.com", "docs.internal", "github.com/acme/repo") + "/" + pick("v1/items", "tree/main/auth", "session/new", "tokens") + "?page=" + digits(2)
		}},
		{"prose", func() string {
			n := 6 + rng.IntN(14)
			ws := make([]string, n)
			for i := range ws {
				ws[i] = words[rng.IntN(len(words))]
			}
			return strings.Join(ws, " ") + pick(".", "!", " (see step "+digits(2)+").", ": ok.")
		}},
	}
	var out []benignValue
	for len(out) < 12000 {
		g := gens[len(out)%len(gens)]
		out = append(out, benignValue{g.kind, g.gen()})
	}
	return out
}

func pick16or32(rng *rand.Rand) int {
	if rng.IntN(2) == 0 {
		return 16
	}
	return 32
}
