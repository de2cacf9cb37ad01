package keys

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/evalhouse/evalhouse/internal/auth"
)

// Need is what a request must present to pass a Guard.
type Need struct {
	// Public requests pass without a key (/healthz, /readyz).
	Public bool
	// Role the key must be able to act as (auth.Principal.Can); "" means
	// any valid key.
	Role auth.Role
}

// The needs a Policy returns most.
var (
	Public = Need{Public: true}
	AnyKey = Need{}
)

// Require is the need of a key able to act as role.
func Require(role auth.Role) Need { return Need{Role: role} }

// Policy says what a request needs; it sees the request before the guard
// has authenticated it.
type Policy func(*http.Request) Need

// GuardOptions configure a Guard.
type GuardOptions struct {
	// OpenWithoutKeys lets requests without a key through, with no
	// principal, while no key has ever been created: serve on loopback
	// without keys. A presented key is still checked (and refused).
	OpenWithoutKeys bool
	// ClickHouse answers refusals as ClickHouse's HTTP interface does
	// (plain text, X-ClickHouse-Exception-Code); otherwise as JSON
	// {"error": "…"}.
	ClickHouse bool
	// Log receives one line per refusal (the key's name when known, never
	// the key); nil discards.
	Log *slog.Logger
}

// ClickHouse's exception codes for the refusals.
const (
	chAuthenticationFailed = "516"
	chAccessDenied         = "497"
	chUnavailable          = "210" // NETWORK_ERROR: the key store is unreachable
)

// Guard checks the key of every request policy does not make public, and
// hands next the request with the key's principal in its context
// (auth.WithPrincipal) and every credential removed from it (headers and
// the password parameter), so nothing behind the guard logs or forwards
// a key. It answers:
//
//	401  no key, a wrong or revoked key, or two different keys (WWW-Authenticate)
//	403  a valid key whose role may not do this
//	503  the key store cannot be read (Retry-After): keys fail closed
//
// A key is accepted as Authorization: Bearer KEY, as the password of HTTP
// basic auth (any user name), as X-ClickHouse-Key, or as the password URL
// parameter.
func (v *Verifier) Guard(next http.Handler, policy Policy, opts GuardOptions) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	refuse := func(w http.ResponseWriter, status int, msg string) {
		if status == http.StatusUnauthorized {
			w.Header().Add("WWW-Authenticate", `Bearer realm="evalhouse"`)
			w.Header().Add("WWW-Authenticate", `Basic realm="evalhouse", charset="UTF-8"`)
		}
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		if opts.ClickHouse {
			code, name := chAuthenticationFailed, "AUTHENTICATION_FAILED"
			switch status {
			case http.StatusForbidden:
				code, name = chAccessDenied, "ACCESS_DENIED"
			case http.StatusServiceUnavailable:
				code, name = chUnavailable, "NETWORK_ERROR"
			}
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			w.Header().Set("X-ClickHouse-Exception-Code", code)
			w.WriteHeader(status)
			// ClickHouse's own shape, "(NAME)" last: clients parse the code
			// and type from it (clickhouse-go, @clickhouse/client).
			w.Write([]byte("Code: " + code + ". DB::Exception: evalhouse: " + msg + ". (" + name + ")\n"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need := policy(r)
		if need.Public {
			next.ServeHTTP(w, r)
			return
		}
		secret, err := Credential(r)
		if err != nil {
			log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err.Error())
			refuse(w, http.StatusUnauthorized, err.Error())
			return
		}
		if secret == "" {
			if opts.OpenWithoutKeys {
				empty, err := v.Empty(r.Context())
				if err != nil {
					log.Error("key store unreadable", "err", err)
					refuse(w, http.StatusServiceUnavailable, "the key store cannot be read; retry")
					return
				}
				if empty {
					// Open to local processes only: not to a web page in a
					// local browser (a cross-site Origin) nor to a name that
					// resolves here by DNS rebinding (a foreign Host).
					if why := notLocal(r); why != "" {
						log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", why)
						refuse(w, http.StatusForbidden, why)
						return
					}
					next.ServeHTTP(w, stripped(r))
					return
				}
			}
			refuse(w, http.StatusUnauthorized, "a key is required (Authorization: Bearer KEY, basic auth password, X-ClickHouse-Key or ?password=)")
			return
		}
		p, err := v.Verify(r.Context(), secret)
		switch {
		case errors.Is(err, ErrUnknown), errors.Is(err, ErrRevoked):
			// One answer for both: a caller learns nothing about which keys exist.
			log.Info("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "key", p.Name, "reason", err.Error())
			refuse(w, http.StatusUnauthorized, "invalid key")
			return
		case err != nil:
			log.Error("key store unreadable", "err", err)
			refuse(w, http.StatusServiceUnavailable, "the key store cannot be read; retry")
			return
		}
		if need.Role != "" && !p.Can(need.Role) {
			log.Info("request forbidden", "path", r.URL.Path, "method", r.Method, "key", p.Name, "role", p.Role, "needs", need.Role)
			refuse(w, http.StatusForbidden, "key "+p.Name+" (role "+string(p.Role)+") may not do this: it needs role "+string(need.Role))
			return
		}
		r = stripped(r)
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// Credential returns the key a request presents, "" when none. Every form
// it is sent in counts; two different keys in one request are an error
// (which one would be meant is a guess, and a guard does not guess).
// A basic-auth user name is ignored.
func Credential(r *http.Request) (string, error) {
	var found []string
	for _, h := range r.Header.Values("Authorization") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToLower(scheme) {
		case "bearer":
			found = append(found, rest)
		case "basic":
			b, err := base64.StdEncoding.DecodeString(rest)
			if err != nil {
				return "", errors.New("malformed basic authorization")
			}
			_, pass, ok := strings.Cut(string(b), ":")
			if !ok {
				return "", errors.New("malformed basic authorization")
			}
			found = append(found, pass)
		default:
			return "", errors.New("unsupported authorization scheme (use Bearer or Basic)")
		}
	}
	found = append(found, r.Header.Values("X-ClickHouse-Key")...)
	q, _ := url.ParseQuery(r.URL.RawQuery) // the pairs that parse
	found = append(found, q["password"]...)
	key := ""
	for _, f := range found {
		switch {
		case f == "":
		case key == "":
			key = f
		case f != key:
			return "", errors.New("more than one different key presented")
		}
	}
	return key, nil
}

// stripped is r without its credentials: the Authorization and
// X-ClickHouse-Key headers and the password URL parameter.
func stripped(r *http.Request) *http.Request {
	c := r.Clone(r.Context())
	c.Header.Del("Authorization")
	c.Header.Del("X-ClickHouse-Key")
	if c.URL.RawQuery != "" {
		// Drop the password pairs only, keeping the rest as it was sent.
		var kept []string
		for _, pair := range strings.Split(c.URL.RawQuery, "&") {
			k, _, _ := strings.Cut(pair, "=")
			if uk, err := url.QueryUnescape(k); err == nil && uk == "password" {
				continue
			}
			kept = append(kept, pair)
		}
		c.URL.RawQuery = strings.Join(kept, "&")
		c.RequestURI = c.URL.RequestURI()
	}
	return c
}

// notLocal says why a request without a key, on a serve without keys, is
// not a local process's: a browser's cross-site request (Origin or
// Sec-Fetch-Site naming another site) or a Host that is not a loopback
// name (DNS rebinding). "" when it is local.
func notLocal(r *http.Request) string {
	if !loopbackHost(r.Host) {
		return "Host " + strconv.Quote(r.Host) + " is not a loopback address: without keys, serve answers local processes only"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !loopbackHost(u.Host) {
			return "cross-site request (Origin " + strconv.Quote(o) + ") refused: without keys, serve answers local processes only"
		}
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "cross-site request refused: without keys, serve answers local processes only"
	}
	return ""
}

// loopbackHost reports whether a Host header (name or IP, with or without
// port) names this machine's loopback.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
