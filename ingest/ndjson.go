package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/evalhouse/evalhouse/ingest/envelope"
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
	ev      *envelope.Event
	err     error
}

// chunkLines is how many lines a decode worker takes at a time.
const chunkLines = 256

// ReadNDJSON feeds every line of r through the pipeline. Bad lines are
// rejected and counted, and the rest go on; the error is only for what
// stops the whole ingest (the store, the reader, ctx).
//
// Lines are decoded by a worker per CPU while the pipeline redacts, checks
// and stores those before them; events still reach the pipeline in input
// order, so line numbers, duplicates and summaries are as a serial read.
func (p *Pipeline) ReadNDJSON(ctx context.Context, origin string, r io.Reader) error {
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
						l.ev, l.err = envelope.Decode(l.raw)
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
		readErr <- splitLines(rctx, r, func(c *lineChunk) bool {
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
				p.reject(origin, l.n, nil, fmt.Sprintf("line longer than %d bytes", MaxLine))
			case l.ev == nil && l.err == nil: // blank
			case l.err != nil:
				p.reject(origin, l.n, l.raw, l.err.Error())
			default:
				ferr = p.event(ctx, origin, l.n, l.raw, l.ev)
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
		return fmt.Errorf("ingest: read %s: %w", origin, err)
	}
	return ctx.Err()
}

// splitLines cuts r into numbered lines, in chunks handed to emit; a line
// over MaxLine is marked, not kept. emit returns false to stop.
func splitLines(ctx context.Context, r io.Reader, emit func(*lineChunk) bool) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte
	n, skipping := 0, false
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
		part, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !skipping {
				if len(long)+len(part) > MaxLine {
					skipping, long = true, nil
				} else {
					long = append(long, part...)
				}
			}
			continue
		}
		if len(part) > 0 || long != nil || skipping {
			n++
			switch {
			case skipping:
				c.lines = append(c.lines, rawLine{n: n, tooLong: true})
				skipping = false
			case long != nil:
				long = append(long, part...)
				c.lines = append(c.lines, rawLine{n: n, raw: long, tooLong: len(long) > MaxLine})
				long = nil
			default:
				c.lines = append(c.lines, rawLine{n: n, raw: append([]byte(nil), part...)})
			}
			if len(c.lines) >= chunkLines && !flush() {
				return nil
			}
		}
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil {
			flush()
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}
