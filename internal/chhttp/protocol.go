package chhttp

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ClickHouse exception codes the interface itself raises (values as the
// engine's errorCodeToName gives them; a test holds them to it).
const (
	codeUnsupportedMethod        = 1
	codeChecksumDoesntMatch      = 40
	codeSyntaxError              = 62
	codeUnknownCompressionMethod = 89
	codeQueryIsTooLarge          = 229
	codeCannotDecompress         = 271
)

// statusOf maps a ClickHouse exception code to the HTTP status ClickHouse's
// own HTTP interface answers with (its src/Server/HTTP/exceptionCodeToHTTPStatus.cpp);
// every code it does not name is 500.
func statusOf(code int) int {
	if c, ok := codeStatus[code]; ok {
		return c.status
	}
	return http.StatusInternalServerError
}

// codeStatus is keyed by exception code; the names are the engine's
// errorCodeToName of each (a test holds them to the engine).
var codeStatus = map[int]struct {
	name   string
	status int
}{
	194: {"REQUIRED_PASSWORD", http.StatusUnauthorized},
	192: {"UNKNOWN_USER", http.StatusForbidden},
	193: {"WRONG_PASSWORD", http.StatusForbidden},
	516: {"AUTHENTICATION_FAILED", http.StatusForbidden},
	512: {"SET_NON_GRANTED_ROLE", http.StatusForbidden},
	497: {"ACCESS_DENIED", http.StatusForbidden},

	36:  {"BAD_ARGUMENTS", http.StatusBadRequest},
	427: {"CANNOT_COMPILE_REGEXP", http.StatusBadRequest},
	6:   {"CANNOT_PARSE_TEXT", http.StatusBadRequest},
	25:  {"CANNOT_PARSE_ESCAPE_SEQUENCE", http.StatusBadRequest},
	26:  {"CANNOT_PARSE_QUOTED_STRING", http.StatusBadRequest},
	38:  {"CANNOT_PARSE_DATE", http.StatusBadRequest},
	41:  {"CANNOT_PARSE_DATETIME", http.StatusBadRequest},
	72:  {"CANNOT_PARSE_NUMBER", http.StatusBadRequest},
	441: {"CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", http.StatusBadRequest},
	675: {"CANNOT_PARSE_IPV4", http.StatusBadRequest},
	676: {"CANNOT_PARSE_IPV6", http.StatusBadRequest},
	27:  {"CANNOT_PARSE_INPUT_ASSERTION_FAILED", http.StatusBadRequest},
	376: {"CANNOT_PARSE_UUID", http.StatusBadRequest},
	15:  {"DUPLICATE_COLUMN", http.StatusBadRequest},
	44:  {"ILLEGAL_COLUMN", http.StatusBadRequest},
	37:  {"UNKNOWN_ELEMENT_IN_AST", http.StatusBadRequest},
	123: {"UNKNOWN_TYPE_OF_AST_NODE", http.StatusBadRequest},
	8:   {"THERE_IS_NO_COLUMN", http.StatusBadRequest},
	167: {"TOO_DEEP_AST", http.StatusBadRequest},
	168: {"TOO_BIG_AST", http.StatusBadRequest},
	223: {"UNEXPECTED_AST_STRUCTURE", http.StatusBadRequest},
	62:  {"SYNTAX_ERROR", http.StatusBadRequest},
	117: {"INCORRECT_DATA", http.StatusBadRequest},
	53:  {"TYPE_MISMATCH", http.StatusBadRequest},
	321: {"VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE", http.StatusBadRequest},

	60:  {"UNKNOWN_TABLE", http.StatusNotFound},
	46:  {"UNKNOWN_FUNCTION", http.StatusNotFound},
	47:  {"UNKNOWN_IDENTIFIER", http.StatusNotFound},
	50:  {"UNKNOWN_TYPE", http.StatusNotFound},
	56:  {"UNKNOWN_STORAGE", http.StatusNotFound},
	81:  {"UNKNOWN_DATABASE", http.StatusNotFound},
	115: {"UNKNOWN_SETTING", http.StatusNotFound},
	152: {"UNKNOWN_DIRECTION_OF_SORTING", http.StatusNotFound},
	63:  {"UNKNOWN_AGGREGATE_FUNCTION", http.StatusNotFound},
	73:  {"UNKNOWN_FORMAT", http.StatusNotFound},
	336: {"UNKNOWN_DATABASE_ENGINE", http.StatusNotFound},
	78:  {"UNKNOWN_TYPE_OF_QUERY", http.StatusNotFound},
	511: {"UNKNOWN_ROLE", http.StatusNotFound},

	229: {"QUERY_IS_TOO_LARGE", http.StatusRequestEntityTooLarge},
	48:  {"NOT_IMPLEMENTED", http.StatusNotImplemented},
	209: {"SOCKET_TIMEOUT", http.StatusServiceUnavailable},
	76:  {"CANNOT_OPEN_FILE", http.StatusServiceUnavailable},
	381: {"HTTP_LENGTH_REQUIRED", http.StatusLengthRequired},
	159: {"TIMEOUT_EXCEEDED", http.StatusRequestTimeout},
	439: {"CANNOT_SCHEDULE_TASK", http.StatusServiceUnavailable},
	779: {"UNSUPPORTED_MEDIA_TYPE", http.StatusUnsupportedMediaType},
}

// isRootProbe reports whether r is the liveness probe ClickHouse answers
// with "Ok.": a GET or HEAD of / that names no query.
func isRootProbe(r *http.Request) bool {
	if r.URL.Path != "/" && r.URL.Path != "" {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.URL.Query().Get("query") == ""
}

// queryID is the client's query_id, or a fresh random UUID (version 4) as
// ClickHouse makes one when the client names none.
func queryID(params url.Values) string {
	if id := params.Get("query_id"); id != "" {
		return id
	}
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// summary is the X-ClickHouse-Summary header's value: ClickHouse's field
// names, every value a decimal string. Only what the handler knows is
// given: the bytes of the answer (before compression) and the time taken;
// the engine's read and written row counts are not reported to it.
func summary(start time.Time, resultBytes int) string {
	b, _ := json.Marshal(map[string]string{
		"result_bytes": strconv.Itoa(resultBytes),
		"elapsed_ns":   strconv.FormatInt(time.Since(start).Nanoseconds(), 10),
	})
	return string(b)
}

// httpEncodings are the answer encodings the handler speaks, in
// ClickHouse's order of preference when a client accepts several.
var httpEncodings = []string{"zstd", "br", "gzip", "deflate"}

// negotiateEncoding picks the answer's Content-Encoding from an
// Accept-Encoding header: the most preferred of httpEncodings the client
// accepts (a q=0 refuses), "" for none.
func negotiateEncoding(accept string) string {
	accepted := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		accepted[name] = true
	}
	for _, e := range httpEncodings {
		if accepted[e] || (e == "gzip" && accepted["x-gzip"]) {
			return e
		}
	}
	return ""
}
