package keys

import "time"

// Statements returns every form of the package's statements, for the
// snapshot test's coverage check.
func Statements() map[string][]string {
	out := map[string][]string{}
	for _, n := range stmts.Names() {
		if n == "list_keys" {
			out[n] = []string{stmts.Render(n, struct{ Name string }{""}), stmts.Render(n, struct{ Name string }{"x"})}
			continue
		}
		out[n] = []string{stmts.Get(n)}
	}
	return out
}

// SetClock makes v read time from now (tests of the TTL).
func (v *Verifier) SetClock(now func() time.Time) { v.now = now }
