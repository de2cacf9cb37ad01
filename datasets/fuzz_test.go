package datasets

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadJSONL feeds arbitrary bytes to the JSONL reader: it never panics,
// its errors name lines, and whatever it accepts writes back out and reads
// in again with the same content hash. Seeds: testdata/fuzz/FuzzReadJSONL.
func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"case_id":"a","input":{"b":1.0,"a":[true,null]},"expected":{"x":"y"},"tags":["t"]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := ReadJSONL("f.jsonl", bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		h1, err := Hash(cases)
		if err != nil {
			t.Fatalf("accepted cases do not hash: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteJSONL(&buf, cases); err != nil {
			t.Fatalf("accepted cases do not write: %v", err)
		}
		again, err := ReadJSONL("g.jsonl", &buf)
		if err != nil {
			t.Fatalf("written cases do not read back: %v\n%s", err, buf.Bytes())
		}
		if h2, _ := Hash(again); h1 != h2 || len(again) != len(cases) {
			t.Fatalf("round trip changed the hash: %s → %s", h1, h2)
		}
	})
}
