// Package restamp moves the timestamps of example and fixture data so that
// they sit just before a chosen instant (usually now), keeping every
// interval between them. Examples are committed with fixed dates; what
// ingests them (`make demo`, the end-to-end tests) restamps them first, so
// the data is inside its retention on whatever day it runs.
//
// Timestamps are found by shape, not by parsing the document: every JSON
// string that is an RFC 3339 date-time ("2026-11-20T09:00:00.021Z"), and
// every OTLP "...UnixNano" value (string or number). All other bytes are
// left as they are, so a malformed line stays malformed the same way.
package restamp

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	rfc3339  = regexp.MustCompile(`"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))"`)
	unixNano = regexp.MustCompile(`("[A-Za-z]*UnixNano"\s*:\s*"?)(\d{1,19})`)
)

// Latest returns the newest timestamp in data, and false if it holds none.
func Latest(data []byte) (time.Time, bool) {
	var latest time.Time
	found := false
	visit(data, func(t time.Time) time.Time {
		if !found || t.After(latest) {
			latest, found = t, true
		}
		return t
	})
	return latest, found
}

// Offset is the shift, in whole hours, that moves latest to within the hour
// before now. Whole hours keep every event in the same position within its
// hour, so hourly rollups of the shifted data match the original's.
func Offset(latest, now time.Time) time.Duration {
	return now.Sub(latest).Truncate(time.Hour)
}

// Shift returns data with every timestamp moved by d.
func Shift(data []byte, d time.Duration) []byte {
	return visit(data, func(t time.Time) time.Time { return t.Add(d) })
}

// ToNow returns data shifted so that its newest timestamp lands in the hour
// before now (data without timestamps is returned as it is).
func ToNow(data []byte, now time.Time) []byte {
	latest, ok := Latest(data)
	if !ok {
		return data
	}
	return Shift(data, Offset(latest, now))
}

// Files writes a shifted copy of each file into dir, under its base name,
// all moved by one offset so that the newest timestamp among them lands in
// the hour before now. It returns the copies' paths in order.
func Files(dir string, now time.Time, files ...string) ([]string, error) {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, filepath.Base(f))
	}
	return out, copyShifted(func(latest time.Time) time.Duration { return Offset(latest, now) }, files, out)
}

// FilesAt is Files with the newest timestamp among them moved to exactly
// at, not to a whole hour: for data judged on a window ending now (a
// stage gate's), where the position within the hour does not matter.
func FilesAt(dir string, at time.Time, files ...string) ([]string, error) {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, filepath.Base(f))
	}
	return out, copyShifted(func(latest time.Time) time.Duration { return at.Sub(latest) }, files, out)
}

// Tree copies the directory tree src to dst, every file shifted by one
// offset as Files does (files without timestamps are copied as they are).
func Tree(dst, src string, now time.Time) error {
	var from, to []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		from, to = append(from, path), append(to, filepath.Join(dst, rel))
		return err
	})
	if err != nil {
		return err
	}
	return copyShifted(func(latest time.Time) time.Duration { return Offset(latest, now) }, from, to)
}

func copyShifted(offset func(latest time.Time) time.Duration, from, to []string) error {
	datas := make([][]byte, len(from))
	var latest time.Time
	for i, f := range from {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		datas[i] = b
		if t, ok := Latest(b); ok && t.After(latest) {
			latest = t
		}
	}
	if latest.IsZero() {
		return fmt.Errorf("restamp: no timestamps in %v", from)
	}
	d := offset(latest)
	for i, f := range to {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, Shift(datas[i], d), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// visit calls fn on every timestamp in data and writes back what it returns,
// in the timestamp's own format (fraction digits, zone or Unix nanoseconds).
func visit(data []byte, fn func(time.Time) time.Time) []byte {
	data = rfc3339.ReplaceAllFunc(data, func(m []byte) []byte {
		s := string(m[1 : len(m)-1])
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return m
		}
		return []byte(`"` + fn(t).In(t.Location()).Format(layout(s)) + `"`)
	})
	return unixNano.ReplaceAllFunc(data, func(m []byte) []byte {
		sub := unixNano.FindSubmatch(m)
		n, err := strconv.ParseInt(string(sub[2]), 10, 64)
		if err != nil || n == 0 {
			return m
		}
		t := fn(time.Unix(0, n))
		return append(append([]byte{}, sub[1]...), strconv.FormatInt(t.UnixNano(), 10)...)
	})
}

// layout is the time layout that formats like s: the same number of
// fraction digits, and Z or a numeric offset as s has.
func layout(s string) string {
	l := "2006-01-02T15:04:05"
	if i := len("2006-01-02T15:04:05"); i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		l += "." + strings.Repeat("0", j-i-1)
	}
	if s[len(s)-1] == 'Z' {
		return l + "Z"
	}
	return l + "-07:00"
}
