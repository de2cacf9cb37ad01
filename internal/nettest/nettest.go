// Package nettest gives attack tests a witness: a loopback listener that
// counts the connections made to it, so a test can prove a statement made
// no network request.
package nettest

import (
	"net"
	"sync/atomic"
	"testing"
)

// Witness listens on loopback until the test ends and counts every
// connection it is sent (each is closed at once). It returns the address
// to aim requests at, and the count so far.
func Witness(t testing.TB) (addr string, hits func() int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), n.Load
}
