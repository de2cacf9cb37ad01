package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/evalhouse/evalhouse/ingest"
)

// Secrets hidden behind JSON and URL escapes, or as a repeated key, never
// reach the dead-letter topic verbatim: neither its payload nor its reason.
func TestDeadLetterEscapedSecrets(t *testing.T) {
	addrs := brokers(t, 1, "events", "events.dlq")
	s := migrated(t)
	const aws, gh = "AKIAESCAPEDKAFKA0001", "ghp_K1a2f3k4a5R6e7p8e9a0t1K2e3y4A5b6C7d8"
	msgs := []kafka.Message{
		{Value: []byte(`{"kind":"tool","args":{"k":"\u0041` + aws[1:] + `"}`)},                   // truncated JSON
		{Value: []byte(`{"kind":"tool","args":{"u":"https://x.example/?k=%41` + aws[1:] + `"}`)}, // truncated JSON
		{Value: []byte(`{"kind":"tool","` + gh + `":1,"` + gh + `":2,"ts":"` + ts(0) + `"}`)},    // a repeated key
	}
	produce(t, addrs, "events", msgs...)
	cfg := testConfig(addrs, "events", "g")
	cfg.DeadLetterTopic = "events.dlq"
	r := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "all messages handled", func() bool { return r.src.Stats().Messages >= len(msgs) })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	dl := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: "events.dlq", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range msgs {
		m, err := dl.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("dead letter %d: %v", i, err)
		}
		text := string(m.Value) + " " + header(m, HeaderReason)
		if strings.Contains(text, aws[4:]) || strings.Contains(text, gh[4:]) || !strings.Contains(text, "[REDACTED:") {
			t.Errorf("dead letter %d: %s", i, text)
		}
	}
	for _, e := range r.src.Stats().Errors {
		if strings.Contains(e.Reason, gh[4:]) {
			t.Errorf("error reason %q quotes the key", e.Reason)
		}
	}
}
