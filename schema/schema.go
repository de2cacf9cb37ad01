// Package schema holds evalhouse's ClickHouse schema as numbered, embedded
// .sql migrations, and the migrator that applies them. Templates only fill
// in identifiers (cluster, engines); values are never formatted into SQL.
package schema

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrChecksumMismatch means a migration file changed after it was applied.
var ErrChecksumMismatch = errors.New("schema: migration checksum mismatch")

// Migration is one numbered .sql file.
type Migration struct {
	Version  uint32
	Name     string // file name, e.g. 0001_agent_events.sql
	Source   string // the template text
	Checksum string // sha256 of Source, hex
}

// Options shape how migrations render.
type Options struct {
	// Cluster, when set, renders ON CLUSTER 'Cluster' and Replicated*
	// engines (ZooKeeper path /clickhouse/tables/{shard}/{database}/TABLE).
	Cluster string
}

var fileRE = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	return load(migrationFS, "migrations")
}

func load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[uint32]string{}
	for _, e := range entries {
		m := fileRE.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("schema: %s: migration files are named NNNN_name.sql", e.Name())
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		if prev, dup := seen[uint32(v)]; dup {
			return nil, fmt.Errorf("schema: %s and %s share version %d", prev, e.Name(), v)
		}
		seen[uint32(v)] = e.Name()
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: uint32(v), Name: e.Name(), Source: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Statements renders the migration and splits it into statements (split at
// a ';' that ends a line).
func (m Migration) Statements(opts Options) ([]string, error) {
	if opts.Cluster != "" && !identRE.MatchString(opts.Cluster) {
		return nil, fmt.Errorf("schema: cluster name %q: want letters, digits, '_', '-', '.' or a {macro}", opts.Cluster)
	}
	tmpl, err := template.New(m.Name).Option("missingkey=error").Funcs(template.FuncMap{
		"engine": func(table, kind string, args ...string) string { return engine(opts, table, kind, args) },
	}).Parse(m.Source)
	if err != nil {
		return nil, fmt.Errorf("schema: %s: %w", m.Name, err)
	}
	var buf bytes.Buffer
	data := map[string]string{"OnCluster": ""}
	if opts.Cluster != "" {
		data["OnCluster"] = " ON CLUSTER '" + opts.Cluster + "'"
	}
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("schema: %s: %w", m.Name, err)
	}
	var stmts []string
	for _, part := range splitRE.Split(buf.String(), -1) {
		if s := strings.TrimSpace(stripComments(part)); s != "" {
			stmts = append(stmts, s)
		}
	}
	return stmts, nil
}

var (
	identRE = regexp.MustCompile(`^(\{[a-z_]+\}|[A-Za-z0-9_.\-]+)$`)
	splitRE = regexp.MustCompile(`;[ \t]*(\r?\n|$)`)
)

// engine renders a table engine: plain, or Replicated* in cluster mode.
func engine(opts Options, table, kind string, args []string) string {
	if opts.Cluster == "" {
		if len(args) == 0 {
			return kind
		}
		return kind + "(" + strings.Join(args, ", ") + ")"
	}
	rargs := append([]string{"'/clickhouse/tables/{shard}/{database}/" + table + "'", "'{replica}'"}, args...)
	return "Replicated" + kind + "(" + strings.Join(rargs, ", ") + ")"
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
