package rollout

// Statements lists the statements of sql/, for the snapshot test.
func Statements() []string {
	var out []string
	for _, n := range stmts.Names() {
		out = append(out, stmts.Get(n))
	}
	return out
}
