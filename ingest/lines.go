package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrLineTooLong is the reason a line over MaxLine is rejected.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLine)

// Line is one line of a LineReader.
type Line struct {
	// N is the line's number, from 1.
	N int
	// Raw is the line with its "\n" (if it had one). It is valid until the
	// next call to Next; keep a copy. Nil when TooLong.
	Raw []byte
	// TooLong marks a line over the bound: it was skipped to its end
	// without being held, and is to be rejected (ErrLineTooLong).
	TooLong bool
}

// LineReader cuts a stream into numbered lines of at most MaxLine bytes
// (not counting the "\n"). It is the one splitter of every line-oriented
// source (envelope files and bodies, OTLP JSON lines, Kafka messages):
// memory stays bounded whatever the input, and an overlong line costs only
// itself.
type LineReader struct {
	br     *bufio.Reader
	origin string
	max    int
	n      int
	long   []byte
	done   bool
}

// NewLineReader returns a LineReader of r; origin names r in errors.
func NewLineReader(r io.Reader, origin string) *LineReader {
	size := 1 << 20
	if b, ok := r.(*bytes.Reader); ok && b.Len() < size {
		size = b.Len() + 1 // a small payload (a Kafka message) needs no 1 MiB buffer
	}
	return &LineReader{br: bufio.NewReaderSize(r, size), origin: origin, max: MaxLine}
}

// Next returns the next line. At the end it returns io.EOF (a last line
// without "\n" is returned first, with a nil error); any other error is
// the reader's, naming the origin and the line it stopped at.
func (lr *LineReader) Next() (Line, error) {
	if lr.done {
		return Line{}, io.EOF
	}
	skipping := false
	lr.long = lr.long[:0]
	held := false // lr.long holds the line's start
	for {
		part, err := lr.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !skipping {
				if len(lr.long)+len(part) > lr.max+1 { // +1: the "\n" may still come
					skipping = true
				} else {
					lr.long, held = append(lr.long, part...), true
				}
			}
			continue
		}
		if err != nil && err != io.EOF {
			lr.done = true
			return Line{}, fmt.Errorf("%s: after line %d: %w", lr.origin, lr.n, err)
		}
		if err == io.EOF {
			lr.done = true
			if len(part) == 0 && !held && !skipping {
				return Line{}, io.EOF
			}
		}
		lr.n++
		raw := part
		if held {
			lr.long = append(lr.long, part...)
			raw = lr.long
		}
		if skipping || len(bytes.TrimSuffix(raw, []byte("\n"))) > lr.max {
			return Line{N: lr.n, TooLong: true}, nil
		}
		return Line{N: lr.n, Raw: raw}, nil
	}
}

// Rest is what the reader has not returned as lines yet, for a reader
// that finds after a first line that the stream is not lines after all.
func (lr *LineReader) Rest() io.Reader { return lr.br }
