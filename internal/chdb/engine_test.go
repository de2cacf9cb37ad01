package chdb

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The engine is a process singleton, so every test in this package shares
// one, opened by TestMain.
var testEngine *Engine

func TestMain(m *testing.M) {
	if os.Getenv("CHDB_LOCK_CHILD") != "" {
		// Child process of TestLockedByOtherProcess.
		_, err := Open(os.Getenv("CHDB_LOCK_CHILD"))
		if err != nil {
			os.Stdout.WriteString(err.Error())
			os.Exit(3)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "chdb-test-")
	if err != nil {
		panic(err)
	}
	testEngine, err = Open(dir)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	testEngine.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestQuery(t *testing.T) {
	out, err := testEngine.Query("", "SELECT 1 + 1", "TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "2" {
		t.Fatalf("SELECT 1+1 = %q", got)
	}
}

func TestErrorIsTyped(t *testing.T) {
	_, err := testEngine.Query("", "SELECT * FROM no_such_table", "TabSeparated")
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	if ce.Code != 60 || ce.Name != "UNKNOWN_TABLE" {
		t.Fatalf("got code %d name %q: %s", ce.Code, ce.Name, ce.Message)
	}
}

func TestDatabaseSwitchPersists(t *testing.T) {
	if _, err := testEngine.Query("", "CREATE DATABASE IF NOT EXISTS dbswitch", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := testEngine.Query("dbswitch", "CREATE TABLE t (x UInt8) ENGINE = Memory", ""); err != nil {
		t.Fatal(err)
	}
	out, err := testEngine.Query("dbswitch", "SELECT currentDatabase(), count() FROM t", "TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "dbswitch\t0" {
		t.Fatalf("got %q", got)
	}
	out, _ = testEngine.Query("default", "SELECT currentDatabase()", "TabSeparated")
	if got := strings.TrimSpace(string(out)); got != "default" {
		t.Fatalf("back to default: got %q", got)
	}
}

// A nil dereference in Go must still panic (and be recoverable) after the
// engine has run queries: the engine must not keep Go's SIGSEGV handler.
func TestGoPanicsSurviveQueries(t *testing.T) {
	for i := 0; i < 3; i++ {
		if _, err := testEngine.Query("", "SELECT sum(number) FROM numbers(100000)", "TabSeparated"); err != nil {
			t.Fatal(err)
		}
	}
	recovered := func() (ok bool) {
		defer func() { ok = recover() != nil }()
		var p *int
		_ = *p
		return false
	}()
	if !recovered {
		t.Fatal("nil dereference did not panic")
	}
	if _, err := testEngine.Query("", "SELECT 1", "TabSeparated"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenTwiceInProcess(t *testing.T) {
	if _, err := Open(testEngine.Path()); !errors.Is(err, ErrInUse) {
		t.Fatalf("want ErrInUse, got %v", err)
	}
}

func TestLockedByOtherProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CHDB_LOCK_CHILD="+testEngine.Path())
	out, err := cmd.Output()
	if err == nil {
		t.Fatal("second process opened a directory this one owns")
	}
	want := "in use by PID " + itoa(os.Getpid())
	if !strings.Contains(string(out), want) {
		t.Fatalf("child said %q, want it to contain %q", out, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Connections are independent: USE and SET on one never reach another,
// and a read-only one refuses writes and network table functions.
func TestConnectionsAreIndependent(t *testing.T) {
	ctx := context.Background()
	a, err := testEngine.Connect(ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := testEngine.Connect(ConnOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Query(ctx, "", "USE system", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Query(ctx, "", "SET max_threads = 1", ""); err != nil {
		t.Fatal(err)
	}
	out, _ := a.Query(ctx, "", "SELECT currentDatabase(), getSetting('max_threads')", "TabSeparated")
	if string(out) != "system\t1\n" {
		t.Fatalf("a: %q", out)
	}
	out, _ = b.Query(ctx, "", "SELECT currentDatabase(), getSetting('max_threads') = 1, getSetting('readonly')", "TabSeparated")
	if string(out) != "default\t0\t1\n" {
		t.Fatalf("b: %q", out)
	}
	for _, q := range []string{"CREATE TABLE x (a UInt8) ENGINE = Memory", "SET readonly = 0", "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')"} {
		var ce *Error
		if _, err := b.Query(ctx, "", q, ""); !errors.As(err, &ce) || ce.Code != 164 {
			t.Errorf("read-only %q: %v", q, err)
		}
	}
}

// A statement that fails part-way never puts its rows in front of the
// next answer on its connection, in any format.
func TestFailedQueryLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	c, err := testEngine.Connect(ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, f := range []string{"TabSeparated", "JSON", "Native", "CSVWithNames"} {
		if _, err := c.Query(ctx, "", "SELECT number, throwIf(number = 50000) FROM numbers(100000) SETTINGS max_block_size = 1000", f); err == nil {
			t.Fatal("no error")
		}
		if _, err := c.Query(ctx, "", "INSERT INTO FUNCTION null('a UInt64') SELECT throwIf(number = 50000) FROM numbers(100000) SETTINGS max_block_size = 1000", f); err == nil {
			t.Fatal("no error from the plain path")
		}
		if out, err := c.Query(ctx, "", "SELECT 'next'", "TabSeparated"); err != nil || string(out) != "next\n" {
			t.Fatalf("after a failed %s query: %.100q %v", f, out, err)
		}
	}
}

// A context that ends kills the statement; max_execution_time ends one
// nobody cancels.
func TestQueriesEnd(t *testing.T) {
	long := "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0 SETTINGS max_threads = 1"
	c, err := testEngine.Connect(ConnOptions{MaxExecutionTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	var ce *Error
	if _, err := c.Query(context.Background(), "", long, ""); !errors.As(err, &ce) || ce.Name != "TIMEOUT_EXCEEDED" {
		t.Fatalf("max_execution_time: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	u, err := testEngine.Connect(ConnOptions{MaxExecutionTime: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Query(ctx, "", long, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("both took %v", d)
	}
	if out, err := u.Query(context.Background(), "", "SELECT 1", ""); err != nil || string(out) != "1\n" {
		t.Fatalf("after the kill: %q %v", out, err)
	}
}

func TestClassify(t *testing.T) {
	for q, want := range map[string]Analysis{
		"SELECT 1": {Class: ClassReadOnly, Statements: 1},
		"SELECT 1 /* ' */; DROP TABLE ingest_log": {Class: ClassMutating, Statements: 2},
		"WITH 1 AS x INSERT INTO t VALUES (1)":    {Class: ClassMutating, Statements: 1},
		"SELECT 1 INTO OUTFILE '/tmp/x' APPEND":   {Class: ClassControl, Statements: 1},
		"SYSTEM SHUTDOWN":                         {Class: ClassControl, Statements: 1},
		"select":                                  {Class: ClassUnknown},
	} {
		got, err := testEngine.Classify(context.Background(), q)
		if err != nil || got.Class != want.Class || got.Statements != want.Statements {
			t.Errorf("Classify(%q) = %+v, %v; want %+v", q, got, err, want)
		}
	}
}
