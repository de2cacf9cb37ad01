package main

import (
	"encoding/json"
	"io"
)

// printJSON is every command's JSON output: v indented by two spaces, one
// value per call, newline-terminated, with "<", ">" and "&" as written (a
// terminal and jq read them; HTML escapes would only obscure the data).
func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
