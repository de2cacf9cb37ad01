package keys_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/keys"
	"github.com/evalhouse/evalhouse/schema"
)

func newStore(t *testing.T) (*keys.Store, *snapshot.Recorder) {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	rec := snapshot.Record(s.Conn)
	return keys.New(rec), rec
}

// A key is shown once and stored only as its hash: no listing, no column
// holds the key, and the listing never carries the hash either.
func TestCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	st, rec := newStore(t)
	secret, k, err := st.Create(ctx, keys.Spec{Name: "ci-ingest", Role: auth.RoleIngest, Tenant: "acme", CreatedBy: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, keys.Prefix) || len(secret) != len(keys.Prefix)+43 {
		t.Fatalf("key %q: want %s and 256 bits in base64url", secret, keys.Prefix)
	}
	if k.Name != "ci-ingest" || k.Role != auth.RoleIngest || k.Tenant != "acme" || k.CreatedBy != "alice" || !k.Live() {
		t.Fatalf("created %+v", k)
	}
	if _, _, err := st.Create(ctx, keys.Spec{Name: "ci-ingest", Role: auth.RoleRead}); !errors.Is(err, keys.ErrExists) {
		t.Fatalf("a second key named ci-ingest: %v", err)
	}
	s2, k2, err := st.Create(ctx, keys.Spec{Role: auth.RoleRead})
	if err != nil || !strings.HasPrefix(k2.Name, "read-") || s2 == secret {
		t.Fatalf("unnamed key: %+v %v", k2, err)
	}
	ks, err := st.List(ctx)
	if err != nil || len(ks) != 2 {
		t.Fatalf("list: %+v %v", ks, err)
	}
	b, _ := json.Marshal(ks)
	for _, leak := range []string{secret, keys.Hash(secret), s2, keys.Hash(s2)} {
		if strings.Contains(string(b), leak) {
			t.Fatalf("the listing holds a key or its hash: %s", b)
		}
	}
	var stored string
	rec.Conn.QueryRow(ctx, "SELECT concat(name, key_sha256, role, tenant, created_by) FROM api_keys WHERE name = 'ci-ingest'").Scan(&stored)
	if strings.Contains(stored, secret) || !strings.Contains(stored, keys.Hash(secret)) {
		t.Fatalf("stored row %q: want the hash, never the key", stored)
	}

	rk, err := st.Revoke(ctx, "ci-ingest", "bob")
	if err != nil || rk.Live() || rk.RevokedBy != "bob" || rk.Tenant != "acme" || !rk.Created.Equal(k.Created) {
		t.Fatalf("revoke: %+v %v", rk, err)
	}
	if _, err := st.Revoke(ctx, "ci-ingest", "bob"); !errors.Is(err, keys.ErrRevoked) {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, err := st.Revoke(ctx, "nosuch", "bob"); !errors.Is(err, keys.ErrNotFound) {
		t.Fatalf("revoking an unknown name: %v", err)
	}
	if _, _, err := st.Create(ctx, keys.Spec{Name: "ci-ingest", Role: auth.RoleIngest}); !errors.Is(err, keys.ErrExists) {
		t.Fatalf("a revoked key's name was reused: %v", err)
	}
}

func TestSpecValidate(t *testing.T) {
	for _, c := range []struct {
		spec keys.Spec
		want string
	}{
		{keys.Spec{Role: "root"}, `role "root"`},
		{keys.Spec{Role: auth.RoleAdmin, Tenant: "acme"}, "admin key cannot be tenant-scoped"},
		{keys.Spec{Role: auth.RoleRead, Name: "a:b"}, `name "a:b"`},
		{keys.Spec{Role: auth.RoleRead, Name: strings.Repeat("n", 65)}, "at most 64"},
		{keys.Spec{Role: auth.RoleIngest, Tenant: "ac\nme"}, "tenant: "},
	} {
		if err := c.spec.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.spec, err, c.want)
		}
	}
	if err := (keys.Spec{Role: auth.RoleGate, Tenant: "acme", Name: "ci.gate_1"}).Validate(); err != nil {
		t.Error(err)
	}
}

// The bootstrap key (a deployment's secret file) is added once, found again
// on the next start, and never brought back once revoked.
func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	if _, _, err := st.Bootstrap(ctx, "short"); err == nil {
		t.Fatal("a short bootstrap key was accepted")
	}
	secret := strings.Repeat("ab12", 16)
	k, created, err := st.Bootstrap(ctx, secret)
	if err != nil || !created || k.Role != auth.RoleAdmin || k.Name != keys.BootstrapName(secret) || strings.Contains(k.Name, keys.Hash(secret)[:8]) {
		t.Fatalf("bootstrap: %+v %v %v", k, created, err)
	}
	if k2, created, err := st.Bootstrap(ctx, secret); err != nil || created || k2.Name != k.Name {
		t.Fatalf("second start: %+v %v %v", k2, created, err)
	}
	if _, err := st.Revoke(ctx, k.Name, "t"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Bootstrap(ctx, secret); !errors.Is(err, keys.ErrRevoked) {
		t.Fatalf("a revoked bootstrap key came back: %v", err)
	}
}

// The verifier refuses a revoked key once its TTL has passed, knows a new
// key at once, and fails closed when the store cannot be read.
func TestVerifier(t *testing.T) {
	ctx := context.Background()
	st, rec := newStore(t)
	var mu sync.Mutex
	now := time.Now()
	v := keys.NewVerifier(st, time.Second)
	v.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	if empty, err := v.Empty(ctx); err != nil || !empty {
		t.Fatalf("no keys yet: empty %v, %v", empty, err)
	}
	secret, _, err := st.Create(ctx, keys.Spec{Name: "r", Role: auth.RoleRead, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	advance(300 * time.Millisecond) // a miss reads again after missReload
	p, err := v.Verify(ctx, secret)
	if err != nil || p != (auth.Principal{Name: "r", Role: auth.RoleRead, Tenant: "acme"}) {
		t.Fatalf("a new key: %+v %v", p, err)
	}
	if _, err := v.Verify(ctx, secret+"x"); !errors.Is(err, keys.ErrUnknown) {
		t.Fatalf("a wrong key: %v", err)
	}
	if _, err := st.Revoke(ctx, "r", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, secret); err != nil {
		t.Fatalf("within the TTL the cached key still passes (that is the contract's bound): %v", err)
	}
	advance(time.Second)
	if p, err := v.Verify(ctx, secret); !errors.Is(err, keys.ErrRevoked) || p.Name != "r" {
		t.Fatalf("revoked, past the TTL: %+v %v", p, err)
	}
	if empty, _ := v.Empty(ctx); empty {
		t.Fatal("a table holding only revoked keys counts as empty: revoking every key would open the doors")
	}
	if err := rec.Conn.Exec(ctx, "RENAME TABLE api_keys TO api_keys_gone"); err != nil {
		t.Fatal(err)
	}
	advance(time.Second)
	if _, err := v.Verify(ctx, secret); err == nil || errors.Is(err, keys.ErrUnknown) || errors.Is(err, keys.ErrRevoked) {
		t.Fatalf("store unreadable: %v, want the store's error", err)
	}
}

// TestSQLSnapshots records every statement on api_keys and compares it with
// testdata/snapshots/<operation>.sql (go test -update rewrites them).
func TestSQLSnapshots(t *testing.T) {
	ctx := context.Background()
	st, rec := newStore(t)
	rec.Take()
	mine := func(q string) bool { return strings.Contains(q, "api_keys") }
	check := func(name string) { t.Helper(); rec.CheckTake(t, name, mine) }

	secret, _, err := st.Create(ctx, keys.Spec{Name: "a", Role: auth.RoleIngest})
	if err != nil {
		t.Fatal(err)
	}
	check("create")
	if _, err := st.List(ctx); err != nil {
		t.Fatal(err)
	}
	check("list")
	if _, err := keys.NewVerifier(st, 0).Verify(ctx, secret); err != nil {
		t.Fatal(err)
	}
	check("verify")
	if _, err := st.Revoke(ctx, "a", "t"); err != nil {
		t.Fatal(err)
	}
	check("revoke")
	for n, forms := range keys.Statements() {
		for _, q := range forms {
			if !rec.Checked(q) {
				t.Errorf("sql/%s.sql, as\n%s\nis sent by no operation of this test", n, q)
			}
		}
	}
}
