package chhttp

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/ClickHouse/ch-go/compress"
	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/evalhouse/evalhouse/internal/chdb"
)

// encodeHTTP compresses b as a client would for Content-Encoding enc.
func encodeHTTP(t testing.TB, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "br":
		w = brotli.NewWriter(&buf)
	case "zstd":
		w, _ = zstd.NewWriter(&buf)
	default:
		return b
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// encodeBlocks frames b as ClickHouse compressed blocks of at most size bytes.
func encodeBlocks(t testing.TB, m compress.Method, b []byte, size int) []byte {
	t.Helper()
	w := compress.NewWriter(compress.LevelZero, m)
	var out []byte
	for len(b) > 0 {
		n := min(size, len(b))
		if err := w.Compress(b[:n]); err != nil {
			t.Fatal(err)
		}
		out = append(out, w.Data...)
		b = b[n:]
	}
	return out
}

func post(body []byte, enc string, params url.Values) *http.Request {
	r := httptest.NewRequest("POST", "/?"+params.Encode(), bytes.NewReader(body))
	if enc != "" {
		r.Header.Set("Content-Encoding", enc)
	}
	return r
}

func exceptionCode(err error) int {
	var ce *chdb.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

func TestRequestBodyDecodesEveryEncoding(t *testing.T) {
	payload := bytes.Repeat([]byte("1\tagent-7\t0.25\n"), 200_000) // 3 MB: several blocks
	for _, enc := range []string{"", "gzip", "deflate", "br", "zstd"} {
		for _, m := range []string{"", "LZ4", "ZSTD", "NONE"} {
			body, params := payload, url.Values{}
			if m != "" {
				method := map[string]compress.Method{"LZ4": compress.LZ4, "ZSTD": compress.ZSTD, "NONE": compress.None}[m]
				body = encodeBlocks(t, method, body, 1<<20)
				params.Set("decompress", "1")
			}
			body = encodeHTTP(t, enc, body)
			got, err := readRequestBody(post(body, enc, params), params, 8<<20)
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("Content-Encoding %q, blocks %q: %d bytes, %v", enc, m, len(got), err)
			}
		}
	}
}

// The limit applies to the decoded bytes: a body that inflates past it is
// refused as QUERY_IS_TOO_LARGE (413) once the limit is crossed, and the
// decoder never holds much more than the limit.
func TestCompressionBombsAreRefusedWithBoundedMemory(t *testing.T) {
	mib := bytes.Repeat([]byte{0}, 1<<20)
	repeat := func(b []byte, n int) []byte { return bytes.Repeat(b, n) }
	bombs := map[string]struct {
		body   []byte
		enc    string
		params url.Values
	}{
		// gzip and zstd streams may be concatenated: 2,000 members of a
		// compressed MiB of zeros are ~2 MB that inflate to 2 GiB.
		"gzip":       {repeat(encodeHTTP(t, "gzip", mib), 2000), "gzip", nil},
		"zstd":       {repeat(encodeHTTP(t, "zstd", mib), 2000), "zstd", nil},
		"br":         {encodeHTTP(t, "br", bytes.Repeat(mib, 256)), "br", nil},
		"deflate":    {encodeHTTP(t, "deflate", bytes.Repeat(mib, 256)), "deflate", nil},
		"lz4 blocks": {repeat(encodeBlocks(t, compress.LZ4, mib, 1<<20), 600), "", url.Values{"decompress": {"1"}}},
		"gzip of zstd blocks": {encodeHTTP(t, "gzip", repeat(encodeBlocks(t, compress.ZSTD, mib, 1<<20), 2000)), "gzip",
			url.Values{"decompress": {"1"}}},
	}
	const limit = 16 << 20
	for name, b := range bombs {
		t.Run(name, func(t *testing.T) {
			if len(b.body) > 3<<20 {
				t.Fatalf("bomb of %d bytes: want at most 3 MB on the wire", len(b.body))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := readRequestBody(post(b.body, b.enc, b.params), b.params, limit)
			runtime.ReadMemStats(&after)
			if exceptionCode(err) != codeQueryIsTooLarge || statusOf(codeQueryIsTooLarge) != 413 {
				t.Fatalf("%d-byte body: %v", len(b.body), err)
			}
			grown := after.TotalAlloc - before.TotalAlloc
			if grown > 6*limit {
				t.Fatalf("decoding allocated %d MiB for a %d MiB limit", grown>>20, limit>>20)
			}
			t.Logf("%d-byte body refused after allocating %d MiB", len(b.body), grown>>20)
		})
	}
}

// A block header is checked before ch-go sizes its buffers from it: 25
// bytes declaring a 100 MiB block are refused without allocating it.
func TestBlockHeaderCannotDeclareMoreThanTheLimit(t *testing.T) {
	block := encodeBlocks(t, compress.None, []byte("hello"), 1<<20)
	hdr := append([]byte(nil), block[:blockHeaderSize]...)
	hdr[21], hdr[22], hdr[23], hdr[24] = 0, 0, 0x40, 0x06 // decompressed size 100 MiB+
	params := url.Values{"decompress": {"1"}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readRequestBody(post(hdr, "", params), params, 1<<20)
	runtime.ReadMemStats(&after)
	if exceptionCode(err) != codeQueryIsTooLarge {
		t.Fatalf("got %v", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8<<20 {
		t.Fatalf("allocated %d MiB", grown>>20)
	}
}

func TestBrokenBodiesNameTheEncoding(t *testing.T) {
	good := encodeBlocks(t, compress.LZ4, []byte(strings.Repeat("row\n", 1000)), 1<<20)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-1] ^= 0xff
	dec := url.Values{"decompress": {"1"}}
	for _, c := range []struct {
		name   string
		body   []byte
		enc    string
		params url.Values
		code   int
		msg    string
	}{
		{"not gzip", []byte("plain text"), "gzip", nil, codeCannotDecompress, "Content-Encoding gzip"},
		{"truncated zstd", encodeHTTP(t, "zstd", []byte(strings.Repeat("row\n", 1000)))[:10], "zstd", nil, codeCannotDecompress, "zstd"},
		{"unknown encoding", []byte("x"), "compress", nil, codeUnknownCompressionMethod, `"compress"`},
		{"checksum", flipped, "", dec, codeChecksumDoesntMatch, "decompress=1"},
		{"truncated block", good[:len(good)-3], "", dec, codeCannotDecompress, "decompress=1"},
		{"half a header", good[:10], "", dec, codeCannotDecompress, "decompress=1"},
		{"wire limit", bytes.Repeat([]byte("x"), 2000), "", nil, codeQueryIsTooLarge, "over 1000 bytes"},
	} {
		_, err := readRequestBody(post(c.body, c.enc, c.params), c.params, 1000)
		if c.name != "wire limit" {
			_, err = readRequestBody(post(c.body, c.enc, c.params), c.params, 1<<20)
		}
		if exceptionCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: want code %d naming %q, got %v", c.name, c.code, c.msg, err)
		}
	}
	if b, err := readRequestBody(post(nil, "", dec), dec, 100); err != nil || len(b) != 0 {
		t.Fatalf("empty block-compressed body: %q %v", b, err)
	}
}

// decodeAnswer undoes answerWriter's encodings as clickhouse-go does.
func decodeAnswer(t *testing.T, resp *http.Response, blocks bool) []byte {
	t.Helper()
	var r io.Reader = resp.Body
	switch resp.Header.Get("Content-Encoding") {
	case "gzip":
		r, _ = gzip.NewReader(r)
	case "deflate":
		r, _ = zlib.NewReader(r)
	case "br":
		r = brotli.NewReader(r)
	case "zstd":
		zr, _ := zstd.NewReader(r)
		defer zr.Close()
		r = zr
	}
	if blocks {
		cr := chproto.NewReader(r)
		cr.EnableCompression()
		r = cr
	}
	b, err := io.ReadAll(r)
	if err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Fatal(err)
	}
	return b
}

func TestAnswerWriterEncodesAsAsked(t *testing.T) {
	answer := bytes.Repeat([]byte("a\t1\n"), 600_000) // 2.4 MB: three blocks
	for _, c := range []struct {
		params, accept, wantEnc string
		blocks                  bool
	}{
		{"", "gzip", "", false},                                        // no enable_http_compression: plain
		{"enable_http_compression=1", "gzip", "gzip", false},           //
		{"enable_http_compression=1", "deflate", "deflate", false},     //
		{"enable_http_compression=1", "br;q=1, gzip", "br", false},     //
		{"enable_http_compression=1", "gzip, zstd", "zstd", false},     // ClickHouse's preference
		{"enable_http_compression=1", "zstd;q=0, gzip", "gzip", false}, // q=0 refuses
		{"enable_http_compression=1", "xz", "", false},                 //
		{"compress=1", "", "", true},
		{"compress=1&network_compression_method=ZSTD", "", "", true},
		{"compress=1&network_compression_method=lz4hc", "", "", true},
		{"compress=1&enable_http_compression=1&http_zlib_compression_level=9", "gzip", "gzip", true},
	} {
		params, _ := url.ParseQuery(c.params)
		r := httptest.NewRequest("POST", "/?"+c.params, nil)
		r.Header.Set("Accept-Encoding", c.accept)
		rec := httptest.NewRecorder()
		aw, err := newAnswerWriter(rec, r, params)
		if err != nil {
			t.Fatal(err)
		}
		aw.Header().Set("Content-Length", "2400000")
		aw.Write(answer[:1000])
		aw.Write(answer[1000:])
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
		resp := rec.Result()
		if got := resp.Header.Get("Content-Encoding"); got != c.wantEnc {
			t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q, want %q", c.params, c.accept, got, c.wantEnc)
		}
		if plain := !c.blocks && c.wantEnc == ""; plain != (resp.Header.Get("Content-Length") != "") {
			t.Errorf("%s: Content-Length %q", c.params, resp.Header.Get("Content-Length"))
		}
		if got := decodeAnswer(t, resp, c.blocks); !bytes.Equal(got, answer) {
			t.Errorf("%s, Accept-Encoding %q: %d bytes back, want %d", c.params, c.accept, len(got), len(answer))
		}
	}
	if _, err := newAnswerWriter(httptest.NewRecorder(), httptest.NewRequest("POST", "/", nil),
		url.Values{"compress": {"1"}, "network_compression_method": {"snappy"}}); exceptionCode(err) != codeUnknownCompressionMethod {
		t.Fatalf("unknown method: %v", err)
	}
}
