package releases

// Unused lists the statements of sql/ no test has sent, for the snapshot
// test.
func Unused() []string { return stmts.Unused() }
