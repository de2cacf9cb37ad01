package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/otlp"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// The tests run a real Kafka protocol (kfake, in process) against the real
// embedded store: every row count is read back from agent_events.

func brokers(t testing.TB, partitions int32, topics ...string) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func migrated(t testing.TB) *store.Store {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// testBase is the hour before the tests started: events stamped from it
// are inside every retention class whatever the date.
var testBase = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

// ts is the timestamp of the i-th test event, i milliseconds after testBase.
func ts(i int) string {
	return testBase.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
}

// line renders one contract-clean envelope event with a unique event_id.
func line(i int) string {
	return fmt.Sprintf(`{"kind":"tool","event_id":"k-%07d","trace_id":"tr%05d","span_id":"sp%07d","run_id":"run%05d","tenant":"acme","environment":"staging","release":"2.4.0","ts":"%s","duration_ms":12,"status":"ok","tool":"lookup_order","args":{"order":"ORD-%d"},"authorization":"allowed","retry_count":0,"idempotency_key":"idem-%d","side_effect":"read"}`,
		i, i/10, i, i/10, ts(i), i, i)
}

// messages returns n messages starting at event first; every fifth holds
// three lines. It returns the messages and how many events they carry.
func messages(first, n int) ([]kafka.Message, int) {
	var out []kafka.Message
	ev := first
	for i := 0; i < n; i++ {
		lines := 1
		if i%5 == 4 {
			lines = 3
		}
		var b strings.Builder
		for j := 0; j < lines; j++ {
			b.WriteString(line(ev))
			b.WriteByte('\n')
			ev++
		}
		out = append(out, kafka.Message{Key: []byte(strconv.Itoa(i)), Value: []byte(b.String())})
	}
	return out, ev - first
}

func produce(t testing.TB, addrs []string, topic string, msgs ...kafka.Message) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(addrs...), Topic: topic, Balancer: &kafka.RoundRobin{},
		BatchTimeout: time.Millisecond, BatchSize: 500, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// testConfig is a config tuned for fast rebalances and small batches.
func testConfig(addrs []string, topic, group string) Config {
	return Config{Brokers: addrs, Topic: topic, Group: group, BatchSize: 50, BatchWait: 20 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond, RebalanceTimeout: 10 * time.Second}
}

type running struct {
	src  *Source
	stop func() error // cancels Run and returns its error
	errc chan error
}

func start(t testing.TB, cfg Config, w *ingest.Writer, opts ingest.Options) *running {
	t.Helper()
	return startWith(t, cfg, w, opts, nil)
}

// startWith is start with a chance to set test hooks before Run.
func startWith(t testing.TB, cfg Config, w *ingest.Writer, opts ingest.Options, hook func(*Source)) *running {
	t.Helper()
	lvl := slog.LevelWarn
	if os.Getenv("EVALHOUSE_KAFKA_DEBUG") != "" {
		lvl = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: lvl}))
	src, err := New(cfg, w, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if hook != nil {
		hook(src)
	}
	r := &running{src: src, errc: make(chan error, 1)}
	go func() { r.errc <- src.Run(ctx) }()
	r.stop = func() error {
		cancel()
		select {
		case err := <-r.errc:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("source did not stop within 30s")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return r
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rows returns the row count of agent_events and its distinct event keys.
func rows(t testing.TB, s *store.Store) (n, distinct uint64) {
	t.Helper()
	if err := s.Conn.QueryRow(context.Background(), "SELECT count(), uniqExact(tenant, event_id) FROM agent_events").Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	return n, distinct
}

// offsets returns the group's committed offsets and the topic's end offsets.
func offsets(t testing.TB, addrs []string, group, topic string, partitions int) (committed, end map[int]int64) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(addrs...)}
	ids := make([]int, partitions)
	reqs := make([]kafka.OffsetRequest, partitions)
	for i := range ids {
		ids[i], reqs[i] = i, kafka.LastOffsetOf(i)
	}
	of, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err != nil {
		t.Fatal(err)
	}
	committed = map[int]int64{}
	for _, p := range of.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	lo, err := c.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatal(err)
	}
	end = map[int]int64{}
	for _, p := range lo.Topics[topic] {
		end[p.Partition] = p.LastOffset
	}
	return committed, end
}

func checkAllCommitted(t testing.TB, addrs []string, group, topic string, partitions int) {
	t.Helper()
	committed, end := offsets(t, addrs, group, topic, partitions)
	for p := 0; p < partitions; p++ {
		if committed[p] != end[p] {
			t.Errorf("partition %d: committed offset %d, end offset %d", p, committed[p], end[p])
		}
	}
}

// (a) N messages in, exactly their events stored, everything committed.
func TestExactRows(t *testing.T) {
	addrs := brokers(t, 3, "events")
	s := migrated(t)
	msgs, events := messages(0, 300)
	// One OTLP request: one span stored, one rejected (dead-letter topic unset).
	msgs = append(msgs, kafka.Message{Value: otlpRequest(t), Headers: []kafka.Header{{Key: "content-type", Value: []byte("application/x-protobuf")}}})
	events++
	produce(t, addrs, "events", msgs...)

	cfg := testConfig(addrs, "events", "g")
	cfg.Decoders = map[Format]ingest.Decoder{FormatOTLP: otlp.ProtobufFormat(otlp.Options{}).Decode}
	r := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "all events stored", func() bool { return r.src.Stats().Messages >= len(msgs) })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if n, d := rows(t, s); n != uint64(events) || d != n {
		t.Fatalf("rows %d (distinct %d), want %d", n, d, events)
	}
	st := r.src.Stats()
	if st.Messages != len(msgs) || st.Accepted != events || st.Rejected != 1 || st.Commits == 0 {
		t.Errorf("stats: %+v", st)
	}
	checkAllCommitted(t, addrs, "g", "events", 3)
	if _, acc, _, _ := logged(t, s); acc != uint64(events) {
		t.Errorf("ingest_log accepted %d, want %d", acc, events)
	}
	checkLogged(t, s, st) // the rejected span included
}

var errCrash = errors.New("simulated crash")

// (b) A consumer that dies after a batch is durable but before its commit
// is restarted in the same group: the batch is read again and deduplicated.
func TestCrashRestart(t *testing.T) {
	addrs := brokers(t, 1, "events")
	s := migrated(t)
	var msgs []kafka.Message
	for i := 0; i < 300; i++ {
		msgs = append(msgs, kafka.Message{Value: []byte(line(i) + "\n")})
	}
	produce(t, addrs, "events", msgs...)
	cfg := testConfig(addrs, "events", "g")
	cfg.BatchWait = time.Minute // batches by size only: 50 messages each
	w := ingest.NewWriter(s.Conn, 0, 0)

	var commits atomic.Int32
	first := startWith(t, cfg, w, ingest.Options{}, func(s *Source) {
		s.beforeCommit = func() error {
			if commits.Add(1) == 4 {
				return errCrash // batch 4 is stored, its commit never happens
			}
			return nil
		}
	})
	select {
	case err := <-first.errc:
		if !errors.Is(err, errCrash) {
			t.Fatalf("first run: %v, want the crash", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no crash")
	}
	if n, _ := rows(t, s); n != 200 {
		t.Fatalf("after the crash: %d rows, want 200 (4 batches)", n)
	}
	if committed, _ := offsets(t, addrs, "g", "events", 1); committed[0] != 150 {
		t.Fatalf("after the crash: committed %d, want 150 (3 batches)", committed[0])
	}

	second := start(t, cfg, w, ingest.Options{})
	waitFor(t, "all events stored", func() bool { return second.src.Stats().Messages >= 150 })
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
	if n, d := rows(t, s); n != 300 || d != 300 {
		t.Fatalf("rows %d (distinct %d), want 300", n, d)
	}
	if st := second.src.Stats(); st.Duplicates != 50 || st.Accepted != 100 {
		t.Errorf("restart: accepted %d, duplicates %d; want 100 and the 50 stored-but-uncommitted", st.Accepted, st.Duplicates)
	}
	checkAllCommitted(t, addrs, "g", "events", 1)
}

// (c) Poison messages go redacted to the dead-letter topic with their
// origin and reason; everything else is stored.
func TestDeadLetter(t *testing.T) {
	addrs := brokers(t, 1, "events", "events.dlq")
	s := migrated(t)
	const (
		ghToken  = "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"
		awsKey   = "AKIAGULIE3UUIYACESAC"
		slackTok = "xoxb-7975052367-1974219895250-ZtDfsQlZ9m7GSzbdAW1HMYUF"
	)
	secrets := []string{ghToken, awsKey, slackTok, "hunter2hunter2"}
	var msgs []kafka.Message
	for i := 0; i < 50; i++ {
		msgs = append(msgs, kafka.Message{Value: []byte(line(i))})
	}
	poison := []kafka.Message{
		{Value: []byte(`{"kind":"tool","event_id":"bad-1","args":{"token":"` + ghToken + `"}`)}, // truncated JSON
		{Value: []byte(line(100) + "\nnot json " + awsKey + "\n" + line(101) + "\n")},           // line 2 bad
		{Value: []byte(`{"kind":"tool","event_id":"strict-1","ts":"` + ts(0) + `","tool":"x","args":{"password":"hunter2hunter2"}}`)},
		{Value: []byte("a,b,c"), Headers: []kafka.Header{{Key: "Content-Type", Value: []byte("text/csv")}}},
		{Value: []byte("\x0a\x05trace" + slackTok), Headers: []kafka.Header{{Key: "content-type", Value: []byte("application/x-protobuf")}}},
		{Value: nil}, // tombstone: handled, nothing stored
	}
	first := len(msgs)
	msgs = append(msgs, poison...)
	for i := 0; i < 50; i++ {
		msgs = append(msgs, kafka.Message{Value: []byte(line(200 + i))})
	}
	produce(t, addrs, "events", msgs...)

	cfg := testConfig(addrs, "events", "g")
	cfg.DeadLetterTopic = "events.dlq"
	r := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Strict: true})
	waitFor(t, "all messages handled", func() bool { return r.src.Stats().Messages >= len(msgs) })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if n, d := rows(t, s); n != 102 || d != 102 {
		t.Fatalf("rows %d (distinct %d), want 102", n, d)
	}
	checkAllCommitted(t, addrs, "g", "events", 1)

	want := []struct {
		offset, line int
		reason       string
	}{
		{first, 1, "envelope"}, {first + 1, 2, "envelope"}, {first + 2, 1, "trace contract"},
		{first + 3, 0, "unsupported content-type"}, {first + 4, 0, "no decoder"},
	}
	dl := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: "events.dlq", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, w := range want {
		m, err := dl.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("dead letter %d: %v", i, err)
		}
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[HeaderTopic] != "events" || h[HeaderPartition] != "0" || h[HeaderOffset] != strconv.Itoa(w.offset) ||
			h[HeaderLine] != strconv.Itoa(w.line) || h[HeaderGroup] != "g" || !strings.Contains(h[HeaderReason], w.reason) {
			t.Errorf("dead letter %d headers %v, want offset %d line %d reason ~%q", i, h, w.offset, w.line, w.reason)
		}
		for _, sec := range secrets {
			if strings.Contains(string(m.Value), sec) || strings.Contains(h[HeaderReason], sec) {
				t.Errorf("dead letter %d carries a planted secret: %q", i, m.Value)
			}
		}
		if i < 3 && !strings.Contains(string(m.Value), "[REDACTED:") {
			t.Errorf("dead letter %d: payload %q shows no redaction", i, m.Value)
		}
	}
	st := r.src.Stats()
	if st.Rejected != 5 || st.DeadLettered != 5 || len(st.Errors) != 5 {
		t.Errorf("stats: rejected %d, dead-lettered %d, errors %v", st.Rejected, st.DeadLettered, st.Errors)
	}
	if e := st.Errors[0]; e.Origin != fmt.Sprintf("events/0/%d", first) {
		t.Errorf("first error origin %q", e.Origin)
	}
	checkLogged(t, s, st) // whole messages rejected included
}

// (d) Two members of one group share a multi-partition topic through two
// rebalances (one joins, one leaves): every event stored once, and every
// partition committed to its end.
func TestRebalance(t *testing.T) {
	addrs := brokers(t, 4, "events")
	s := migrated(t)
	w := ingest.NewWriter(s.Conn, 0, 0)
	cfg := testConfig(addrs, "events", "g")
	cfg.BatchSize = 100
	total := 0
	send := func(n int) {
		msgs, events := messages(total, n)
		produce(t, addrs, "events", msgs...)
		total += events
	}
	var a, b *running
	stored := func(n int) func() bool {
		return func() bool {
			c := a.src.Stats().Accepted
			if b != nil {
				c += b.src.Stats().Accepted
			}
			return c >= n
		}
	}

	send(200)
	a = start(t, cfg, w, ingest.Options{})
	waitFor(t, "a first share stored", stored(50))
	b = start(t, cfg, w, ingest.Options{})
	waitFor(t, "b to join", func() bool { return a.src.Stats().Generations >= 2 && b.src.Stats().Generations >= 1 })
	send(200)
	waitFor(t, "both shares stored", stored(total))
	if err := a.stop(); err != nil { // b takes over every partition
		t.Fatal(err)
	}
	send(100)
	waitFor(t, "the rest stored", stored(total))
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
	if n, d := rows(t, s); n != uint64(total) || d != n {
		t.Fatalf("rows %d (distinct %d), want %d", n, d, total)
	}
	sa, sb := a.src.Stats(), b.src.Stats()
	if sb.Messages == 0 || sb.Generations < 2 {
		t.Errorf("b: %d messages in %d generations; want work in both", sb.Messages, sb.Generations)
	}
	if sa.Accepted+sb.Accepted != total {
		t.Errorf("accepted %d + %d, want %d", sa.Accepted, sb.Accepted, total)
	}
	checkAllCommitted(t, addrs, "g", "events", 4)
}

func TestStartShutdown(t *testing.T) {
	addrs := brokers(t, 1, "events")
	s := migrated(t)
	src, err := New(testConfig(addrs, "events", "g"), ingest.NewWriter(s.Conn, 0, 0), ingest.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown without start: %v", err)
	}
	if err := src.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	produce(t, addrs, "events", kafka.Message{Value: []byte(line(1))})
	waitFor(t, "the event", func() bool { return src.Stats().Accepted == 1 })
	if err := src.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkAllCommitted(t, addrs, "g", "events", 1)

	missing, _ := New(testConfig(addrs, "nope", "g"), ingest.NewWriter(s.Conn, 0, 0), ingest.Options{}, nil)
	if err := missing.Run(context.Background()); err == nil || !strings.Contains(err.Error(), `kafka: topic "nope"`) {
		t.Fatalf("missing topic: %v", err)
	}
}

// A group without committed offsets that starts at "latest" pins the end
// offsets at assignment, so a re-read after a failure cannot skip messages
// produced meanwhile; "earliest" stays a sentinel (re-reading from the start
// is right).
func TestResolveLatest(t *testing.T) {
	addrs := brokers(t, 2, "events")
	msgs, _ := messages(0, 10)
	produce(t, addrs, "events", msgs...)
	src, err := New(testConfig(addrs, "events", "g"), ingest.NewWriter(nil, 0, 0), ingest.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &genRun{s: src, ctx: context.Background(), parts: map[int]*part{
		0: {id: 0, next: kafka.LastOffset}, 1: {id: 1, next: kafka.FirstOffset}}}
	g.resolveStarts()
	if g.parts[0].next != 5 || g.parts[1].next != kafka.FirstOffset {
		t.Fatalf("starts %d and %d, want 5 and FirstOffset", g.parts[0].next, g.parts[1].next)
	}
}
