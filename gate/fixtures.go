package gate

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
)

// DatasetFixtures lists the cases of a dataset version promoted from
// incidents, each with the first version that held it, as a gate on that
// version lists them. ref is NAME@vN, NAME@latest or NAME (its latest
// published version); a dataset or version the store does not hold is
// datasets.ErrNotFound.
func DatasetFixtures(ctx context.Context, conn driver.Conn, ref string) ([]Fixture, error) {
	ds := datasets.New(conn)
	v, err := ds.Resolve(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("gate: fixtures of %s: %w", ref, err)
	}
	cases, err := ds.Cases(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("gate: fixtures of %s: %w", v.Ref(), err)
	}
	return fixtures(ctx, ds, v, cases)
}
