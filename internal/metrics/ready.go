package metrics

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/schema"
)

// Ready serves /readyz: 200 when the store answers and its schema is at
// this binary's version (every embedded migration applied, none newer),
// 503 with the reason otherwise. It is a readiness probe, checked within
// timeout (0 means 5 s); /healthz stays the liveness probe.
func Ready(conn driver.Conn, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		msg, err := readiness(ctx, conn)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
		fmt.Fprintln(w, msg)
	})
}

// readiness says what the store's schema is, or why serve is not ready.
func readiness(ctx context.Context, conn driver.Conn) (string, error) {
	if err := conn.Ping(ctx); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	migs, err := schema.Migrations()
	if err != nil {
		return "", err
	}
	want := migs[len(migs)-1].Version
	pending, err := schema.Pending(ctx, conn)
	if err != nil {
		return "", err
	}
	if len(pending) > 0 {
		return "", fmt.Errorf("schema: %d migration(s) pending (first: %s); the binary needs version %d: run `evalhouse migrate`", len(pending), pending[0].Name, want)
	}
	applied, err := schema.AppliedMigrations(ctx, conn)
	if err != nil {
		return "", err
	}
	if at := applied[len(applied)-1].Version; at > want {
		return "", fmt.Errorf("schema: the store is at version %d, newer than this binary's %d: run the newer binary (or restore the store)", at, want)
	}
	return fmt.Sprintf("ready: schema version %d", want), nil
}
