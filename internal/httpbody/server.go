package httpbody

import (
	"fmt"
	"net/http"
	"time"
)

// Defaults for Timeouts' zero values.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// Timeouts bound how long a connection of a listener may take: a sender
// that trickles its headers or body, or keeps an idle connection open, is
// cut off, so slow connections cost a goroutine and a socket for a bounded
// time, never a slot (see Admission).
type Timeouts struct {
	// ReadHeader bounds reading a request's headers; 0 means 10s.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included; 0 means 60s.
	// The handler's own work (a query, a store flush) is not bounded by it.
	Read time.Duration
	// Idle bounds how long a kept-alive connection waits for its next
	// request; 0 means 120s.
	Idle time.Duration
}

// Validate reports negative timeouts, naming the flag.
func (t Timeouts) Validate() error {
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"--read-header-timeout", t.ReadHeader}, {"--read-timeout", t.Read}, {"--idle-timeout", t.Idle}} {
		if c.d < 0 {
			return fmt.Errorf("%s %s: must not be negative (0 for the default)", c.name, c.d)
		}
	}
	return nil
}

// Server returns an http.Server serving h within t.
func (t Timeouts) Server(h http.Handler) *http.Server {
	if t.ReadHeader <= 0 {
		t.ReadHeader = DefaultReadHeaderTimeout
	}
	if t.Read <= 0 {
		t.Read = DefaultReadTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, IdleTimeout: t.Idle}
}
