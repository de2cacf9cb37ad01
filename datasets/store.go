package datasets

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/internal/chsql"
)

// The datasets package owns the datasets and dataset_items tables: its
// statements are sql/*.sql, and every other package asks a Store.

//go:embed sql/*.sql
var sqlFS embed.FS

var (
	stmts          = chsql.Load("datasets", sqlFS)
	qVersions      = stmts.Get("versions")
	qAllVersions   = stmts.Get("all_versions")
	qMaxVersion    = stmts.Get("max_version")
	qItems         = stmts.Get("items")
	qInsertVersion = stmts.Get("insert_version")
	qInsertItems   = stmts.Get("insert_items")
)

// Errors callers can test for with errors.Is.
var (
	// ErrNotFound means a dataset or version does not exist (or a draft was
	// asked for without naming its version). The message names the ref and
	// what is available.
	ErrNotFound = errors.New("datasets: not found")
	// ErrExists means Create was asked for a dataset that already exists.
	ErrExists = errors.New("datasets: dataset exists")
	// ErrConflict means another writer wrote the same version number: the
	// version was not created (versions are immutable).
	ErrConflict = errors.New("datasets: version conflict")
	// ErrStale means a draft can no longer be approved: a version was
	// published after it was drafted, so approving it would undo that one.
	ErrStale = errors.New("datasets: draft is stale")
)

// Version statuses.
const (
	StatusPublished = "published"
	StatusDraft     = "draft"
)

// Version is one immutable version of a dataset.
type Version struct {
	Name   string `json:"name"`
	Number uint32 `json:"version"`
	// Hash is the content hash of the version's cases (see Hash).
	Hash   string `json:"content_hash"`
	Status string `json:"status"`
	Cases  int    `json:"case_count"`
	// CreatedAt is when the version was written; PublishedAt when it was
	// published (the same, unless it was approved from a draft; zero for a
	// draft).
	CreatedAt   time.Time `json:"created_at"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	CreatedBy   string    `json:"created_by"`
	// ApprovedBy is who published it: its author when it was published as
	// written, whoever approved it when it was a draft, "" for a draft.
	ApprovedBy string `json:"approved_by"`
	Source     string `json:"source"`
	Note       string `json:"note"`
}

// Ref is the version's explicit reference, NAME@vN.
func (v Version) Ref() string { return dsref.Format(v.Name, v.Number) }

// Provenance says who wrote a version, from what and why.
type Provenance struct {
	By     string // who; "" means the OS user (see CurrentUser)
	Source string // a file path, or "incident INC-…"
	Note   string
}

// CheckName reports whether name is a valid dataset name (the one rule,
// dsref.CheckName): lower-case letters, digits, '.', '_' and '-', starting
// with a letter or digit, at most 100 characters.
func CheckName(name string) error {
	if err := dsref.CheckName(name); err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	return nil
}

// Store keeps datasets in ClickHouse (tables datasets and dataset_items,
// migration 0004). Version creation is serialized within the process; a
// version number is checked to be unused before it is written and the
// written version is read back, so a concurrent writer elsewhere causes
// ErrConflict rather than a changed version.
type Store struct {
	conn driver.Conn
}

// New returns a Store over conn, which must carry the evalhouse schema.
func New(conn driver.Conn) *Store { return &Store{conn: conn} }

// writeMu serializes version creation and approval across every Store in
// the process; lastStamp keeps the timestamps it hands out increasing.
var (
	writeMu   sync.Mutex
	lastStamp time.Time
)

// stamp returns the current time in milliseconds, later than any stamp
// before it. Callers hold writeMu.
func stamp() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(lastStamp) {
		t = lastStamp.Add(time.Millisecond)
	}
	lastStamp = t
	return t
}

// Create writes v1 of a new dataset, published. Every text it stores
// (case input, expected, tags, provenance, snapshot; p's by, source and
// note) is redacted first (see redactCanon), and the content hash covers
// the redacted cases. It fails with ErrExists
// when the dataset has any version, and when cases is empty or invalid (a
// change type not in ChangeTypes is invalid).
func (s *Store) Create(ctx context.Context, name string, cases []Case, p Provenance) (Version, error) {
	if err := CheckName(name); err != nil {
		return Version{}, err
	}
	if err := checkChangeTypes(cases); err != nil {
		return Version{}, err
	}
	cs, err := canonicalize(cases)
	if err == nil {
		cs, err = redactCanon(cs)
	}
	if err != nil {
		return Version{}, err
	}
	if len(cs) == 0 {
		return Version{}, fmt.Errorf("datasets: %s: no cases", name)
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	vs, err := s.versions(ctx, name)
	if err != nil {
		return Version{}, err
	}
	if len(vs) > 0 {
		return Version{}, fmt.Errorf("%w: %s already has %s; add to it instead", ErrExists, name, versionList(vs))
	}
	return s.write(ctx, name, cs, p, StatusPublished)
}

// Add writes the next version of an existing dataset: the latest published
// version's cases overlaid with cases (new case ids added, existing ones
// replaced), redacted as Create redacts them. A draft is published only by Approve. When the result has the
// latest published version's content (or, for a draft, a pending draft's),
// nothing is written and that version is returned with created false.
func (s *Store) Add(ctx context.Context, name string, cases []Case, p Provenance, draft bool) (v Version, created bool, err error) {
	if err := CheckName(name); err != nil {
		return Version{}, false, err
	}
	if err := checkChangeTypes(cases); err != nil {
		return Version{}, false, err
	}
	add, err := canonicalize(cases)
	if err == nil {
		add, err = redactCanon(add)
	}
	if err != nil {
		return Version{}, false, err
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	vs, err := s.versions(ctx, name)
	if err != nil {
		return Version{}, false, err
	}
	base, ok := latestPublished(vs)
	if !ok {
		return Version{}, false, s.notFoundRef(ctx, name, name, vs)
	}
	cur, err := s.canonCases(ctx, base)
	if err != nil {
		return Version{}, false, err
	}
	merged := overlay(cur, add)
	hash := hashCanon(merged)
	if hash == base.Hash {
		return base, false, nil
	}
	status := StatusPublished
	if draft {
		status = StatusDraft
		for _, d := range vs {
			if _, isStale := stale(d, vs); d.Status == StatusDraft && d.Hash == hash && !isStale {
				return d, false, nil
			}
		}
	}
	v, err = s.write(ctx, name, merged, p, status)
	return v, err == nil, err
}

// Approve publishes draft version number of dataset name, approved by the
// OS user (see ApproveBy).
func (s *Store) Approve(ctx context.Context, name string, number uint32) (Version, error) {
	return s.ApproveBy(ctx, name, number, "")
}

// ApproveBy publishes draft version number of dataset name and records who
// approved it ("" means the OS user, see CurrentUser). Approving a
// published version returns it unchanged. A draft is stale (ErrStale) when
// another version was published after it was drafted.
func (s *Store) ApproveBy(ctx context.Context, name string, number uint32, by string) (Version, error) {
	if err := CheckName(name); err != nil {
		return Version{}, err
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	vs, err := s.versions(ctx, name)
	if err != nil {
		return Version{}, err
	}
	v, ok := find(vs, number)
	if !ok {
		return Version{}, s.notFoundRef(ctx, dsref.Format(name, number), name, vs)
	}
	if v.Status == StatusPublished {
		return v, nil
	}
	if newer, ok := stale(v, vs); ok {
		return Version{}, fmt.Errorf("%w: %s was published after %s was drafted, and approving the draft would undo it; add the draft's cases again as a new draft and approve that",
			ErrStale, newer.Ref(), v.Ref())
	}
	v.Status = StatusPublished
	v.PublishedAt = stamp()
	v.ApprovedBy = scrub(by)
	if v.ApprovedBy == "" {
		v.ApprovedBy = CurrentUser()
	}
	if err := s.insertVersion(ctx, v, v.PublishedAt); err != nil {
		return Version{}, err
	}
	got, err := s.versions(ctx, name)
	if err != nil {
		return Version{}, err
	}
	if w, ok := find(got, number); !ok || w.Status != StatusPublished || w.Hash != v.Hash || w.ApprovedBy != v.ApprovedBy {
		return Version{}, fmt.Errorf("%w: %s changed while being approved", ErrConflict, v.Ref())
	}
	return v, nil
}

// write stores cs as the dataset's next version. Callers hold writeMu.
func (s *Store) write(ctx context.Context, name string, cs []canonCase, p Provenance, status string) (Version, error) {
	var last uint32
	if err := s.conn.QueryRow(ctx, qMaxVersion, name, name).Scan(&last); err != nil {
		return Version{}, fmt.Errorf("datasets: %s: next version: %w", name, err)
	}
	now := stamp()
	v := Version{
		Name: name, Number: last + 1, Hash: hashCanon(cs), Status: status, Cases: len(cs),
		CreatedAt: now, CreatedBy: scrub(p.By), Source: scrub(p.Source), Note: scrub(p.Note),
	}
	if v.CreatedBy == "" {
		v.CreatedBy = CurrentUser()
	}
	if status == StatusPublished {
		v.PublishedAt, v.ApprovedBy = now, v.CreatedBy
	}
	b, err := s.conn.PrepareBatch(ctx, qInsertItems)
	if err != nil {
		return Version{}, fmt.Errorf("datasets: %s: %w", v.Ref(), err)
	}
	for _, cc := range cs {
		if err := b.Append(name, v.Number, cc.CaseID, string(cc.Input), string(cc.Expected),
			cc.Tags, cc.ChangeTypes, string(cc.Provenance), cc.Snapshot, cc.itemHash()); err != nil {
			b.Abort()
			return Version{}, fmt.Errorf("datasets: %s: %w", v.Ref(), err)
		}
	}
	if err := b.Send(); err != nil {
		return Version{}, fmt.Errorf("datasets: %s: write cases: %w", v.Ref(), err)
	}
	if err := s.insertVersion(ctx, v, now); err != nil {
		return Version{}, err
	}
	// Read back: a writer in another process that took the same number
	// shows up as a different hash or different cases.
	got, err := s.versions(ctx, name)
	if err != nil {
		return Version{}, err
	}
	w, ok := find(got, v.Number)
	if !ok || w.Hash != v.Hash || !w.CreatedAt.Equal(v.CreatedAt) {
		return Version{}, fmt.Errorf("%w: another writer wrote %s at the same time; try again", ErrConflict, v.Ref())
	}
	back, err := s.canonCases(ctx, w)
	if err != nil {
		return Version{}, fmt.Errorf("%w: %v", ErrConflict, err)
	}
	if hashCanon(back) != v.Hash {
		return Version{}, fmt.Errorf("%w: another writer wrote %s at the same time; try again", ErrConflict, v.Ref())
	}
	return w, nil
}

func (s *Store) insertVersion(ctx context.Context, v Version, updated time.Time) error {
	b, err := s.conn.PrepareBatch(ctx, qInsertVersion)
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", v.Ref(), err)
	}
	if err := b.Append(v.Name, v.Number, v.Hash, v.Status, uint32(v.Cases), v.CreatedAt,
		v.CreatedBy, v.ApprovedBy, v.Source, v.Note, updated); err != nil {
		b.Abort()
		return fmt.Errorf("datasets: %s: %w", v.Ref(), err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("datasets: %s: write version: %w", v.Ref(), err)
	}
	return nil
}

// overlay returns cur with add's cases added or replacing cur's by case id,
// sorted by case id. Both inputs are sorted.
func overlay(cur, add []canonCase) []canonCase {
	out := make([]canonCase, 0, len(cur)+len(add))
	i, j := 0, 0
	for i < len(cur) || j < len(add) {
		switch {
		case j == len(add) || (i < len(cur) && cur[i].CaseID < add[j].CaseID):
			out = append(out, cur[i])
			i++
		case i == len(cur) || add[j].CaseID < cur[i].CaseID:
			out = append(out, add[j])
			j++
		default: // same case id: the new one wins
			out = append(out, add[j])
			i++
			j++
		}
	}
	return out
}

// stale reports whether draft d can no longer be approved, and why: a
// version was published after d was written, so d lacks its changes.
func stale(d Version, vs []Version) (Version, bool) {
	for _, v := range vs {
		if v.Number != d.Number && v.Status == StatusPublished && v.PublishedAt.After(d.CreatedAt) {
			return v, true
		}
	}
	return Version{}, false
}

// CurrentUser names who runs this process, for a version's created_by and
// approved_by when no one is named: the OS account (os/user), else $USER,
// else the numeric uid. It is never empty.
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
