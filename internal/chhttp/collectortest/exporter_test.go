// Package collectortest_test drives the ClickHouse interface with the
// OpenTelemetry Collector's clickhouseexporter, as a deployment that points
// its Collector at `serve --clickhouse-listen` does. It is a package of its
// own so that the Collector's modules stay out of every other package's
// imports (and out of the evalhouse binary).
package collectortest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/clickhouseexporter"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

// The exporter with its default configuration (lz4 block compression,
// create_schema, the sending queue) exports traces into the interface;
// every span lands, counted in the table it created.
func TestClickHouseExporterWithDefaults(t *testing.T) {
	s := storetest.New(t)
	h := chhttp.New(storetest.Engine(t), t.TempDir(), nil)
	var lz4Inserts atomic.Int64 // inserts whose body came as lz4 blocks
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("decompress") == "1" && q.Get("network_compression_method") == "LZ4" {
			lz4Inserts.Add(1)
		}
		// The exporter creates its schema (DDL): it is configured with an
		// admin key, whose principal serve's key guard would put here.
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Name: "collector", Role: auth.RoleAdmin})))
	}))
	defer srv.Close()

	f := clickhouseexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*clickhouseexporter.Config)
	cfg.Endpoint = srv.URL
	cfg.Database = s.Database
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exp, err := f.CreateTraces(ctx, exportertest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatalf("start (create_schema through the interface): %v", err)
	}
	const requests, perRequest = 20, 500
	now := time.Now()
	for r := range requests {
		if err := exp.ConsumeTraces(ctx, traces(r, perRequest, now)); err != nil {
			t.Fatalf("request %d: %v", r, err)
		}
	}
	if err := exp.Shutdown(ctx); err != nil { // drains the queue
		t.Fatalf("shutdown: %v", err)
	}
	out, err := storetest.Engine(t).Query(s.Database,
		"SELECT count(), uniqExact(TraceId), countIf(SpanAttributes['gen_ai.request.model'] = 'model-3') FROM otel_traces", "TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d\t%d\t%d", requests*perRequest, requests*perRequest/10, requests*perRequest/5)
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("rows landed (count, traces, model-3 spans): %s, want %s", got, want)
	}
	if lz4Inserts.Load() == 0 {
		t.Fatal("no insert came lz4-compressed: the exporter's default is no longer lz4")
	}
	t.Logf("%d spans exported with lz4 and counted in %s.otel_traces", requests*perRequest, s.Database)
}

// traces is one export request: n spans, ten to a trace, stamped just
// before now.
func traces(req, n int, now time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "agent-under-test")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range n {
		k := req*n + i
		sp := spans.AppendEmpty()
		var tid pcommon.TraceID
		copy(tid[:], fmt.Sprintf("%016d", k/10))
		var sid pcommon.SpanID
		copy(sid[:], fmt.Sprintf("%08d", k))
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		sp.SetName("llm.call")
		start := now.Add(-time.Duration(k+1) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Millisecond)))
		sp.Attributes().PutStr("gen_ai.request.model", "model-"+strconv.Itoa(k%5))
		sp.Attributes().PutInt("gen_ai.usage.input_tokens", int64(k))
	}
	return td
}
