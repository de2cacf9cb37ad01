package auth

import (
	"context"
	"testing"
)

func TestCan(t *testing.T) {
	cases := []struct {
		p    Role
		as   Role
		want bool
	}{
		{RoleAdmin, RoleIngest, true}, {RoleAdmin, RoleGate, true},
		{RoleIngest, RoleIngest, true}, {RoleIngest, RoleRead, false}, {RoleIngest, RoleAdmin, false},
		{RoleRead, RoleRead, true}, {RoleRead, RoleIngest, false}, {RoleRead, RoleGate, false},
		{RoleGate, RoleGate, true}, {RoleGate, RoleRead, true}, {RoleGate, RoleIngest, false},
	}
	for _, c := range cases {
		if got := (Principal{Role: c.p}).Can(c.as); got != c.want {
			t.Errorf("%s as %s = %v", c.p, c.as, got)
		}
	}
	if Role("root").Valid() || !RoleGate.Valid() {
		t.Error("Valid")
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Error("a bare context carries a principal")
	}
	ctx := WithPrincipal(context.Background(), Principal{Name: "ci", Role: RoleGate, Tenant: "acme"})
	if p, ok := FromContext(ctx); !ok || p.Name != "ci" || p.Tenant != "acme" {
		t.Errorf("FromContext = %+v, %v", p, ok)
	}
}
