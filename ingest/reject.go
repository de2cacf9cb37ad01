package ingest

import (
	"encoding/json"
	"fmt"

	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Rejection is one input a pipeline did not store, as its OnReject hook
// is told of it.
type Rejection struct {
	// Origin and Line name the input as the source fed it.
	Origin string
	Line   int
	// Reason says why, scrubbed (Scrub); it never quotes input.
	Reason string
	// Raw is the rejected input (a line, without its line ending),
	// redacted; nil for inputs fed as decoded events or rows.
	Raw []byte
	// Expired marks an event past its retention on arrival (not an error
	// in it; see Summary.Expired).
	Expired bool
}

// reject counts a bad line, keeps its error, and dead-letters it redacted.
func (p *Pipeline) reject(origin string, n int, raw []byte, reason string) {
	p.sum.Rejected++
	p.keep(origin, n, raw, reason, false)
}

// keep names a line that is not stored, its reason and raw bytes
// scrubbed (Scrub): in the summary's errors, the log,
// the dead-letter file and the OnReject hook. The first failure of either
// (dlErr) stops the ingest.
func (p *Pipeline) keep(origin string, n int, raw []byte, reason string, expired bool) {
	origin = p.scrubOrigin(origin)
	// Reasons are written not to quote input, but some name what the
	// input named (a repeated key, a store's answer): every one is
	// scrubbed before it is kept, logged, returned or dead-lettered.
	reason = redact.Scrub(p.red, reason, nil)
	le := LineError{Origin: origin, Line: n, Reason: reason}
	if len(p.sum.Errors) < MaxErrors {
		p.sum.Errors = append(p.sum.Errors, le)
	}
	p.log.Debug("event rejected", "origin", origin, "line", n, "reason", reason)
	if p.opts.DeadLetter == nil && p.opts.OnReject == nil {
		return
	}
	var red []byte
	if len(raw) > 0 {
		red = []byte(redact.Scrub(p.red, string(trimEOL(raw)), nil))
	}
	if p.opts.OnReject != nil {
		err := p.opts.OnReject(Rejection{Origin: origin, Line: n, Reason: reason, Raw: red, Expired: expired})
		if err != nil && p.dlErr == nil {
			p.dlErr = fmt.Errorf("ingest: dead letter for %s:%d failed, ingest stopped: %w", origin, n, err)
		}
	}
	if p.opts.DeadLetter != nil {
		b, err := json.Marshal(struct {
			LineError
			Raw string `json:"raw"`
		}{le, string(red)})
		if err == nil {
			_, err = p.opts.DeadLetter.Write(append(b, '\n'))
		}
		if err != nil && p.dlErr == nil {
			p.dlErr = fmt.Errorf("ingest: dead-letter write for %s:%d failed, ingest stopped: %w", origin, n, err)
		}
	}
}
