package chhttp

// CodeNames gives external tests every exception code the interface
// names, with the name it gives it.
func CodeNames() map[int]string {
	names := map[int]string{
		codeUnsupportedMethod: "UNSUPPORTED_METHOD", codeChecksumDoesntMatch: "CHECKSUM_DOESNT_MATCH",
		codeSyntaxError: "SYNTAX_ERROR", codeUnknownCompressionMethod: "UNKNOWN_COMPRESSION_METHOD",
		codeQueryIsTooLarge: "QUERY_IS_TOO_LARGE", codeCannotDecompress: "CANNOT_DECOMPRESS",
	}
	for code, c := range codeStatus {
		names[code] = c.name
	}
	return names
}

// StatusOf is statusOf, for external tests.
var StatusOf = statusOf

// The scope's table lists, for TestEveryTableIsScoped.
var TenantTables, SharedTables, SecretTables = tenantTables, sharedTables, secretTables
