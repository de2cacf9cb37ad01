package chhttp

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chdb"
	"github.com/evalhouse/evalhouse/internal/sqlguard"
)

// rights are what a request may do: read-only (GET, readonly=1|2, a read or
// gate key, `evalhouse sql`), and admin (an admin key, or evalhouse's own
// in-process clients).
type rights struct {
	readOnly bool
	admin    bool
	// open: no key was checked (serve runs without keys, on loopback
	// only): every local process may read and insert rows, but DDL and
	// server statements (SYSTEM, KILL, BACKUP, …) need an admin key.
	open bool
	// ingest: an ingest key, which may insert rows it sends into
	// agent_events and nothing else.
	ingest    bool
	principal auth.Principal
	// scope are the settings that confine the key's reads (scopeSettings).
	scope [][2]string
}

// plan is how a statement the policy allowed runs.
type plan struct {
	// readOnly: on a --readonly=1 connection, so the engine itself refuses
	// writes, DDL, SET and the table functions that reach the host or the
	// network.
	readOnly bool
	// stateful: the statement changes the connection's session (SET, USE,
	// …): a pooled connection that ran it is not reused.
	stateful bool
	// reaches: the statement names a table function that reaches the host
	// or the network; only a read-only connection makes that safe for a
	// client without an admin key.
	reaches bool
}

// judge decides whether query may run with rights r, by the engine's own
// classifier (chdb_classify_query_n) and, where a class is not enough, the
// engine's AST (EXPLAIN AST, on a read-only connection). The text sniff
// (sqlguard) only words the refusal.
//
// Read-write requests of a trusted handler (evalhouse's own code) are not
// classified: they are the admin's, and parsing every statement twice
// would slow ingest's large reads.
func (h *Handler) judge(ctx context.Context, query string, r rights) (plan, error) {
	if h.trusted && !r.readOnly {
		return plan{stateful: !plainReadVerbs[strings.ToUpper(sqlguard.FirstWord(query))]}, nil
	}
	a, err := h.engine.Classify(ctx, query)
	if err != nil {
		return plan{}, err
	}
	switch {
	case a.Statements > 1:
		return plan{}, refusal(62, "SYNTAX_ERROR", "one statement per request: the text holds "+itoa(int(a.Statements))+" (multi-statement requests are refused)")
	case a.Statements == 0:
		// Does not parse: let a read-only connection word the syntax error.
		return plan{readOnly: true, stateful: true}, nil
	}
	// The AST is needed to tell INSERT from DDL, SET/USE from SYSTEM/KILL,
	// and to find the file() function, which readonly=1 does not stop.
	needAST := r.readOnly || !r.admin
	var ast astInfo
	if needAST {
		if ast, err = h.explainAST(ctx, query); err != nil {
			return plan{}, err
		}
		if ast.calls["file"] && !r.admin || ast.calls["file"] && r.readOnly {
			return plan{}, refusal(497, "ACCESS_DENIED", "the file() function reads host files: refused on this interface")
		}
	}
	reaches := false
	for f := range ast.calls {
		reaches = reaches || reachingFunctions[f]
	}
	if r.principal.Tenant != "" {
		for _, f := range ast.tableFunctions {
			if !scopedTableFunctions[f] {
				return plan{}, refusal(497, "ACCESS_DENIED", "table function "+f+"(): a tenant-scoped key reads tables by name only, where its tenant filter applies")
			}
		}
	}
	switch a.Class {
	case chdb.ClassReadOnly:
		return plan{readOnly: r.readOnly || !r.admin, reaches: reaches}, nil
	case chdb.ClassControl:
		if needAST && (ast.root == "Set" || ast.root == "UseQuery") {
			return plan{readOnly: r.readOnly, stateful: true}, nil
		}
		if r.readOnly {
			return plan{}, readOnlyRefusal(query, "it changes server or session state, or writes outside the store (SYSTEM, KILL, BACKUP, INTO OUTFILE, …)")
		}
		if !r.admin {
			return plan{}, adminOnly("SYSTEM, KILL, BACKUP, INTO OUTFILE and other server statements")
		}
		return plan{stateful: true}, nil
	case chdb.ClassMutating, chdb.ClassMutatingGlobal:
		if r.readOnly {
			return plan{}, readOnlyRefusal(query, "it writes")
		}
		if r.admin {
			return plan{}, nil
		}
		// An ingest key inserts rows it sends (FORMAT …, VALUES) into
		// agent_events (a local process without keys, into any table); DDL, INSERT … SELECT, every function call and every
		// other table are an admin's. A tenant-scoped key inserts through
		// /v1/events and /v1/traces, where its scope is applied to each row.
		if (r.ingest || r.open) && a.Class == chdb.ClassMutating && ast.root == "InsertQuery" && !ast.hasSelect && len(ast.calls) == 0 {
			switch {
			case r.open: // a local process, on a serve without keys
			case ast.insertTable != "agent_events":
				return plan{}, refusal(497, "ACCESS_DENIED", "an ingest key may insert rows in agent_events only")
			case r.principal.Tenant != "":
				return plan{}, refusal(497, "ACCESS_DENIED", "a tenant-scoped ingest key writes through POST /v1/events or /v1/traces, where its tenant is checked on every event")
			}
			return plan{}, nil
		}
		return plan{}, adminOnly("DDL (CREATE, ALTER, DROP, TRUNCATE, …), INSERT … SELECT and writes beside the databases")
	default:
		if r.admin && !r.readOnly {
			return plan{stateful: true}, nil
		}
		return plan{}, refusal(497, "ACCESS_DENIED", "the engine cannot classify this statement: refused on this interface")
	}
}

// reachingFunctions are table functions that reach the host or the
// network. The engine's readonly=1 refuses them on a read-only connection;
// this list only guards a read-write session of a client without an admin
// key, whose reads cannot move to a read-only connection.
var reachingFunctions = map[string]bool{
	"file": true, "filecluster": true, "url": true, "urlcluster": true, "s3": true, "s3cluster": true,
	"gcs": true, "cosn": true, "oss": true, "remote": true, "remotesecure": true, "cluster": true,
	"clusterallreplicas": true, "mysql": true, "postgresql": true, "mongodb": true, "redis": true,
	"sqlite": true, "hdfs": true, "hdfscluster": true, "executable": true, "jdbc": true, "odbc": true,
	"azureblobstorage": true, "azureblobstoragecluster": true, "iceberg": true, "icebergs3": true,
	"icebergazure": true, "iceberghdfs": true, "iceberglocal": true, "deltalake": true, "hudi": true,
	"hive": true, "arrowflight": true, "ytsaurus": true, "paimon": true, "dictionary": false,
}

// plainReadVerbs start statements that leave a pooled connection as it
// was; any other statement of a trusted client (SET, USE, …) retires the
// connection after its request.
var plainReadVerbs = map[string]bool{
	"SELECT": true, "WITH": true, "INSERT": true, "DESCRIBE": true, "DESC": true, "SHOW": true,
	"EXISTS": true, "EXPLAIN": true, "CREATE": true, "ALTER": true, "DROP": true, "OPTIMIZE": true,
	"TRUNCATE": true, "RENAME": true,
}

// astInfo is what judge reads from EXPLAIN AST.
type astInfo struct {
	root      string          // the root node's kind: SelectWithUnionQuery, InsertQuery, Set, UseQuery, …
	calls     map[string]bool // every function named in the AST, lower-cased
	hasSelect bool            // a SELECT appears anywhere
	// tableFunctions are the functions in table position (FROM f(…)),
	// lower-cased.
	tableFunctions []string
	// insertTable is an InsertQuery's table (without its database).
	insertTable string
}

var astFunctionRE = regexp.MustCompile(`(?m)^\s*Function (\S+)`)

// explainAST parses query with the engine on the handler's read-only AST
// connection. Only a single statement may be passed (judge checks): the
// engine would run every statement of a multi-statement text.
func (h *Handler) explainAST(ctx context.Context, query string) (astInfo, error) {
	l, err := h.astPool.get(ctx, true, nil)
	if err != nil {
		return astInfo{}, err
	}
	out, err := l.conn.Query(ctx, "", "EXPLAIN AST "+query, "TabSeparated")
	l.release(err == nil)
	if err != nil {
		return astInfo{}, err
	}
	return parseAST(unescapeTSV(string(out))), nil
}

func parseAST(text string) astInfo {
	info := astInfo{calls: map[string]bool{}}
	first, rest, _ := strings.Cut(text, "\n")
	if f := strings.Fields(first); len(f) > 0 {
		info.root = f[0]
	}
	for _, m := range astFunctionRE.FindAllStringSubmatch(rest, -1) {
		info.calls[strings.ToLower(m[1])] = true
	}
	info.hasSelect = info.root == "SelectWithUnionQuery" || strings.Contains(rest, "SelectWithUnionQuery")
	lines := strings.Split(rest, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "TableExpression") && i+1 < len(lines) {
			if f := strings.Fields(lines[i+1]); len(f) >= 2 && f[0] == "Function" {
				info.tableFunctions = append(info.tableFunctions, strings.ToLower(f[1]))
			}
		}
	}
	if info.root == "InsertQuery" {
		// The table is the last of the Identifiers that open the query's
		// children (database, table), before its column list or data.
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 2 || f[0] != "Identifier" || len(l)-len(strings.TrimLeft(l, " ")) != 1 {
				break
			}
			info.insertTable = f[1]
		}
	}
	return info
}

// unescapeTSV undoes TabSeparated escaping of EXPLAIN's one column.
func unescapeTSV(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\t`, "\t", `\n`, "\n").Replace(s)
}

func refusal(code int, name, msg string) error {
	return &chdb.Error{Code: code, Name: name, Message: "Code: " + itoa(code) + ". DB::Exception: " + msg + " (" + name + ")"}
}

func adminOnly(what string) error {
	return refusal(497, "ACCESS_DENIED", what+" need an admin key on this interface")
}

// readOnlyRefusal words a read-only refusal, with the sniff's reading of
// the verb when it has one.
func readOnlyRefusal(query, why string) error {
	msg := "this request is read-only (GET, readonly=1, a read or gate key, or evalhouse sql) and " + why
	if err := sqlguard.ReadOnly(query); err != nil {
		msg += ": " + strings.TrimPrefix(err.Error(), "sqlguard: ")
	}
	return refusal(164, "READONLY", msg)
}

func itoa(n int) string { return strconv.Itoa(n) }
