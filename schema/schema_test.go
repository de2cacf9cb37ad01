package schema

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/evalhouse/evalhouse/internal/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	res, err := Migrate(ctx, s.Conn, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	migs, _ := Migrations()
	if len(res.Applied) != len(migs) || res.Current != migs[len(migs)-1].Version {
		t.Fatalf("first run applied %d of %d, current %d", len(res.Applied), len(migs), res.Current)
	}
	res, err = Migrate(ctx, s.Conn, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 {
		t.Fatalf("second run applied %d migrations", len(res.Applied))
	}
	applied, err := AppliedMigrations(ctx, s.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(migs) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(applied), len(migs))
	}
	for _, table := range []string{"agent_events", "run_summaries", "model_usage_hourly", "datasets", "dataset_items",
		"eval_results", "incidents", "gate_decisions", "ingest_log", "api_keys", "stage_decisions", "release_stages"} {
		var n uint64
		if err := s.Conn.QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

func TestMigrateRefusesChangedMigration(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	v1 := fstest.MapFS{"m/0001_a.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = {{engine \"a\" \"MergeTree\"}} ORDER BY x;\n")}}
	migs, err := load(v1, "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, s.Conn, migs, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	v1["m/0001_a.sql"].Data = []byte("CREATE TABLE IF NOT EXISTS a (x UInt16) ENGINE = MergeTree ORDER BY x;\n")
	v1["m/0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree ORDER BY x;\n")}
	migs, _ = load(v1, "m")
	_, err = migrate(ctx, s.Conn, migs, Options{}, nil)
	if !errors.Is(err, ErrChecksumMismatch) || !strings.Contains(err.Error(), "0001_a.sql") {
		t.Fatalf("want checksum mismatch naming 0001_a.sql, got %v", err)
	}
	// Nothing after the changed migration ran.
	var n uint64
	s.Conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'b'").Scan(&n)
	if n != 0 {
		t.Fatal("migration 0002 ran despite the checksum mismatch")
	}
}

func TestLoadRejectsBadNames(t *testing.T) {
	_, err := load(fstest.MapFS{"m/1_a.sql": {Data: []byte("SELECT 1")}}, "m")
	if err == nil || !strings.Contains(err.Error(), "NNNN_name.sql") {
		t.Fatalf("got %v", err)
	}
}

// Cluster mode can't run here (no Keeper), so every rendered statement is
// checked by the engine's own parser, and the rendering is checked for
// ON CLUSTER and Replicated engines.
func TestClusterRenderingParses(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {Cluster: "evalhouse"}, {Cluster: "{cluster}"}} {
		stmts := []string{bookkeeping(opts)}
		for _, m := range migs {
			ss, err := m.Statements(opts)
			if err != nil {
				t.Fatal(err)
			}
			stmts = append(stmts, ss...)
		}
		for _, st := range stmts {
			var formatted string
			if err := s.Conn.QueryRow(ctx, "SELECT formatQuery(?)", st).Scan(&formatted); err != nil {
				t.Fatalf("cluster %q: engine rejects:\n%s\n%v", opts.Cluster, st, err)
			}
			if opts.Cluster == "" {
				if strings.Contains(formatted, "ON CLUSTER") || strings.Contains(formatted, "Replicated") {
					t.Errorf("plain rendering has cluster syntax: %s", formatted)
				}
				continue
			}
			// DDL carries ON CLUSTER; a refill (INSERT … SELECT) has none:
			// it writes the replicated table of the shard it runs on.
			if !strings.Contains(formatted, "ON CLUSTER") && !strings.HasPrefix(formatted, "INSERT INTO") {
				t.Errorf("cluster %q: statement lacks ON CLUSTER: %s", opts.Cluster, formatted)
			}
			if strings.Contains(formatted, "ENGINE =") && !strings.Contains(formatted, "ENGINE = Replicated") {
				t.Errorf("cluster %q: table not Replicated: %s", opts.Cluster, formatted)
			}
		}
	}
	if _, err := migs[0].Statements(Options{Cluster: "x'; DROP"}); err == nil {
		t.Fatal("a cluster name with quotes was accepted")
	}
}
