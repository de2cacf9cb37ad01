package kafka

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/evalhouse/evalhouse/ingest"
)

// The two benchmarks read the same topic: M envelope messages of about
// 1 KB on 4 partitions. BenchmarkRawFetch is kafka-go alone (a group
// reader's FetchMessage); BenchmarkKafkaToStore is the whole source, up to
// rows durable in the embedded store and offsets committed, with batches
// of 1,000 and 10,000 messages (batch_wait 2s, so batches close by size).
// Both include joining the group. Run them with -benchtime=1x;
// EVALHOUSE_BENCH_KAFKA_MESSAGES sets M (default 20,000).

// groupSeq names each run's group afresh: b.N restarts at 0 on every
// -count, and a group that already committed the topic reads nothing.
var groupSeq atomic.Int64

var benchWait = 2 * time.Second

func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("EVALHOUSE_BENCH_KAFKA_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 20000
}

const prose = "The customer asked about the status of an order placed last week and whether the refund for the damaged item was processed; the agent looked up the order, checked the refund policy and replied with the tracking link and an apology. "

// benchTopic starts a broker holding n ~1 KB single-event messages.
func benchTopic(b *testing.B, n int) []string {
	b.Helper()
	addrs := brokers(b, 4, "bench")
	msgs := make([]kafka.Message, 0, 5000)
	for i := 0; i < n; i++ {
		v := line(i)
		v = v[:len(v)-1] + fmt.Sprintf(`,"attributes":{"session":"sess-%d","note":%q,"summary":%q}}`, i/10, prose+prose[:i%200], prose)
		msgs = append(msgs, kafka.Message{Value: []byte(v)})
		if len(msgs) == cap(msgs) || i == n-1 {
			produce(b, addrs, "bench", msgs...)
			msgs = msgs[:0]
		}
	}
	return addrs
}

func BenchmarkRawFetch(b *testing.B) {
	n := benchMessages()
	addrs := benchTopic(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: "bench", GroupID: fmt.Sprintf("raw-%d", groupSeq.Add(1)),
			MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond, StartOffset: kafka.FirstOffset})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		var last kafka.Message
		for j := 0; j < n; j++ {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			last = m
		}
		_ = last
		cancel()
		r.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkKafkaToStore(b *testing.B) {
	n := benchMessages()
	addrs := benchTopic(b, n)
	for _, batch := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			var rows int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := migrated(b)
				w := ingest.NewWriter(s.Conn, 0, 0)
				src, err := New(Config{Brokers: addrs, Topic: "bench", Group: fmt.Sprintf("store-%d-%d", batch, groupSeq.Add(1)), BatchSize: batch,
					BatchWait: benchWait}, w, ingest.Options{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				ctx, cancel := context.WithCancel(context.Background())
				errc := make(chan error, 1)
				go func() { errc <- src.Run(ctx) }()
				for src.Stats().Messages < n {
					select {
					case err := <-errc:
						b.Fatalf("source stopped early: %v", err)
					case <-time.After(5 * time.Millisecond):
					}
				}
				cancel()
				if err := <-errc; err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				var got uint64
				s.Conn.QueryRow(context.Background(), "SELECT count() FROM agent_events").Scan(&got)
				rows += int(got)
				b.StartTimer()
			}
			if rows != n*b.N {
				b.Fatalf("%d rows, want %d", rows, n*b.N)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
