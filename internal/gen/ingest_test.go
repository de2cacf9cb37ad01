package gen_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/gen"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// Ingest with Strict accepts every generated event: none rejected, none
// expired, no contract violation, nothing redacted (the text holds no
// secret), no duplicate; and the store holds each kind as often as Stats
// says.
func TestStrictIngestAcceptsAll(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	out, st := generate(t, gen.Config{Events: 20000, Seed: 11, Now: time.Now()})
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Strict: true, Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadNDJSON(ctx, "generated", bytes.NewReader(out)); err != nil {
		t.Fatal(err)
	}
	sum, err := p.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != st.Events || sum.Rejected != 0 || sum.Expired != 0 || sum.Duplicates != 0 ||
		sum.Redactions.Total() != 0 || sum.ViolatingEvents != 0 {
		t.Fatalf("ingest summary %+v, want all %d accepted and nothing else", sum, st.Events)
	}
	rows, err := s.Conn.Query(ctx, "SELECT toString(kind), count() FROM agent_events GROUP BY kind")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var kind string
		var n uint64
		if err := rows.Scan(&kind, &n); err != nil {
			t.Fatal(err)
		}
		seen++
		for k, want := range st.Kinds {
			if string(k) == kind && int(n) != want {
				t.Errorf("%d %s events stored, want %d", n, kind, want)
			}
		}
	}
	if seen != 8 {
		t.Errorf("%d kinds stored, want 8", seen)
	}
}
