package releases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/gate"
)

// Snapshot is the release record at one moment: what the release ran
// with, as its events say (in one environment when Environment is set),
// and the dataset versions its gate decisions used. Each stage transition
// keeps the snapshot taken when it was recorded (Stage.Evidence).
type Snapshot struct {
	Release string `json:"release"`
	// Environment is the environment the events were read in; "" is
	// every environment.
	Environment string    `json:"environment,omitempty"`
	TakenAt     time.Time `json:"taken_at"`
	// Models are the models its model events called; Prompts the prompt
	// versions they used; Policies the policy versions its policy events
	// decided with; each with its events and first and last event.
	Models   []Version `json:"models"`
	Prompts  []Version `json:"prompt_versions"`
	Tools    []Tool    `json:"tools"`
	Policies []Version `json:"policy_versions"`
	// Datasets are the dataset versions its gate decisions judged it on
	// (every environment: a gate judges a release before it ships).
	Datasets []gate.DatasetUse `json:"datasets"`
	Export   Export            `json:"trace_export"`
	// Seen is where it ran: per environment and tenant.
	Seen []Seen `json:"seen"`
	// Warnings say what the record cannot show: no events at all, events
	// but no run events.
	Warnings []string `json:"warnings,omitempty"`
}

// Version is one value the release's events carry (a model, a prompt
// version, a policy version, an event kind, a contract violation): how
// many events carry it, the first and the last.
type Version struct {
	Name      string    `json:"name"`
	Events    uint64    `json:"events"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Tool is one tool the release's tool events called, with the schema
// versions they named in attribute evalhouse.tool.schema_version (none
// when they named none).
type Tool struct {
	Version
	SchemaVersions []string `json:"schema_versions"`
}

// Export is the trace export status: the events and runs stored, the
// events per kind, the events that break the trace contract and the
// violations they carry, the first and last event, and when the last
// event was stored.
type Export struct {
	Events          uint64    `json:"events"`
	Runs            uint64    `json:"runs"`
	Kinds           []Version `json:"kinds"`
	ViolatingEvents uint64    `json:"violating_events"`
	Violations      []Version `json:"violations"`
	FirstEvent      time.Time `json:"first_event,omitzero"`
	LastEvent       time.Time `json:"last_event,omitzero"`
	LastStored      time.Time `json:"last_stored,omitzero"`
}

// Seen is the release's events in one environment for one tenant.
type Seen struct {
	Environment     string    `json:"environment"`
	Tenant          string    `json:"tenant"`
	Events          uint64    `json:"events"`
	Runs            uint64    `json:"runs"`
	ViolatingEvents uint64    `json:"violating_events"`
	FirstSeen       time.Time `json:"first_seen"`
	LastSeen        time.Time `json:"last_seen"`
}

// Read takes the release record of release now, from its events in
// environment ("" for every environment) and its gate decisions. A
// release with no events is a record with a warning, not an error.
func Read(ctx context.Context, conn driver.Conn, release, environment string) (*Snapshot, error) {
	if strings.TrimSpace(release) == "" {
		return nil, &FieldError{Field: "release", Problem: "required"}
	}
	// Stored texts are redacted at ingest: look the redacted form up.
	f := events.ReleaseFilter{Release: scrub(release), Environment: scrub(environment)}
	s := &Snapshot{Release: f.Release, Environment: f.Environment, TakenAt: time.Now().UTC().Truncate(time.Millisecond),
		Models: []Version{}, Prompts: []Version{}, Tools: []Tool{}, Policies: []Version{},
		Export: Export{Kinds: []Version{}, Violations: []Version{}}, Seen: []Seen{}}
	facets, err := events.ReleaseFacets(ctx, conn, f)
	if err != nil {
		return nil, fmt.Errorf("releases: record of %s: %w", f.Release, err)
	}
	for _, fc := range facets {
		v := Version{Name: fc.Value, Events: fc.Events, FirstSeen: fc.First, LastSeen: fc.Last}
		switch fc.Facet {
		case events.FacetModel:
			s.Models = append(s.Models, v)
		case events.FacetPrompt:
			s.Prompts = append(s.Prompts, v)
		case events.FacetPolicy:
			s.Policies = append(s.Policies, v)
		case events.FacetTool:
			sv := fc.SchemaVersions
			if sv == nil {
				sv = []string{}
			}
			s.Tools = append(s.Tools, Tool{Version: v, SchemaVersions: sv})
		case events.FacetKind:
			s.Export.Kinds = append(s.Export.Kinds, v)
		case events.FacetViolation:
			s.Export.Violations = append(s.Export.Violations, v)
		}
	}
	seen, err := events.ReleaseSeenBy(ctx, conn, f)
	if err != nil {
		return nil, fmt.Errorf("releases: record of %s: %w", f.Release, err)
	}
	x := &s.Export
	for _, r := range seen {
		s.Seen = append(s.Seen, Seen{Environment: r.Environment, Tenant: r.Tenant, Events: r.Events, Runs: r.Runs,
			ViolatingEvents: r.Violating, FirstSeen: r.First, LastSeen: r.Last})
		x.Events += r.Events
		x.Runs += r.Runs
		x.ViolatingEvents += r.Violating
		if x.FirstEvent.IsZero() || r.First.Before(x.FirstEvent) {
			x.FirstEvent = r.First
		}
		x.LastEvent = later(x.LastEvent, r.Last)
		x.LastStored = later(x.LastStored, r.LastIngested)
	}
	if s.Datasets, err = gate.DatasetsUsed(ctx, conn, f.Release); err != nil {
		return nil, fmt.Errorf("releases: record of %s: %w", f.Release, err)
	}
	if s.Datasets == nil {
		s.Datasets = []gate.DatasetUse{}
	}
	where := ""
	if f.Environment != "" {
		where = " in environment " + f.Environment
	}
	switch {
	case x.Events == 0:
		s.Warnings = append(s.Warnings, fmt.Sprintf("no events of release %s%s: the record holds no traffic (is the release name right? is its telemetry exported?)", f.Release, where))
	case x.Runs == 0:
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d event(s) of release %s%s but no run event: the trace export is incomplete", x.Events, f.Release, where))
	}
	return s, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
