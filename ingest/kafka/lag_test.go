package kafka

import (
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
)

// Lag counts the messages of the assigned partitions not yet durable:
// all of them while the batch waits, none once it is stored; commits are
// counted as they succeed.
func TestLag(t *testing.T) {
	addrs := brokers(t, 3, "events")
	s := migrated(t)
	msgs, _ := messages(0, 300)
	produce(t, addrs, "events", msgs...)

	cfg := testConfig(addrs, "events", "g")
	cfg.BatchSize, cfg.BatchWait = 1000, time.Hour // nothing is made durable before shutdown
	r := start(t, cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "lag of every message fetched", func() bool { return r.src.Stats().Lag == 300 })
	if st := r.src.Stats(); st.Messages != 0 || st.Commits != 0 {
		t.Fatalf("before the batch is durable: %+v", st)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if st := r.src.Stats(); st.Lag != 0 || st.Messages != 300 || st.Commits != 1 {
		t.Fatalf("after shutdown: lag %d, messages %d, commits %d", st.Lag, st.Messages, st.Commits)
	}

	// Running on from the committed offsets: no lag once the new
	// messages are stored.
	more, _ := messages(1000, 30)
	produce(t, addrs, "events", more...)
	r = start(t, testConfig(addrs, "events", "g"), ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	waitFor(t, "the new messages stored", func() bool { return r.src.Stats().Messages == 30 })
	waitFor(t, "no lag", func() bool { return r.src.Stats().Lag == 0 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}
