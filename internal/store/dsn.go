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
			return DSN{}, fmt.Errorf("store: %q names no data directory: want embedded://PATH", redactDSN(s))
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return DSN{}, fmt.Errorf("store: %q: %w", redactDSN(s), DSN{Raw: s}.maskErr(err))
		}
		for k := range q {
			if k != "database" {
				return DSN{}, fmt.Errorf("store: %q: unknown option %q (embedded stores take only database=)", redactDSN(s), k)
			}
		}
		return DSN{Kind: Embedded, Path: path, Database: q.Get("database"), Raw: s}, nil
	case "clickhouse", "tcp":
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("store: %q: %w", redactDSN(s), DSN{Raw: s}.maskErr(err))
		}
		return DSN{Kind: Native, Database: strings.Trim(u.Path, "/"), Raw: s}, nil
	case "http", "https":
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("store: %q: %w", redactDSN(s), DSN{Raw: s}.maskErr(err))
		}
		return DSN{Kind: HTTP, Database: strings.Trim(u.Path, "/"), Raw: s}, nil
	default:
		return DSN{}, fmt.Errorf("store: unknown scheme %q in %q: want embedded, clickhouse, http or https", scheme, redactDSN(s))
	}
}

// String is the address with any password masked, for logs and errors.
func (d DSN) String() string { return redactDSN(d.Raw) }

// redactDSN masks every password s carries: the userinfo password
// (scheme://user:PASS@host) and the value of every query parameter whose
// name says it holds a secret (password=, pass=, pwd=, secret=, token=,
// key=, auth…), as "xxxxx". It works on text url.Parse refuses too.
func redactDSN(s string) string {
	out := s
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			out = u.String()
		}
	} else if err != nil {
		out = maskUserinfo(s)
	}
	q := strings.IndexByte(out, '?')
	if q < 0 {
		return out
	}
	params := strings.Split(out[q+1:], "&")
	for i, p := range params {
		if k, _, ok := strings.Cut(p, "="); ok && secretParam(k) {
			params[i] = k + "=xxxxx"
		}
	}
	return out[:q+1] + strings.Join(params, "&")
}

// maskUserinfo masks the password of scheme://user:PASS@host in text that
// is not a parseable URL.
func maskUserinfo(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	at := strings.LastIndexByte(strings.SplitN(rest, "/", 2)[0], '@')
	if at < 0 {
		return s
	}
	start := len(s) - len(rest)
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return s
	}
	return s[:start+colon+1] + "xxxxx" + s[start+at:]
}

// secretParam reports whether a query parameter name says its value is a
// secret.
func secretParam(k string) bool {
	k = strings.ToLower(k)
	if u, err := url.QueryUnescape(k); err == nil {
		k = u
	}
	for _, w := range []string{"pass", "pwd", "secret", "token", "auth", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return k == "key" || strings.HasSuffix(k, "_key") || strings.HasSuffix(k, "apikey")
}

// maskErr returns err with every password d carries replaced by "xxxxx"
// in its message (a driver's error may quote the DSN or a parameter of
// it); errors.Is and errors.As still see err.
func (d DSN) maskErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := strings.ReplaceAll(msg, d.Raw, redactDSN(d.Raw))
	for _, p := range d.passwords() {
		masked = strings.ReplaceAll(masked, p, "xxxxx")
	}
	if masked == msg {
		return err
	}
	return &maskedError{msg: masked, err: err}
}

// passwords lists the secrets d.Raw carries, as given and URL-decoded.
func (d DSN) passwords() []string {
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		out = append(out, p)
		if u, err := url.QueryUnescape(p); err == nil && u != p && u != "" {
			out = append(out, u)
		}
	}
	if u, err := url.Parse(d.Raw); err == nil {
		if u.User != nil {
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
		for k, vs := range u.Query() {
			if secretParam(k) {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	return out
}

// maskedError is an error whose message had passwords masked.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
