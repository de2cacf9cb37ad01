package chsql

import (
	"sync"
	"time"
)

var (
	seqMu   sync.Mutex
	lastSeq uint64
)

// Seq is a row's order among the rows this process writes within one
// timestamp (gate and stage decisions, stage transitions: their tables
// sort by (…, time, seq)): the microsecond clock, bumped past the last
// value handed out, so it only grows.
func Seq() uint64 {
	seqMu.Lock()
	defer seqMu.Unlock()
	s := uint64(time.Now().UnixMicro())
	if s <= lastSeq {
		s = lastSeq + 1
	}
	lastSeq = s
	return s
}
