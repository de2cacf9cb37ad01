package incidents

// OwnStatements are the statements of sql/, for the snapshot test.
func OwnStatements() map[string]string {
	out := map[string]string{}
	for _, n := range stmts.Names() {
		out[stmts.Get(n)] = n
	}
	return out
}
