package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/store"
)

// plantedToken is a fake GitHub token (ghp_ and 36 alphanumerics), used
// as a store password.
const plantedToken = "ghp_Dsn0Password1Query2abcdefghijklmnopq"

// TestDSNPasswordsNeverPrinted plants a password in the userinfo and in
// ?password= (also URL-encoded and beside other options) of store
// addresses that parse, that fail to parse and that fail to connect, and
// finds it in neither String() nor any error.
func TestDSNPasswordsNeverPrinted(t *testing.T) {
	tok := plantedToken
	for _, dsn := range []string{
		"clickhouse://u:" + tok + "@127.0.0.1:1/db",
		"clickhouse://127.0.0.1:1/db?username=u&password=" + tok,
		"http://127.0.0.1:1/db?dial_timeout=1s&password=" + tok + "&secure=false",
		"https://u@127.0.0.1:1/?Password=" + tok,
		"clickhouse://127.0.0.1:1/db?password=%67" + tok[1:],
		"embedded://x?password=" + tok,
		"embedded://?password=" + tok,
		"clickhouse://u:" + tok + "@host:notaport/db",
		"clickhouse://u:" + tok + "@[::1/db",
		"postgres://u:" + tok + "@h/db",
		"clickhouse://127.0.0.1:1/db?password=" + tok + "&%zz",
	} {
		var texts []string
		if d, err := store.ParseDSN(dsn); err != nil {
			texts = append(texts, err.Error())
		} else {
			texts = append(texts, d.String())
			ctx, cancel := context.WithTimeout(context.Background(), 3e9)
			if s, err := store.Open(ctx, dsn, nil); err != nil {
				texts = append(texts, err.Error())
			} else {
				s.Close()
			}
			cancel()
		}
		for _, x := range texts {
			if strings.Contains(x, tok) || strings.Contains(x, tok[1:]) {
				t.Errorf("%s: printed %q", dsn, x)
			}
		}
	}
}
