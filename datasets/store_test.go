package datasets

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// newStore is a Store on a fresh, migrated database of the real engine.
func newStore(t *testing.T) *Store {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return New(s.Conn)
}

func cases(ids ...string) []Case {
	out := make([]Case, len(ids))
	for i, id := range ids {
		out[i] = Case{CaseID: id, Input: map[string]any{"message": "msg " + id}, Expected: map[string]any{"answer": "ok " + id}, Tags: []string{"t"}}
	}
	return out
}

func TestCreateAddAndIdenticalReimport(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1, err := s.Create(ctx, "bot", cases("c1", "c2", "c3"), Provenance{By: "ana", Source: "bot.jsonl", Note: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Number != 1 || v1.Status != StatusPublished || v1.Cases != 3 || v1.CreatedBy != "ana" || v1.Source != "bot.jsonl" || v1.Note != "first" || len(v1.Hash) != 64 {
		t.Fatalf("v1 = %+v", v1)
	}
	if want := mustHash(t, cases("c3", "c2", "c1")); v1.Hash != want {
		t.Errorf("v1 hash %s, want Hash() = %s", v1.Hash, want)
	}
	if _, err := s.Create(ctx, "bot", cases("c9"), Provenance{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}

	change := cases("c2", "c4")
	change[0].Expected["answer"] = "better"
	v2, created, err := s.Add(ctx, "bot", change, Provenance{Source: "more.jsonl"}, false)
	if err != nil || !created {
		t.Fatalf("add: created %v, %v", created, err)
	}
	if v2.Number != 2 || v2.Cases != 4 || v2.CreatedBy == "" {
		t.Fatalf("v2 = %+v", v2)
	}
	d, err := s.Diff(ctx, v1, v2)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d.Added, d.Removed, d.Changed) != "[c4] [] [{c2 [expected]}]" {
		t.Errorf("diff v1..v2 = %v %v %v", d.Added, d.Removed, d.Changed)
	}
	back, err := s.Diff(ctx, v2, v1)
	if err != nil || fmt.Sprint(back.Added, back.Removed) != "[] [c4]" {
		t.Errorf("diff v2..v1 = %+v, %v", back, err)
	}

	// The same cases again, reordered and respelled, create nothing.
	again := cases("c4", "c2")
	again[1].Expected["answer"] = "better"
	again[1].Tags = []string{"t", "t"}
	v, created, err := s.Add(ctx, "bot", again, Provenance{}, false)
	if err != nil || created || v.Number != 2 {
		t.Fatalf("identical add: %+v created %v, %v", v, created, err)
	}
	got, err := s.Cases(ctx, v2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[1].CaseID != "c2" || got[1].Expected["answer"] != "better" || got[0].Expected["answer"] != "ok c1" {
		t.Errorf("v2 cases = %+v", got)
	}
	if _, _, err := s.Add(ctx, "nobot", cases("c1"), Provenance{}, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("add to a missing dataset: %v", err)
	}
	if _, err := s.Create(ctx, "Bad Name", cases("c1"), Provenance{}); err == nil {
		t.Error("bad name accepted")
	}
	if _, err := s.Create(ctx, "empty", nil, Provenance{}); err == nil {
		t.Error("empty dataset accepted")
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Resolve(ctx, "bot"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no datasets yet") {
		t.Fatalf("resolve in an empty store: %v", err)
	}
	if _, err := s.Resolve(ctx, "bot"); !errors.Is(err, ErrNoDatasets) || strings.Contains(err.Error(), "--") {
		t.Fatalf("resolve in an empty store: %v, want ErrNoDatasets and no CLI flag", err)
	}
	v1, _ := s.Create(ctx, "bot", cases("c1"), Provenance{})
	v2, _, _ := s.Add(ctx, "bot", cases("c2"), Provenance{}, false)
	v3, _, _ := s.Add(ctx, "bot", cases("c3"), Provenance{}, true)
	if _, err := s.Create(ctx, "other", cases("c1"), Provenance{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(ctx, "nope"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoDatasets) {
		t.Fatalf("resolve of a missing dataset beside others: %v, want ErrNotFound only", err)
	}
	for ref, want := range map[string]uint32{"bot": 2, "bot@latest": 2, "bot@v1": 1, "bot@v2": 2, "bot@v3": 3} {
		v, err := s.Resolve(ctx, ref)
		if err != nil || v.Number != want {
			t.Errorf("Resolve(%s) = v%d, %v; want v%d", ref, v.Number, err, want)
		}
	}
	if v3.Status != StatusDraft || v1.Hash == v2.Hash {
		t.Errorf("v3 %+v", v3)
	}
	for ref, want := range map[string]string{
		"bot@v9":   "bot@v9 (versions: v1, v2, v3 (draft))",
		"nobot":    "no dataset named nobot (datasets: bot, other)",
		"nobot@v1": "no dataset named nobot",
	} {
		_, err := s.Resolve(ctx, ref)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), want) {
			t.Errorf("Resolve(%s) = %v, want ErrNotFound with %q", ref, err, want)
		}
	}
	for _, ref := range []string{"bot@3", "bot@v0", "bot@vx", "Bot", "bot@"} {
		if _, err := s.Resolve(ctx, ref); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%s) = %v, want an invalid-reference error", ref, err)
		}
	}
}

func TestDraftsAndApprove(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1, _ := s.Create(ctx, "bot", cases("c1"), Provenance{})
	d2, created, err := s.Add(ctx, "bot", cases("c2"), Provenance{Source: "incident INC-7"}, true)
	if err != nil || !created || d2.Status != StatusDraft || !d2.PublishedAt.IsZero() {
		t.Fatalf("draft: %+v %v %v", d2, created, err)
	}
	if v, _ := s.Resolve(ctx, "bot"); v.Number != 1 {
		t.Errorf("bot resolves to a draft: %+v", v)
	}
	if again, created, _ := s.Add(ctx, "bot", cases("c2"), Provenance{}, true); created || again.Number != 2 {
		t.Errorf("the same draft twice: v%d created %v", again.Number, created)
	}
	a, err := s.Approve(ctx, "bot", 2)
	if err != nil || a.Status != StatusPublished || a.PublishedAt.Before(a.CreatedAt) || a.Hash != d2.Hash {
		t.Fatalf("approve: %+v, %v", a, err)
	}
	if v, _ := s.Resolve(ctx, "bot"); v.Number != 2 || v.Status != StatusPublished {
		t.Errorf("after approve bot = %+v", v)
	}
	if again, err := s.Approve(ctx, "bot", 2); err != nil || again.Number != 2 {
		t.Errorf("approving a published version: %v", err)
	}
	if _, err := s.Approve(ctx, "bot", 7); !errors.Is(err, ErrNotFound) {
		t.Errorf("approve v7: %v", err)
	}

	// Two drafts from v2; approving one makes the other stale.
	d3, _, _ := s.Add(ctx, "bot", cases("c3"), Provenance{}, true)
	d4, _, _ := s.Add(ctx, "bot", cases("c4"), Provenance{}, true)
	if d3.Number != 3 || d4.Number != 4 || d4.Cases != 3 {
		t.Fatalf("drafts %+v %+v", d3, d4)
	}
	if _, err := s.Approve(ctx, "bot", 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(ctx, "bot", 3); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "bot@v4") {
		t.Errorf("approving a stale draft: %v", err)
	}
	log, err := s.Log(ctx, "bot")
	if err != nil || len(log) != 4 || log[0] != v1 || log[2].Status != StatusDraft || log[3].Status != StatusPublished {
		t.Errorf("log: %+v, %v", log, err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Number != 4 {
		t.Errorf("list: %+v, %v", list, err)
	}
}

// A version number some writer has used, even half-way, is never written
// again, and stored versions never change.
func TestVersionsAreImmutable(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1, _ := s.Create(ctx, "bot", cases("c1", "c2"), Provenance{})
	// Another writer got as far as v2's cases before failing.
	if err := s.conn.Exec(ctx, "INSERT INTO dataset_items (dataset, version, case_id, input, expected) VALUES ('bot', 2, 'zz', '1', '{}')"); err != nil {
		t.Fatal(err)
	}
	v, created, err := s.Add(ctx, "bot", cases("c3"), Provenance{}, false)
	if err != nil || !created || v.Number != 3 {
		t.Fatalf("add after a half-written v2: v%d %v %v", v.Number, created, err)
	}
	if _, err := s.Resolve(ctx, "bot@v2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("half-written v2 resolves: %v", err)
	}
	got, err := s.Cases(ctx, v1)
	if err != nil || mustHash(t, got) != v1.Hash {
		t.Fatalf("v1 changed: %v", err)
	}
	// Rows slipped in behind the store's back are detected, not served.
	if err := s.conn.Exec(ctx, "INSERT INTO dataset_items (dataset, version, case_id, input, expected) VALUES ('bot', 1, 'c9', '1', '{}')"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cases(ctx, v1); err == nil || !strings.Contains(err.Error(), "content hash") {
		t.Errorf("tampered v1: %v", err)
	}
}

// Concurrent adds in one process each get their own version.
func TestConcurrentAdds(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Create(ctx, "bot", cases("c0"), Provenance{}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var wg sync.WaitGroup
	nums := make([]uint32, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			other := New(s.conn) // writers need not share a Store
			v, _, err := other.Add(ctx, "bot", cases(fmt.Sprintf("c%d", i+1)), Provenance{}, false)
			nums[i], errs[i] = v.Number, err
		})
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for i := range n {
		if errs[i] != nil || seen[nums[i]] {
			t.Fatalf("writer %d: v%d, %v", i, nums[i], errs[i])
		}
		seen[nums[i]] = true
	}
	last, _ := s.Resolve(ctx, "bot")
	if last.Number != n+1 || last.Cases != n+1 {
		t.Fatalf("latest %+v", last)
	}
}

// Export then import, in either format, gives the same content hash, and
// the cases keep their provenance and snapshot.
func TestExportImportKeepsHash(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1, err := s.Create(ctx, "src", readFile(t, "testdata/cases.jsonl"), Provenance{Source: "testdata/cases.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Cases(ctx, v1)
	if err != nil {
		t.Fatal(err)
	}
	if cs[2].Provenance["incident"] != "INC-1042" || cs[2].Snapshot == "" {
		t.Errorf("provenance and snapshot not stored: %+v", cs[2])
	}
	for i, name := range []string{"src.parquet", "src.jsonl"} {
		path := filepath.Join(t.TempDir(), name)
		if err := WriteCases(path, cs); err != nil {
			t.Fatal(err)
		}
		v, err := s.Create(ctx, fmt.Sprintf("copy%d", i), readFile(t, path), Provenance{Source: path})
		if err != nil {
			t.Fatal(err)
		}
		if v.Hash != v1.Hash {
			t.Errorf("%s: imported hash %s, exported %s", name, v.Hash, v1.Hash)
		}
		d, err := s.Diff(ctx, v1, v)
		if err != nil || !d.Empty() {
			t.Errorf("%s: diff %+v, %v", name, d, err)
		}
	}
}

// Every version names who created and who approved it; with no one named,
// the OS user, never "unknown".
func TestCreatedAndApprovedBy(t *testing.T) {
	t.Setenv("USER", "") // the account database comes first; $USER is a fallback
	me := CurrentUser()
	if me == "" || me == "unknown" {
		t.Fatalf("CurrentUser() = %q", me)
	}
	ctx := context.Background()
	s := newStore(t)
	v1, err := s.Create(ctx, "bot", cases("c1"), Provenance{By: "ana"})
	if err != nil || v1.CreatedBy != "ana" || v1.ApprovedBy != "ana" {
		t.Fatalf("published at creation: %+v %v", v1, err)
	}
	d2, _, err := s.Add(ctx, "bot", cases("c2"), Provenance{}, true)
	if err != nil || d2.CreatedBy != me || d2.ApprovedBy != "" {
		t.Fatalf("draft: %+v %v", d2, err)
	}
	if a, err := s.ApproveBy(ctx, "bot", 2, "bob"); err != nil || a.ApprovedBy != "bob" || a.CreatedBy != me {
		t.Fatalf("approve by bob: %+v %v", a, err)
	}
	s.Add(ctx, "bot", cases("c3"), Provenance{By: "cy"}, true)
	if a, err := s.Approve(ctx, "bot", 3); err != nil || a.ApprovedBy != me {
		t.Fatalf("approve: %+v %v", a, err)
	}
	log, err := s.Log(ctx, "bot")
	if err != nil || len(log) != 3 {
		t.Fatal(log, err)
	}
	var got []string
	for _, v := range log {
		got = append(got, v.CreatedBy+"/"+v.ApprovedBy)
	}
	if want := fmt.Sprintf("[ana/ana %s/bob cy/%s]", me, me); fmt.Sprint(got) != want {
		t.Fatalf("log created/approved by %v, want %s", got, want)
	}
}
