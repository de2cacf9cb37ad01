// Package keys owns the api_keys table: the keys that open serve's
// endpoints and its ClickHouse interface. A key is one opaque, random
// string, shown once when it is created and stored only as its SHA-256;
// each key names a principal (auth.Principal: name, role, tenant scope).
//
// Store creates, lists and revokes keys; Verifier checks a presented key
// against the stored hashes through a short-lived cache (a revocation is
// refused by a running serve within DefaultTTL); Guard is the HTTP
// middleware that takes a key in every form clients send one.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chsql"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("keys", sqlFS)

// Errors callers tell apart.
var (
	// ErrNotFound: no key has that name.
	ErrNotFound = errors.New("keys: no such key")
	// ErrExists: a key (live or revoked) already has that name; names are
	// never reused, so a revoked key's row keeps saying who held it.
	ErrExists = errors.New("keys: a key with that name exists")
	// ErrRevoked: the key was revoked.
	ErrRevoked = errors.New("keys: key revoked")
	// ErrUnknown: no stored key has that hash (a wrong key).
	ErrUnknown = errors.New("keys: unknown key")
)

// Prefix starts every key Create makes, so secret scanners and people
// recognise one. Keys from elsewhere (a bootstrap file) need not have it.
const Prefix = "evh_"

// MinSecretLen is the shortest key accepted from outside (a bootstrap
// file): 32 characters of hex already carry 128 bits.
const MinSecretLen = 32

// Key is one row of api_keys as listed: never the key, never its hash.
type Key struct {
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	Tenant    string    `json:"tenant,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	// Revoked is when the key was revoked; zero while it is live.
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// Live reports whether the key has not been revoked.
func (k Key) Live() bool { return k.Revoked.IsZero() }

// Principal is who the key names.
func (k Key) Principal() auth.Principal {
	return auth.Principal{Name: k.Name, Role: k.Role, Tenant: k.Tenant}
}

// Spec is a key to create.
type Spec struct {
	// Name identifies the key in lists, logs and revocation; "" means
	// ROLE-xxxxxx (random). Letters, digits, '.', '_', '-'; at most 64.
	Name string
	// Role is what the key may do.
	Role auth.Role
	// Tenant, when set, is the only tenant the key may write or read. An
	// admin key cannot be scoped (admin is every role's work).
	Tenant string
	// CreatedBy says who made it (an OS user, "bootstrap").
	CreatedBy string
}

// red scrubs the free text a key row keeps (created_by, revoked_by) and
// finds secrets in its identifiers (name, tenant), which are refused.
var red = redact.New(redact.DefaultConfig())

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate reports what is wrong with s, naming the flag-like field.
func (s Spec) Validate() error {
	var errs []error
	if s.Name != "" && !nameRe.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("name %q: letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)", redact.Scrub(red, s.Name, nil)))
	} else if typ := red.Identifier(s.Name); typ != "" {
		errs = append(errs, fmt.Errorf("name: holds a secret (%s); a key's name is shown in lists, logs and decisions", typ))
	}
	if !s.Role.Valid() {
		errs = append(errs, fmt.Errorf("role %q: want one of ingest, read, gate, admin", s.Role))
	}
	if s.Tenant != "" {
		if s.Role == auth.RoleAdmin {
			errs = append(errs, errors.New("tenant: an admin key cannot be tenant-scoped (admin may do everything); use role ingest, read or gate"))
		}
		if typ := red.Identifier(s.Tenant); typ != "" {
			errs = append(errs, fmt.Errorf("tenant: holds a secret (%s)", typ))
		}
		if len(s.Tenant) > 128 || strings.IndexFunc(s.Tenant, unicode.IsControl) >= 0 || strings.TrimSpace(s.Tenant) != s.Tenant {
			errs = append(errs, errors.New("tenant: at most 128 characters, no control characters or surrounding spaces"))
		}
	}
	return errors.Join(errs...)
}

// Hash is what the store keeps of a key: its SHA-256, in hex.
//
// A fast hash is enough here, unlike for passwords: every key Create makes
// carries 256 random bits (and an outside key must be MinSecretLen long),
// so a stolen table cannot be reversed by guessing, however fast each
// guess is; a slow hash (bcrypt, argon2) would only add latency to every
// request. Lookups go by hash, so no key is ever compared byte by byte.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// NewSecret returns a new random key: Prefix and 256 bits, base64url (safe
// in headers, URL user info and query strings).
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return Prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Store reads and writes api_keys.
type Store struct {
	conn driver.Conn
	now  func() time.Time
}

// New returns the key store on conn.
func New(conn driver.Conn) *Store { return &Store{conn: conn, now: time.Now} }

// Create makes a new random key. The key is returned here and nowhere
// else: the store keeps only its hash.
func (s *Store) Create(ctx context.Context, spec Spec) (secret string, k Key, err error) {
	secret = NewSecret()
	k, err = s.Add(ctx, spec, secret)
	if err != nil {
		return "", Key{}, err
	}
	return secret, k, nil
}

// Add stores a key given from outside (a bootstrap file) under spec. It
// must be at least MinSecretLen long, without spaces.
func (s *Store) Add(ctx context.Context, spec Spec, secret string) (Key, error) {
	if err := spec.Validate(); err != nil {
		return Key{}, fmt.Errorf("keys: %w", err)
	}
	if len(secret) < MinSecretLen || strings.IndexFunc(secret, unicode.IsSpace) >= 0 {
		return Key{}, fmt.Errorf("keys: a key must be at least %d characters without spaces (e.g. openssl rand -hex 32)", MinSecretLen)
	}
	if spec.Name == "" {
		spec.Name = string(spec.Role) + "-" + NewSecret()[len(Prefix):len(Prefix)+6]
	}
	if _, err := s.Get(ctx, spec.Name); err == nil {
		return Key{}, fmt.Errorf("%w: %s (names are never reused; pick another --name)", ErrExists, spec.Name)
	} else if !errors.Is(err, ErrNotFound) {
		return Key{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	k := Key{Name: spec.Name, Role: spec.Role, Tenant: spec.Tenant, Created: now, CreatedBy: redact.Scrub(red, spec.CreatedBy, nil)}
	b, err := s.conn.PrepareBatch(ctx, stmts.Get("insert_key"))
	if err != nil {
		return Key{}, fmt.Errorf("keys: create %s: %w", k.Name, err)
	}
	if err := b.Append(k.Name, Hash(secret), string(k.Role), k.Tenant, now, k.CreatedBy, nil, "", uint64(now.UnixMicro())); err != nil {
		b.Abort()
		return Key{}, fmt.Errorf("keys: create %s: %w", k.Name, err)
	}
	if err := b.Send(); err != nil {
		return Key{}, fmt.Errorf("keys: create %s: %w", k.Name, err)
	}
	return k, nil
}

// List returns every key, revoked ones too, oldest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	return s.list(ctx, "")
}

// Get returns the key named name, or ErrNotFound.
func (s *Store) Get(ctx context.Context, name string) (Key, error) {
	ks, err := s.list(ctx, name)
	if err != nil {
		return Key{}, err
	}
	if len(ks) == 0 {
		return Key{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return ks[0], nil
}

func (s *Store) list(ctx context.Context, name string) ([]Key, error) {
	var args []any
	if name != "" {
		args = append(args, clickhouse.Named("name", name))
	}
	rows, err := s.conn.Query(ctx, stmts.Render("list_keys", struct{ Name string }{name}), args...)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var (
			k       Key
			role    string
			revoked *time.Time
		)
		if err := rows.Scan(&k.Name, &role, &k.Tenant, &k.Created, &k.CreatedBy, &revoked, &k.RevokedBy); err != nil {
			return nil, fmt.Errorf("keys: list: %w", err)
		}
		k.Role, k.Created = auth.Role(role), k.Created.UTC()
		if revoked != nil {
			k.Revoked = revoked.UTC()
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	return out, nil
}

// Revoke revokes the key named name; by says who. A running serve refuses
// it within its verifier's TTL. Revoking a revoked key is ErrRevoked (the
// key returned says when it was); an unknown name is ErrNotFound.
func (s *Store) Revoke(ctx context.Context, name, by string) (Key, error) {
	k, err := s.Get(ctx, name)
	if err != nil {
		return Key{}, err
	}
	if !k.Live() {
		return k, fmt.Errorf("%w: %s (at %s)", ErrRevoked, name, k.Revoked.Format(time.RFC3339))
	}
	err = s.conn.Exec(ctx, stmts.Get("revoke_key"), clickhouse.Named("name", name), clickhouse.Named("by", redact.Scrub(red, by, nil)),
		clickhouse.Named("version", uint64(s.now().UnixMicro())))
	if err != nil {
		return Key{}, fmt.Errorf("keys: revoke %s: %w", name, err)
	}
	return s.Get(ctx, name)
}

// entry is what the verifier knows of one stored hash.
type entry struct {
	p       auth.Principal
	revoked bool
}

// hashes reads every stored hash with its principal.
func (s *Store) hashes(ctx context.Context) (map[string]entry, error) {
	rows, err := s.conn.Query(ctx, stmts.Get("key_hashes"))
	if err != nil {
		return nil, fmt.Errorf("keys: read keys: %w", err)
	}
	defer rows.Close()
	out := map[string]entry{}
	for rows.Next() {
		var (
			h, name, role, tenant string
			revoked               bool
		)
		if err := rows.Scan(&h, &name, &role, &tenant, &revoked); err != nil {
			return nil, fmt.Errorf("keys: read keys: %w", err)
		}
		out[h] = entry{p: auth.Principal{Name: name, Role: auth.Role(role), Tenant: tenant}, revoked: revoked}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys: read keys: %w", err)
	}
	return out, nil
}

// BootstrapName is the name Bootstrap gives a key: "bootstrap-" and eight
// hex digits of a fingerprint of the key (not its stored hash), so a new
// key in the file gets a new name and the old one can be revoked.
func BootstrapName(secret string) string {
	h := sha256.Sum256([]byte("evalhouse bootstrap name\x00" + secret))
	return "bootstrap-" + hex.EncodeToString(h[:4])
}

// Bootstrap makes sure an admin key with the given secret exists (a
// deployment's first key, read from a file or secret): it adds one named
// BootstrapName(secret) unless the key is stored already. A key that was
// revoked is ErrRevoked: it is never brought back; put a new key in the
// file. created reports whether it was added now.
func (s *Store) Bootstrap(ctx context.Context, secret string) (k Key, created bool, err error) {
	hs, err := s.hashes(ctx)
	if err != nil {
		return Key{}, false, err
	}
	if e, ok := hs[Hash(secret)]; ok {
		if e.revoked {
			return Key{}, false, fmt.Errorf("%w: the bootstrap key (%s) was revoked; put a new key in the file", ErrRevoked, e.p.Name)
		}
		k, err := s.Get(ctx, e.p.Name)
		return k, false, err
	}
	k, err = s.Add(ctx, Spec{Name: BootstrapName(secret), Role: auth.RoleAdmin, CreatedBy: "bootstrap"}, secret)
	return k, err == nil, err
}
