package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// storeProcess is a second evalhouse process serving an embedded store on
// a fixed loopback address (so it can be stopped and started again there).
type storeProcess struct {
	t    *testing.T
	dir  string
	addr string
	cmd  *exec.Cmd
	out  *syncLines
}

func (p *storeProcess) start() {
	p.t.Helper()
	p.out = &syncLines{}
	p.cmd = exec.Command(os.Args[0])
	p.cmd.Env = append(os.Environ(), "EVALHOUSE_AS_MAIN=1",
		"EVALHOUSE_ARGS=--store=embedded://"+p.dir+" serve --listen 127.0.0.1:0 --clickhouse-listen "+p.addr)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + p.addr + "/ping"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("the store process did not answer on %s:\n%s", p.addr, p.out.String())
}

func (p *storeProcess) stop() {
	p.t.Helper()
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The store goes away for ten seconds under a steady stream of POSTs and
// Kafka messages to a serve whose store is that second process (--store
// http://…): HTTP senders are told 503 with Retry-After, never 200 for
// rows not stored; Kafka waits; once the store is back, ingest recovers
// within 30 s; and the store ends with exactly the events sent, each once.
func TestStoreOutageLosesNothing(t *testing.T) {
	p := &storeProcess{t: t, dir: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	// The interface is exposed with keys only. The serve whose store it
	// is reaches it with an admin key (it reads the keys it checks); the
	// senders post with an ingest key.
	key := createKey(t, "--store=embedded://"+p.dir, "--role", "ingest", "--name", "edge")
	admin := createKey(t, "--store=embedded://"+p.dir, "--role", "admin", "--name", "ops")
	p.start()
	t.Cleanup(p.stop)
	brokers := kafkaCluster(t)
	remote := "--store=http://ops:" + admin + "@" + p.addr + "/default"
	counts := remote
	lines, done, cancel := background(t, remote, "serve", "--listen", "127.0.0.1:0",
		"--kafka-brokers", brokers, "--kafka-topic", "events", "--kafka-group", "g", "--kafka-batch-wait", "50ms")
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))

	var (
		mu                          sync.Mutex
		sent, accepted, duplicates  int
		unavailable, retryAfterLess int
		lastUnavailable, firstAfter time.Time
		stopSending                 = make(chan struct{})
		senderDone                  = make(chan struct{})
	)
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	go func() {
		defer close(senderDone)
		client := &http.Client{Timeout: 30 * time.Second}
		for batch := 0; ; batch++ {
			select {
			case <-stopSending:
				return
			default:
			}
			var body bytes.Buffer
			for i := range 20 {
				fmt.Fprintf(&body, `{"kind":"run","event_id":"b%05d-%02d","tenant":"acme","environment":"staging","release":"1.0","ts":%q,"trace_id":"t%05d","span_id":"s%02d","run_id":"r%05d-%02d","status":"ok","duration_ms":1}`+"\n",
					batch, i, base.Add(time.Duration(batch)*time.Second).Format(time.RFC3339), batch, i, batch, i)
			}
			for {
				req, _ := http.NewRequest("POST", api+"/v1/events", bytes.NewReader(body.Bytes()))
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Authorization", "Bearer "+key) // the store's keys are serve's too
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("POST: %v", err) // serve itself must stay up
					return
				}
				var r struct {
					Accepted   int `json:"accepted"`
					Duplicates int `json:"duplicates"`
				}
				json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				mu.Lock()
				switch resp.StatusCode {
				case 200:
					sent += 20
					accepted += r.Accepted
					duplicates += r.Duplicates
					if !lastUnavailable.IsZero() && firstAfter.IsZero() {
						firstAfter = time.Now()
					}
				case 503:
					unavailable++
					lastUnavailable = time.Now()
					if resp.Header.Get("Retry-After") == "" {
						retryAfterLess++
					}
				default:
					t.Errorf("POST: status %d", resp.StatusCode)
				}
				mu.Unlock()
				if resp.StatusCode == 200 {
					break
				}
				time.Sleep(200 * time.Millisecond) // the sender's own backoff, shorter than Retry-After for the test
			}
		}
	}()

	produced := make(chan int, 1)
	go func() {
		w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: "events", BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
		defer w.Close()
		n := 0
		for {
			select {
			case <-stopSending:
				produced <- n
				return
			default:
			}
			var msgs []kafka.Message
			for i := range 10 {
				msgs = append(msgs, kafka.Message{Value: fmt.Appendf(nil, `{"kind":"tool","event_id":"k%06d","tenant":"globex","ts":%q,"tool":"lookup_order","args":{}}`,
					n+i, base.Add(time.Duration(n+i)*time.Millisecond).Format(time.RFC3339Nano))})
			}
			if err := w.WriteMessages(context.Background(), msgs...); err != nil {
				t.Errorf("produce: %v", err)
				produced <- n
				return
			}
			n += len(msgs)
			time.Sleep(100 * time.Millisecond)
		}
	}()

	time.Sleep(2 * time.Second)
	p.stop()
	time.Sleep(10 * time.Second)
	p.start()
	restarted := time.Now()
	time.Sleep(5 * time.Second)
	close(stopSending)
	<-senderDone
	messages := <-produced
	committed := func() int64 {
		c := &kafka.Client{Addr: kafka.TCP(brokers)}
		of, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: "g", Topics: map[string][]int{"events": {0}}})
		if err != nil || len(of.Topics["events"]) != 1 {
			return -1
		}
		return of.Topics["events"][0].CommittedOffset
	}
	for deadline := time.Now().Add(60 * time.Second); committed() != int64(messages); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Kafka: %d of %d messages committed 60 s after the store returned", committed(), messages)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if unavailable == 0 {
		t.Fatal("no request was refused while the store was down: the outage was not exercised")
	}
	if retryAfterLess > 0 {
		t.Errorf("%d of %d 503 answers had no Retry-After", retryAfterLess, unavailable)
	}
	if firstAfter.IsZero() || firstAfter.Sub(restarted) > 30*time.Second {
		t.Errorf("no event stored within 30 s of the store's return (first 200 at %v after it)", firstAfter.Sub(restarted))
	}
	if accepted+duplicates != sent {
		t.Errorf("answers: accepted %d + duplicates %d != %d sent", accepted, duplicates, sent)
	}
	stored := sqlCount(t, counts, "SELECT count() FROM agent_events WHERE tenant = 'acme'")
	distinct := sqlCount(t, counts, "SELECT uniqExact(event_id) FROM agent_events WHERE tenant = 'acme'")
	if stored != sent || distinct != sent {
		t.Errorf("HTTP: the store holds %d rows (%d distinct), want exactly the %d events answered 200", stored, distinct, sent)
	}
	if got := sqlCount(t, counts, "SELECT count() FROM agent_events WHERE tenant = 'globex'"); got != messages {
		t.Errorf("Kafka: the store holds %d rows, want exactly the %d messages produced", got, messages)
	}
	t.Logf("HTTP: %d events in batches of 20, %d accepted, %d duplicates on retry, %d answers 503, first 200 %v after the store returned; Kafka: %d messages, all stored once",
		sent, accepted, duplicates, unavailable, firstAfter.Sub(restarted).Round(time.Millisecond), messages)

	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func (s *syncLines) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
