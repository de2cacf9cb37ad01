package ingest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest"
)

// An event_id sent again with the same content is a duplicate; sent again
// with other content it is a conflict: not stored (the first content
// stays), counted, named at its line, dead-lettered and recorded in
// ingest_log — never dropped silently as a duplicate. Another tenant's
// event with the same id is its own event.
func TestResentEventWithOtherContentIsAConflict(t *testing.T) {
	s := migrated(t)
	first := event("tool", 1, `"event_id":"ev-1"`)
	if sum := ingestString(t, s, ingest.Options{}, "a.ndjson", first+"\n"); sum.Accepted != 1 {
		t.Fatalf("first send: %+v", sum)
	}
	same := ingestString(t, s, ingest.Options{}, "b.ndjson", first+"\n")
	if same.Duplicates != 1 || same.Conflicts != 0 || same.Rejected != 0 {
		t.Fatalf("same content again: %+v", same)
	}
	changed := strings.Replace(first, `"retry_count":0`, `"retry_count":3`, 1)
	var dl bytes.Buffer
	other := ingestString(t, s, ingest.Options{DeadLetter: &dl}, "c.ndjson", event("run", 2, "")+"\n"+changed+"\n")
	if other.Accepted != 1 || other.Conflicts != 1 || other.Rejected != 1 || other.Duplicates != 0 {
		t.Fatalf("other content: %+v", other)
	}
	if e := other.Errors[0]; e.Origin != "c.ndjson" || e.Line != 2 || !strings.Contains(e.Reason, "conflict") {
		t.Errorf("the conflict is named %+v", e)
	}
	if !strings.Contains(dl.String(), `"line":2`) || !strings.Contains(dl.String(), "conflict") {
		t.Errorf("dead letter: %s", dl.String())
	}
	if n := count(t, s, "SELECT toUInt64(retry_count) FROM agent_events WHERE event_id = 'ev-1'"); n != 0 {
		t.Errorf("the stored event changed: retry_count %d", n)
	}
	if n := count(t, s, "SELECT sum(conflicts) FROM ingest_log"); n != 1 {
		t.Errorf("ingest_log counts %d conflicts", n)
	}
	// Within one send, the second of two different bodies is the conflict.
	inOne := ingestString(t, s, ingest.Options{}, "d.ndjson",
		event("tool", 3, `"event_id":"ev-3"`)+"\n"+strings.Replace(event("tool", 3, `"event_id":"ev-3"`), "ORD-1", "ORD-2", 1)+"\n")
	if inOne.Accepted != 1 || inOne.Conflicts != 1 || inOne.Errors[0].Line != 2 {
		t.Errorf("two bodies in one send: %+v", inOne)
	}
	// The same id under another tenant is another event.
	globex := strings.Replace(changed, `"tenant":"acme"`, `"tenant":"globex"`, 1)
	if sum := ingestString(t, s, ingest.Options{}, "e.ndjson", globex+"\n"); sum.Accepted != 1 || sum.Conflicts != 0 {
		t.Errorf("another tenant's ev-1: %+v", sum)
	}
}
