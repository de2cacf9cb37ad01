package parquet_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest/parquet"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzReadParquet from seedFiles")

const corpusDir = "testdata/fuzz/FuzzReadParquet"

// seedFiles are small valid event files: one row, a few rows with every
// column set, an empty file, and rows that the pipeline would reject.
func seedFiles(tb testing.TB) map[string][]byte {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	recs := func(n int, edit func(*parquet.Record)) []parquet.Record {
		out := make([]parquet.Record, n)
		for i := range out {
			out[i] = parquet.FromRow(ptr(fullRow(i)), at)
			if edit != nil {
				edit(&out[i])
			}
		}
		return out
	}
	return map[string][]byte{
		"one-row":   writeRecords(tb, recs(1, nil)),
		"three-row": writeRecords(tb, recs(3, nil)),
		"empty":     writeRecords(tb, nil),
		"bare":      writeRecords(tb, []parquet.Record{{Kind: "run", EventID: "e", TS: at}}),
		"no-kind":   writeRecords(tb, recs(2, func(r *parquet.Record) { r.Kind = "" })),
	}
}

// TestFuzzCorpusIsCurrent keeps the checked-in seed corpus readable;
// -update-corpus regenerates it.
func TestFuzzCorpusIsCurrent(t *testing.T) {
	seeds := seedFiles(t)
	if *updateCorpus {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
			if err := os.WriteFile(filepath.Join(corpusDir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range seeds {
		if _, err := os.Stat(filepath.Join(corpusDir, name)); err != nil {
			t.Errorf("seed %s missing: run go test -run TestFuzzCorpusIsCurrent -update-corpus ./ingest/parquet", name)
		}
	}
}

// FuzzReadParquet: no input makes the reader panic, and every error says
// which kind of problem it is.
func FuzzReadParquet(f *testing.F) {
	for _, data := range seedFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := readBytes(data); err != nil {
			if !errors.Is(err, parquet.ErrCorrupt) && !errors.Is(err, parquet.ErrNotEvents) {
				t.Fatalf("unclassified error: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
		}
	})
}

// readBytes reads every record of data and maps it to a row.
func readBytes(data []byte) error {
	rd, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	defer rd.Close()
	buf := make([]parquet.Record, 64)
	total := 0
	for {
		n, err := rd.Read(buf)
		for i := range buf[:n] {
			_ = buf[i].Row()
		}
		total += n
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no progress after %d rows", parquet.ErrCorrupt, total)
		}
	}
}
