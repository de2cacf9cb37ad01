package datasets

import (
	"fmt"
	"slices"
	"strings"
)

// ChangeTypes are the kinds of change a release can make: the one list
// that rules (applies_to), gates (change_types, --change-type) and dataset
// cases (change_types) share, so a case, a rule and a gate that speak of
// "tool" mean the same change. docs/datasets.md lists them.
var ChangeTypes = []string{"prompt", "model", "tool", "retrieval", "memory", "workflow", "policy"}

// IsChangeType reports whether ct is one of ChangeTypes.
func IsChangeType(ct string) bool { return slices.Contains(ChangeTypes, ct) }

// changeTypeList is ChangeTypes for messages.
var changeTypeList = strings.Join(ChangeTypes, ", ")

// checkChangeTypes refuses a case whose change_types name a kind of change
// not in ChangeTypes; the message names the case and the item's position,
// never the value.
func checkChangeTypes(cases []Case) error {
	for i, c := range cases {
		for j, ct := range c.ChangeTypes {
			if !IsChangeType(ct) {
				return fmt.Errorf("datasets: case %d: field change_types: item %d is not a change type (want %s)", i+1, j+1, changeTypeList)
			}
		}
	}
	return nil
}

// Provenance keys a case promoted from an incident carries in
// Case.Provenance: datasets/incidents writes them, the gate reads them to
// list the fixtures a release was tested against.
const (
	ProvIncident   = "incident"    // the incident id, e.g. "INC-7"
	ProvSeverity   = "severity"    // the incident's severity
	ProvTraceID    = "trace_id"    // the trace the fixture was promoted from
	ProvRunID      = "run_id"      // its run
	ProvRelease    = "release"     // the release that ran it
	ProvTask       = "task"        // the run's task
	ProvPromotedBy = "promoted_by" // who promoted it
	ProvPromotedAt = "promoted_at" // when, RFC 3339
	// ProvRedactions counts the values redacted once more at promotion.
	ProvRedactions = "redactions_at_promotion"
)

// Incident returns the incident a case was promoted from and the trace it
// came from; ok is false for an authored case.
func (c Case) Incident() (incident, traceID string, ok bool) {
	incident, _ = c.Provenance[ProvIncident].(string)
	traceID, _ = c.Provenance[ProvTraceID].(string)
	return incident, traceID, incident != ""
}
