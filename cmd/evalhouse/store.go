package main

import (
	"context"
	"fmt"

	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/schema"
)

// openMigrated opens the store for commands that need the schema. An
// embedded store is migrated on the spot (this process owns it); a server
// must be migrated explicitly, so a release never changes a shared schema
// by surprise.
func (a *app) openMigrated(ctx context.Context) (*store.Store, error) {
	s, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	if s.Embedded() {
		if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, a.log); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	pending, err := schema.Pending(ctx, s.Conn)
	if err != nil {
		s.Close()
		return nil, err
	}
	if len(pending) > 0 {
		s.Close()
		return nil, fmt.Errorf("store %s lacks %d schema migration(s) (first: %s): run `evalhouse migrate --store …` first", s.DSN, len(pending), pending[0].Name)
	}
	return s, nil
}
