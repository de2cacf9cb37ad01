// Package storetest gives tests a real store: the embedded engine, started
// once per test binary, with a fresh database per test that is dropped in
// t.Cleanup. Nothing here mocks ClickHouse.
package storetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/evalhouse/evalhouse/internal/chdb"
	"github.com/evalhouse/evalhouse/internal/store"
)

var (
	once    sync.Once
	engine  *chdb.Engine
	openErr error
	seq     atomic.Int64
)

// Engine returns the test binary's engine, starting it on first use in a
// temporary directory. Tests fail (not skip) when libchdb is missing:
// `make test` fetches it.
func Engine(t testing.TB) *chdb.Engine {
	t.Helper()
	once.Do(func() {
		dir, err := os.MkdirTemp("", "evalhouse-test-")
		if err != nil {
			openErr = err
			return
		}
		engine, openErr = chdb.Open(dir)
	})
	if openErr != nil {
		t.Fatalf("storetest: %v", openErr)
	}
	return engine
}

// New returns a store on a database of its own, named after the test.
func New(t testing.TB) *store.Store {
	t.Helper()
	e := Engine(t)
	db := fmt.Sprintf("t%d_%s", seq.Add(1), sanitize(t.Name()))
	s, err := store.FromEngine(context.Background(), e, db, nil)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		if os.Getenv("EVALHOUSE_KEEP_TEST_DB") == "" {
			e.Query("", "DROP DATABASE IF EXISTS `"+db+"` SYNC", "TabSeparated")
		}
	})
	return s
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}
