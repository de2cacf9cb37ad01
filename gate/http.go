package gate

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/httpjson"
)

// Handler serves gate decisions for CI systems that query instead of
// running the binary:
//
//	GET  /v1/gates?release=R[&dataset=NAME[@vN|@latest]]  the last stored decision (404 if none)
//	POST /v1/gates[?release=R&baseline=B&change_type=prompt,tool&commit=SHA&owner=O]
//	     body: a gate config (YAML or JSON); evaluates, stores and returns the decision
//	     (a stage gate's config goes to the StageGates handler)
//
// The HTTP status is 200 whenever a decision was made and stored, whatever
// its verdict; the verdict and exit_code are in the body. A dataset that is
// not NAME, NAME@vN or NAME@latest is 400. A decision the store refused is
// 503 with the decision as body (verdict error, exit_code 3, stored false).
//
// Rules come only from the directories the server was started with
// (RulesDirs; serve --rules-dir): a posted config's rules: names one of
// them (Config.UseRulesDir), or is omitted when there is one. A config
// naming any other path is 400, whether or not that path exists; without
// RulesDirs, every POST is 400. Who may GET or POST is the key guard's
// business in front of this handler (read or gate role; gate to POST).
func Handler(conn driver.Conn, opts ...HandlerOption) http.Handler {
	var hc handlerConfig
	for _, o := range opts {
		o(&hc)
	}
	rulesDirs := hc.rulesDirs
	decided := func(d *Decision) {
		if hc.onDecision != nil {
			hc.onDecision(d)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A gate judges every tenant's runs of a release, and its
		// evidence names them: a key confined to one tenant may not read
		// or make decisions.
		if p, ok := auth.FromContext(r.Context()); ok && p.Tenant != "" {
			httpjson.Error(w, http.StatusForbidden, "gate decisions span tenants: a tenant-scoped key ("+p.Tenant+") may not read or run them")
			return
		}
		q := r.URL.Query()
		switch r.Method {
		case http.MethodGet:
			rel := q.Get("release")
			if rel == "" {
				httpjson.Error(w, http.StatusBadRequest, "release is required")
				return
			}
			d, err := Last(r.Context(), conn, rel, q.Get("dataset"))
			if errors.Is(err, ErrBadRef) {
				httpjson.Error(w, http.StatusBadRequest, err.Error())
				return
			}
			if err != nil {
				httpjson.Error(w, http.StatusServiceUnavailable, err.Error())
				return
			}
			if d == nil {
				httpjson.Error(w, http.StatusNotFound, "no gate decision for release "+rel)
				return
			}
			httpjson.Write(w, http.StatusOK, d)
		case http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				httpjson.Error(w, http.StatusBadRequest, err.Error())
				return
			}
			if len(body) > maxBody { // cut, a config could parse with checks missing
				httpjson.Error(w, http.StatusRequestEntityTooLarge, "a gate config is at most 1 MiB")
				return
			}
			if hc.isStage != nil && hc.isStage(body) {
				r.Body = io.NopCloser(bytes.NewReader(body))
				hc.stage.ServeHTTP(w, r)
				return
			}
			opts := Options{Release: q.Get("release"), Baseline: q.Get("baseline"), Commit: q.Get("commit"), Owner: q.Get("owner")}
			if p, ok := auth.FromContext(r.Context()); ok {
				opts.DecidedBy = "key " + p.Name
			}
			if ct := q.Get("change_type"); ct != "" {
				opts.ChangeTypes = strings.Split(ct, ",")
			}
			cfg, err := ParseConfig(body)
			if err != nil {
				d := Errored(nil, opts, err)
				decided(d)
				httpjson.Write(w, http.StatusOK, d)
				return
			}
			if err := cfg.UseRulesDir(rulesDirs); err != nil {
				httpjson.Error(w, http.StatusBadRequest, err.Error())
				return
			}
			d, err := Run(r.Context(), conn, cfg, opts)
			if d == nil {
				httpjson.Error(w, http.StatusServiceUnavailable, err.Error())
				return
			}
			decided(d)
			status := http.StatusOK
			if !d.Stored {
				status = http.StatusServiceUnavailable
			}
			httpjson.Write(w, status, d)
		default:
			w.Header().Set("Allow", "GET, POST")
			httpjson.Error(w, http.StatusMethodNotAllowed, "use GET or POST")
		}
	})
}

// maxBody bounds a posted config.
const maxBody = 1 << 20

// HandlerOption configures Handler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	onDecision func(*Decision)
	rulesDirs  []string
	isStage    func([]byte) bool
	stage      http.Handler
}

// StageGates has POST /v1/gates hand a body isStage recognizes (a stage
// gate's config) to h, with the body as read; the tenant-scope check has
// been made. serve passes rollout's handler, which this package does not
// know.
func StageGates(isStage func([]byte) bool, h http.Handler) HandlerOption {
	return func(c *handlerConfig) { c.isStage, c.stage = isStage, h }
}

// RulesDirs are the directories posted configs may take their rules from.
func RulesDirs(dirs ...string) HandlerOption {
	return func(c *handlerConfig) { c.rulesDirs = append(c.rulesDirs, dirs...) }
}

// OnDecision has fn told of every decision POST /v1/gates makes (stored
// or not; a config that does not parse is an error decision), before it
// is answered: serve counts them by verdict. fn must not block or keep d.
func OnDecision(fn func(d *Decision)) HandlerOption {
	return func(c *handlerConfig) { c.onDecision = fn }
}
