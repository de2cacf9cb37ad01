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
	if s, ok := codeStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

var codeStatus = map[int]int{
	194: http.StatusUnauthorized, // REQUIRED_PASSWORD
	192: http.StatusForbidden,    // UNKNOWN_USER
	193: http.StatusForbidden,    // WRONG_PASSWORD
	516: http.StatusForbidden,    // AUTHENTICATION_FAILED
	512: http.StatusForbidden,    // SET_NON_GRANTED_ROLE
	497: http.StatusForbidden,    // ACCESS_DENIED

	36:  http.StatusBadRequest, // BAD_ARGUMENTS
	427: http.StatusBadRequest, // CANNOT_COMPILE_REGEXP
	6:   http.StatusBadRequest, // CANNOT_PARSE_TEXT
	25:  http.StatusBadRequest, // CANNOT_PARSE_ESCAPE_SEQUENCE
	26:  http.StatusBadRequest, // CANNOT_PARSE_QUOTED_STRING
	38:  http.StatusBadRequest, // CANNOT_PARSE_DATE
	41:  http.StatusBadRequest, // CANNOT_PARSE_DATETIME
	72:  http.StatusBadRequest, // CANNOT_PARSE_NUMBER
	441: http.StatusBadRequest, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
	675: http.StatusBadRequest, // CANNOT_PARSE_IPV4
	676: http.StatusBadRequest, // CANNOT_PARSE_IPV6
	27:  http.StatusBadRequest, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	376: http.StatusBadRequest, // CANNOT_PARSE_UUID
	15:  http.StatusBadRequest, // DUPLICATE_COLUMN
	44:  http.StatusBadRequest, // ILLEGAL_COLUMN
	37:  http.StatusBadRequest, // UNKNOWN_ELEMENT_IN_AST
	123: http.StatusBadRequest, // UNKNOWN_TYPE_OF_AST_NODE
	8:   http.StatusBadRequest, // THERE_IS_NO_COLUMN
	167: http.StatusBadRequest, // TOO_DEEP_AST
	168: http.StatusBadRequest, // TOO_BIG_AST
	223: http.StatusBadRequest, // UNEXPECTED_AST_STRUCTURE
	62:  http.StatusBadRequest, // SYNTAX_ERROR
	117: http.StatusBadRequest, // INCORRECT_DATA
	53:  http.StatusBadRequest, // TYPE_MISMATCH
	321: http.StatusBadRequest, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE

	60:  http.StatusNotFound, // UNKNOWN_TABLE
	46:  http.StatusNotFound, // UNKNOWN_FUNCTION
	47:  http.StatusNotFound, // UNKNOWN_IDENTIFIER
	50:  http.StatusNotFound, // UNKNOWN_TYPE
	56:  http.StatusNotFound, // UNKNOWN_STORAGE
	81:  http.StatusNotFound, // UNKNOWN_DATABASE
	115: http.StatusNotFound, // UNKNOWN_SETTING
	152: http.StatusNotFound, // UNKNOWN_DIRECTION_OF_SORTING
	63:  http.StatusNotFound, // UNKNOWN_AGGREGATE_FUNCTION
	73:  http.StatusNotFound, // UNKNOWN_FORMAT
	336: http.StatusNotFound, // UNKNOWN_DATABASE_ENGINE
	78:  http.StatusNotFound, // UNKNOWN_TYPE_OF_QUERY
	511: http.StatusNotFound, // UNKNOWN_ROLE

	229: http.StatusRequestEntityTooLarge, // QUERY_IS_TOO_LARGE
	48:  http.StatusNotImplemented,        // NOT_IMPLEMENTED
	209: http.StatusServiceUnavailable,    // SOCKET_TIMEOUT
	76:  http.StatusServiceUnavailable,    // CANNOT_OPEN_FILE
	381: http.StatusLengthRequired,        // HTTP_LENGTH_REQUIRED
	159: http.StatusRequestTimeout,        // TIMEOUT_EXCEEDED
	439: http.StatusServiceUnavailable,    // CANNOT_SCHEDULE_TASK
	779: http.StatusUnsupportedMediaType,  // UNSUPPORTED_MEDIA_TYPE
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
