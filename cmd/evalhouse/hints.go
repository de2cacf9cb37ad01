package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/incidents"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/internal/chdb"
	"github.com/evalhouse/evalhouse/releases"
)

// Libraries name fields and config keys; the user of this command typed
// flags. This file is where one becomes the other: gateFlag for the gate's
// options, cliError for every other library error a command returns.

// incidentFlags maps incidents.FieldError fields to the flags that set them.
var incidentFlags = map[string]string{
	"trace_ids": "--trace",
	"title":     "--title",
	"severity":  "--severity",
	"expected":  "--expect",
}

// releaseFlags maps releases.FieldError fields to the flags that set them
// (release record's).
var releaseFlags = map[string]string{
	"release":        "RELEASE",
	"stage":          "--stage",
	"stages":         "--stages",
	"environment":    "--environment",
	"cohort":         "--tenants and --percent",
	"cohort.tenants": "--tenants",
	"cohort.percent": "--percent",
	"owner":          "--owner",
	"rollback_owner": "--rollback-owner",
	"note":           "--note",
	"recorded_by":    "--by",
}

// gateFlag is gate.Options.OptionName for the gate command: its option keys
// as flags.
func gateFlag(key string) string {
	switch key {
	case "release":
		return "--release"
	case "change_type":
		return "--change-type"
	}
	return ""
}

// cliError is err in the command line's terms: a field error names the flag
// that sets the field, and errors a command can fix say which; and its text
// is scrubbed (printed, below), since an error may quote what a user
// typed or a file held. The result wraps err (errors.Is and errors.As, the
// exit code, still see it); an error with nothing to change is returned as
// it is.
func cliError(err error) error {
	if err == nil {
		return nil
	}
	msg := reword(err)
	if red := printed(msg); red != err.Error() {
		return &cliErr{msg: red, err: err}
	}
	return err
}

// printRedactor scrubs what the command prints that it did not store:
// errors and log records (every stored text was scrubbed when it was
// stored, by its owner).
var printRedactor = redact.New(redact.DefaultConfig())

// printed is s as the command line may print it.
func printed(s string) string { return redact.Scrub(printRedactor, s, nil) }

// reword is err's text in the command line's terms.
func reword(err error) string {
	var fe *incidents.FieldError
	if errors.As(err, &fe) {
		if flag, ok := incidentFlags[fe.Field]; ok {
			msg := "incidents: " + flag
			if fe.Value != "" {
				msg += fmt.Sprintf(" %q", fe.Value)
			}
			return msg + ": " + fe.Problem
		}
	}
	var rfe *releases.FieldError
	if errors.As(err, &rfe) {
		if flag, ok := releaseFlags[rfe.Field]; ok {
			msg := "release: " + flag
			if rfe.Value != "" {
				msg += fmt.Sprintf(" %q", rfe.Value)
			}
			return msg + ": " + rfe.Problem
		}
	}
	var hint string
	switch {
	case errors.Is(err, datasets.ErrNoDatasets):
		hint = "; create one: evalhouse dataset create NAME --from FILE"
	case errors.Is(err, datasets.ErrStale):
		hint = " (evalhouse dataset add NAME --from FILE --draft)"
	case errors.Is(err, chdb.ErrInUse):
		hint = " (stop that process, or reach its store with --store http://ADDR from its `serve --clickhouse-listen ADDR`)"
	}
	return err.Error() + hint
}

// cliErr is an error reworded for the command line; it unwraps to the
// library's.
type cliErr struct {
	msg string
	err error
}

func (e *cliErr) Error() string { return e.msg }
func (e *cliErr) Unwrap() error { return e.err }

// rewordErrors makes every command under c return its errors through
// cliError.
func rewordErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error { return cliError(run(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		rewordErrors(sub)
	}
}
