package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/nettest"
)

// `evalhouse sql` promises read-only: the attacks of issue 9 each fail,
// the table survives, no host file is read or written and no network
// request is made.
func TestSQLIsReadOnlyByTheEngine(t *testing.T) {
	store, _ := storeFlag(t)
	if out, code := run(t, nil, store, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	addr, hits := nettest.Witness(t) // counts any connection a statement makes
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
	if n := hits(); n != 0 {
		t.Errorf("%d network connections were made", n)
	}
	if n := sqlCount(t, store, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'ingest_log'"); n != 1 {
		t.Fatalf("ingest_log is gone (%d)", n)
	}
	if n := sqlCount(t, store, "SELECT count() FROM ingest_log"); n != 0 {
		t.Fatalf("ingest_log has %d rows; the WITH … INSERT landed", n)
	}
}
