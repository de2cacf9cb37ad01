package chhttp

import (
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/evalhouse/evalhouse/internal/chdb"
)

// This file holds the two ends of a request's bytes, as ClickHouse's HTTP
// interface layers them:
//
//	request:  Content-Encoding (gzip, deflate, br, zstd)  →  decompress=1 (ClickHouse blocks)  →  body
//	answer:   body  →  compress=1 (ClickHouse blocks, lz4 or zstd)  →  enable_http_compression=1 + Accept-Encoding
//
// The ClickHouse block framing is ch-go's compress package: each block is a
// 16-byte CityHash128 of what follows, a method byte, the compressed size
// (with the 9 header bytes) and the decompressed size, both little-endian
// uint32, then the compressed bytes.

// blockHeaderSize is a ClickHouse compressed block's header: checksum,
// method, compressed size, decompressed size.
const blockHeaderSize = 16 + 1 + 4 + 4

// answerBlockSize is how many answer bytes go into one compressed block
// (ClickHouse's max_compress_block_size default).
const answerBlockSize = 1 << 20

// maxZstdWindow bounds the window a zstd body may ask the decoder to hold.
const maxZstdWindow = 64 << 20

// chError is an exception in ClickHouse's words, which fail() answers with
// the status ClickHouse gives its code.
func chError(code int, name, format string, args ...any) *chdb.Error {
	return &chdb.Error{Code: code, Name: name,
		Message: fmt.Sprintf("Code: %d. DB::Exception: %s (%s)", code, fmt.Sprintf(format, args...), name)}
}

func tooLarge(limit int64, what string) *chdb.Error {
	return chError(codeQueryIsTooLarge, "QUERY_IS_TOO_LARGE", "evalhouse: request body over %d bytes%s", limit, what)
}

// readRequestBody reads r's body as the handler takes it: HTTP-decoded
// by its Content-Encoding, then block-decoded when params say decompress=1,
// as a stream. limit bounds the bytes on the wire and, separately, the
// decoded bytes; a body over either is refused with QUERY_IS_TOO_LARGE
// (413) as soon as the limit is crossed, so a compression bomb is never
// inflated beyond limit+1 bytes. Errors are *chdb.Error.
func readRequestBody(r *http.Request, params url.Values, limit int64) ([]byte, error) {
	body, err := requestBody(r, params, limit)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// requestBody is readRequestBody's stream; its Close releases the decoders
// (not r.Body, which net/http owns).
func requestBody(r *http.Request, params url.Values, limit int64) (io.ReadCloser, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return io.NopCloser(strings.NewReader("")), nil
	}
	d := &decoder{}
	var src io.Reader = &capReader{r: transportReader{r.Body}, left: limit, err: tooLarge(limit, "")}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	d.what = "Content-Encoding " + enc
	switch enc {
	case "", "identity", "none":
		d.what = ""
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, d.mapErr(err)
		}
		src, d.closers = zr, append(d.closers, zr.Close)
	case "deflate":
		// deflate as ClickHouse and clickhouse-go mean it: the zlib format.
		zr, err := zlib.NewReader(src)
		if err != nil {
			return nil, d.mapErr(err)
		}
		src, d.closers = zr, append(d.closers, zr.Close)
	case "br":
		src = brotli.NewReader(src)
	case "zstd":
		window := uint64(min(max(limit, zstd.MinWindowSize), maxZstdWindow))
		zr, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(window), zstd.WithDecoderMaxMemory(uint64(max(limit, 1))))
		if err != nil {
			return nil, d.mapErr(err)
		}
		src, d.closers = zr, append(d.closers, func() error { zr.Close(); return nil })
	default:
		return nil, chError(codeUnknownCompressionMethod, "UNKNOWN_COMPRESSION_METHOD",
			"evalhouse: unknown Content-Encoding %q of the request body (gzip, deflate, br and zstd are supported)", enc)
	}
	if on(params.Get("decompress")) {
		d.blocks = &blockGuard{r: src, budget: limit, limit: limit}
		src = compress.NewReader(d.blocks)
		if d.what == "" {
			d.what = "ClickHouse block compression (decompress=1)"
		} else {
			d.what += " and ClickHouse block compression (decompress=1)"
		}
	}
	d.r = &capReader{r: src, left: limit, err: tooLarge(limit, " after decompression")}
	return d, nil
}

func on(v string) bool { return v == "1" || strings.EqualFold(v, "true") }

// decoder reads a request body through its decoders and gives every
// failure as a ClickHouse exception that names the encoding at fault.
type decoder struct {
	r       io.Reader
	what    string // the encodings, for messages
	blocks  *blockGuard
	closers []func() error
}

func (d *decoder) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	return n, d.mapErr(err)
}

func (d *decoder) Close() error {
	var errs []error
	for _, c := range d.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

func (d *decoder) mapErr(err error) error {
	var ce *chdb.Error
	var te transportError
	var corrupt *compress.CorruptedDataErr
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &te):
		return te.err
	case d.blocks != nil && errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && d.blocks.atBoundary():
		return io.EOF // ch-go wraps a clean end between blocks
	case errors.As(err, &corrupt):
		return chError(codeChecksumDoesntMatch, "CHECKSUM_DOESNT_MATCH", "evalhouse: request body (%s): %v", d.what, err)
	}
	return chError(codeCannotDecompress, "CANNOT_DECOMPRESS", "evalhouse: cannot decompress the request body (%s): %v", d.what, err)
}

// transportReader marks errors of reading the request itself, so that they
// are not blamed on an encoding.
type transportReader struct{ r io.Reader }

type transportError struct{ err error }

func (e transportError) Error() string { return e.err.Error() }

func (t transportReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return n, transportError{tooLarge(mbe.Limit, "")}
		}
		return n, transportError{fmt.Errorf("evalhouse: read request body: %w", err)}
	}
	return n, err
}

// capReader passes at most left bytes and fails with err once more arrive.
type capReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n + int(c.left), c.err
	}
	return n, err
}

// blockGuard sits under ch-go's compress.Reader and checks each block's
// header before the reader sizes its buffers from it: the sizes a block
// declares may not exceed what is left of limit, so a 25-byte header
// cannot make the handler allocate more than the body may hold.
type blockGuard struct {
	r         io.Reader
	hdr       [blockHeaderSize]byte
	filled    int   // header bytes read (0 or blockHeaderSize)
	served    int   // header bytes handed on
	left      int64 // compressed bytes left in the current block
	budget    int64 // decompressed bytes the blocks to come may declare
	limit     int64
	truncated bool
}

func (g *blockGuard) atBoundary() bool { return !g.truncated && g.left == 0 && g.served == g.filled }

func (g *blockGuard) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.atBoundary() {
		g.filled, g.served = 0, 0
		n, err := io.ReadFull(g.r, g.hdr[:])
		if err != nil {
			if n == 0 && err == io.EOF {
				return 0, io.EOF
			}
			g.truncated = true
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		g.filled = blockHeaderSize
		raw := int64(binary.LittleEndian.Uint32(g.hdr[17:21]))
		data := int64(binary.LittleEndian.Uint32(g.hdr[21:25]))
		if raw < blockHeaderSize-16 {
			g.truncated = true
			return 0, chError(codeCannotDecompress, "CANNOT_DECOMPRESS",
				"evalhouse: ClickHouse compressed block declares %d bytes, less than its own header", raw)
		}
		if data > g.budget || raw-9 > g.limit {
			g.truncated = true
			return 0, tooLarge(g.limit, " after decompression (a compressed block declares more)")
		}
		g.budget -= data
		g.left = raw - 9
	}
	if g.served < g.filled {
		n := copy(p, g.hdr[g.served:])
		g.served += n
		return n, nil
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, err := g.r.Read(p)
	g.left -= int64(n)
	if err == io.EOF && g.left > 0 {
		g.truncated = true
		return n, io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// answerWriter encodes an answer as the request asked: ClickHouse blocks
// for compress=1, then HTTP compression for enable_http_compression=1 with
// an Accept-Encoding it speaks. Errors go through it too, as ClickHouse
// sends them, so a client that asked for compression reads them the way
// it reads data. With neither asked, it passes bytes through unchanged
// (Content-Length kept). Close ends the encodings and must be called once
// the handler has written everything.
type answerWriter struct {
	http.ResponseWriter
	block       *compress.Writer // nil: no block compression
	pending     []byte           // answer bytes not yet in a block
	enc         string           // Content-Encoding, "" for none
	level       int
	http        io.WriteCloser // the HTTP encoder, once the header is out
	wroteHeader bool
	err         error
}

// newAnswerWriter reads the answer encodings from params and the
// Accept-Encoding header; an unknown network_compression_method is an
// UNKNOWN_COMPRESSION_METHOD error, answered (unencoded) by the caller.
func newAnswerWriter(w http.ResponseWriter, r *http.Request, params url.Values) (*answerWriter, error) {
	a := &answerWriter{ResponseWriter: w, level: 3}
	if on(params.Get("compress")) {
		var m compress.Method
		switch strings.ToUpper(params.Get("network_compression_method")) {
		case "", "LZ4":
			m = compress.LZ4
		case "LZ4HC":
			m = compress.LZ4HC
		case "ZSTD":
			m = compress.ZSTD
		case "NONE":
			m = compress.None
		default:
			return nil, chError(codeUnknownCompressionMethod, "UNKNOWN_COMPRESSION_METHOD",
				"evalhouse: unknown network_compression_method %q (LZ4, LZ4HC, ZSTD and NONE are supported)", params.Get("network_compression_method"))
		}
		a.block = compress.NewWriter(compress.LevelZero, m)
	}
	if on(params.Get("enable_http_compression")) {
		a.enc = negotiateEncoding(r.Header.Get("Accept-Encoding"))
		if l, err := strconv.Atoi(params.Get("http_zlib_compression_level")); err == nil && l >= 1 && l <= 9 {
			a.level = l
		}
	}
	return a, nil
}

// Unwrap gives http.ResponseController the underlying writer.
func (a *answerWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// WriteHeader sends the header with the answer's Content-Encoding; the
// handler's Content-Length no longer holds once anything is encoded.
func (a *answerWriter) WriteHeader(code int) {
	if a.wroteHeader {
		return
	}
	a.wroteHeader = true
	h := a.Header()
	if a.block != nil || a.enc != "" {
		h.Del("Content-Length")
	}
	if a.enc != "" {
		h.Set("Content-Encoding", a.enc)
		h.Add("Vary", "Accept-Encoding")
		a.http = httpEncoder(a.enc, a.level, a.ResponseWriter)
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(p []byte) (int, error) {
	if !a.wroteHeader {
		a.WriteHeader(http.StatusOK)
	}
	if a.err != nil {
		return 0, a.err
	}
	if a.block == nil {
		return a.out(p)
	}
	a.pending = append(a.pending, p...)
	for len(a.pending) >= answerBlockSize {
		if err := a.flushBlock(answerBlockSize); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (a *answerWriter) flushBlock(n int) error {
	if err := a.block.Compress(a.pending[:n]); err != nil {
		a.err = fmt.Errorf("evalhouse: compress answer: %w", err)
		return a.err
	}
	a.pending = a.pending[:copy(a.pending, a.pending[n:])]
	_, err := a.out(a.block.Data)
	return err
}

func (a *answerWriter) out(p []byte) (int, error) {
	var n int
	if a.http != nil {
		n, a.err = a.http.Write(p)
	} else {
		n, a.err = a.ResponseWriter.Write(p)
	}
	return n, a.err
}

// Close writes what is pending and ends the HTTP encoding.
func (a *answerWriter) Close() error {
	if !a.wroteHeader {
		return nil
	}
	if a.block != nil && len(a.pending) > 0 && a.err == nil {
		a.flushBlock(len(a.pending))
	}
	if a.http != nil {
		if err := a.http.Close(); err != nil && a.err == nil {
			a.err = err
		}
		a.http = nil
	}
	return a.err
}

// httpEncoder is the writer for one Content-Encoding negotiateEncoding
// chose; level is ClickHouse's http_zlib_compression_level (1-9).
func httpEncoder(enc string, level int, w io.Writer) io.WriteCloser {
	switch enc {
	case "gzip":
		zw, _ := gzip.NewWriterLevel(w, level)
		return zw
	case "deflate":
		zw, _ := zlib.NewWriterLevel(w, level)
		return zw
	case "br":
		return brotli.NewWriterLevel(w, level)
	case "zstd":
		zw, _ := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)), zstd.WithEncoderConcurrency(1))
		return zw
	}
	panic("chhttp: no encoder for " + enc) // negotiateEncoding returns only the above
}
