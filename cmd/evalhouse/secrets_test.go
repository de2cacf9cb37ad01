package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gzipFile(t *testing.T, path string, dst io.Writer) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(dst)
	zw.Write(b)
	zw.Close()
}

// plantedSecrets reads the example scenario's list of raw secrets.
func plantedSecrets(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(examples, "planted-secrets.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	if len(out) < 8 {
		t.Fatalf("only %d planted secrets listed", len(out))
	}
	return out
}

// After the whole example scenario is ingested (and a malformed file
// dead-lettered), no planted secret is found anywhere: not in any table's
// rows, not in the data directory's files, not in the dead-letter file,
// not in anything the commands printed.
func TestNoPlantedSecretAnywhere(t *testing.T) {
	store, dir := storeFlag(t)
	dl := filepath.Join(t.TempDir(), "dead.ndjson")
	var printed strings.Builder
	files, _ := filepath.Glob(filepath.Join(examples, "*.ndjson"))
	if len(files) < 3 {
		t.Fatalf("example files: %v", files)
	}
	args := append([]string{store, "--log-level", "debug", "ingest", "--dead-letter", dl}, files...)
	out, _ := run(t, nil, args...)
	printed.WriteString(out)
	if !strings.Contains(out, "redactions") {
		t.Fatalf("ingest: %s", out)
	}
	out, code := run(t, nil, store, "sql", "--format", "tsv", "SHOW TABLES")
	if code != 0 {
		t.Fatal(out)
	}
	var dump strings.Builder
	for _, table := range strings.Fields(out)[1:] {
		rows, code := run(t, nil, store, "sql", "--format", "tsv", "SELECT * APPLY(toString) FROM "+table)
		if code != 0 {
			t.Fatalf("dump %s: %s", table, rows)
		}
		dump.WriteString(rows)
	}
	out, _ = run(t, nil, store, "report", "summary")
	printed.WriteString(out)

	var disk bytes.Buffer
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			disk.Write(b)
		}
		return nil
	})
	dead, _ := os.ReadFile(dl)
	if !strings.Contains(dump.String(), "[REDACTED:") {
		t.Fatal("no redaction markers in the store: did the scenario's secrets arrive?")
	}
	for _, secret := range plantedSecrets(t) {
		for where, text := range map[string]string{
			"a table": dump.String(), "the data directory": disk.String(),
			"the dead-letter file": string(dead), "command output": printed.String(),
		} {
			if strings.Contains(text, secret) {
				t.Errorf("planted secret %.12s… found in %s", secret, where)
			}
		}
	}
}
