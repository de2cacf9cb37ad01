package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/evalhouse/evalhouse/ingest"
)

// readBatch is how many records Read decodes at a time.
const readBatch = 1024

// ReadFile feeds every row of the Parquet file at path through p; see Read.
func ReadFile(ctx context.Context, p *ingest.Pipeline, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return Read(ctx, p, path, f, st.Size())
}

// Read feeds every row of the Parquet file in r (size bytes, called origin
// in messages) through p as a stored row (ingest.Pipeline.Row): redacted
// again, deduplicated, everything its first ingest recorded kept except
// ingested_at, which the store sets anew. A bad row is rejected with its
// row number (from 1) and reason, and the rest go on; the error is for what
// stops the whole file: a file that is not Parquet or not events, corrupt
// pages, the store, ctx. Rows passed on before such an error still land.
func Read(ctx context.Context, p *ingest.Pipeline, origin string, r io.ReaderAt, size int64) error {
	rd, err := NewReader(r, size)
	if err != nil {
		return fmt.Errorf("%s: %w", origin, err)
	}
	defer rd.Close()
	recs := make([]Record, readBatch)
	row := 0
	for {
		n, err := rd.Read(recs)
		for i := range recs[:n] {
			row++
			if perr := p.Row(ctx, origin, row, recs[i].Row()); perr != nil {
				return perr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: after row %d: %w", origin, row, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
