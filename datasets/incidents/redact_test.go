package incidents_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/evalhouse/evalhouse/ingest/leaktest"
)

// plantedToken is a fake GitHub token (ghp_ and 36 alphanumerics).
const plantedToken = "ghp_Z9y8X7w6V5u4T3s2R1q0PonMLkjIHgfEDcba"

// TestIncidentTextsAreRedacted plants a token in an incident's title and
// owner, a refused severity, an unknown trace id, and a promotion's expect
// (value and key) and by, and finds it in no table and nowhere Open,
// Promote, Get or their errors return.
func TestIncidentTextsAreRedacted(t *testing.T) {
	is, ds, conn := setupConn(t)
	ctx := context.Background()
	tok := plantedToken
	var outs []any
	_, err := is.Open(ctx, []string{"tr-bad"}, "x", "sev-"+tok, "me")
	outs = append(outs, err.Error())
	_, err = is.Open(ctx, []string{"tr-" + tok}, "x", "sev2", "me")
	outs = append(outs, err.Error())
	inc, err := is.Open(ctx, []string{"tr-bad"}, "key "+tok+" pasted", "sev2", "oncall "+tok)
	if err != nil {
		t.Fatal(err)
	}
	expect := map[string]any{"must_not_contain": tok, tok: true}
	res, err := is.Promote(ctx, inc.ID, "support-bot", expect, "by "+tok, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := is.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := ds.Cases(ctx, res.Version)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, inc, res, got, cases)
	printed, _ := json.Marshal(outs)
	leaktest.Absent(t, []string{tok, tok[4:]}, map[string]string{
		"incidents":     leaktest.Table(t, conn, "incidents"),
		"dataset_items": leaktest.Table(t, conn, "dataset_items"),
		"datasets":      leaktest.Table(t, conn, "datasets"),
		"returned":      string(printed),
	})
	if expect[tok] != true {
		t.Fatalf("Promote changed the caller's expect: %v", expect)
	}
}
