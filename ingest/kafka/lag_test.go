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
	// Shutdown makes the pending batch durable and commits it. (Under
	// load the group may rebalance first, and a partition given up then is
	// read again below: what counts is that nothing is lost.)
	first := r.src.Stats()
	if first.Lag != 0 || first.Messages == 0 || first.Commits == 0 {
		t.Fatalf("after shutdown: lag %d, messages %d, commits %d", first.Lag, first.Messages, first.Commits)
	}

	// Running on from the committed offsets: no lag once the new
	// messages (and any not committed before) are stored.
	more, _ := messages(1000, 30)
	produce(t, addrs, "events", more...)
	r = start(t, testConfig(addrs, "events", "g"), ingest.NewWriter(s.Conn, 0, 0), ingest.Options{})
	rest := 300 - first.Messages + 30
	waitFor(t, "the rest stored", func() bool { return r.src.Stats().Messages == rest })
	waitFor(t, "no lag", func() bool { return r.src.Stats().Lag == 0 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}
