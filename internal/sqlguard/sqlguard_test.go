package sqlguard

import (
	"errors"
	"testing"
)

func TestReadOnly(t *testing.T) {
	for q, ok := range map[string]bool{
		"SELECT 1":                                     true,
		"  select count() from agent_events":           true,
		"-- a comment\nSELECT 1":                       true,
		"/* c */ WITH x AS (SELECT 1) SELECT * FROM x": true,
		"(SELECT 1) UNION ALL (SELECT 2)":              true,
		"SHOW TABLES":                                  true,
		"DESCRIBE TABLE agent_events":                  true,
		"EXPLAIN SELECT 1":                             true,
		"SELECT 1;":                                    true,
		"SELECT 'a;b'":                                 true,
		"INSERT INTO t VALUES (1)":                     false,
		"DROP TABLE agent_events":                      false,
		"ALTER TABLE t DELETE WHERE 1":                 false,
		"TRUNCATE TABLE t":                             false,
		"SET readonly = 0":                             false,
		"SELECT 1; DROP TABLE t":                       false,
		"SELECT 1 /* ' */; DROP TABLE ingest_log":      false,
		"":                                    false,
		"-- only a comment":                   false,
		"OPTIMIZE TABLE t FINAL":              false,
		"CREATE TABLE x (a UInt8) ENGINE=Log": false,
	} {
		err := ReadOnly(q)
		if ok && err != nil {
			t.Errorf("ReadOnly(%q) = %v, want nil", q, err)
		}
		if !ok && !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("ReadOnly(%q) = %v, want ErrNotReadOnly", q, err)
		}
	}
}
