package chhttp

import (
	"bytes"
	"strings"
	"testing"
)

func TestSplitInlineInsert(t *testing.T) {
	for _, tc := range []struct{ body, query, data string }{
		{"SELECT 1", "SELECT 1", ""},
		{"INSERT INTO t FORMAT TabSeparated\n1\tx\n\nCREATE TABLE y (a UInt8) ENGINE=Memory\n", "INSERT INTO t FORMAT TabSeparated", "1\tx\n\nCREATE TABLE y (a UInt8) ENGINE=Memory\n"},
		{"insert into db.t (a, b) format JSONEachRow {\"a\":1}", "insert into db.t (a, b) format JSONEachRow", "{\"a\":1}"},
		{"INSERT INTO t FORMAT Native", "INSERT INTO t FORMAT Native", ""},
		{"INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)", ""},
	} {
		q, d := splitInlineInsert([]byte(tc.body))
		if q != tc.query || string(d) != tc.data {
			t.Errorf("split(%q) = %q, %q; want %q, %q", tc.body, q, d, tc.query, tc.data)
		}
	}
}

// Whatever the body, the statement and the data are the body's bytes in
// order, and data is only ever split off an INSERT … FORMAT head.
func FuzzSplitInlineInsert(f *testing.F) {
	f.Add([]byte("INSERT INTO t FORMAT TSV\n1\n\nDROP TABLE t"))
	f.Add([]byte("SELECT 1"))
	f.Add([]byte("INSERT INTO t (a) FORMAT Native \x00\x01"))
	f.Fuzz(func(t *testing.T, body []byte) {
		q, d := splitInlineInsert(body)
		if d == nil {
			if q != string(body) && q != strings.TrimSpace(string(body)) && !inlineInsertRE.Match(body) {
				t.Fatalf("statement %q is not the body %q", q, body)
			}
			return
		}
		if !bytes.HasSuffix(body, d) || !strings.Contains(string(body), q) {
			t.Fatalf("split %q into %q + %q", body, q, d)
		}
		if !strings.HasPrefix(strings.ToUpper(q), "INSERT") {
			t.Fatalf("data split off a non-INSERT %q", q)
		}
	})
}
