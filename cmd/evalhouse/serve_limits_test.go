package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Slowloris against a running serve: 64 connections trickle headers or
// bodies a byte at a time while honest senders post. The trickling ones
// hold no slot (--max-in-flight 4), so no honest POST gets 429, and the
// listener's timeouts cut every one of them off.
func TestServeSlowSenders(t *testing.T) {
	api := startServe(t, "--max-in-flight", "4", "--read-header-timeout", "1s", "--read-timeout", "2s")
	addr := strings.TrimPrefix(api, "http://")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var conns []net.Conn
	start := time.Now()
	for i := range 64 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
		head, drip := "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n", "X-Slow: 1\r\n"
		if i%2 == 1 {
			head, drip = head+"Content-Length: 1000000\r\n\r\n", " "
		}
		io.WriteString(c, head)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := io.WriteString(c, drip); err != nil {
					return
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(300 * time.Millisecond)
	body, _ := os.ReadFile(examples + "/events-2.3.1.ndjson")
	var honest sync.WaitGroup
	for i := range 4 { // as many honest senders as slots, three posts each
		honest.Add(1)
		go func() {
			defer honest.Done()
			for j := range 3 {
				if r := post(t, api+"/v1/events", body); r.status != 200 {
					t.Errorf("honest POST %d.%d while slow senders trickle: %d", i, j, r.status)
				}
			}
		}()
	}
	honest.Wait()
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("slow connection %d still open after %s", i, time.Since(start))
			}
		}
	}
	if el := time.Since(start); el > 8*time.Second {
		t.Errorf("slow connections cut after %s; --read-timeout is 2s", el)
	}
}

// ndjsonBody is about size bytes of distinct, storable envelope events,
// their event ids prefixed with prefix.
func ndjsonBody(prefix string, size int) []byte {
	var b bytes.Buffer
	ts := time.Now().Add(-time.Hour).UTC()
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `{"kind":"tool","event_id":"%s-%07d","trace_id":"tr-%s-%d","span_id":"sp%07d","run_id":"run-%s-%d","tenant":"acme","environment":"staging","release":"2.4.0","ts":%q,"duration_ms":12,"status":"ok","tool":"lookup_order","args":{"order":"ORD-%d","note":"%s"},"authorization":"allowed","retry_count":0,"idempotency_key":"idem-%d","side_effect":"read"}`+"\n",
			prefix, i, prefix, i/10, i, prefix, i/10, ts.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i, strings.Repeat("n", 200), i)
	}
	return b.Bytes()
}

// peak samples the Go heap in use and the process's resident set while
// fn runs and returns their highest values, in bytes.
func peak(fn func()) (heap, rss uint64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			heap = max(heap, ms.HeapInuse)
			rss = max(rss, residentBytes())
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return heap, rss
}

// residentBytes is the process's resident set size (Linux; 0 elsewhere).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// postRetrying posts body until it is answered other than 429 (following
// Retry-After), counting the 429s.
func postRetrying(t *testing.T, url string, body []byte, refused *atomic.Int64) int {
	for {
		resp, err := http.Post(url, "application/x-ndjson", bytes.NewReader(body))
		if err != nil { // refused mid-body: the connection may close before the answer is read
			refused.Add(1)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			return resp.StatusCode
		}
		refused.Add(1)
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		time.Sleep(time.Duration(secs) * time.Second / 4) // sooner than asked: the test is in a hurry
	}
}

// Eight parallel 15 MiB posts: with the default --max-in-flight-bytes
// (32 MiB) at most two bodies are held at once, the others are told to
// retry, and every one is stored in the end. The peak heap is logged
// (go test -v) and bounded: measured 421 MiB above the start (876 MiB with
// --max-in-flight-bytes 2000000000, as before the budget).
func TestServeLargePostsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("posts 120 MiB of events")
	}
	const size = 15 << 20
	bodies := make([][]byte, 8)
	events := 0
	for i := range bodies {
		bodies[i] = ndjsonBody("big"+strconv.Itoa(i), size)
		events += bytes.Count(bodies[i], []byte("\n"))
	}
	api := startServe(t)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	baseRSS := residentBytes()
	var refused atomic.Int64
	began := time.Now()
	heap, rss := peak(func() {
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := postRetrying(t, api+"/v1/events", b, &refused); code != 200 {
					t.Errorf("body %d: %d", i, code)
				}
			}()
		}
		wg.Wait()
	})
	got := scrape(t, api)
	t.Logf("8 × %d MiB posts (%d events) in %s: peak heap in use %d MiB (%d MiB before), peak RSS %d MiB (%d MiB before); %d answers were 429",
		size>>20, events, time.Since(began).Round(time.Millisecond), heap>>20, base.HeapInuse>>20, rss>>20, baseRSS>>20, refused.Load())
	if got[`evalhouse_ingest_events_total{outcome="accepted",source="http"}`] != float64(events) {
		t.Fatalf("accepted %v of %d events", got[`evalhouse_ingest_events_total{outcome="accepted",source="http"}`], events)
	}
	if heap-base.HeapInuse > 640<<20 {
		t.Errorf("the posts took %d MiB of heap", (heap-base.HeapInuse)>>20)
	}
}
