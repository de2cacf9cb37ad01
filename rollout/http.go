package rollout

import (
	"io"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/httpjson"
)

// MaxBody bounds a posted config.
const MaxBody = 1 << 20

// HandlerOptions are what serve gives the stage gates' handler.
type HandlerOptions struct {
	// RulesDir resolves a posted config's rules: to one of the server's
	// rules directories (gate.ResolveRulesDir over serve --rules-dir), or
	// refuses it. Nil refuses every config with a rule check.
	RulesDir func(name string) (string, error)
	// OnDecision is told of every decision made, before it is answered.
	OnDecision func(*Decision)
	// Options fill what the query does not (the release record).
	Options Options
}

// Handler evaluates a posted stage gate (POST /v1/gates, handed on by the
// gate's handler):
//
//	POST /v1/gates[?release=R&baseline=B&window=30m&commit=SHA&owner=O]
//	     body: a stage gate config (YAML or JSON, with stage:)
//
// 200 with the decision whatever its verdict (exit_code in the body, so a
// deploy pipeline asks "may canary expand?" and branches on it); 400 for
// a bad query or a rules: that is not one of the server's; 413 for a body
// over MaxBody (a cut config could parse, checks missing); 503 with the
// decision when the store refused to record it, or with an error when the
// store failed before a decision.
func Handler(conn driver.Conn, ho HandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok && p.Tenant != "" {
			httpjson.Error(w, http.StatusForbidden, "stage gates judge every tenant of a cohort: a tenant-scoped key ("+p.Tenant+") may not run them")
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			httpjson.Error(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		if len(body) > MaxBody {
			httpjson.Error(w, http.StatusRequestEntityTooLarge, "a stage gate config is at most 1 MiB")
			return
		}
		q := r.URL.Query()
		opts := ho.Options
		opts.Release, opts.Baseline, opts.Commit, opts.Owner = q.Get("release"), q.Get("baseline"), q.Get("commit"), q.Get("owner")
		if p, ok := auth.FromContext(r.Context()); ok {
			opts.DecidedBy = "key " + p.Name
		}
		if v := q.Get("window"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				httpjson.Error(w, http.StatusBadRequest, "window: "+truncate(v, 40)+" is not a positive duration (30m, 1h)")
				return
			}
			opts.Window = d
		}
		decided := func(d *Decision) {
			if ho.OnDecision != nil {
				ho.OnDecision(d)
			}
		}
		cfg, err := ParseConfig(body)
		if err != nil {
			// An invalid config is a decision too, on record.
			d := Errored(&Config{}, opts, err)
			status := http.StatusOK
			if rerr := Record(r.Context(), conn, d); rerr != nil {
				d.StoreError, status = scrub(rerr.Error()), http.StatusServiceUnavailable
			}
			decided(d)
			httpjson.Write(w, status, d)
			return
		}
		if cfg.hasRuleChecks() {
			if ho.RulesDir == nil {
				httpjson.Error(w, http.StatusBadRequest, "rule checks need a rules directory: this server has none (serve --rules-dir DIR)")
				return
			}
			dir, err := ho.RulesDir(cfg.Rules)
			if err != nil {
				httpjson.Error(w, http.StatusBadRequest, "rules: "+err.Error())
				return
			}
			cfg.Rules = dir
		}
		d, err := Run(r.Context(), conn, cfg, opts)
		if d == nil {
			httpjson.Error(w, http.StatusServiceUnavailable, scrub(err.Error()))
			return
		}
		decided(d)
		status := http.StatusOK
		if !d.Stored {
			status = http.StatusServiceUnavailable
		}
		httpjson.Write(w, status, d)
	})
}
