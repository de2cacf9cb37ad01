package releases

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/httpjson"
)

// The bounds of one GET's queries.
const (
	readTimeout = 30 * time.Second
	readMemory  = 2 << 30
)

// Prefix is the path Handler serves under.
const Prefix = "/v1/releases/"

// Known reports whether the store knows the release at all: it has
// events (in the record's environment), gate decisions or stage
// transitions.
func (r *Release) Known() bool {
	return r.Record.Export.Events > 0 || len(r.Record.Datasets) > 0 || len(r.Stages) > 0 || len(r.Decisions) > 0
}

// Unknown says why Known is false.
func (r *Release) Unknown() string {
	in := ""
	if r.Record.Environment != "" {
		in = " in environment " + r.Record.Environment
	}
	return "the store knows nothing of release " + r.Record.Release + ": no events" + in + ", gate decisions or stage transitions"
}

// DecisionsFunc reads a release's latest stage gate decisions (serve
// passes rollout's; this package does not import it).
type DecisionsFunc func(ctx context.Context, conn driver.Conn, release string) ([]Decision, error)

// Handler serves the release record and stage log for deploy pipelines
// that ask over HTTP:
//
//	GET /v1/releases/R[?environment=E]   {"record": …, "stages": […], "stage_decisions": […]} (Show)
//
// 200 with the release as body; 404 when the store knows nothing of R (no
// events, gate decisions or stage transitions); 400 without a release
// name; 405 for another method; 503 when the store fails. Who may GET is
// the key guard's business in front of this handler (role read; gate and
// admin read too). The record spans tenants (where the release was seen,
// each stage's cohort and evidence): a key confined to one tenant is
// refused (403), as it is for gate decisions.
func Handler(conn driver.Conn, decisions DecisionsFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok {
			if !p.Can(auth.RoleRead) {
				httpjson.Error(w, http.StatusForbidden, "key "+p.Name+" (role "+string(p.Role)+") may not read releases: it needs role read")
				return
			}
			if p.Tenant != "" {
				httpjson.Error(w, http.StatusForbidden, "the release record spans tenants: a tenant-scoped key ("+p.Tenant+") may not read it")
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			httpjson.Error(w, http.StatusMethodNotAllowed, "use GET")
			return
		}
		rel := strings.TrimPrefix(r.URL.Path, Prefix)
		if rel == r.URL.Path || strings.TrimSpace(rel) == "" {
			httpjson.Error(w, http.StatusBadRequest, "name a release: GET "+Prefix+"RELEASE[?environment=E]")
			return
		}
		// A release's record scans its events: bound it as /ui bounds a report.
		ctx, cancel := context.WithTimeout(r.Context(), readTimeout+5*time.Second)
		defer cancel()
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
			"max_execution_time": int(readTimeout.Seconds()), "max_memory_usage": int64(readMemory)}))
		res, err := Show(ctx, conn, rel, r.URL.Query().Get("environment"))
		if err == nil && decisions != nil {
			res.Decisions, err = decisions(ctx, conn, res.Record.Release)
		}
		var fe *FieldError
		switch {
		case errors.As(err, &fe):
			httpjson.Error(w, http.StatusBadRequest, err.Error())
			return
		case err != nil:
			httpjson.Error(w, http.StatusServiceUnavailable, scrub(err.Error()))
			return
		case !res.Known():
			httpjson.Error(w, http.StatusNotFound, res.Unknown())
			return
		}
		httpjson.Write(w, http.StatusOK, res)
	})
}
