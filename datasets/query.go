package datasets

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/datasets/dsref"
)

// ParseRef splits a dataset reference (the one grammar, dsref.Parse):
// NAME and NAME@latest give version 0 (the latest published), NAME@vN
// gives N.
func ParseRef(ref string) (name string, number uint32, err error) {
	r, err := dsref.Parse(ref)
	if err != nil {
		return "", 0, fmt.Errorf("datasets: %w", err)
	}
	return r.Name, r.Version, nil
}

// Resolve finds the version a reference names: NAME@vN that version (a
// draft included), NAME and NAME@latest the latest published version.
// Unknown datasets and versions are ErrNotFound, with a message that names
// the reference and lists what exists.
func (s *Store) Resolve(ctx context.Context, ref string) (Version, error) {
	name, n, err := ParseRef(ref)
	if err != nil {
		return Version{}, err
	}
	vs, err := s.versions(ctx, name)
	if err != nil {
		return Version{}, err
	}
	if n == 0 {
		if v, ok := latestPublished(vs); ok {
			return v, nil
		}
		return Version{}, s.notFoundRef(ctx, ref, name, vs)
	}
	if v, ok := find(vs, n); ok {
		return v, nil
	}
	return Version{}, s.notFoundRef(ctx, ref, name, vs)
}

// Cases returns a version's cases, sorted by case id. It checks them
// against the version's content hash.
func (s *Store) Cases(ctx context.Context, v Version) ([]Case, error) {
	cs, err := s.canonCases(ctx, v)
	if err != nil {
		return nil, err
	}
	out := make([]Case, len(cs))
	for i, cc := range cs {
		if out[i], err = cc.toCase(); err != nil {
			return nil, fmt.Errorf("datasets: %s: case %d: %w", v.Ref(), i+1, err)
		}
	}
	return out, nil
}

// List returns each dataset's latest published version (its latest
// version, if none is published), sorted by name.
func (s *Store) List(ctx context.Context) ([]Version, error) {
	all, err := s.scanVersions(ctx, qAllVersions)
	if err != nil {
		return nil, err
	}
	var out []Version
	for len(all) > 0 {
		n := 1
		for n < len(all) && all[n].Name == all[0].Name {
			n++
		}
		v, ok := latestPublished(all[:n])
		if !ok {
			v = all[n-1]
		}
		out = append(out, v)
		all = all[n:]
	}
	return out, nil
}

// Log returns every version of a dataset, oldest first.
func (s *Store) Log(ctx context.Context, name string) ([]Version, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	vs, err := s.versions(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, s.notFound(ctx, name)
	}
	return vs, nil
}

// Diff is what changed between two versions, by case id.
type Diff struct {
	From    Version      `json:"from"`
	To      Version      `json:"to"`
	Added   []string     `json:"added"`
	Removed []string     `json:"removed"`
	Changed []CaseChange `json:"changed"`
}

// CaseChange names a case in both versions and which of its content fields
// (FieldInput, FieldExpected, FieldTags, FieldChangeTypes) differ.
type CaseChange struct {
	CaseID string   `json:"case_id"`
	Fields []string `json:"fields"`
}

// Empty reports whether the two versions hold the same content.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Diff compares version a (from) with b (to); the versions may belong to
// different datasets.
func (s *Store) Diff(ctx context.Context, a, b Version) (Diff, error) {
	ca, err := s.canonCases(ctx, a)
	if err != nil {
		return Diff{}, err
	}
	cb, err := s.canonCases(ctx, b)
	if err != nil {
		return Diff{}, err
	}
	d := Diff{From: a, To: b, Added: []string{}, Removed: []string{}, Changed: []CaseChange{}}
	i, j := 0, 0
	for i < len(ca) || j < len(cb) {
		switch {
		case j == len(cb) || (i < len(ca) && ca[i].CaseID < cb[j].CaseID):
			d.Removed = append(d.Removed, ca[i].CaseID)
			i++
		case i == len(ca) || cb[j].CaseID < ca[i].CaseID:
			d.Added = append(d.Added, cb[j].CaseID)
			j++
		default:
			if f := changedFields(ca[i], cb[j]); len(f) > 0 {
				d.Changed = append(d.Changed, CaseChange{CaseID: ca[i].CaseID, Fields: f})
			}
			i++
			j++
		}
	}
	return d, nil
}

// canonCases reads a version's cases in canonical form, sorted by case id,
// and checks them against its hash and case count.
func (s *Store) canonCases(ctx context.Context, v Version) ([]canonCase, error) {
	rows, err := s.conn.Query(ctx, qItems, v.Name, v.Number)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: read cases: %w", v.Ref(), err)
	}
	defer rows.Close()
	var out []canonCase
	for rows.Next() {
		var (
			id, in, exp, prov, snap string
			tags, cts               []string
		)
		if err := rows.Scan(&id, &in, &exp, &tags, &cts, &prov, &snap); err != nil {
			return nil, fmt.Errorf("datasets: %s: read cases: %w", v.Ref(), err)
		}
		c := Case{CaseID: id, Tags: tags, ChangeTypes: cts, Snapshot: snap}
		var perr error
		if c.Input, perr = decodeJSON([]byte(in)); perr == nil {
			if c.Expected, perr = decodeObject([]byte(exp)); perr == nil && prov != "" {
				c.Provenance, perr = decodeObject([]byte(prov))
			}
		}
		cc, err := c.canonical()
		if perr != nil || err != nil {
			return nil, fmt.Errorf("datasets: %s: case %d: stored case is not valid", v.Ref(), len(out)+1)
		}
		out = append(out, cc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("datasets: %s: read cases: %w", v.Ref(), err)
	}
	if len(out) != v.Cases || hashCanon(out) != v.Hash {
		return nil, fmt.Errorf("datasets: %s: stored cases (%d) do not match the version's content hash (%d cases, %.12s)", v.Ref(), len(out), v.Cases, v.Hash)
	}
	return out, nil
}

func (s *Store) versions(ctx context.Context, name string) ([]Version, error) {
	return s.scanVersions(ctx, qVersions, name)
}

func (s *Store) scanVersions(ctx context.Context, q string, args ...any) ([]Version, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("datasets: read versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var (
			v       Version
			n       uint32
			updated time.Time
		)
		if err := rows.Scan(&v.Name, &v.Number, &v.Hash, &v.Status, &n, &v.CreatedAt, &v.CreatedBy, &v.ApprovedBy, &v.Source, &v.Note, &updated); err != nil {
			return nil, fmt.Errorf("datasets: read versions: %w", err)
		}
		v.Cases = int(n)
		v.CreatedAt = v.CreatedAt.UTC()
		if v.Status == StatusPublished {
			v.PublishedAt = updated.UTC()
			// Written before approved_by existed: a version published as it
			// was written was published by its author.
			if v.ApprovedBy == "" && v.PublishedAt.Equal(v.CreatedAt) {
				v.ApprovedBy = v.CreatedBy
			}
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// latestPublished is the highest-numbered published version of vs.
func latestPublished(vs []Version) (Version, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Status == StatusPublished {
			return vs[i], true
		}
	}
	return Version{}, false
}

func find(vs []Version, n uint32) (Version, bool) {
	i := slices.IndexFunc(vs, func(v Version) bool { return v.Number == n })
	if i < 0 {
		return Version{}, false
	}
	return vs[i], true
}

// versionList says which versions exist: "v1, v2, v3 (draft)".
func versionList(vs []Version) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = "v" + strconv.FormatUint(uint64(v.Number), 10)
		if v.Status == StatusDraft {
			parts[i] += " (draft)"
		}
	}
	return strings.Join(parts, ", ")
}

// ErrNoDatasets is the ErrNotFound (errors.Is holds for both) of a store
// that holds no dataset at all, so a caller can say how to create one.
var ErrNoDatasets = fmt.Errorf("%w", ErrNotFound)

// notFound is the error for a dataset that does not exist.
func (s *Store) notFound(ctx context.Context, name string) error {
	msg := fmt.Sprintf("no dataset named %s", name)
	base := ErrNotFound
	if all, err := s.List(ctx); err == nil {
		names := make([]string, 0, len(all))
		for _, v := range all {
			names = append(names, v.Name)
		}
		switch {
		case len(names) == 0:
			msg += " (there are no datasets yet)"
			base = ErrNoDatasets
		case len(names) > 20:
			msg += fmt.Sprintf(" (datasets: %s, … %d more)", strings.Join(names[:20], ", "), len(names)-20)
		default:
			msg += " (datasets: " + strings.Join(names, ", ") + ")"
		}
	}
	return fmt.Errorf("%w: %s", base, msg)
}

// notFoundRef is the error for a reference to a missing version.
func (s *Store) notFoundRef(ctx context.Context, ref, name string, vs []Version) error {
	if len(vs) == 0 {
		return s.notFound(ctx, name)
	}
	if _, n, _ := ParseRef(ref); n == 0 {
		return fmt.Errorf("%w: %s: no published version (versions: %s; a draft is named by its version, NAME@vN)", ErrNotFound, ref, versionList(vs))
	}
	return fmt.Errorf("%w: %s (versions: %s)", ErrNotFound, ref, versionList(vs))
}
