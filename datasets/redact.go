package datasets

import (
	"fmt"

	"github.com/evalhouse/evalhouse/ingest/redact"
)

// red is the redactor every text a version stores passes (the one ingest
// uses, with its default configuration).
var red = redact.New(redact.DefaultConfig())

// scrub redacts one stored text: a provenance field (by, source, note) or
// a tag.
func scrub(s string) string { return redact.Scrub(red, s, nil) }

// redactCanon returns cs with every secret in what a stored case carries
// replaced by a typed marker: input, expected and provenance (values and
// keys, as ingest.ScrubValue does), tags and the snapshot. The content
// hash is computed over the result, so a version's hash covers its
// redacted content. A case id is an identifier and is never rewritten: a
// case id holding a secret is refused (the error names its type, never
// the value). Change types are checked against ChangeTypes and hold none.
func redactCanon(cs []canonCase) ([]canonCase, error) {
	out := make([]canonCase, len(cs))
	for i, cc := range cs {
		if typ := red.Identifier(cc.CaseID); typ != "" {
			return nil, fmt.Errorf("datasets: case %d (sorted by case id): field case_id: holds a secret (%s); name the case otherwise", i+1, typ)
		}
		c, err := cc.toCase()
		if err != nil {
			return nil, fmt.Errorf("datasets: case %s: %w", cc.CaseID, err)
		}
		c.Input = redact.ScrubValue(red, c.Input, nil)
		if exp, ok := redact.ScrubValue(red, c.Expected, nil).(map[string]any); ok {
			c.Expected = exp
		}
		if c.Provenance != nil {
			if prov, ok := redact.ScrubValue(red, c.Provenance, nil).(map[string]any); ok {
				c.Provenance = prov
			}
		}
		for j, t := range c.Tags {
			c.Tags[j] = scrub(t)
		}
		c.Snapshot = scrub(c.Snapshot)
		if out[i], err = c.canonical(); err != nil {
			return nil, fmt.Errorf("datasets: case %s: %w", cc.CaseID, err)
		}
	}
	return out, nil
}
