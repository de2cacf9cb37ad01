// Package chdb binds the embedded ClickHouse engine (chDB's libchdb.so) with
// purego, so a binary that never opens an embedded store never needs the
// library. The engine is a process-wide singleton: one data directory per
// process, and one process per data directory; it hands out any number of
// independent connections (Conn) to that directory.
package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ebitengine/purego"
)

// Version is the chDB release evalhouse is built and tested against; `make
// libchdb` fetches exactly this one.
const Version = "26.7.3-stable.1"

// ErrLibraryNotFound is returned when libchdb.so is not where we looked.
var ErrLibraryNotFound = errors.New("chdb: libchdb.so not found")

// LibPath returns where libchdb.so is looked for: $CHDB_LIB_PATH when set,
// else the cache that `make libchdb` fills
// ($XDG_CACHE_HOME or ~/.cache)/evalhouse/libchdb/<Version>/libchdb.so.
func LibPath() string {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "evalhouse", "libchdb", Version, "libchdb.so")
}

// lib holds the resolved C entry points.
type lib struct {
	connect           uintptr // chdb_connection *chdb_connect(int argc, char **argv)
	closeConn         uintptr // void chdb_close_conn(chdb_connection *conn)
	queryN            uintptr // chdb_result *chdb_query_n(chdb_connection, const char*, size_t, const char*, size_t)
	resultBuffer      uintptr // char *chdb_result_buffer(chdb_result*)
	resultLength      uintptr // size_t chdb_result_length(chdb_result*)
	resultError       uintptr // const char *chdb_result_error(chdb_result*)
	destroyResult     uintptr // void chdb_destroy_query_result(chdb_result*)
	setSignalHandlers uintptr // void chdb_set_signal_handlers_enabled(int)
	resultRowsRead    uintptr // uint64_t chdb_result_rows_read(chdb_result*)
	streamQueryN      uintptr // chdb_result *chdb_stream_query_n(chdb_connection, const char*, size_t, const char*, size_t)
	streamFetch       uintptr // chdb_result *chdb_stream_fetch_result(chdb_connection, chdb_result*)
	streamCancel      uintptr // void chdb_stream_cancel_query(chdb_connection, chdb_result*)
	classifyN         uintptr // chdb_state chdb_classify_query_n(chdb_connection, const char*, size_t, const char*, size_t, chdb_query_analysis_v1*)
}

var (
	loadOnce sync.Once
	loaded   *lib
	loadErr  error
)

// load opens libchdb.so once per process.
func load() (*lib, error) {
	loadOnce.Do(func() {
		path := LibPath()
		if _, err := os.Stat(path); err != nil {
			loadErr = fmt.Errorf("%w at %s: run `make libchdb` to fetch it, or set CHDB_LIB_PATH", ErrLibraryNotFound, path)
			return
		}
		if loadErr = detachStdin(); loadErr != nil {
			return
		}
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			loadErr = fmt.Errorf("chdb: load %s: %w", path, err)
			return
		}
		l := &lib{}
		for _, s := range []struct {
			name string
			dst  *uintptr
		}{
			{"chdb_connect", &l.connect},
			{"chdb_close_conn", &l.closeConn},
			{"chdb_query_n", &l.queryN},
			{"chdb_result_buffer", &l.resultBuffer},
			{"chdb_result_length", &l.resultLength},
			{"chdb_result_error", &l.resultError},
			{"chdb_destroy_query_result", &l.destroyResult},
			{"chdb_set_signal_handlers_enabled", &l.setSignalHandlers},
			{"chdb_result_rows_read", &l.resultRowsRead},
			{"chdb_stream_query_n", &l.streamQueryN},
			{"chdb_stream_fetch_result", &l.streamFetch},
			{"chdb_stream_cancel_query", &l.streamCancel},
			{"chdb_classify_query_n", &l.classifyN},
		} {
			p, err := purego.Dlsym(h, s.name)
			if err != nil {
				loadErr = fmt.Errorf("chdb: %s lacks %s (want chDB %s): %w", path, s.name, Version, err)
				return
			}
			*s.dst = p
		}
		loaded = l
	})
	return loaded, loadErr
}
