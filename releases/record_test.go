package releases_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/releases"
)

func names(vs []releases.Version) string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s:%d", v.Name, v.Events))
	}
	return strings.Join(out, " ")
}

// The release record lists what the events say the release ran with —
// both models, both prompt versions, the tools and their schema versions,
// both policy versions — the dataset version its gates used, the trace
// export status, and where it was seen; an environment narrows it.
func TestReadListsTheVersionsInTheEvents(t *testing.T) {
	s := migrated(t)
	now := traffic(t, s)
	ctx := context.Background()
	r, err := releases.Read(ctx, s.Conn, "4.0", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"models", names(r.Models), "m1:2 m2:1"},
		{"prompt versions", names(r.Prompts), "p1:2 p2:1"},
		{"policy versions", names(r.Policies), "pol-1:1 pol-2:1"},
		{"kinds", names(r.Export.Kinds), "model:3 policy:2 run:3 tool:3"},
		{"violations", names(r.Export.Violations), "stop_reason:1"},
		{"tools", fmt.Sprint(r.Tools[0].Name, r.Tools[0].SchemaVersions, r.Tools[1].Name, r.Tools[1].Events, r.Tools[1].SchemaVersions), "lookup[]refund2 [3 v2]"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if m1 := r.Models[0]; !m1.FirstSeen.Equal(now.Add(-3*time.Hour+time.Second)) || !m1.LastSeen.Equal(now.Add(-49*time.Minute)) {
		t.Errorf("m1 seen %v – %v", m1.FirstSeen, m1.LastSeen)
	}
	if len(r.Datasets) != 1 || r.Datasets[0].Dataset != "support-bot@v2" || r.Datasets[0].Verdict != "pass" || r.Datasets[0].Decisions != 2 {
		t.Errorf("datasets = %+v", r.Datasets)
	}
	x := r.Export
	if x.Events != 11 || x.Runs != 3 || x.ViolatingEvents != 1 || !x.FirstEvent.Equal(now.Add(-3*time.Hour)) || !x.LastEvent.Equal(now.Add(-16*time.Minute)) ||
		x.LastStored.Before(now.Add(-time.Minute)) {
		t.Errorf("export = %+v", x)
	}
	var seen []string
	for _, v := range r.Seen {
		seen = append(seen, fmt.Sprintf("%s/%s:%d", v.Environment, v.Tenant, v.Events))
	}
	if got := strings.Join(seen, " "); got != "production/acme:4 production/globex:5 staging/acme:2" {
		t.Errorf("seen = %s", got)
	}
	if g := r.Seen[1]; !g.FirstSeen.Equal(now.Add(-20*time.Minute)) || !g.LastSeen.Equal(now.Add(-16*time.Minute)) || g.ViolatingEvents != 1 || g.Runs != 1 {
		t.Errorf("production/globex = %+v", g)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings = %v", r.Warnings)
	}

	st, err := releases.Read(ctx, s.Conn, "4.0", "staging")
	if err != nil {
		t.Fatal(err)
	}
	if st.Environment != "staging" || names(st.Models) != "m1:1" || len(st.Tools) != 0 || len(st.Seen) != 1 || st.Export.Events != 2 || len(st.Datasets) != 1 {
		t.Errorf("staging record = %+v", st)
	}

	none, err := releases.Read(ctx, s.Conn, "9.9", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(none.Warnings) != 1 || !strings.Contains(none.Warnings[0], "no events of release 9.9") || none.Models == nil || none.Seen == nil {
		t.Errorf("unknown release = %+v", none)
	}
	if _, err := releases.Read(ctx, s.Conn, " ", ""); err == nil || !strings.Contains(err.Error(), "release: required") {
		t.Errorf("no release: %v", err)
	}
}
