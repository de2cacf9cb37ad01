// Package store opens evalhouse's one SQL path: clickhouse-go/v2, reaching
// either the embedded engine in this process (through ClickHouse's HTTP
// interface, served in-process) or a ClickHouse server or cluster.
package store

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultDSN is the store used when neither --store nor EVALHOUSE_STORE says.
const DefaultDSN = "embedded://.evalhouse/data"

// Kind says where a DSN points.
type Kind int

const (
	// Embedded is the engine in this process, on a local data directory.
	Embedded Kind = iota
	// Native is a ClickHouse server over the native protocol (clickhouse://).
	Native
	// HTTP is a ClickHouse server over HTTP(S), including another
	// evalhouse's `serve --clickhouse-listen`.
	HTTP
)

func (k Kind) String() string {
	return [...]string{"embedded", "native", "http"}[k]
}

// DSN is a parsed store address.
type DSN struct {
	Kind     Kind
	Path     string // Embedded: the data directory
	Database string // "" means the server's default ("default" when embedded)
	Raw      string // as given; pass to clickhouse-go for Native and HTTP
}

// ParseDSN reads a store address:
//
//	embedded://PATH[?database=NAME]    the embedded engine on PATH (relative or absolute)
//	clickhouse://user:pass@host:9000/db a ClickHouse server, native protocol
//	http(s)://[user:pass@]host:8123/db  a ClickHouse server over HTTP
func ParseDSN(s string) (DSN, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultDSN
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return DSN{}, fmt.Errorf("store: %q is not a store address: want embedded://PATH, clickhouse://HOST:9000/DB or http://HOST:8123/DB", redactDSN(s))
	}
	switch strings.ToLower(scheme) {
	case "embedded":
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return DSN{}, fmt.Errorf("store: %q names no data directory: want embedded://PATH", s)
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return DSN{}, fmt.Errorf("store: %q: %w", s, err)
		}
		for k := range q {
			if k != "database" {
				return DSN{}, fmt.Errorf("store: %q: unknown option %q (embedded stores take only database=)", s, k)
			}
		}
		return DSN{Kind: Embedded, Path: path, Database: q.Get("database"), Raw: s}, nil
	case "clickhouse", "tcp":
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("store: %q: %w", redactDSN(s), err)
		}
		return DSN{Kind: Native, Database: strings.Trim(u.Path, "/"), Raw: s}, nil
	case "http", "https":
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("store: %q: %w", redactDSN(s), err)
		}
		return DSN{Kind: HTTP, Database: strings.Trim(u.Path, "/"), Raw: s}, nil
	default:
		return DSN{}, fmt.Errorf("store: unknown scheme %q in %q: want embedded, clickhouse, http or https", scheme, redactDSN(s))
	}
}

// String is the address with any password masked, for logs and errors.
func (d DSN) String() string { return redactDSN(d.Raw) }

func redactDSN(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
