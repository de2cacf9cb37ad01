//go:build !linux

package redact

import "time"

// threadCPUTime is unavailable here; benchmarks then report no cpu-ns/op.
func threadCPUTime() time.Duration { return 0 }
