package ingest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// lineChunk is a run of consecutive input lines, decoded by a worker while
// the pipeline processes the chunks before it.
type lineChunk struct {
	lines []rawLine
	done  chan struct{}
}

type rawLine struct {
	n       int
	raw     []byte // a copy: the reader's buffer moves on
	tooLong bool
	dec     Decoded
	err     error
}

// chunkLines is how many lines a decode worker takes at a time.
const chunkLines = 256

// ReadNDJSON feeds every envelope line of r through the pipeline: ReadLines
// with the Envelope format.
func (p *Pipeline) ReadNDJSON(ctx context.Context, origin string, r io.Reader) error {
	return p.ReadLines(ctx, origin, r, Envelope)
}

// ReadLines feeds every line of r, decoded by f.Decode, through the
// pipeline. Bad lines are rejected and counted, and the rest go on; the
// error is only for what stops the whole ingest (the store, the reader, a
// dead-letter write, ctx). A line that decodes to one event is
// dead-lettered whole when that event is rejected.
//
// Lines are decoded by a worker per CPU while the pipeline redacts, checks
// and stores those before them; events still reach the pipeline in input
// order, so line numbers, duplicates and summaries are as a serial read.
func (p *Pipeline) ReadLines(ctx context.Context, origin string, r io.Reader, f Format) error {
	// rctx stops the reader and workers; events are fed under ctx, whose
	// writes may outlive this call (see flushFull).
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *lineChunk)
	order := make(chan *lineChunk, 2*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				for j := range c.lines {
					l := &c.lines[j]
					if !l.tooLong && !isBlank(l.raw) {
						l.dec, l.err = f.Decode(l.raw)
					}
				}
				close(c.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		readErr <- splitLines(rctx, NewLineReader(r, origin), func(c *lineChunk) bool {
			select {
			case order <- c:
			case <-rctx.Done():
				return false
			}
			select {
			case work <- c:
				return true
			case <-rctx.Done():
				close(c.done) // never decoded; the collector stops at rctx
				return false
			}
		})
	}()
	var ferr error
	for c := range order {
		if ferr != nil {
			continue // drain, so the reader can finish
		}
		select {
		case <-c.done:
		case <-rctx.Done():
			ferr = rctx.Err()
			continue
		}
		if rctx.Err() != nil {
			ferr = rctx.Err()
			continue
		}
		for j := range c.lines {
			l := &c.lines[j]
			switch {
			case l.tooLong:
				p.reject(origin, l.n, nil, ErrLineTooLong.Error())
				ferr = p.dlErr
			case l.err != nil:
				p.reject(origin, l.n, l.raw, l.err.Error())
				ferr = p.dlErr
			case len(l.dec.Events) == 1 && len(l.dec.Rejected) == 0:
				ferr = p.event(ctx, origin, l.n, l.raw, l.dec.Events[0])
			default: // blank, or several events and parts
				ferr = p.Feed(ctx, origin, l.n, l.dec)
			}
			if ferr != nil {
				cancel()
				break
			}
		}
	}
	wg.Wait()
	if ferr != nil {
		return ferr
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("ingest: read %w", err)
	}
	return ctx.Err()
}

// splitLines cuts lines into chunks handed to emit; a line over MaxLine is
// marked, not kept. emit returns false to stop.
func splitLines(ctx context.Context, lr *LineReader, emit func(*lineChunk) bool) error {
	c := &lineChunk{done: make(chan struct{})}
	flush := func() bool {
		if len(c.lines) == 0 {
			return true
		}
		ok := emit(c)
		c = &lineChunk{done: make(chan struct{})}
		return ok
	}
	for {
		l, err := lr.Next()
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil {
			flush()
			return err
		}
		c.lines = append(c.lines, rawLine{n: l.N, raw: append([]byte(nil), l.Raw...), tooLong: l.TooLong})
		if len(c.lines) >= chunkLines && !flush() {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}
