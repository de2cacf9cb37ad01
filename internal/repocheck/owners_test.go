package repocheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// owners names the one package that holds SQL on each table (see
// docs/architecture.md). schema/ creates every table and may name them all.
// Tests may read any table, to check what landed.
var owners = map[string]string{
	"agent_events":       "events",
	"ingest_log":         "events",
	"run_summaries":      "events",
	"model_usage_hourly": "events",
	"eval_results":       "evaluators",
	"datasets":           "datasets",
	"dataset_items":      "datasets",
	"incidents":          "datasets/incidents",
	"gate_decisions":     "gate",
	"api_keys":           "keys",
	"release_stages":     "releases",
	"stage_decisions":    "rollout",
}

// sqlOn matches a statement naming a table where SQL does: after FROM,
// JOIN, INTO, TABLE, UPDATE or DESCRIBE.
var sqlOn = regexp.MustCompile("(?i)\\b(?:from|join|into|table|update|describe)\\s+`?([a-z_]+)`?\\b")

// helpText are composite-literal keys whose strings are documentation
// (cobra's help), where a sample query is an example for the user.
var helpText = map[string]bool{"Example": true, "Long": true, "Short": true}

// TestSQLOnlyInOwners fails when SQL on a table appears outside its owner:
// in a Go string literal of a non-test file, or in a .sql file.
func TestSQLOnlyInOwners(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		pkg := filepath.ToSlash(filepath.Dir(rel))
		if pkg == "sql" || strings.HasSuffix(pkg, "/sql") {
			pkg = strings.TrimSuffix(strings.TrimSuffix(pkg, "sql"), "/")
		}
		switch {
		case d.IsDir(), strings.HasSuffix(path, "_test.go"), pkg == "schema" || strings.HasPrefix(pkg, "schema/"):
			return nil
		case strings.HasSuffix(path, ".sql"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			found = append(found, misplaced(rel, pkg, []string{string(b)})...)
		case strings.HasSuffix(path, ".go"):
			found = append(found, misplaced(rel, pkg, goStrings(t, path))...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Error(f)
	}
}

// misplaced lists the tables texts name in SQL that pkg does not own.
func misplaced(file, pkg string, texts []string) []string {
	var out []string
	for _, s := range texts {
		for _, m := range sqlOn.FindAllStringSubmatch(s, -1) {
			if owner, ok := owners[m[1]]; ok && owner != pkg {
				out = append(out, file+": SQL on "+m[1]+" ("+strconv.Quote(m[0])+"); its owner is "+owner+"/: add a reader there")
			}
		}
	}
	return out
}

// goStrings returns the string literals of a Go file, help text aside.
func goStrings(t *testing.T, path string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var help []*ast.BasicLit
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && helpText[k.Name] {
				ast.Inspect(n.Value, func(m ast.Node) bool {
					if lit, ok := m.(*ast.BasicLit); ok {
						help = append(help, lit)
					}
					return true
				})
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING && !slices.Contains(help, n) {
				if s, err := strconv.Unquote(n.Value); err == nil {
					out = append(out, s)
				}
			}
		}
		return true
	})
	return out
}

// The check itself: SQL on a table outside its owner is found, inside it
// and in prose it is not.
func TestMisplacedFindsForeignSQL(t *testing.T) {
	if got := misplaced("gate/x.go", "gate", []string{"SELECT count() FROM agent_events FINAL"}); len(got) != 1 {
		t.Errorf("gate reading agent_events: %v", got)
	}
	if got := misplaced("x.go", "events", []string{"INSERT INTO `ingest_log` (a)", "read agent_events rows"}); len(got) != 0 {
		t.Errorf("the owner, or prose: %v", got)
	}
	if got := misplaced("x.sql", "datasets", []string{"SELECT * FROM incidents FINAL"}); len(got) != 1 {
		t.Errorf("datasets reading incidents: %v", got)
	}
}
