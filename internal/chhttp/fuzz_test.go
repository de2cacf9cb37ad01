package chhttp

import (
	"bytes"
	"net/url"
	"testing"

	"github.com/ClickHouse/ch-go/compress"
)

// FuzzBlockCompressedBody feeds arbitrary bytes as a decompress=1 body
// (optionally under an HTTP encoding): the decoder must return data or a
// ClickHouse exception, never panic, and never give more than the limit.
func FuzzBlockCompressedBody(f *testing.F) {
	f.Add(encodeBlocks(f, compress.LZ4, []byte("1\tx\n2\ty\n"), 4), "")
	f.Add(encodeBlocks(f, compress.ZSTD, bytes.Repeat([]byte("abc"), 100), 64), "")
	f.Add(encodeBlocks(f, compress.None, []byte("plain"), 1<<20), "")
	f.Add(encodeHTTP(f, "gzip", encodeBlocks(f, compress.LZ4, []byte("gz"), 1<<20)), "gzip")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, body []byte, enc string) {
		fuzzDecode(t, body, enc, url.Values{"decompress": {"1"}})
	})
}

// FuzzHTTPCompressedBody feeds arbitrary bytes under each Content-Encoding.
func FuzzHTTPCompressedBody(f *testing.F) {
	for _, enc := range []string{"gzip", "deflate", "br", "zstd", ""} {
		f.Add(encodeHTTP(f, enc, []byte("INSERT INTO t FORMAT TabSeparated\n1\tx\n")), enc)
	}
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), "gzip")
	f.Fuzz(func(t *testing.T, body []byte, enc string) {
		fuzzDecode(t, body, enc, url.Values{})
	})
}

func fuzzDecode(t *testing.T, body []byte, enc string, params url.Values) {
	const limit = 1 << 16
	got, err := readRequestBody(post(body, enc, params), params, limit)
	if err != nil {
		if exceptionCode(err) <= 0 {
			t.Fatalf("error without a ClickHouse code: %v", err)
		}
		return
	}
	if len(got) > limit {
		t.Fatalf("%d bytes past the %d-byte limit", len(got), limit)
	}
}
