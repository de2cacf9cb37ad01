package restamp

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestShiftKeepsFormatAndIntervals(t *testing.T) {
	base := time.Now().UTC().Add(-400 * 24 * time.Hour).Truncate(time.Second)
	in := `{"ts":"` + base.Format(time.RFC3339) + `","expires_at":"` +
		base.Add(90*time.Minute).Format("2006-01-02T15:04:05.000Z") + `","note":"2020-01-01 is not a timestamp"}` + "\n" +
		`{"ts":"` + base.Add(time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339) + `", broken` + "\n" +
		`{"startTimeUnixNano": "` + itoa(base.UnixNano()) + `", "endTimeUnixNano":` + itoa(base.Add(2*time.Second).UnixNano()) + `}`
	latest, ok := Latest([]byte(in))
	if !ok || !latest.Equal(base.Add(90*time.Minute)) {
		t.Fatalf("latest %v, want %v", latest, base.Add(90*time.Minute))
	}
	now := time.Now()
	d := Offset(latest, now)
	out := string(Shift([]byte(in), d))
	if got, _ := Latest([]byte(out)); got.After(now) || now.Sub(got) >= time.Hour {
		t.Fatalf("newest timestamp %v is not in the hour before %v", got, now)
	}
	if d%time.Hour != 0 {
		t.Fatalf("offset %v is not whole hours", d)
	}
	want := `{"ts":"` + base.Add(d).Format(time.RFC3339) + `","expires_at":"` +
		base.Add(d+90*time.Minute).Format("2006-01-02T15:04:05.000Z") + `","note":"2020-01-01 is not a timestamp"}` + "\n" +
		`{"ts":"` + base.Add(d+time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339) + `", broken` + "\n" +
		`{"startTimeUnixNano": "` + itoa(base.Add(d).UnixNano()) + `", "endTimeUnixNano":` + itoa(base.Add(d+2*time.Second).UnixNano()) + `}`
	if out != want {
		t.Fatalf("shifted:\n%s\nwant:\n%s", out, want)
	}
}

func TestFilesShiftsAllByOneOffset(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().UTC().Add(-1000 * time.Hour).Truncate(time.Second)
	a := filepath.Join(dir, "a.ndjson")
	b := filepath.Join(dir, "b.ndjson")
	os.WriteFile(a, []byte(`{"ts":"`+old.Format(time.RFC3339)+`"}`), 0o644)
	os.WriteFile(b, []byte(`{"ts":"`+old.Add(5*time.Hour).Format(time.RFC3339)+`"}`), 0o644)
	out, err := Files(filepath.Join(dir, "out"), time.Now(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := Latest(mustRead(t, out[0]))
	tb, _ := Latest(mustRead(t, out[1]))
	if tb.Sub(ta) != 5*time.Hour || time.Since(tb) >= time.Hour || time.Since(tb) < 0 {
		t.Fatalf("shifted to %v and %v", ta, tb)
	}
	if _, err := Files(dir, time.Now(), filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
	os.WriteFile(a, []byte("no timestamps"), 0o644)
	if _, err := Files(dir, time.Now(), a); err == nil || !strings.Contains(err.Error(), "no timestamps") {
		t.Fatalf("file without timestamps: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustRead(t *testing.T, f string) []byte {
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTreeCopiesEverything(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	old := time.Now().UTC().Add(-5000 * time.Hour).Truncate(time.Second)
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", "e.ndjson"), []byte(`{"ts":"`+old.Format(time.RFC3339)+`"}`), 0o644)
	os.WriteFile(filepath.Join(src, "README.md"), []byte("no dates here"), 0o644)
	if err := Tree(dst, src, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := Latest(mustRead(t, filepath.Join(dst, "sub", "e.ndjson"))); time.Since(got) >= time.Hour {
		t.Fatalf("not restamped: %v", got)
	}
	if string(mustRead(t, filepath.Join(dst, "README.md"))) != "no dates here" {
		t.Fatal("file without timestamps changed")
	}
}

// FilesAt moves the newest timestamp to exactly the instant given.
func TestFilesAtMovesTheNewestExactly(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().UTC().Add(-1000 * time.Hour).Truncate(time.Second)
	a := filepath.Join(dir, "a.ndjson")
	b := filepath.Join(dir, "b.ndjson")
	os.WriteFile(a, []byte(`{"ts":"`+old.Format(time.RFC3339)+`"}`), 0o644)
	os.WriteFile(b, []byte(`{"ts":"`+old.Add(7*time.Minute).Format(time.RFC3339)+`"}`), 0o644)
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	out, err := FilesAt(filepath.Join(dir, "out"), at, a, b)
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := Latest(mustRead(t, out[0]))
	tb, _ := Latest(mustRead(t, out[1]))
	if !tb.Equal(at) || tb.Sub(ta) != 7*time.Minute {
		t.Fatalf("shifted to %v and %v, want the newest at %v", ta, tb, at)
	}
}
