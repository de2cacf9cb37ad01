package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// kafkaCluster is a one-broker kfake cluster (a real Kafka protocol, in
// process) holding only "events": like a broker with
// auto.create.topics.enable=false, it creates no topic by itself.
func kafkaCluster(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// `ingest kafka --dead-letter-topic` on a cluster without that topic
// creates it with the defaults (1 partition, the broker's replication) and
// dead-letters into it.
func TestKafkaCreatesTheDeadLetterTopic(t *testing.T) {
	addr := kafkaCluster(t)
	now := time.Now().UTC().Add(-time.Hour)
	var msgs []kafka.Message
	for i := 0; i < 3; i++ {
		msgs = append(msgs, kafka.Message{Value: []byte(`{"kind":"tool","event_id":"cli-` + string(rune('a'+i)) + `","tenant":"acme","ts":"` +
			now.Add(time.Duration(i)*time.Second).Format(time.RFC3339) + `","tool":"lookup_order","args":{}}`)})
	}
	msgs = append(msgs, kafka.Message{Value: []byte("{not json")})
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "events", BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	store, _ := storeFlag(t)
	lines, done, cancel := background(t, store, "ingest", "kafka", "--brokers", addr, "--topic", "events", "--group", "g",
		"--dead-letter-topic", "events.dlq", "--batch-wait", "50ms")
	c := &kafka.Client{Addr: kafka.TCP(addr)}
	deadline := time.Now().Add(60 * time.Second)
	for {
		of, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: "g", Topics: map[string][]int{"events": {0}}})
		if err == nil && len(of.Topics["events"]) == 1 && of.Topics["events"][0].CommittedOffset == int64(len(msgs)) {
			break
		}
		if time.Now().After(deadline) {
			lines.mu.Lock()
			t.Fatalf("the group never committed every message:\n%s", lines.buf.String())
		}
		select {
		case out := <-done:
			t.Fatalf("ingest kafka stopped early:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	var out string
	select {
	case out = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("ingest kafka did not stop")
	}
	if !strings.Contains(out, "accepted 3, rejected 1") || !strings.Contains(out, "1 dead-lettered") {
		t.Errorf("summary:\n%s", out)
	}
	md, err := c.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{"events.dlq"}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != 1 || len(md.Topics[0].Partitions[0].Replicas) != 1 {
		t.Fatalf("events.dlq metadata: %+v, %v; want 1 partition, 1 replica", md, err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: "events.dlq", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	m, err := r.ReadMessage(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Value) != "{not json" {
		t.Errorf("dead letter %q", m.Value)
	}
}

// A dead-letter topic the broker will not create fails the command at start,
// naming the topic, the broker's answer and the flag to change.
func TestKafkaDeadLetterTopicRefused(t *testing.T) {
	addr := kafkaCluster(t)
	store, _ := storeFlag(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, code := runCtx(t, ctx, nil, nil, store, "ingest", "kafka", "--brokers", addr, "--topic", "events", "--group", "g",
		"--dead-letter-topic", "events.dlq", "--dead-letter-replication", "3")
	if ctx.Err() != nil {
		t.Fatal("the command ran on instead of failing at start")
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{`"events.dlq"`, "Invalid Replication Factor", "--dead-letter-replication", "(1 here)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not mention %q:\n%s", want, out)
		}
	}
}

// serve's Kafka source names its own flags (--kafka-…) in what it refuses,
// not those of `ingest kafka`.
func TestServeKafkaErrorsNameServeFlags(t *testing.T) {
	store, _ := storeFlag(t)
	out, code := run(t, nil, store, "serve", "--listen", "127.0.0.1:0", "--kafka-brokers", "nohostport",
		"--kafka-topic", "events", "--kafka-group", "g", "--kafka-dead-letter-partitions", "-2")
	if code == 0 {
		t.Fatalf("serve started with bad Kafka flags:\n%s", out)
	}
	for _, want := range []string{`brokers (--kafka-brokers): "nohostport" is not host:port`, "dead_letter_partitions (--kafka-dead-letter-partitions) -2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not mention %q:\n%s", want, out)
		}
	}
}
