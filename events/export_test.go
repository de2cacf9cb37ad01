package events

// Statements are the package's statements, for the snapshot test's check
// that each is used.
var Statements = stmts
