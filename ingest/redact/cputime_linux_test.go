//go:build linux

package redact

import (
	"syscall"
	"time"
)

// threadCPUTime returns the CPU time used so far by the calling OS thread
// (RUSAGE_THREAD), or 0 if it is unavailable.
func threadCPUTime() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
