package chdb

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
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
