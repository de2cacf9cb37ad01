// Package releases is the release record and the stage log: what a
// release actually ran with, derived from its events (models, prompt
// versions, tools and their schema versions, policy versions, trace
// export status, where and when it was seen) and from its gate decisions
// (the dataset versions it was judged on), and each stage transition of
// its rollout — who moved it to which stage, for which cohort, who rolls
// it back, and the record at that moment. It owns the release_stages
// table; its statements are sql/*.sql.
package releases

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/evalhouse/evalhouse/ingest/redact"
)

// DefaultStages are our design's six rollout stages, in order: a local
// run, staging, internal read-only use, a limited tenant or cohort,
// expanded traffic, the full release. A rollout with other names passes
// its own list (evalhouse release record --stages, a stage gate's
// stages:); "canary" is not an alias of "cohort": name it in the list.
var DefaultStages = []string{"local", "staging", "internal", "cohort", "expanded", "full"}

// MaxStages bounds a rollout's stage list.
const MaxStages = 32

// stageRE is what a stage name looks like: lower case letters, digits,
// '-', '_' and '.', starting with a letter or digit, at most 64.
var stageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// FieldError is an input a caller must fix. Field names it as Stage's
// JSON does (release, stage, stages, cohort, owner, rollback_owner, …);
// a CLI maps it to its flag.
type FieldError struct {
	Field   string
	Value   string // the value refused, "" when it is missing
	Problem string
}

// Error names the field, the value refused (redacted, clipped) and the
// problem.
func (e *FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("releases: %s %q: %s", e.Field, clip(scrub(e.Value), 80), e.Problem)
	}
	return "releases: " + e.Field + ": " + e.Problem
}

// CheckStages validates a list of stage names: at least one, each a
// name stageRE accepts, none twice.
func CheckStages(stages []string) error {
	if len(stages) == 0 {
		return &FieldError{Field: "stages", Problem: "name at least one stage"}
	}
	if len(stages) > MaxStages {
		return &FieldError{Field: "stages", Problem: fmt.Sprintf("at most %d stages, got %d", MaxStages, len(stages))}
	}
	seen := make(map[string]bool, len(stages))
	for _, s := range stages {
		if !stageRE.MatchString(s) {
			return &FieldError{Field: "stages", Value: s, Problem: "a stage name is lower-case letters, digits, '-', '_' or '.' (at most 64)"}
		}
		if seen[s] {
			return &FieldError{Field: "stages", Value: s, Problem: "named twice"}
		}
		seen[s] = true
	}
	return nil
}

// CheckStage validates stage against stages (DefaultStages when nil),
// naming the allowed list when it is not one of them.
func CheckStage(stage string, stages []string) error {
	if stages == nil {
		stages = DefaultStages
	}
	if err := CheckStages(stages); err != nil {
		return err
	}
	if stage == "" {
		return &FieldError{Field: "stage", Problem: "required: one of " + strings.Join(stages, ", ")}
	}
	if !slices.Contains(stages, stage) {
		return &FieldError{Field: "stage", Value: stage, Problem: "not one of the stages (" + strings.Join(stages, ", ") + "); a rollout with other names lists them (release record --stages, a stage gate's stages:)"}
	}
	return nil
}

// ParseStages splits a comma-separated list of stage names ("local,
// staging,canary,full"), trimming spaces, and validates it.
func ParseStages(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if err := CheckStages(out); err != nil {
		return nil, err
	}
	return out, nil
}

// red is the redactor every text the package stores or prints passes
// (ingest's, with its default configuration).
var red = redact.New(redact.DefaultConfig())

// scrub redacts one text.
func scrub(s string) string { return redact.Scrub(red, s, nil) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
