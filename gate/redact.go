package gate

import (
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// red is the redactor every text a decision stores or prints passes (the
// one ingest uses, with its default configuration).
var red = redact.New(redact.DefaultConfig())

// scrub redacts one text of a decision (ingest.Scrub).
func scrub(s string) string { return redact.Scrub(red, s, nil) }

// redact replaces every secret in the texts a decision carries from its
// caller or its config, and in what it says about them: commit, owner,
// decided_by, release, baseline release, change types, reasons, check
// messages and the store error. A decision is redacted once it is decided
// (Evaluate, Errored, notStored), so gate_decisions and every evidence
// format (JSON, Markdown, JUnit, text) hold only redacted text. Dataset
// references and case ids are identifiers the dataset store already
// vetted, and are kept.
func (d *Decision) redact() *Decision {
	d.Commit, d.Owner, d.DecidedBy, d.Release = scrub(d.Commit), scrub(d.Owner), scrub(d.DecidedBy), scrub(d.Release)
	d.StoreError = scrub(d.StoreError)
	if d.Baseline != nil {
		d.Baseline.Release = scrub(d.Baseline.Release)
	}
	if d.ChangeTypes != nil {
		cts := make([]string, len(d.ChangeTypes)) // d's slice is the caller's Options.ChangeTypes
		for i, ct := range d.ChangeTypes {
			cts[i] = scrub(ct)
		}
		d.ChangeTypes = cts
	}
	for i := range d.Reasons {
		d.Reasons[i] = scrub(d.Reasons[i])
	}
	for i := range d.holds {
		d.holds[i] = scrub(d.holds[i])
	}
	for i := range d.Checks {
		d.Checks[i].Message = scrub(d.Checks[i].Message)
	}
	return d
}
