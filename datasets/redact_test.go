package datasets

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest/leaktest"
)

// plantedToken is a fake GitHub token (ghp_ and 36 alphanumerics).
const plantedToken = "ghp_R2d2C3poBB8xWingYoda0123456789abcdef"

// TestVersionTextsAreRedacted plants a token in every text a version
// stores (input value and key, expected, tags, provenance, snapshot, JSON-
// escaped and URL-encoded forms, by, source and note, approver) and finds
// it in neither table nor in what the store returns; the content hash is
// the redacted content's.
func TestVersionTextsAreRedacted(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tok := plantedToken
	escaped := `\u0067hp_` + tok[4:]
	urlEnc := "%67hp_" + tok[4:]
	leaky := func(id string) Case {
		return Case{
			CaseID:     id,
			Input:      map[string]any{"message": "use " + tok, tok: "as a key", "url": "https://x.test/?t=" + urlEnc},
			Expected:   map[string]any{"answer": "not " + tok, "raw": escaped},
			Tags:       []string{"t", "tag-" + tok},
			Provenance: map[string]any{"promoted_by": tok},
			Snapshot:   `[{"input":"` + escaped + `","args":"` + tok + `"}]`,
		}
	}
	prov := Provenance{By: "ana " + tok, Source: "/tmp/" + tok + ".jsonl", Note: "note " + tok}
	v1, err := s.Create(ctx, "leak", []Case{leaky("c1")}, prov)
	if err != nil {
		t.Fatal(err)
	}
	d2, created, err := s.Add(ctx, "leak", []Case{leaky("c2")}, prov, true)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	a2, err := s.ApproveBy(ctx, "leak", d2.Number, "bob "+tok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Cases(ctx, a2)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal([]any{v1, d2, a2, got})
	planted := []string{tok, tok[4:]}
	leaktest.Absent(t, planted, map[string]string{
		"dataset_items": leaktest.Table(t, s.conn, "dataset_items"),
		"datasets":      leaktest.Table(t, s.conn, "datasets"),
		"returned":      string(out),
	})
	if !strings.Contains(string(out), "[REDACTED:github_token") {
		t.Fatalf("no marker in what the store returned: %s", out)
	}
	if h, err := Hash(got); err != nil || h != a2.Hash {
		t.Fatalf("hash of the stored (redacted) cases %s %v, version hash %s", h, err, a2.Hash)
	}
	if _, err := s.Create(ctx, "leak-id", []Case{{CaseID: "c-" + tok, Input: "x"}}, Provenance{}); err == nil || strings.Contains(err.Error(), tok) {
		t.Fatalf("a case id holding a token: %v", err)
	}
}
