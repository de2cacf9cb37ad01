package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// `evalhouse sql` promises read-only: the attacks of issue 9 each fail,
// the table survives, no host file is read or written and no network
// request is made.
func TestSQLIsReadOnlyByTheEngine(t *testing.T) {
	store, _ := storeFlag(t)
	if out, code := run(t, nil, store, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	var hits atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	outfile := filepath.Join(t.TempDir(), "out.tsv")
	for _, q := range []string{
		"SELECT 1 /* ' */; DROP TABLE ingest_log",
		"WITH 1 AS x INSERT INTO ingest_log (source) VALUES ('x')",
		"SELECT * FROM file('/etc/passwd', 'LineAsString')",
		"SELECT file('/etc/passwd')",
		"SELECT * FROM ingest_log INTO OUTFILE '" + outfile + "' APPEND",
		"SELECT * FROM url('http://" + addr + "/', CSV, 'a String')",
		"SELECT * FROM s3('http://" + addr + "/b/k.csv', CSV, 'a String')",
		"SELECT * FROM remote('" + addr + "', system.one)",
		"BACKUP TABLE ingest_log TO File('" + outfile + "')",
		"SYSTEM SHUTDOWN",
	} {
		out, code := run(t, nil, store, "sql", q)
		if code == 0 {
			t.Errorf("sql %q: accepted\n%s", q, out)
		}
		if strings.Contains(out, "root:") {
			t.Errorf("sql %q printed a host file:\n%s", q, out)
		}
	}
	if _, err := os.Stat(outfile); err == nil {
		t.Error("a host file was written")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d network connections were made", n)
	}
	if n := sqlCount(t, store, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'ingest_log'"); n != 1 {
		t.Fatalf("ingest_log is gone (%d)", n)
	}
	if n := sqlCount(t, store, "SELECT count() FROM ingest_log"); n != 0 {
		t.Fatalf("ingest_log has %d rows; the WITH … INSERT landed", n)
	}
}
