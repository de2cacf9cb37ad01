package keys

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
)

// DefaultTTL is how long a Verifier trusts what it read of api_keys: a key
// revoked through any process is refused by every running serve within it.
const DefaultTTL = 2 * time.Second

// missReload is how soon after a read a key the verifier does not know
// makes it read again (a key created a moment ago works at once; a flood
// of wrong keys costs at most one read per missReload).
const missReload = 250 * time.Millisecond

// Verifier checks presented keys against api_keys. It holds every stored
// hash in memory and reads them again when they are older than its TTL,
// so checking a key costs a map lookup, and a revocation takes effect
// within the TTL. Safe for concurrent use.
type Verifier struct {
	store *Store
	ttl   time.Duration
	now   func() time.Time

	mu     sync.Mutex
	loaded time.Time // zero: never read
	byHash map[string]entry
}

// NewVerifier returns a verifier reading s; ttl <= 0 means DefaultTTL.
func NewVerifier(s *Store, ttl time.Duration) *Verifier {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Verifier{store: s, ttl: ttl, now: time.Now}
}

// Verify returns the principal the key names. A key no stored hash
// matches is ErrUnknown, a revoked one ErrRevoked (with the principal, so
// the caller can log its name); any other error is the store's (the
// caller answers 503: it cannot tell a good key from a bad one). When the
// store cannot be read, Verify fails closed: keys are not trusted past the
// TTL on an old read.
func (v *Verifier) Verify(ctx context.Context, secret string) (auth.Principal, error) {
	h := Hash(secret)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refresh(ctx, v.ttl); err != nil {
		return auth.Principal{}, err
	}
	e, ok := v.byHash[h]
	if !ok {
		if err := v.refresh(ctx, missReload); err != nil {
			return auth.Principal{}, err
		}
		if e, ok = v.byHash[h]; !ok {
			return auth.Principal{}, ErrUnknown
		}
	}
	if e.revoked {
		return e.p, fmt.Errorf("%w: %s", ErrRevoked, e.p.Name)
	}
	return e.p, nil
}

// Empty reports whether no key was ever created (revoked keys count: once
// a key existed, the table is never "empty" again, so revoking every key
// locks the doors instead of opening them).
func (v *Verifier) Empty(ctx context.Context) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refresh(ctx, v.ttl); err != nil {
		return false, err
	}
	return len(v.byHash) == 0, nil
}

// refresh reads the hashes again when the last read is older than maxAge.
// The caller holds mu, so concurrent requests wait for one read.
func (v *Verifier) refresh(ctx context.Context, maxAge time.Duration) error {
	now := v.now()
	if !v.loaded.IsZero() && now.Sub(v.loaded) < maxAge {
		return nil
	}
	hs, err := v.store.hashes(ctx)
	if err != nil {
		return err
	}
	v.byHash, v.loaded = hs, now
	return nil
}
