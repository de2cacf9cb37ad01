package main

import (
	"fmt"
	"strings"
)

// Exit codes: the one place evalhouse's process exit codes are named. CI
// scripts branch on these numbers, so a value never changes; the gate's
// verdicts use the same numbers (gate.ExitCode), checked by a test.
const (
	// exitOK: the command did what was asked and found nothing wrong.
	exitOK = 0
	// exitFailed: the command ran and the answer is no, or failed: the gate
	// failed, ingest rejected lines, rule tests failed, a stale draft was
	// refused; also any error without a code of its own (store down,
	// unknown flag).
	exitFailed = 1
	// exitUsage: a flag value or combination the command refuses (eval,
	// sql, export, incident promote); flags cobra cannot parse are exitFailed.
	exitUsage = 2
	// exitHold: the gate's evidence is incomplete (hold).
	exitHold = 2
	// exitInvalid: what the command was pointed at is invalid: a gate
	// config, rules that don't compile, an unknown dataset version; the
	// gate's verdict error, which includes a decision gate_decisions did
	// not record (not acted on) and evidence files it could not write.
	exitInvalid = 3
	// exitNarrow: a stage gate's warning check breached (narrow).
	exitNarrow = 4
)

// exitCodes documents the codes in `evalhouse --help`.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success; gate: pass; stage gate: expand"},
	{exitFailed, "failed: gate fail, stage gate rollback, ingest lines rejected, rule tests failed, a stale draft refused, or any other error (store down, unknown flag)"},
	{exitUsage, "a flag value or combination the command refuses (eval, sql, export, incident promote); gate and stage gate: hold, evidence incomplete"},
	{exitInvalid, "invalid input: gate config, rules that don't compile (rules check, eval), unknown dataset version; gate and stage gate: error, including a decision the store did not record"},
	{exitNarrow, "stage gate: narrow, a warning check breached (narrow the cohort or the capability)"},
}

// exitCodeHelp renders exitCodes for the root command's help, each meaning
// wrapped to 78 columns under its code.
func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes (the same for every command; docs/gates.md has the gate's):")
	for _, c := range exitCodes {
		line := fmt.Sprintf("  %d ", c.code)
		for _, w := range strings.Fields(c.meaning) {
			if len(line)+1+len(w) > 78 {
				b.WriteString("\n" + line)
				line = "    "
			}
			line += " " + w
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
