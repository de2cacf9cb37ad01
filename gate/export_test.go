package gate

// Statements lists the statements of sql/ rendered for every way the gate
// sends them, by file name, for the snapshot test.
func Statements() map[string][]string {
	out := map[string][]string{}
	for _, n := range stmts.Names() {
		if n != "last_decision" {
			out[n] = []string{stmts.Get(n)}
		}
	}
	type sel struct {
		Dataset string
		Version uint32
	}
	for _, s := range []sel{{}, {"d", 0}, {"d", 1}} {
		out["last_decision"] = append(out["last_decision"], stmts.Render("last_decision", s))
	}
	return out
}
