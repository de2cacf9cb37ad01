package parquet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/parquet"
)

// benchRows is how many events each benchmark moves; EVALHOUSE_BENCH_EVENTS
// overrides.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("EVALHOUSE_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 50000
}

// benchRecords returns n records of about 1 KB each: every column set,
// prose payloads, kinds and releases mixed.
func benchRecords(n int) []parquet.Record {
	prose := "The customer asked about the status of an order placed last week and whether the refund for the damaged item was processed; the agent looked up the order, checked the refund policy and replied with the tracking link and an apology. "
	kinds := envelope.Kinds
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	recs := make([]parquet.Record, n)
	for i := range recs {
		r := fullRow(i)
		r.Kind = kinds[i%len(kinds)]
		r.EventID = fmt.Sprintf("ev-%09d", i)
		r.RunID = fmt.Sprintf("run-%07d", i/10)
		r.Release = []string{"2.3.1", "2.4.0"}[i%2]
		r.Input = prose[:100+i%130] + prose
		r.Attributes = fmt.Sprintf(`{"session":"sess-%d","turn":%d,"note":%q}`, i/10, i%7, prose[i%50:200])
		recs[i] = parquet.FromRow(&r, at)
	}
	return recs
}

// benchFile writes benchRecords to a temporary file once per benchmark.
func benchFile(b *testing.B, n int) (string, int64) {
	b.Helper()
	data := writeRecords(b, benchRecords(n))
	return writeFile(b, data), int64(len(data))
}

// cpuClock measures the CPU time of the whole process (the embedded
// engine's threads included) over the timed parts of a benchmark: on a
// shared machine, rows per CPU second say more than rows per second.
type cpuClock struct {
	start, total time.Duration
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) Start() { c.start = cpuNow() }
func (c *cpuClock) Stop()  { c.total += cpuNow() - c.start }

// reportRows reports rows per second of wall time and of CPU time.
func reportRows(b *testing.B, rows int, cpu *cpuClock) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/cpu.total.Seconds(), "rows/cpu-s")
}

// BenchmarkParquetImport: a file read through the pipeline (redaction,
// dedup check, insert) into an empty store.
func BenchmarkParquetImport(b *testing.B) {
	n := benchRows()
	path, size := benchFile(b, n)
	b.SetBytes(size)
	var cpu cpuClock
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s := migrated(b)
		p := newPipeline(b, s, ingest.Options{})
		b.StartTimer()
		cpu.Start()
		if err := parquet.ReadFile(context.Background(), p, path); err != nil {
			b.Fatal(err)
		}
		if sum, err := p.Close(context.Background()); err != nil || sum.Accepted != n {
			b.Fatalf("%+v %v", sum, err)
		}
		cpu.Stop()
	}
	reportRows(b, n, &cpu)
}

// BenchmarkRawParquetRead: parquet-go alone reading the same file into
// Records, the ceiling for the reading half of an import.
func BenchmarkRawParquetRead(b *testing.B) {
	n := benchRows()
	path, size := benchFile(b, n)
	b.SetBytes(size)
	buf := make([]parquet.Record, 1024)
	var cpu cpuClock
	b.ResetTimer()
	for range b.N {
		cpu.Start()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := pq.NewGenericReader[parquet.Record](f)
		got := 0
		for {
			k, err := r.Read(buf)
			got += k
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		f.Close()
		cpu.Stop()
		if got != n {
			b.Fatalf("read %d rows, want %d", got, n)
		}
	}
	reportRows(b, n, &cpu)
}

// BenchmarkParquetExport: a store's rows streamed into a file.
func BenchmarkParquetExport(b *testing.B) {
	n := benchRows()
	path, _ := benchFile(b, n)
	s := migrated(b)
	if sum := readInto(b, s, path, ingest.Options{}); sum.Accepted != n {
		b.Fatalf("setup: %+v", sum)
	}
	var out countingWriter
	var cpu cpuClock
	b.ResetTimer()
	for range b.N {
		out = 0
		cpu.Start()
		written, err := parquet.Export(context.Background(), s.Conn, parquet.Filter{}, &out, parquet.ExportOptions{})
		cpu.Stop()
		if err != nil || written != int64(n) {
			b.Fatalf("wrote %d rows: %v", written, err)
		}
	}
	b.SetBytes(int64(out))
	reportRows(b, n, &cpu)
}

// BenchmarkRawParquetWrite: parquet-go alone writing the same rows with the
// same options, the ceiling for the writing half of an export.
func BenchmarkRawParquetWrite(b *testing.B) {
	n := benchRows()
	recs := benchRecords(n)
	var out countingWriter
	var cpu cpuClock
	b.ResetTimer()
	for range b.N {
		out = 0
		cpu.Start()
		w := parquet.NewWriter(&out)
		for i := 0; i < n; i += 32 << 10 {
			if _, err := w.Write(recs[i:min(i+32<<10, n)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		cpu.Stop()
	}
	b.SetBytes(int64(out))
	reportRows(b, n, &cpu)
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
