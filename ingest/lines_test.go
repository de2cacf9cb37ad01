package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, lr *LineReader) []Line {
	t.Helper()
	var out []Line
	for {
		l, err := lr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Raw = append([]byte(nil), l.Raw...)
		out = append(out, l)
	}
}

// The bound is MaxLine bytes of content, the "\n" not counted: a line of
// exactly MaxLine is kept, one byte more is skipped without being held,
// and the lines around it come through with their numbers.
func TestLineReaderBound(t *testing.T) {
	exact := strings.Repeat("a", MaxLine)
	over := strings.Repeat("b", MaxLine+1)
	in := "first\n" + exact + "\n" + over + "\n" + "last"
	got := readAll(t, NewLineReader(strings.NewReader(in), "f.ndjson"))
	if len(got) != 4 {
		t.Fatalf("%d lines, want 4", len(got))
	}
	if string(got[0].Raw) != "first\n" || got[0].N != 1 || got[0].TooLong {
		t.Errorf("line 1: %+v", got[0])
	}
	if len(got[1].Raw) != MaxLine+1 || got[1].TooLong || got[1].N != 2 {
		t.Errorf("line 2 (exactly MaxLine): %d bytes, too long %v", len(got[1].Raw), got[1].TooLong)
	}
	if !got[2].TooLong || got[2].Raw != nil || got[2].N != 3 {
		t.Errorf("line 3 (MaxLine+1): too long %v, %d bytes held", got[2].TooLong, len(got[2].Raw))
	}
	if string(got[3].Raw) != "last" || got[3].N != 4 {
		t.Errorf("line 4: %+v", got[3])
	}
	// Without a "\n" at the end, an overlong last line is still caught.
	got = readAll(t, NewLineReader(strings.NewReader(over), "f"))
	if len(got) != 1 || !got[0].TooLong {
		t.Errorf("unterminated overlong line: %+v", got)
	}
}

// Small bounds take every path: lines split across reads, CRLF, blank
// lines, an empty input, a line ending exactly at the bound.
func TestLineReaderShapes(t *testing.T) {
	cases := []struct {
		in   string
		want []string // "!" for a line too long
	}{
		{"", nil},
		{"\n", []string{"\n"}},
		{"a\r\n\nb", []string{"a\r\n", "\n", "b"}},
		{"12345678\n123456789\nx\n", []string{"12345678\n", "!", "x\n"}},
		{"123456789", []string{"!"}},
		{"12345678", []string{"12345678"}},
	}
	for _, c := range cases {
		for _, r := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in)), bytes.NewReader([]byte(c.in))} {
			lr := NewLineReader(r, "t")
			lr.max = 8
			var got []string
			for i, l := range readAll(t, lr) {
				if l.N != i+1 {
					t.Errorf("%q: line %d numbered %d", c.in, i+1, l.N)
				}
				if l.TooLong {
					got = append(got, "!")
				} else {
					got = append(got, string(l.Raw))
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%q: %q, want %q", c.in, got, c.want)
			}
		}
	}
}

// A reader's failure names the origin and the last line read.
func TestLineReaderError(t *testing.T) {
	boom := errors.New("disk gone")
	lr := NewLineReader(io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(boom)), "day1.ndjson")
	var err error
	for err == nil {
		_, err = lr.Next()
	}
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "day1.ndjson: after line 2") {
		t.Fatalf("error %v", err)
	}
	if _, err := lr.Next(); err != io.EOF {
		t.Fatalf("after the error: %v, want io.EOF", err)
	}
}
