package kafka

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/store"
)

// cluster is a one-broker kfake cluster holding only the seeded topics.
// kfake, like a broker with auto.create.topics.enable=false, never creates
// a topic because a client asked for its metadata or produced to it.
func cluster(t testing.TB, topics ...string) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// topicShape returns a topic's partition count and replication factor, or
// its metadata error.
func topicShape(t testing.TB, addrs []string, topic string) (partitions, replicas int, err error) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(addrs...)}
	md, err := c.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Topics) != 1 {
		t.Fatalf("metadata of %s: %d topics", topic, len(md.Topics))
	}
	tp := md.Topics[0]
	if tp.Error != nil {
		return 0, 0, tp.Error
	}
	return len(tp.Partitions), len(tp.Partitions[0].Replicas), nil
}

// readDead reads n records of a dead-letter topic (all its partitions) and
// returns their origin offsets.
func readDead(t testing.TB, addrs []string, topic string, partitions, n int) []int {
	t.Helper()
	var offs []int
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for p := 0; p < partitions && len(offs) < n; p++ {
		_, end := offsets(t, addrs, "none", topic, partitions)
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		for i := int64(0); i < end[p]; i++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("dead-letter topic %s/%d: %v", topic, p, err)
			}
			o, _ := strconv.Atoi(header(m, HeaderOffset))
			offs = append(offs, o)
		}
		r.Close()
	}
	if len(offs) != n {
		t.Fatalf("dead-letter topic %s holds %d records (origins %v), want %d", topic, len(offs), offs, n)
	}
	return offs
}

// logged sums the Kafka rows of ingest_log.
func logged(t testing.TB, s *store.Store) (rows, accepted, rejected, duplicates uint64) {
	t.Helper()
	if err := s.Conn.QueryRow(context.Background(),
		"SELECT count(), sum(accepted), sum(rejected), sum(duplicates) FROM ingest_log WHERE source = 'kafka'").
		Scan(&rows, &accepted, &rejected, &duplicates); err != nil {
		t.Fatal(err)
	}
	return
}

// checkLogged compares what the sources reported with ingest_log.
func checkLogged(t testing.TB, s *store.Store, stats ...Stats) {
	t.Helper()
	var batches, acc, rej, dup int
	for _, st := range stats {
		batches, acc, rej, dup = batches+st.Batches, acc+st.Accepted, rej+st.Rejected, dup+st.Duplicates
	}
	n, a, r, d := logged(t, s)
	if int(n) != batches || int(a) != acc || int(r) != rej || int(d) != dup {
		t.Errorf("ingest_log: %d rows, accepted %d, rejected %d, duplicates %d; the source reported %d batches, accepted %d, rejected %d, duplicates %d",
			n, a, r, d, batches, acc, rej, dup)
	}
}

// poisoned returns good messages with undecodable ones at the given
// offsets (one partition), and how many events the good ones carry.
func poisoned(n int, bad ...int) ([]kafka.Message, int) {
	var msgs []kafka.Message
	events := 0
	for i := 0; i < n; i++ {
		if len(bad) > 0 && bad[0] == i {
			bad = bad[1:]
			msgs = append(msgs, kafka.Message{Value: []byte(`{"kind":"tool","event_id":"broken-` + strconv.Itoa(i))})
			continue
		}
		msgs = append(msgs, kafka.Message{Value: []byte(line(i))})
		events++
	}
	return msgs, events
}

// A missing dead-letter topic is created at start, with the configured
// partitions and the broker's default replication, on a cluster that never
// creates topics by itself; the dead letters land in it.
func TestDeadLetterTopicCreated(t *testing.T) {
	_, addrs := cluster(t, "events")
	if _, _, err := topicShape(t, addrs, "events.dlq"); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("before the start, events.dlq: %v; want it missing", err)
	}
	s := migrated(t)
	msgs, events := poisoned(40, 7, 31)
	produce(t, addrs, "events", msgs...)

	cfg := testConfig(addrs, "events", "g")
	cfg.DeadLetterTopic, cfg.DeadLetterPartitions = "events.dlq", 3 // replication: the broker's default
	r := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "all messages handled", func() bool { return r.src.Stats().Messages >= len(msgs) })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if p, rf, err := topicShape(t, addrs, "events.dlq"); err != nil || p != 3 || rf != 1 {
		t.Fatalf("events.dlq: %d partitions, replication %d, %v; want 3 and 1", p, rf, err)
	}
	got := readDead(t, addrs, "events.dlq", 3, 2)
	if !(got[0] == 7 && got[1] == 31 || got[0] == 31 && got[1] == 7) {
		t.Errorf("dead letters of offsets %v, want 7 and 31", got)
	}
	if n, _ := rows(t, s); n != uint64(events) {
		t.Errorf("rows %d, want %d", n, events)
	}
	st := r.src.Stats()
	if st.Rejected != 2 || st.DeadLettered != 2 || st.Accepted != events {
		t.Errorf("stats: accepted %d, rejected %d, dead-lettered %d", st.Accepted, st.Rejected, st.DeadLettered)
	}
	checkAllCommitted(t, addrs, "g", "events", 1)
	checkLogged(t, s, st)

	// A second start finds the topic and leaves it as it is.
	again := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "the group joined", func() bool { return again.src.Stats().Generations >= 1 })
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}
}

// A broker that refuses to create the dead-letter topic stops the start
// with an error naming the topic, the broker's answer and what to change.
func TestDeadLetterTopicRefused(t *testing.T) {
	cases := []struct {
		name  string
		repl  int
		fault *kerr.Error
		want  []string
	}{
		{name: "replication above the broker count", repl: 3,
			want: []string{`"events.dlq"`, "replication factor 3", "Invalid Replication Factor", "--dead-letter-replication", "at most the number of brokers (1 here)"}},
		{name: "not authorized", fault: kerr.TopicAuthorizationFailed,
			want: []string{`"events.dlq"`, "Topic Authorization Failed", "grant this client CREATE", "--dead-letter-topic"}},
		{name: "policy", fault: kerr.PolicyViolation,
			want: []string{`"events.dlq"`, "Policy Violation", "(--dead-letter-partitions) and dead_letter_replication (--dead-letter-replication)"}},
	}
	s := migrated(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kc, addrs := cluster(t, "events")
			if c.fault != nil {
				kc.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Topic: "events.dlq", Err: c.fault, Count: -1})
			}
			cfg := testConfig(addrs, "events", "g")
			cfg.DeadLetterTopic, cfg.DeadLetterReplication = "events.dlq", c.repl
			// As `ingest kafka` names its flags: the hints name them too.
			cfg.OptionName = func(k string) string { return "--" + strings.ReplaceAll(k, "_", "-") }
			src, err := New(cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = src.Run(ctx)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("Run: %v; want a refusal at start", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, _, err := topicShape(t, addrs, "events.dlq"); !errors.Is(err, kafka.UnknownTopicOrPartition) {
				t.Errorf("after the refusal, events.dlq: %v; want it missing", err)
			}
		})
	}
}

// A dead letter the topic does not take stops the source with an error
// naming the topic and the message's partition and offset; nothing of its
// batch is stored or committed, and the next run, once the topic takes
// writes, dead-letters it and stores the rest once.
func TestDeadLetterWriteFails(t *testing.T) {
	kc, addrs := cluster(t, "events", "events.dlq")
	s := migrated(t)
	msgs, events := poisoned(30, 12)
	produce(t, addrs, "events", msgs...)
	refuse := kc.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "events.dlq", Err: kerr.TopicAuthorizationFailed, Count: -1})

	cfg := testConfig(addrs, "events", "g")
	cfg.DeadLetterTopic = "events.dlq"
	w := ingest.NewWriter(s.Conn, 0, 0)
	first := start(t, cfg, w, ingest.Options{})
	var err error
	select {
	case err = <-first.errc:
	case <-time.After(60 * time.Second):
		t.Fatal("the source kept running after its dead-letter write failed")
	}
	for _, want := range []string{`"events.dlq"`, "partition 0 offset 12", "Topic Authorization Failed", "not committed"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run: %v; want it to mention %q", err, want)
		}
	}
	committed, _ := offsets(t, addrs, "g", "events", 1)
	if committed[0] > 12 {
		t.Fatalf("committed offset %d: the message whose dead letter failed (12) was committed", committed[0])
	}
	n1, _ := rows(t, s)
	if st := first.src.Stats(); int(n1) != st.Accepted || st.DeadLettered != 0 || st.Rejected != 0 {
		t.Errorf("first run: %d rows; stats %+v", n1, st)
	}

	refuse.Remove()
	second := start(t, cfg, w, ingest.Options{})
	rest := 30 - max(committed[0], 0)
	waitFor(t, "the rest handled", func() bool { return int64(second.src.Stats().Messages) >= rest })
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
	if n, d := rows(t, s); n != uint64(events) || d != n {
		t.Errorf("rows %d (distinct %d), want %d", n, d, events)
	}
	if got := readDead(t, addrs, "events.dlq", 1, 1); got[0] != 12 {
		t.Errorf("dead letter of offset %d, want 12", got[0])
	}
	st1, st2 := first.src.Stats(), second.src.Stats()
	if st2.Duplicates != 0 || st2.DeadLettered != 1 || st1.Accepted+st2.Accepted != events {
		t.Errorf("runs: %+v then %+v; the failed batch must not have been stored", st1, st2)
	}
	checkAllCommitted(t, addrs, "g", "events", 1)
	checkLogged(t, s, st1, st2)
}

// After a store failure the batch is read again; dead letters its first
// attempt wrote are not written twice.
func TestDeadLetterNotRewrittenOnRetry(t *testing.T) {
	_, addrs := cluster(t, "events", "events.dlq")
	cfg := testConfig(addrs, "events", "g")
	cfg.DeadLetterTopic = "events.dlq"
	src, err := New(cfg, ingest.NewWriter(nil, 0, 0), ingest.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.dlq = &kafka.Writer{Addr: kafka.TCP(addrs...), Topic: "events.dlq", RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer src.dlq.Close()
	g := &genRun{s: src, parts: map[int]*part{0: {id: 0, fed: -1, commit: -1, deadDone: [2]int64{-1, -1}}}}
	attempt := func() {
		b := testBatch(t, cfg, false)
		for i, v := range []string{line(1), "{broken", line(2), "also broken"} {
			m := kafka.Message{Topic: "events", Partition: 0, Offset: int64(i), Value: []byte(v)}
			if err := b.feed(m); err != nil {
				t.Fatal(err)
			}
			g.parts[0].fed = m.Offset
		}
		if err := g.writeDead(context.Background(), b, false); err != nil {
			t.Fatal(err)
		}
		g.parts[0].fed = -1 // the store failed: the batch is read again (retry)
	}
	attempt()
	attempt()
	if got := readDead(t, addrs, "events.dlq", 1, 2); got[0] != 1 || got[1] != 3 {
		t.Errorf("dead letters of offsets %v, want [1 3] once each", got)
	}
}

// A row the store refuses for good (here a constraint, as a cluster's
// could) is dead-lettered with its own message and line, counted as
// rejected, and its partition moves on; the rows around it are stored.
func TestDeadLetterStoreRefused(t *testing.T) {
	_, addrs := cluster(t, "events", "events.dlq")
	s := migrated(t)
	if err := s.Conn.Exec(context.Background(), "ALTER TABLE agent_events ADD CONSTRAINT no_poison CHECK tool != 'poison'"); err != nil {
		t.Fatal(err)
	}
	poison := strings.Replace(line(3), `"tool":"lookup_order"`, `"tool":"poison"`, 1)
	msgs := []kafka.Message{
		{Value: []byte(line(0))}, {Value: []byte(line(1) + "\n" + line(2))},
		{Value: []byte(line(4) + "\n" + poison + "\n" + line(5) + "\n")}, // offset 2, line 2
		{Value: []byte(line(6))},
	}
	produce(t, addrs, "events", msgs...)
	cfg := testConfig(addrs, "events", "g")
	cfg.DeadLetterTopic = "events.dlq"
	r := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "all messages handled", func() bool { return r.src.Stats().Messages >= len(msgs) })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if n, d := rows(t, s); n != 6 || d != 6 {
		t.Errorf("rows %d (distinct %d), want 6", n, d)
	}
	st := r.src.Stats()
	if st.Accepted != 6 || st.Rejected != 1 || st.DeadLettered != 1 || len(st.Errors) != 1 ||
		st.Errors[0].Origin != "events/0/2" || st.Errors[0].Line != 2 || !strings.Contains(st.Errors[0].Reason, "refused") {
		t.Errorf("stats %+v", st)
	}
	dl := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: "events.dlq", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := dl.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if header(m, HeaderOffset) != "2" || header(m, HeaderLine) != "2" || !strings.Contains(string(m.Value), `"tool":"poison"`) {
		t.Errorf("dead letter %q, headers %v", m.Value, m.Headers)
	}
	checkAllCommitted(t, addrs, "g", "events", 1)
	checkLogged(t, s, st)
}

// A dead-letter file that cannot be written (a full disk, a closed file)
// stops the ingest with the write's error instead of dropping the line.
// (The pipeline is every source's; its file dead letters are tested here
// with the rest of the dead-letter behaviour.)
func TestDeadLetterFileWriteFails(t *testing.T) {
	closed, err := os.CreateTemp(t.TempDir(), "dead-*.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	cases := []struct {
		name string
		file func(t *testing.T) *os.File
		want error
	}{
		{"full disk", func(t *testing.T) *os.File {
			f, err := os.OpenFile("/dev/full", os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Skipf("no /dev/full: %v", err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}, syscall.ENOSPC},
		{"closed file", func(*testing.T) *os.File { return closed }, os.ErrClosed},
	}
	s := migrated(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{DeadLetter: c.file(t), Urgent: true})
			if err != nil {
				t.Fatal(err)
			}
			in := line(900) + "\n{not json\n" + line(901) + "\n" + line(902) + "\n"
			err = p.ReadNDJSON(context.Background(), "day1.ndjson", strings.NewReader(in))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), "day1.ndjson:2") {
				t.Fatalf("ReadNDJSON: %v; want the dead-letter write's error (%v) naming day1.ndjson:2", err, c.want)
			}
			if _, err := p.Close(context.Background()); !errors.Is(err, c.want) {
				t.Fatalf("Close: %v; want %v", err, c.want)
			}
			if n, _ := rows(t, s); n != 0 {
				t.Errorf("%d rows stored by a stopped ingest", n)
			}
		})
	}
}
