package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/internal/sqlguard"
)

func (a *app) sqlCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   `sql "SELECT …"`,
		Short: "Run a read-only query against the store",
		Long: `Run one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS)
and print the result. The store enforces read-only itself: the statement runs
on a read-only engine connection (no writes, DDL, SET, SYSTEM, nor table
functions that reach files or the network), and the engine's own parser
refuses several statements at once, INTO OUTFILE, BACKUP and the file()
function. Obvious writes are refused up front with a shorter message.

Tables: agent_events (one row per event), run_summaries, model_usage_hourly,
ingest_log, datasets, dataset_items, eval_results, incidents, gate_decisions,
stage_decisions, release_stages.

Aggregate-state columns (model_usage_hourly.latency_ms, a quantilesTDigest
state) are shown finalized: "SELECT *" prints the quantiles of each row's
own state. To combine rows, merge the states yourself, e.g.
quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms) ... GROUP BY model.`,
		Example: `  evalhouse sql "SELECT release, count() FROM agent_events WHERE kind = 'run' GROUP BY release"
  evalhouse sql --format json "SELECT model, sum(cost_usd) AS usd FROM agent_events GROUP BY model"
  evalhouse sql --format csv "SELECT * FROM ingest_log" > ingests.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A friendlier message for the obvious cases; the store's
			// read-only connection is the guard (readonly=1 below).
			if err := sqlguard.ReadOnly(args[0]); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			switch format {
			case "table", "json", "csv", "tsv":
			default:
				return &exitError{code: exitUsage, err: fmt.Errorf("--format %q: want table, json, csv or tsv", format)}
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			ctx := clickhouse.Context(cmd.Context(), clickhouse.WithSettings(clickhouse.Settings{"readonly": 1}))
			return runQuery(ctx, s.Conn, readable(ctx, s.Conn, args[0]), format, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output: table, json, csv or tsv")
	return cmd
}

// readable returns q, or for a SELECT whose result holds aggregate-function
// states (which no client can decode), q wrapped so that each such column is
// finalized: SELECT * REPLACE (finalizeAggregation(c) AS c) FROM (q).
// Anything it cannot describe is returned as is, for the store to judge.
func readable(ctx context.Context, conn driver.Conn, q string) string {
	body := strings.TrimSpace(q)
	body = strings.TrimSpace(strings.TrimSuffix(body, ";"))
	verb := strings.ToUpper(strings.TrimLeft(body, "( \t\r\n"))
	if !strings.HasPrefix(verb, "SELECT") && !strings.HasPrefix(verb, "WITH") {
		return q
	}
	rows, err := conn.Query(ctx, "DESCRIBE TABLE ("+body+")")
	if err != nil {
		return q
	}
	defer rows.Close()
	vals := make([]any, len(rows.ColumnTypes()))
	for i := range vals {
		vals[i] = new(string)
	}
	var finalize []string
	for rows.Next() {
		if len(vals) < 2 || rows.Scan(vals...) != nil {
			return q
		}
		name, typ := *vals[0].(*string), *vals[1].(*string)
		if strings.HasPrefix(typ, "AggregateFunction(") {
			col := "`" + strings.ReplaceAll(name, "`", "\\`") + "`"
			finalize = append(finalize, "finalizeAggregation("+col+") AS "+col)
		}
	}
	if rows.Err() != nil || len(finalize) == 0 {
		return q
	}
	return "SELECT * REPLACE (" + strings.Join(finalize, ", ") + ") FROM (" + body + ")"
}

// runQuery prints the result of q in format (table, json, csv or tsv).
func runQuery(ctx context.Context, conn driver.Conn, q, format string, out io.Writer) error {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols := rows.ColumnTypes()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name()
	}
	var table [][]string
	var objects []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		if format == "json" {
			obj := make(map[string]any, len(cols))
			for i, v := range vals {
				obj[names[i]] = jsonValue(reflect.ValueOf(v).Elem().Interface())
			}
			objects = append(objects, obj)
			continue
		}
		rec := make([]string, len(cols))
		for i, v := range vals {
			rec[i] = cell(reflect.ValueOf(v).Elem().Interface())
		}
		table = append(table, rec)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch format {
	case "json":
		if objects == nil {
			objects = []map[string]any{}
		}
		return printJSON(out, objects)
	case "csv", "tsv":
		w := csv.NewWriter(out)
		if format == "tsv" {
			w.Comma = '\t'
		}
		w.Write(names)
		w.WriteAll(table)
		return w.Error()
	default:
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(names, "\t"))
		for _, r := range table {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(out, "(%d rows)\n", len(table))
		return nil
	}
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if v == nil {
			return nil
		}
		return v.UTC().Format(time.RFC3339Nano)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return jsonValue(rv.Elem().Interface())
	}
	return v
}

// cell renders one value for table, CSV and TSV output.
func cell(v any) string {
	switch x := jsonValue(v).(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case float32, float64, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, bool:
		return fmt.Sprint(x)
	default:
		if s, ok := x.(fmt.Stringer); ok {
			return s.String()
		}
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
