package ingest

import (
	"errors"
	"regexp"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// retryableCodes are ClickHouse error codes that say the store could not
// take the insert now (overload, timeouts, replicas, read-only mode) or is
// not set up for it (no table, no column: not migrated; no access), not
// that the data is bad: the same insert may succeed later.
var retryableCodes = map[int32]bool{
	16: true, 60: true, 81: true, // NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_TABLE, UNKNOWN_DATABASE
	192: true, 497: true, 516: true, // UNKNOWN_USER, ACCESS_DENIED, AUTHENTICATION_FAILED
	3:   true,            // UNEXPECTED_END_OF_FILE
	159: true, 160: true, // TIMEOUT_EXCEEDED, TOO_SLOW
	164: true,                       // READONLY
	202: true, 203: true, 204: true, // TOO_MANY_SIMULTANEOUS_QUERIES, NO_FREE_CONNECTION, CANNOT_GET_REPLICATED_DATABASE_SNAPSHOT
	209: true, 210: true, // SOCKET_TIMEOUT, NETWORK_ERROR
	236: true,            // ABORTED
	241: true, 242: true, // MEMORY_LIMIT_EXCEEDED, TABLE_IS_READ_ONLY
	252: true,            // TOO_MANY_PARTS
	285: true, 286: true, // TOO_FEW_LIVE_REPLICAS, UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
	319:  true, // UNKNOWN_STATUS_OF_INSERT
	394:  true, // QUERY_WAS_CANCELLED
	425:  true, // SYSTEM_ERROR
	999:  true, // KEEPER_EXCEPTION
	1000: true, // POCO_EXCEPTION: the server's own failure, not the data's
	1002: true, // UNKNOWN_EXCEPTION
}

// over HTTP, clickhouse-go reports the server's exception as text.
var codeInText = regexp.MustCompile(`\bcode: (\d+)`)

// storeRefused reports whether err is the store refusing the data itself
// (a ClickHouse exception whose code is not one of overload or
// availability): the same rows would be refused again, so they are to be
// rejected (and dead-lettered), not retried. Every other store failure — a
// connection error, a timeout, an overloaded server — is retryable.
// IsPermanent includes it.
func storeRefused(err error) bool {
	if errors.Is(err, errUnisolated) {
		return true
	}
	code, ok := exceptionCode(err)
	return ok && !retryableCodes[code]
}

func exceptionCode(err error) (int32, bool) {
	if err == nil {
		return 0, false
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return ex.Code, true
	}
	if m := codeInText.FindStringSubmatch(err.Error()); m != nil {
		if n, perr := strconv.ParseInt(m[1], 10, 32); perr == nil {
			return int32(n), true
		}
	}
	return 0, false
}

// refusalReason is what a rejected row's caller is told: the store's
// message (naming the column or constraint), kept short. The row was
// redacted before the insert, so the message cannot carry a secret.
func refusalReason(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return "the store refused the event: " + msg
}
