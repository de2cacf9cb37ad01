package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/restamp"
)

// The end-to-end tests drive the evalhouse command the way a user does:
// same flags, same outputs, the real embedded engine underneath. Commands
// run in-process (each opens and closes the engine); where a second process
// is the point, the test binary re-executes itself as evalhouse.

func TestMain(m *testing.M) {
	if os.Getenv("EVALHOUSE_AS_MAIN") == "1" {
		os.Args = append([]string{"evalhouse"}, strings.Fields(os.Getenv("EVALHOUSE_ARGS"))...)
		main()
		os.Exit(0)
	}
	// The examples carry fixed dates: the tests ingest a copy restamped to
	// the hour before now, so it is inside its retention on any day.
	dir, err := os.MkdirTemp("", "evalhouse-examples-")
	if err == nil {
		err = restamp.Tree(dir, "../../examples", time.Now())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "restamp examples:", err)
		os.Exit(1)
	}
	exampleRoot = dir
	examples = filepath.Join(dir, "support-agent")
	otlpExample = filepath.Join(dir, "otlp", "support-agent-run.otlp.json")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// exampleRoot is a restamped copy of ../../examples; examples its
// support-agent directory.
var exampleRoot, examples string

// run executes one evalhouse command line in-process and returns its
// standard output (and error output) and exit code.
func run(t *testing.T, stdin io.Reader, args ...string) (string, int) {
	t.Helper()
	return runCtx(t, context.Background(), stdin, nil, args...)
}

func runCtx(t *testing.T, ctx context.Context, stdin io.Reader, out io.Writer, args ...string) (string, int) {
	t.Helper()
	var buf bytes.Buffer
	w := io.Writer(&buf)
	if out != nil {
		w = io.MultiWriter(&buf, out)
	}
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(w)
	root.SetErr(w)
	if stdin != nil {
		root.SetIn(stdin)
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return buf.String(), 0
	}
	buf.WriteString(errorLine(err))
	var ee *exitError
	if errors.As(err, &ee) {
		return buf.String(), ee.code
	}
	return buf.String(), 1
}

func storeFlag(t *testing.T) (string, string) {
	dir := filepath.Join(t.TempDir(), "data")
	return "--store=embedded://" + dir, dir
}

// background runs a long-lived evalhouse command (serve, ingest kafka) in
// the background: its output lines as they come, its whole output once it
// ends, and the cancel that stops it (also run at the test's end).
func background(t *testing.T, args ...string) (*syncLines, <-chan string, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lines := &syncLines{}
	done := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		out, _ := runCtx(t, ctx, nil, lines, args...)
		done <- out
	}()
	// The engine is the process's: a test that ends (or fails) before the
	// command has stopped must not leave it to the next test.
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			t.Errorf("%v did not stop within 60 s of its test's end", args)
		}
	})
	return lines, done, cancel
}

func countLines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// sqlCount runs `evalhouse sql --format tsv` and parses the single number.
func sqlCount(t *testing.T, store, q string) int {
	t.Helper()
	out := sqlText(t, store, q)
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("sql %q: %q", q, out)
	}
	return n
}

// sqlText runs `evalhouse sql --format tsv` and returns its last line.
func sqlText(t *testing.T, store, q string) string {
	t.Helper()
	out, code := run(t, nil, store, "sql", "--format", "tsv", q)
	if code != 0 {
		t.Fatalf("sql %q: exit %d\n%s", q, code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func TestHelpListsSubcommands(t *testing.T) {
	out, code := run(t, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, sub := range []string{"migrate", "ingest", "serve", "sql", "report"} {
		if !regexp.MustCompile(`(?m)^\s+` + sub + `\s`).MatchString(out) {
			t.Errorf("--help does not list %q:\n%s", sub, out)
		}
	}
	out, _ = run(t, nil, "ingest", "--help")
	if !strings.Contains(out, "--dead-letter") || !strings.Contains(out, "Examples:") {
		t.Errorf("ingest --help lacks flags or examples:\n%s", out)
	}
}

func TestIngestTwiceLeavesTheSameRows(t *testing.T) {
	store, _ := storeFlag(t)
	file := filepath.Join(examples, "events-2.3.1.ndjson")
	want := countLines(t, file)
	if out, code := run(t, nil, store, "migrate"); code != 0 {
		t.Fatalf("migrate: %d\n%s", code, out)
	}
	if out, code := run(t, nil, store, "migrate"); code != 0 || !strings.Contains(out, "0 applied now") {
		t.Fatalf("second migrate: %d\n%s", code, out)
	}
	out, code := run(t, nil, store, "ingest", file)
	if code != 0 || !strings.Contains(out, "accepted "+strconv.Itoa(want)+",") {
		t.Fatalf("first ingest: exit %d\n%s", code, out)
	}
	q := "SELECT count() FROM agent_events"
	if got := sqlCount(t, store, q); got != want {
		t.Fatalf("after one ingest: %d rows, want %d", got, want)
	}
	out, code = run(t, nil, store, "ingest", file)
	if code != 0 || !strings.Contains(out, "accepted 0,") || !strings.Contains(out, "duplicates "+strconv.Itoa(want)) {
		t.Fatalf("second ingest: exit %d\n%s", code, out)
	}
	if got := sqlCount(t, store, q); got != want {
		t.Fatalf("after two ingests: %d rows, want %d", got, want)
	}
	// The same file gzip'ed through stdin is still the same events.
	var gz bytes.Buffer
	gzipFile(t, file, &gz)
	out, code = run(t, &gz, store, "ingest", "-")
	if code != 0 || !strings.Contains(out, "duplicates "+strconv.Itoa(want)) {
		t.Fatalf("gzip stdin ingest: exit %d\n%s", code, out)
	}
	if got := sqlCount(t, store, q); got != want {
		t.Fatalf("after gzip ingest: %d rows, want %d", got, want)
	}
}

func TestMalformedLineIsNamedAndTheRestLand(t *testing.T) {
	store, _ := storeFlag(t)
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	file := filepath.Join(examples, "malformed.ndjson")
	out, code := run(t, nil, store, "ingest", "--dead-letter", dl, file)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "malformed.ndjson:3: ") || !strings.Contains(out, "accepted 4, rejected 1") {
		t.Fatalf("output does not name line 3 or count the rest:\n%s", out)
	}
	if got := sqlCount(t, store, "SELECT count() FROM agent_events"); got != 4 {
		t.Fatalf("%d rows stored, want 4", got)
	}
	b, _ := os.ReadFile(dl)
	var rec struct {
		Line int    `json:"line"`
		Raw  string `json:"raw"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &rec); err != nil || rec.Line != 3 || rec.Raw == "" {
		t.Fatalf("dead letter %q: %v", b, err)
	}
}

func TestSQLRefusesWrites(t *testing.T) {
	store, _ := storeFlag(t)
	run(t, nil, store, "migrate")
	for _, q := range []string{"DROP TABLE agent_events", "INSERT INTO agent_events (tenant) VALUES ('x')", "SELECT 1; DROP TABLE agent_events"} {
		out, code := run(t, nil, store, "sql", q)
		if code != 2 || !strings.Contains(out, "read-only") {
			t.Errorf("sql %q: exit %d\n%s", q, code, out)
		}
	}
	if got := sqlCount(t, store, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'agent_events'"); got != 1 {
		t.Fatal("agent_events is gone")
	}
	out, code := run(t, nil, store, "sql", "--format", "json", "SELECT 1 AS one, 'a' AS s")
	if code != 0 || !strings.Contains(out, `"one": 1`) {
		t.Fatalf("json output: %s", out)
	}
	out, code = run(t, nil, store, "sql", "--format", "yaml", "SELECT 1")
	if code != 2 || !strings.Contains(out, "--format") {
		t.Fatalf("bad format: exit %d %s", code, out)
	}
}

func TestMigratePrintsClusterDDL(t *testing.T) {
	out, code := run(t, nil, "migrate", "--print", "--cluster", "prod")
	if code != 0 || !strings.Contains(out, "ON CLUSTER 'prod'") || !strings.Contains(out, "ReplicatedReplacingMergeTree(") {
		t.Fatalf("exit %d\n%.500s", code, out)
	}
}

func TestServeExposesTheStoreOverHTTP(t *testing.T) {
	store, dir := storeFlag(t)
	key := createKey(t, store, "--role", "admin", "--name", "ops") // the interface needs keys
	lines, done, cancel := background(t, store, "serve", "--listen", "127.0.0.1:0", "--clickhouse-listen", "127.0.0.1:0", "--max-body", "200000")
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))
	ch := lines.waitFor(t, regexp.MustCompile(`ClickHouse HTTP interface .* on (http://\S+)`))

	// POST /v1/events: stored before the 200.
	file := filepath.Join(examples, "events-2.3.1.ndjson")
	want := countLines(t, file)
	body, _ := os.ReadFile(file)
	resp := postKey(t, api+"/v1/events", key, body)
	if resp.status != 200 || resp.Accepted != want {
		t.Fatalf("POST events: %d %+v", resp.status, resp)
	}
	// Nothing usable: 400 with per-line errors.
	resp = postKey(t, api+"/v1/events", key, []byte("{not json\n{\"kind\":\"nope\"}\n"))
	if resp.status != 400 || resp.Rejected != 2 || len(resp.Errors) != 2 || resp.Errors[1].Line != 2 {
		t.Fatalf("bad POST: %d %+v", resp.status, resp)
	}
	// Over the body limit: 413.
	if resp = postKey(t, api+"/v1/events", key, bytes.Repeat([]byte(" "), 300000)); resp.status != 413 {
		t.Fatalf("oversized POST: %d", resp.status)
	}

	// Other evalhouse commands reach the served store through the http:// DSN.
	httpStore := "--store=" + strings.Replace(ch, "http://", "http://ops:"+key+"@", 1) + "/default"
	if got := sqlCount(t, httpStore, "SELECT count() FROM agent_events"); got != want {
		t.Fatalf("sql over http: %d rows, want %d", got, want)
	}
	file2 := filepath.Join(examples, "events-2.4.0.ndjson")
	want2 := countLines(t, file2)
	if out, code := run(t, nil, httpStore, "ingest", file2); code != 0 {
		t.Fatalf("ingest over http: exit %d\n%s", code, out)
	}
	if got := sqlCount(t, httpStore, "SELECT count() FROM agent_events"); got != want+want2 {
		t.Fatalf("after ingest over http: %d rows, want %d", got, want+want2)
	}
	if out, code := run(t, nil, httpStore, "sql", "DROP TABLE agent_events"); code == 0 {
		t.Fatalf("write over http was accepted: %s", out)
	}

	// A second process on the same data directory is told who owns it, and
	// how to reach the store through that process.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "EVALHOUSE_AS_MAIN=1", "EVALHOUSE_ARGS=--store=embedded://"+dir+" migrate")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by PID "+strconv.Itoa(os.Getpid())) || !strings.Contains(string(out), "--store http://ADDR") {
		t.Fatalf("second process: %v\n%s", err, out)
	}

	cancel()
	select {
	case out := <-done:
		if !strings.Contains(out, "stopped") {
			t.Fatalf("serve did not stop cleanly:\n%s", out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

type postResult struct {
	status   int
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Errors   []struct {
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func post(t *testing.T, url string, body []byte) postResult {
	t.Helper()
	return postKey(t, url, "", body)
}

// postKey posts NDJSON with a key ("" for none).
func postKey(t *testing.T, url, key string, body []byte) postResult {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r postResult
	json.NewDecoder(resp.Body).Decode(&r)
	r.status = resp.StatusCode
	return r
}

// syncLines collects a command's output for a test to wait on.
type syncLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncLines) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncLines) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		sc := bufio.NewScanner(bytes.NewReader(s.buf.Bytes()))
		s.mu.Unlock()
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				return m[1]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("no line matching %s in:\n%s", re, s.buf.String())
	return ""
}
