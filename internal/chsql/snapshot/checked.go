package snapshot

import "testing"

// CheckTake takes the statements recorded since the last Take, keeps those
// keep selects (all when keep is nil: a test leaves other owners'
// statements to their own snapshots), compares them with
// testdata/snapshots/NAME.sql as Check does, and remembers them for
// Checked. It returns the statements compared.
func (r *Recorder) CheckTake(t testing.TB, name string, keep func(q string) bool) []string {
	t.Helper()
	var qs []string
	for _, q := range r.Take() {
		if keep == nil || keep(q) {
			qs = append(qs, q)
		}
	}
	Check(t, name, qs)
	r.mu.Lock()
	if r.checked == nil {
		r.checked = map[string]bool{}
	}
	for _, q := range qs {
		r.checked[q] = true
	}
	r.mu.Unlock()
	return qs
}

// Checked reports whether statement q was compared with a snapshot by
// CheckTake, so an owner's test can fail when one of its statements is
// covered by no snapshot.
func (r *Recorder) Checked(q string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checked[q]
}
