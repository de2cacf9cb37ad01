// Package auth is who a request is: the principal a key names (its role
// and tenant scope), carried in the request's context from the serve
// listener that checked the key to every handler that acts on it.
//
// Keys themselves (creation, hashing, storage, revocation) and the HTTP
// middleware that checks them live with the key store; this package is
// only the vocabulary every handler shares, so handlers import no store.
package auth

import "context"

// Role is what a key may do.
type Role string

// The roles. Admin may do everything; the others only their own job.
const (
	// RoleIngest writes events (POST /v1/events, /v1/traces) and inserts
	// into agent_events through the ClickHouse interface.
	RoleIngest Role = "ingest"
	// RoleRead reads (the ClickHouse interface read-only, GET /v1/gates,
	// reports).
	RoleRead Role = "read"
	// RoleGate runs gates (POST /v1/gates) and reads their history.
	RoleGate Role = "gate"
	// RoleAdmin administers: keys, DDL, SYSTEM, KILL, every other role's work.
	RoleAdmin Role = "admin"
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleIngest, RoleRead, RoleGate, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Principal is the holder of a checked key.
type Principal struct {
	// Name is the key's name (for logs and ingest_log), never the key.
	Name string
	// Role is what it may do.
	Role Role
	// Tenant, when not "", is the only tenant it may write or read.
	Tenant string
}

// Can reports whether p may act as role: admin may act as any role, gate
// also reads gate history (RoleRead of gates), every other role only as
// itself.
func (p Principal) Can(role Role) bool {
	return p.Role == RoleAdmin || p.Role == role || (p.Role == RoleGate && role == RoleRead)
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal ctx carries. ok is false when the
// request was not authenticated: serve runs without keys (loopback only,
// with a warning), and every local process may then read and write.
func FromContext(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
