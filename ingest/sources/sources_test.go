package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/sources"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

func TestFileFormat(t *testing.T) {
	for name, want := range map[string]string{
		"events.ndjson": "ndjson", "events.ndjson.gz": "ndjson", "-": "ndjson", "x.json": "ndjson",
		"run.otlp.json": "otlp_json", "RUN.OTLP.JSONL.GZ": "otlp_json", "run.otlp.pb": "otlp", "run.otlp.binpb.gz": "otlp",
		"export.parquet": "parquet", "EXPORT.PARQUET": "parquet",
	} {
		if got := sources.FileFormat(name, nil).Name; got != want {
			t.Errorf("FileFormat(%q) = %q, want %q", name, got, want)
		}
	}
}

// ReadFile picks the format by name, inflates gzip by its magic, reads
// stdin for "-", and stores under the format's source.
func TestReadFile(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	ts := time.Now().UTC().Add(-time.Hour)
	ev := func(id string) string {
		return `{"kind":"run","event_id":"` + id + `","ts":"` + ts.Format(time.RFC3339) + `","run_id":"r-` + id + `"}` + "\n"
	}
	dir := t.TempDir()
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(ev("e2") + "{broken\n"))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "a.ndjson.gz"), zipped.Bytes(), 0o600)
	otlpDoc := `{"resourceSpans":[{"resource":{"attributes":[{"key":"evalhouse.tenant","value":{"stringValue":"acme"}}]},"scopeSpans":[{"spans":[` +
		`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"chat","startTimeUnixNano":"` +
		itoa(ts.UnixNano()) + `","endTimeUnixNano":"` + itoa(ts.UnixNano()+1e9) + `","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}]}]}]}` + "\n"
	os.WriteFile(filepath.Join(dir, "b.otlp.json"), []byte(otlpDoc), 0o600)

	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	o := sources.FileOptions{Stdin: strings.NewReader(ev("e1")), Warn: &warn}
	for _, name := range []string{"-", filepath.Join(dir, "a.ndjson.gz"), filepath.Join(dir, "b.otlp.json")} {
		if err := sources.ReadFile(ctx, p, name, o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	sum, err := p.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 3 || sum.Rejected != 1 || sum.Errors[0].Line != 2 || !strings.HasSuffix(sum.Errors[0].Origin, "a.ndjson.gz") {
		t.Fatalf("summary %+v", sum)
	}
	if !strings.Contains(warn.String(), "1 span(s) in 1 request(s)") {
		t.Errorf("OTLP file summary: %q", warn.String())
	}
	rows, err := s.Conn.Query(ctx, "SELECT source, count() FROM agent_events GROUP BY source ORDER BY source")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var src string
		var n uint64
		if err := rows.Scan(&src, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, src+"="+itoa(int64(n)))
	}
	if strings.Join(got, ",") != "envelope=2,otlp=1" {
		t.Errorf("sources %v", got)
	}
	if err := sources.ReadFile(ctx, p, filepath.Join(dir, "missing.ndjson"), o); err == nil {
		t.Error("a missing file reads")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
