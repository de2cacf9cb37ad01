// Package metrics is what serve exposes at /metrics, in the Prometheus
// exposition format: ingest outcomes (from each pipeline's summary when it
// closes), store inserts and queries, requests and bytes in flight, rate
// limiting, Kafka lag and commits, and gate decisions by verdict. All of
// it lives in one prometheus.Registry that New creates: there is no
// package-global state, so each serve (and each test) has its own.
//
// The series are listed, with what to alert on, in docs/operations.md.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest"
	kafkasrc "github.com/evalhouse/evalhouse/ingest/kafka"
	"github.com/evalhouse/evalhouse/internal/httpbody"
	"github.com/evalhouse/evalhouse/rollout"
)

// Metrics holds serve's collectors. Its methods are the hooks serve
// passes to the packages it wires (ingest.Options.OnClose,
// ingest.Writer.ObserveInserts, gate.OnDecision, …); all are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	events      *prometheus.CounterVec
	redactions  *prometheus.CounterVec
	inserts     *prometheus.HistogramVec
	insertRows  prometheus.Counter
	queries     *prometheus.HistogramVec
	decisions   *prometheus.CounterVec
	stages      *prometheus.CounterVec
	rateLimited prometheus.Counter
	requests    *prometheus.CounterVec
	durations   *prometheus.HistogramVec
}

// Outcomes of an event, the outcome label of evalhouse_ingest_events_total.
const (
	OutcomeAccepted  = "accepted"
	OutcomeRejected  = "rejected"
	OutcomeExpired   = "expired"
	OutcomeDuplicate = "duplicate"
)

// New returns metrics in a registry of their own, with the Go runtime's and
// the process's collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evalhouse_ingest_events_total",
		Help: "Events by source (http, otlp, kafka) and outcome (accepted: stored; rejected; expired: past retention on arrival; duplicate: already stored).",
	}, []string{"source", "outcome"})
	m.redactions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evalhouse_ingest_redactions_total",
		Help: "Secrets redacted from events, by type.",
	}, []string{"type"})
	m.inserts = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "evalhouse_store_insert_duration_seconds",
		Help:    "Batch inserts of agent_events rows by the ingest Writer, by result (ok, error).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"result"})
	m.insertRows = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evalhouse_store_inserted_rows_total",
		Help: "Rows the ingest Writer's inserts stored.",
	})
	m.queries = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "evalhouse_store_query_duration_seconds",
		Help:    "Calls serve made to the store, by operation (query, query_row, select, exec, insert, ping) and result (ok, error); a query's time runs until its rows are closed.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"op", "result"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evalhouse_gate_decisions_total",
		Help: "Gate decisions made by POST /v1/gates, by verdict.",
	}, []string{"verdict"})
	m.stages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evalhouse_stage_decisions_total",
		Help: "Stage gate decisions made by POST /v1/gates, by verdict (expand, rollback, hold, narrow, error).",
	}, []string{"verdict"})
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evalhouse_http_rate_limited_total",
		Help: "Requests refused with 429 because their key (or, without one, their address) was over its rate.",
	})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evalhouse_http_requests_total",
		Help: "HTTP requests answered, by handler and status code.",
	}, []string{"handler", "code"})
	m.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "evalhouse_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by handler.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"handler"})
	m.reg.MustRegister(m.events, m.redactions, m.inserts, m.insertRows, m.queries, m.decisions, m.stages, m.rateLimited,
		m.requests, m.durations, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series an alert reads exist from the start, at 0.
	for _, src := range []string{"http", "otlp", "kafka"} {
		for _, o := range []string{OutcomeAccepted, OutcomeRejected, OutcomeExpired, OutcomeDuplicate} {
			m.events.WithLabelValues(src, o)
		}
	}
	for _, v := range []gate.Verdict{gate.Pass, gate.Fail, gate.Warn, gate.Hold, gate.VerdictError} {
		m.decisions.WithLabelValues(string(v))
	}
	for _, v := range []rollout.Verdict{rollout.Expand, rollout.Rollback, rollout.Hold, rollout.Narrow, rollout.VerdictError} {
		m.stages.WithLabelValues(string(v))
	}
	m.inserts.WithLabelValues("ok")
	m.inserts.WithLabelValues("error")
	return m
}

// Registry is the registry every collector is in (to add one, or to
// gather in a test).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// IngestClosed counts a closed ingest's summary: its events by outcome and
// its redactions by type. It is an ingest.Options.OnClose.
func (m *Metrics) IngestClosed(source string, sum ingest.Summary) {
	for o, n := range map[string]int{OutcomeAccepted: sum.Accepted, OutcomeRejected: sum.Rejected,
		OutcomeExpired: sum.Expired, OutcomeDuplicate: sum.Duplicates} {
		if n > 0 {
			m.events.WithLabelValues(source, o).Add(float64(n))
		}
	}
	for typ, n := range sum.Redactions {
		if n > 0 {
			m.redactions.WithLabelValues(typ).Add(float64(n))
		}
	}
}

// Inserted observes one insert of the ingest Writer. It is an
// ingest.Writer.ObserveInserts function.
func (m *Metrics) Inserted(rows int, took time.Duration, err error) {
	if err != nil {
		m.inserts.WithLabelValues("error").Observe(took.Seconds())
		return
	}
	m.inserts.WithLabelValues("ok").Observe(took.Seconds())
	m.insertRows.Add(float64(rows))
}

// Decided counts a gate decision by its verdict. It is a gate.OnDecision
// function.
func (m *Metrics) Decided(d *gate.Decision) {
	m.decisions.WithLabelValues(string(d.Verdict)).Inc()
}

// StageDecided counts a stage gate's decision by its verdict.
func (m *Metrics) StageDecided(d *rollout.Decision) {
	m.stages.WithLabelValues(string(d.Verdict)).Inc()
}

// RateLimited counts a request refused for its rate (a
// ratelimit.Limiter's OnLimit; the key is not a label: addresses are
// unbounded).
func (m *Metrics) RateLimited(string) { m.rateLimited.Inc() }

// WatchInFlight exposes b's requests and bytes in flight, and its bounds.
func (m *Metrics) WatchInFlight(b *httpbody.Budget) {
	maxReq, maxBytes := b.Max()
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evalhouse_http_in_flight_requests", Help: "Ingest requests being served (their bodies read)."},
			func() float64 { n, _ := b.InFlight(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evalhouse_http_in_flight_bytes", Help: "Body bytes held by ingest requests being read or served."},
			func() float64 { _, n := b.InFlight(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evalhouse_http_in_flight_requests_limit", Help: "Most ingest requests served at once (--max-in-flight)."},
			func() float64 { return float64(maxReq) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evalhouse_http_in_flight_bytes_limit", Help: "Most body bytes held at once (--max-in-flight-bytes)."},
			func() float64 { return float64(maxBytes) }),
	)
}

// WatchKafka exposes a Kafka source's lag, commits and retries, read from
// stats at each scrape.
func (m *Metrics) WatchKafka(stats func() kafkasrc.Stats) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evalhouse_kafka_lag_messages", Help: "Messages of the assigned partitions past their durable position."},
			func() float64 { return float64(stats().Lag) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "evalhouse_kafka_commits_total", Help: "Successful offset commits."},
			func() float64 { return float64(stats().Commits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "evalhouse_kafka_retries_total", Help: "Batches read again after a store failure."},
			func() float64 { return float64(stats().Retries) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "evalhouse_kafka_dead_lettered_total", Help: "Records written to the dead-letter topic."},
			func() float64 { return float64(stats().DeadLettered) }),
	)
}

// Instrument counts h's answers by status code and times them, under the
// handler label name.
func (m *Metrics) Instrument(name string, h http.Handler) http.Handler {
	l := prometheus.Labels{"handler": name}
	return promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(l),
		promhttp.InstrumentHandlerDuration(m.durations.MustCurryWith(l), h))
}
