package httpbody

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Slow senders on a real listener (slowloris): 32 connections trickle
// their headers and 32 their bodies, a byte at a time. They hold no slot,
// so every honest request meanwhile is served, not refused with 429; and
// the listener's timeouts cut each of them off (408 for a body cut short).
func TestSlowSendersHoldNoSlot(t *testing.T) {
	a, _ := testAdmission(Limits{MaxInFlight: 4})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := a.Admit(w, r)
		if req == nil {
			return
		}
		defer req.Done()
		fmt.Fprintf(w, "%d bytes\n", len(req.Body))
	})
	srv := Timeouts{ReadHeader: 500 * time.Millisecond, Read: time.Second, Idle: time.Second}.Server(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	type slow struct {
		conn net.Conn
		body bool // trickles its body (else its headers)
	}
	var slows []slow
	start := time.Now()
	for i := range 64 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s := slow{c, i%2 == 1}
		slows = append(slows, s)
		head := "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
		if s.body {
			head += "Content-Length: 100000\r\n\r\n"
		}
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			drip := "X"
			if !s.body {
				drip = "X-Slow: 1\r\n"
			}
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := io.WriteString(c, drip); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if n, held := a.budget.InFlight(); n != 0 || held > 32*firstChunk {
		t.Errorf("slow senders hold %d slots and %d bytes", n, held)
	}
	var honest sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		honest.Add(1)
		go func() {
			defer honest.Done()
			resp, err := http.Post("http://"+addr+"/v1/events", "application/x-ndjson", strings.NewReader("{}\n"))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	honest.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("an honest request got %d while slow senders trickled", c)
		}
	}
	// Each slow connection is answered (a body cut short: 408) or closed
	// by the timeouts while it is still sending.
	for i, s := range slows {
		s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(s.conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("slow connection %d (body %v) still open after %s", i, s.body, time.Since(start))
		}
		if s.body && !bytes.HasPrefix(got, []byte("HTTP/1.1 408 ")) {
			t.Errorf("slow body %d answered %q", i, got)
		}
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("slow connections cut after %s; the read timeout is 1s", el)
	}
	close(stop)
	wg.Wait()
}

func TestTimeoutsServer(t *testing.T) {
	srv := Timeouts{}.Server(http.NotFoundHandler())
	if srv.ReadHeaderTimeout != DefaultReadHeaderTimeout || srv.ReadTimeout != DefaultReadTimeout || srv.IdleTimeout != DefaultIdleTimeout {
		t.Errorf("defaults: %+v", srv)
	}
	if err := (Timeouts{Read: -time.Second}).Validate(); err == nil || !strings.Contains(err.Error(), "--read-timeout") {
		t.Errorf("negative read timeout: %v", err)
	}
}
