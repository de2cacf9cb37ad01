// Package sources is the wiring of ingest formats to transports: which
// format a file is read as, and the decoders a Kafka source gets. Format
// packages (ingest/otlp, ingest/parquet) import ingest, so ingest cannot
// name them; this package imports them all, and the command only wires
// flags to it.
package sources

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/kafka"
	"github.com/evalhouse/evalhouse/ingest/otlp"
	"github.com/evalhouse/evalhouse/ingest/parquet"
)

// Parquet is a Parquet export of agent_events rows (docs/parquet.md). It is
// read from a file only: Parquet needs random access.
var Parquet = ingest.Format{Name: "parquet", Source: "parquet", Read: readParquet}

// FileFormat is the format of the file called name: *.parquet is Parquet,
// *.otlp.json and *.otlp.jsonl OTLP/JSON, *.otlp.pb and *.otlp.binpb OTLP
// protobuf (each optionally .gz), anything else envelope NDJSON. OTLP
// files write a per-file summary to warn (nil discards).
func FileFormat(name string, warn io.Writer) ingest.Format {
	if strings.EqualFold(filepath.Ext(name), ".parquet") {
		return Parquet
	}
	switch otlp.FileFormat(name) {
	case otlp.FormatJSON:
		f := otlp.JSONFormat(otlp.Options{})
		f.Read = otlp.Reader(otlp.FormatJSON, otlp.Options{}, warn)
		return f
	case otlp.FormatProtobuf:
		f := otlp.ProtobufFormat(otlp.Options{})
		f.Read = otlp.Reader(otlp.FormatProtobuf, otlp.Options{}, warn)
		return f
	}
	return ingest.Envelope
}

// FileOptions say how ReadFile reaches its input.
type FileOptions struct {
	// Stdin is read for the name "-" (origin "stdin").
	Stdin io.Reader
	// Warn receives per-file summaries (OTLP); nil discards.
	Warn io.Writer
	// Wrap, when set, wraps a stream before it is read (a progress bar);
	// size is -1 when unknown. The returned func runs when it is done.
	Wrap func(r io.Reader, name string, size int64) (io.Reader, func())
}

// ReadFile reads the file name ("-": standard input) through p in its
// FileFormat, gzip-compressed or not, under the format's source
// ("envelope", "otlp", …). The error is for what stops the file (see the
// format's reader); bad lines and rows are rejected through p.
func ReadFile(ctx context.Context, p *ingest.Pipeline, name string, o FileOptions) error {
	f := FileFormat(name, o.Warn)
	p.SetSource(f.Source)
	if f.Name == Parquet.Name {
		return parquet.ReadFile(ctx, p, name)
	}
	var (
		r    io.Reader
		size int64 = -1
	)
	if name == "-" {
		r, name = o.Stdin, "stdin"
		if r == nil {
			return errors.New("ingest: standard input (-) is not available here")
		}
	} else {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil {
			size = st.Size()
		}
		r = file
	}
	if o.Wrap != nil {
		wr, done := o.Wrap(r, name, size)
		defer done()
		r = wr
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	return Read(ctx, p, f, name, r)
}

// Read reads a stream of format f through p: with f.Read when the format
// has one, else as lines (f.Lines) or as one payload of at most
// MaxPayload bytes.
func Read(ctx context.Context, p *ingest.Pipeline, f ingest.Format, origin string, r io.Reader) error {
	switch {
	case f.Read != nil:
		return f.Read(ctx, p, origin, r)
	case f.Lines:
		return p.ReadLines(ctx, origin, r, f)
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxPayload+1))
	if err != nil {
		return fmt.Errorf("%s: %w", origin, err)
	}
	if len(b) > MaxPayload {
		return ingest.NewPermanent(fmt.Errorf("%s: over %d bytes", origin, MaxPayload))
	}
	_, err = p.Payload(ctx, origin, f, b)
	return err
}

// MaxPayload bounds a stream read whole as one payload.
const MaxPayload = 1 << 30

func readParquet(ctx context.Context, p *ingest.Pipeline, origin string, r io.Reader) error {
	file, ok := r.(*os.File)
	if !ok {
		return ingest.NewPermanent(fmt.Errorf("%s: Parquet is read from a file, not a stream", origin))
	}
	st, err := file.Stat()
	if err != nil {
		return err
	}
	return parquet.Read(ctx, p, origin, file, st.Size())
}

// KafkaDecoders are the payload decoders a Kafka source takes besides its
// built-in envelope lines: OTLP protobuf (the collector's otlp_proto).
func KafkaDecoders() map[kafka.Format]ingest.Decoder {
	return map[kafka.Format]ingest.Decoder{kafka.FormatOTLP: otlp.ProtobufFormat(otlp.Options{}).Decode}
}
