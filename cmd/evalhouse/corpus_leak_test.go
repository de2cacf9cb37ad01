package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/ingest/parquet"
)

// TestCorpusNowhere plants every secret of the redaction corpus through
// every ingest path and every command that stores text, the way a leaking
// agent and a careless user would, then looks for each one everywhere
// evalhouse keeps or shows text: every table's rows, every file under the
// store's data directory, the dead-letter file and topic (key, headers,
// value), the HTTP answers, the evidence files and all the commands print,
// debug log included. None may be found; every good event is stored, its
// identifiers byte for byte.
//
// Paths: envelope NDJSON file (its name holding a token), POST /v1/events,
// OTLP/HTTP protobuf POST /v1/traces, an OTLP/JSON file, Kafka (good and
// bad messages, a dead-letter topic), a Parquet file. Commands: dataset
// create and add (cases, --note, --by, file name) and approve (--by),
// incident open (--title,
// --owner) and promote (--expect, --by), gate (--commit, --owner; JSON,
// Markdown, JUnit), keys create (--name, --by).
func TestCorpusNowhere(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole corpus through every path")
	}
	plants := readPlants(t)
	store, dir := storeFlag(t)
	work := t.TempDir()
	now := time.Now().UTC().Add(-time.Hour)
	var out bytes.Buffer // everything every command printed, debug log included
	texts := map[string]string{}
	must := func(want int, args ...string) string {
		t.Helper()
		o, code := run(t, nil, append([]string{store, "--log-level", "debug"}, args...)...)
		out.WriteString(o)
		if want >= 0 && code != want {
			t.Fatalf("evalhouse %.200s: exit %d, want %d\n…%s", strings.Join(args, " "), code, want, o[max(0, len(o)-3000):])
		}
		return o
	}
	token := plantOf(t, plants, "github_token").value
	must(0, "migrate")

	// Envelope file, named by a token, with a dead-letter file.
	good, bad := envelopeLines('e', plants, now)
	envFile := filepath.Join(work, "events-"+token+".ndjson")
	writeFile(t, envFile, append(good, bad...))
	deadFile := filepath.Join(work, "dead.ndjson")
	if o := must(exitFailed, "ingest", "--dead-letter", deadFile, envFile); !strings.Contains(o, fmt.Sprintf("accepted %d, rejected %d", len(plants), 2*len(plants))) {
		t.Fatalf("envelope file: …%s", o[max(0, len(o)-2000):])
	}

	// OTLP/JSON file.
	js, err := protojson.Marshal(otlpRequest('f', plants, now))
	if err != nil {
		t.Fatal(err)
	}
	otlpFile := filepath.Join(work, "spans.otlp.json")
	writeFile(t, otlpFile, js)
	must(0, "ingest", otlpFile)

	// Parquet file.
	pqFile := filepath.Join(work, "rows.parquet")
	f, err := os.Create(pqFile)
	if err != nil {
		t.Fatal(err)
	}
	pw := parquet.NewWriter(f)
	for _, r := range parquetRows('p', plants, now) {
		if _, err := pw.Write([]parquet.Record{parquet.Record(r)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil || f.Close() != nil {
		t.Fatal(err)
	}
	must(0, "ingest", pqFile)

	// serve: POST /v1/events (good, then bad) and OTLP protobuf.
	lines, done, cancel := background(t, store, "--log-level", "debug", "serve", "--listen", "127.0.0.1:0", "--batch-wait", "10ms")
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))
	good, bad = envelopeLines('h', plants, now)
	var answers strings.Builder
	for _, body := range [][]byte{good, bad} {
		r := do(t, "POST", api+"/v1/events", "", body, "Content-Type", "application/x-ndjson")
		fmt.Fprintf(&answers, "%d %s\n", r.code, r.body)
	}
	pb, _ := proto.Marshal(otlpRequest('o', plants, now))
	r := do(t, "POST", api+"/v1/traces", "", pb, "Content-Type", "application/x-protobuf")
	if r.code != 200 {
		t.Fatalf("POST /v1/traces: %d %s", r.code, r.body)
	}
	fmt.Fprintf(&answers, "%d %q\n", r.code, r.body)
	for _, p := range plants[:20] { // a refused body quoting what it was sent
		r := do(t, "POST", api+"/v1/traces", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":`+escapeFirst(p)+`}]}]}]}`),
			"Content-Type", "application/json")
		fmt.Fprintf(&answers, "%d %s\n", r.code, r.body)
	}
	cancel()
	out.WriteString(<-done)
	texts["the HTTP answers"] = answers.String()

	// Kafka: good and bad messages, keyed by the secret, some with a
	// content type holding it; a dead-letter topic.
	addr := kafkaCluster(t)
	var msgs []kafka.Message
	good, bad = envelopeLines('k', plants, now)
	for _, l := range bytes.Split(bytes.TrimSpace(good), []byte("\n")) {
		msgs = append(msgs, kafka.Message{Value: l})
	}
	for i, l := range bytes.Split(bytes.TrimSpace(bad), []byte("\n")) {
		p := plants[i/2]
		m := kafka.Message{Key: []byte(p.bare), Value: l}
		if i%4 == 0 {
			m.Headers = []kafka.Header{{Key: "content-type", Value: []byte("application/" + p.bare)}}
		}
		msgs = append(msgs, m)
	}
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "events", BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	klines, kdone, kcancel := background(t, store, "--log-level", "debug", "ingest", "kafka", "--brokers", addr, "--topic", "events",
		"--group", "g", "--dead-letter-topic", "events.dlq", "--batch-wait", "50ms")
	waitCommitted(t, addr, "g", "events", int64(len(msgs)), klines, kdone)
	kcancel()
	out.WriteString(<-kdone)
	texts["the dead-letter topic"] = readTopic(t, addr, "events.dlq")

	// The text-storing commands, fed the corpus: one case a plant, and one
	// plant of each type in one of the flags.
	datasetRun := loadExample(t, must)
	flags := flagTexts(plants, 12)
	casesDir := filepath.Join(work, "from-"+token)
	os.MkdirAll(casesDir, 0o755)
	must(0, "dataset", "create", "leaky", "--from", writeCases(t, casesDir, plants), "--note", flags[0], "--by", flags[1])
	more := filepath.Join(work, "more.jsonl")
	writeFile(t, more, []byte(`{"case_id":"more-1","input":{"message":"hi"},"expected":{"answer":"hello"}}`+"\n"))
	must(0, "dataset", "add", "leaky", "--from", more, "--draft", "--note", flags[10])
	must(0, "dataset", "approve", "leaky@v2", "--by", flags[11])
	must(0, "dataset", "log", "leaky")
	must(0, "dataset", "show", "leaky@v1")
	o := must(0, "incident", "open", "--trace", datasetRun, "--title", flags[2], "--severity", "sev2", "--owner", flags[3])
	if !strings.Contains(o, "INC-1") {
		t.Fatalf("incident open: %s", o)
	}
	must(0, "incident", "show", "INC-1")
	must(0, "incident", "promote", "INC-1", "--dataset", "support-bot", "--expect",
		`{"must_not_contain":`+string(mustJSON(flags[4]))+`}`, "--by", flags[5], "--json")
	must(0, "eval", "--dataset", "support-bot@v2", "--release", "2.4.0", "--rules", exampleRoot+"/rules")
	ev := t.TempDir()
	jsonEv, mdEv, junitEv := filepath.Join(ev, "g.json"), filepath.Join(ev, "g.md"), filepath.Join(ev, "g.xml")
	must(-1, "gate", "--config", exampleRoot+"/gate.yaml", "--release", "2.4.0", "--commit", flags[6], "--owner", flags[7],
		"--json", jsonEv, "--markdown", mdEv, "--junit", junitEv)
	for _, f := range []string{jsonEv, mdEv, junitEv} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("gate evidence: %v", err)
		}
		texts[filepath.Base(f)] = string(b)
	}
	// A key's name is an identifier (revoke takes it): one that is a secret is refused, unquoted.
	if o := must(exitUsage, "keys", "create", "--role", "read", "--name", token, "--by", flags[9]); !strings.Contains(o, "holds a secret (github_token)") {
		t.Errorf("keys create --name TOKEN: %s", o)
	}
	must(0, "keys", "create", "--role", "read", "--name", "reader", "--by", flags[8]+" "+flags[9])
	must(0, "keys", "list")
	must(0, "report", "summary")

	// Every good event is stored, under the identifiers it was sent with.
	for _, path := range []string{"e", "h", "k", "p"} {
		q := fmt.Sprintf("SELECT count() FROM agent_events WHERE startsWith(event_id, '%s-evt-') AND NOT endsWith(event_id, '-bad') AND NOT endsWith(event_id, '-old')", path)
		if n := sqlCount(t, store, q); n != len(plants) {
			t.Errorf("path %s: %d events stored, want %d", path, n, len(plants))
		}
	}
	for _, path := range []byte{'f', 'o'} {
		_, trace, _ := ids(path, 0)
		q := fmt.Sprintf("SELECT count() FROM agent_events WHERE source = 'otlp' AND startsWith(trace_id, '%s')", trace[:2])
		if n := sqlCount(t, store, q); n < len(plants) {
			t.Errorf("OTLP path %c: %d events stored, want at least %d (a span each)", path, n, len(plants))
		}
	}

	// Look everywhere.
	tables := strings.Fields(sqlAll(t, store, "SELECT database || '.' || name FROM system.tables WHERE database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA') AND engine NOT LIKE '%View' ORDER BY 1"))
	if len(tables) < 8 {
		t.Fatalf("tables: %v", tables)
	}
	for _, table := range tables {
		texts["table "+table] = sqlAll(t, store, "SELECT formatRow('TSVRaw', *) FROM "+table)
	}
	texts["the data directory"] = filesUnder(t, dir)
	dead, err := os.ReadFile(deadFile)
	if err != nil || len(dead) == 0 {
		t.Fatalf("dead-letter file: %v, %d bytes", err, len(dead))
	}
	texts["the dead-letter file"] = string(dead)
	texts["what the commands printed"] = out.String()
	if !strings.Contains(out.String(), "level=DEBUG") {
		t.Error("no debug log in what the commands printed")
	}
	if !strings.Contains(texts["table default.agent_events"], "[REDACTED:") || !strings.Contains(texts["the dead-letter topic"], "[REDACTED:") {
		t.Fatal("no marker in the store or the dead-letter topic: did the plants arrive?")
	}
	found := 0
	for _, p := range plants {
		for _, where := range sortedKeys(texts) {
			for _, needle := range needles(p) {
				if i := strings.Index(texts[where], needle); i >= 0 && found < 40 {
					found++
					t.Errorf("secret %s (%s:%d) found in %s: …%q…", p.typ, corpusFile, p.line, where, around(texts[where], i, len(needle)))
					break
				}
			}
		}
	}
}

// sqlAll is every row `evalhouse sql --format tsv` answers q with, the
// header left out.
func sqlAll(t *testing.T, store, q string) string {
	t.Helper()
	out, code := run(t, nil, store, "sql", "--format", "tsv", q)
	if code != 0 {
		t.Fatalf("sql %q: exit %d\n%s", q, code, out)
	}
	_, rows, _ := strings.Cut(out, "\n")
	return rows
}

// needles are what of p must be found nowhere: the secret, and, when it
// is long enough to be unmistakable, the secret without its first
// character (what an escaped spelling leaves readable).
func needles(p plant) []string {
	if len(p.value) >= 20 {
		return []string{p.value, p.value[1:]}
	}
	return []string{p.value}
}

func around(s string, i, n int) string {
	a, b := max(0, i-40), min(len(s), i+n+40)
	return s[a:b]
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func plantOf(t *testing.T, plants []plant, typ string) plant {
	for _, p := range plants {
		if p.typ == typ && !strings.ContainsAny(p.value, "/\\:") {
			return p
		}
	}
	t.Fatalf("no %s in the corpus", typ)
	return plant{}
}

// flagTexts spreads one plant of every type over n flag values.
func flagTexts(plants []plant, n int) []string {
	seen := map[string]bool{}
	out := make([]string, n)
	j := 0
	for _, p := range plants {
		if seen[p.typ] {
			continue
		}
		seen[p.typ] = true
		out[j%n] = strings.TrimSpace(out[j%n] + " " + p.text)
		j++
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeCases writes a dataset file of one case a plant (the text in its
// input and expected answer, the secret as an expected key and a tag)
// and returns its path.
func writeCases(t *testing.T, dir string, plants []plant) string {
	t.Helper()
	var b bytes.Buffer
	for i, p := range plants {
		b.Write(mustJSON(map[string]any{"case_id": fmt.Sprintf("leak-%03d", i), "input": map[string]any{"message": p.text},
			"expected": map[string]any{"answer": p.text, p.bare: true}, "tags": []string{p.bare}}))
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, "cases.jsonl")
	writeFile(t, path, b.Bytes())
	return path
}

// loadExample loads the example release the gate judges and its dataset,
// and returns a trace id of one of its runs, for an incident.
func loadExample(t *testing.T, must func(int, ...string) string) string {
	t.Helper()
	must(0, "dataset", "create", "support-bot", "--from", filepath.Join(exampleRoot, "datasets", "support-bot-v1.jsonl"))
	must(0, "ingest", filepath.Join(examples, "events-2.4.0.ndjson"))
	return strings.TrimSpace(lastLine(must(0, "sql", "--format", "tsv",
		"SELECT trace_id FROM agent_events WHERE run_id = 'run-2.4.0-p04' AND kind = 'run'")))
}

// filesUnder is the content of every file under dir.
func filesUnder(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			c, _ := os.ReadFile(p)
			b.WriteString(p + "\n")
			b.Write(c)
		}
		return nil
	})
	return b.String()
}

// waitCommitted waits until group has committed n messages of topic's
// partition 0, failing if the consumer stops first.
func waitCommitted(t *testing.T, addr, group, topic string, n int64, lines *syncLines, done <-chan string) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(addr)}
	deadline := time.Now().Add(90 * time.Second)
	for {
		of, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}})
		if err == nil && len(of.Topics[topic]) == 1 && of.Topics[topic][0].CommittedOffset == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group never committed %d messages:\n%s", n, lines.String())
		}
		select {
		case o := <-done:
			t.Fatalf("the consumer stopped early:\n%s", o)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readTopic is every record of topic's partition 0 (key, headers, value).
func readTopic(t *testing.T, addr, topic string) string {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var b strings.Builder
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		m, err := r.ReadMessage(ctx)
		cancel()
		if err != nil {
			break
		}
		fmt.Fprintf(&b, "key=%s value=%s\n", m.Key, m.Value)
		for _, h := range m.Headers {
			fmt.Fprintf(&b, "  %s: %s\n", h.Key, h.Value)
		}
	}
	if b.Len() == 0 {
		t.Fatalf("%s: no record", topic)
	}
	return b.String()
}
