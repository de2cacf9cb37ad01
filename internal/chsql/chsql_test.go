package chsql

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRenderDropsCommentsAndKeepsClauses(t *testing.T) {
	s := Load("t", fstest.MapFS{
		"sql/runs.sql":   {Data: []byte("-- doc line\nSELECT a\nFROM t\nWHERE 1{{if .R}}\n  AND r = @r{{end}}   \n\n")},
		"sql/static.sql": {Data: []byte("-- x\nSELECT 1\n")},
	})
	if got := s.Render("runs", struct{ R string }{"x"}); got != "SELECT a\nFROM t\nWHERE 1\n  AND r = @r" {
		t.Errorf("with R: %q", got)
	}
	if got := s.Render("runs", struct{ R string }{}); got != "SELECT a\nFROM t\nWHERE 1" {
		t.Errorf("without R: %q", got)
	}
	if s.Get("static") != "SELECT 1" {
		t.Errorf("static: %q", s.Get("static"))
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "sql/nope.sql") {
			t.Errorf("missing statement: recover() = %v", r)
		}
	}()
	s.Get("nope")
}

func TestLoadRefusesABadTemplate(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "sql/bad.sql") {
			t.Errorf("recover() = %v", r)
		}
	}()
	Load("t", fstest.MapFS{"sql/bad.sql": {Data: []byte("SELECT {{if}}")}})
}

func TestStatementsShareFragments(t *testing.T) {
	s := Load("t", fstest.MapFS{
		"sql/where_tenant.sql": {Data: []byte("{{if .T}}tenant = @tenant{{else}}1{{end}}")},
		"sql/count.sql":        {Data: []byte("SELECT count() FROM t WHERE {{template \"where_tenant\" .}}")},
	})
	if got := s.Render("count", struct{ T string }{"a"}); got != "SELECT count() FROM t WHERE tenant = @tenant" {
		t.Errorf("got %q", got)
	}
}

// A fragment's documentation must not turn what follows it into a comment.
func TestFragmentCommentsStayOutOfTheStatement(t *testing.T) {
	s := Load("t", fstest.MapFS{
		"sql/cond.sql":  {Data: []byte("-- the tenant's rows\n{{- if .T}} AND tenant = @tenant{{end}}")},
		"sql/count.sql": {Data: []byte("-- count\nSELECT count() FROM t WHERE 1{{template \"cond\" .}}")},
	})
	if got := s.Render("count", struct{ T string }{"a"}); got != "SELECT count() FROM t WHERE 1 AND tenant = @tenant" {
		t.Errorf("got %q", got)
	}
}

func TestUnusedNamesWhatNoStatementUsed(t *testing.T) {
	s := Load("t", fstest.MapFS{
		"sql/cond.sql":  {Data: []byte("{{if .T}} AND t = @t{{end}}")},
		"sql/count.sql": {Data: []byte("SELECT count() FROM t WHERE 1{{template \"cond\" .}}")},
		"sql/other.sql": {Data: []byte("SELECT 2")},
	})
	if got := fmt.Sprint(s.Unused()); got != "[cond count other]" {
		t.Errorf("before any use: %s", got)
	}
	s.Render("count", struct{ T string }{})
	if got := fmt.Sprint(s.Unused()); got != "[other]" {
		t.Errorf("after count: %s", got)
	}
}

// Seq only grows, even when called faster than the clock ticks.
func TestSeqGrows(t *testing.T) {
	last := Seq()
	for range 10000 {
		s := Seq()
		if s <= last {
			t.Fatalf("Seq %d after %d", s, last)
		}
		last = s
	}
}
