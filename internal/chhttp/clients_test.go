package chhttp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/compress"
	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

// clickhouse-go over HTTP with each compression it offers: the lz4 default
// of the OTel exporter and Grafana, zstd, and the three HTTP encodings.
// Each does what an application does: ping, DDL, a 100,000-row batch,
// typed reads, and an error it must be able to read.
func TestClickHouseGoWithEveryCompression(t *testing.T) {
	srv, db := server(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	methods := map[string]clickhouse.CompressionMethod{
		"lz4": clickhouse.CompressionLZ4, "zstd": clickhouse.CompressionZSTD, "gzip": clickhouse.CompressionGZIP,
		"deflate": clickhouse.CompressionDeflate, "br": clickhouse.CompressionBrotli, "none": clickhouse.CompressionNone,
	}
	const rows = 100_000
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	for name, m := range methods {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			conn, err := clickhouse.Open(&clickhouse.Options{
				Protocol: clickhouse.HTTP, Addr: []string{addr}, Auth: clickhouse.Auth{Database: db},
				Compression: &clickhouse.Compression{Method: m, Level: 3},
				HttpHeaders: admin, // DDL needs an admin key (asRole stands in for the key guard)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
			table := "spans_" + name
			if err := conn.Exec(ctx, "CREATE TABLE "+table+` (id UInt64, agent LowCardinality(String), score Float64,
				at DateTime64(3, 'UTC'), tags Array(String), ok Bool) ENGINE = MergeTree ORDER BY id`); err != nil {
				t.Fatalf("create: %v", err)
			}
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+table)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			for i := range rows {
				if err := batch.Append(uint64(i), fmt.Sprintf("agent-%d", i%7), float64(i)/4,
					base.Add(time.Duration(i)*time.Millisecond), []string{"t", fmt.Sprint(i % 3)}, i%2 == 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send %d rows with %s: %v", rows, name, err)
			}
			var count, sum uint64
			var maxAt time.Time
			if err := conn.QueryRow(ctx, "SELECT count(), sum(id), max(at) FROM "+table).Scan(&count, &sum, &maxAt); err != nil {
				t.Fatalf("aggregate: %v", err)
			}
			if count != rows || sum != rows*(rows-1)/2 || !maxAt.Equal(base.Add((rows-1)*time.Millisecond)) {
				t.Fatalf("count %d sum %d max(at) %v", count, sum, maxAt)
			}
			// A typed read large enough to span several compressed blocks.
			r, err := conn.Query(ctx, "SELECT id, agent, score, at, tags, ok FROM "+table+" ORDER BY id")
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			n := 0
			for r.Next() {
				var (
					id    uint64
					agent string
					score float64
					at    time.Time
					tags  []string
					ok    bool
				)
				if err := r.Scan(&id, &agent, &score, &at, &tags, &ok); err != nil {
					t.Fatal(err)
				}
				if id != uint64(n) || agent != fmt.Sprintf("agent-%d", n%7) || score != float64(n)/4 ||
					!at.Equal(base.Add(time.Duration(n)*time.Millisecond)) || len(tags) != 2 || ok != (n%2 == 0) {
					t.Fatalf("row %d: %d %s %v %v %v %v", n, id, agent, score, at, tags, ok)
				}
				n++
			}
			if r.Err() != nil || n != rows {
				t.Fatalf("read %d rows: %v", n, r.Err())
			}
			r.Close()
			// The engine's message reaches the application, whatever the compression.
			err = conn.Exec(ctx, "SELECT * FROM no_such_table")
			var ex *clickhouse.Exception
			if !errors.As(err, &ex) || ex.Code != 60 || !strings.Contains(ex.Message, "no_such_table") {
				t.Fatalf("error through %s: %v", name, err)
			}
			err = conn.QueryRow(ctx, "SELECT * FROM no_such_table").Scan()
			if !errors.As(err, &ex) || ex.Code != 60 {
				t.Fatalf("query error through %s: %v", name, err)
			}
		})
	}
}

// What curl sees: the probe, the headers ClickHouse sends, and
// compressed answers and errors as it asked for them.
func TestHeadersAndProbesAsClickHouse(t *testing.T) {
	srv, db := server(t)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "Ok.\n" {
		t.Fatalf("GET /: %d %q", resp.StatusCode, b)
	}
	code, out, h := get(t, srv, url.Values{"query": {"SELECT 1 AS x FORMAT JSONEachRow"}, "query_id": {"mine-1"}}, nil, nil)
	if code != 200 || strings.TrimSpace(out) != `{"x":1}` || h.Get("X-ClickHouse-Query-Id") != "mine-1" {
		t.Fatalf("%d %q %v", code, out, h)
	}
	_, _, h = get(t, srv, url.Values{"database": {db}, "default_format": {"JSONCompact"}}, strings.NewReader("SELECT 1"), nil)
	if id := h.Get("X-ClickHouse-Query-Id"); len(id) != 36 || id[14] != '4' {
		t.Fatalf("generated query id %q", id)
	}
	if h.Get("X-ClickHouse-Format") != "JSONCompact" || h.Get("Content-Type") != "application/json; charset=UTF-8" ||
		!strings.Contains(h.Get("X-ClickHouse-Summary"), `"elapsed_ns":"`) {
		t.Fatalf("headers %v", h)
	}
	for q, want := range map[string]int{"SELEC 1": 400, "SELECT nosuchfunction(1)": 404, "SELECT * FROM system.nope": 404} {
		if code, out, h := get(t, srv, url.Values{"query": {q}}, nil, nil); code != want || h.Get("X-ClickHouse-Exception-Code") == "" {
			t.Errorf("%s: %d %q", q, code, out)
		}
	}

	// compress=1: the answer, and an error, are ClickHouse blocks.
	for _, c := range []struct{ query, want string }{{"SELECT 40 + 2", "42\n"}, {"SELECT * FROM nowhere", "Code: 60."}} {
		code, out, h := get(t, srv, url.Values{"query": {c.query}, "compress": {"1"}, "network_compression_method": {"ZSTD"}}, nil, nil)
		cr := chproto.NewReader(strings.NewReader(out))
		cr.EnableCompression()
		plain, _ := io.ReadAll(cr)
		if !strings.HasPrefix(string(plain), c.want) || h.Get("Content-Encoding") != "" {
			t.Fatalf("compress=1 %s: %d %q -> %q", c.query, code, out, plain)
		}
	}
	// enable_http_compression=1 with Accept-Encoding: gzip.
	req, _ := http.NewRequest("POST", srv.URL+"/?enable_http_compression=1", strings.NewReader("SELECT 'zipped'"))
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultTransport.RoundTrip(req) // no transparent gunzip
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("%v %v", err, resp.Header)
	}
	if b, _ := io.ReadAll(zr); string(b) != "zipped\n" {
		t.Fatalf("%q", b)
	}
	resp.Body.Close()
}

// An insert sent as lz4 blocks by hand (as a client with decompress=1
// does) lands; a 2 MB gzip bomb is refused with 413 while the server
// holds a bounded amount of memory, and the table is untouched.
func TestCompressedInsertsAndBombOverHTTP(t *testing.T) {
	s := storetest.New(t)
	h := chhttp.New(storetest.Engine(t), t.TempDir(), nil)
	h.MaxBody = 16 << 20
	srv := httptest.NewServer(asRole(h))
	defer srv.Close()
	p := url.Values{"database": {s.Database}}
	if code, out, _ := get(t, srv, p, strings.NewReader("CREATE TABLE t (a UInt32, b String) ENGINE = MergeTree ORDER BY a"), admin); code != 200 {
		t.Fatalf("create: %d %s", code, out)
	}
	var tsv strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&tsv, "%d\trow-%d\n", i, i)
	}
	w := compress.NewWriter(compress.LevelZero, compress.LZ4)
	w.Compress([]byte(tsv.String()))
	p.Set("query", "INSERT INTO t FORMAT TabSeparated")
	p.Set("decompress", "1")
	if code, out, _ := get(t, srv, p, bytes.NewReader(w.Data), nil); code != 200 {
		t.Fatalf("lz4 insert: %d %s", code, out)
	}
	p.Del("decompress")

	var member bytes.Buffer
	zw := gzip.NewWriter(&member)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 2000) // concatenated members: 2 GiB inflated
	// Insert data is streamed to the staging file, never held: with a
	// limit of 256 MiB, the bomb is refused at 256 MiB of inflated bytes
	// while the process allocates a small fraction of that.
	h.MaxBody = 256 << 20
	defer func() { h.MaxBody = 16 << 20 }()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, out, hdr := get(t, srv, p, bytes.NewReader(bomb), map[string]string{"Content-Encoding": "gzip"})
	runtime.ReadMemStats(&after)
	if code != 413 || hdr.Get("X-ClickHouse-Exception-Code") != "229" || !strings.Contains(out, "after decompression") {
		t.Fatalf("%d-byte gzip bomb: %d %q", len(bomb), code, out)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 48<<20 {
		t.Fatalf("the bomb made the process allocate %d MiB (limit 256 MiB): insert data is held, not streamed", grown>>20)
	}
	p.Set("query", "SELECT count(), max(b) FROM t")
	if code, out, _ := get(t, srv, p, nil, nil); code != 200 || strings.TrimSpace(out) != "1000\trow-999" {
		t.Fatalf("after: %d %q", code, out)
	}
}
