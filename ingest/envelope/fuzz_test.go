package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode checks, for any input:
//   - Decode does not panic, and fails with a *DecodeError;
//   - Decode rejects exactly the syntax encoding/json rejects: input that
//     json.Valid refuses fails, and no valid JSON fails as "invalid JSON";
//   - an event Decode accepts has an event_id, survives json.Marshal and a
//     second Decode with the same DeriveID and event_id, and the second
//     round trip encodes to the same bytes (json.Marshal ∘ Decode is
//     idempotent);
//   - Check does not panic on it.
//
// Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T, want *DecodeError", err)
			}
			if de.Msg == "invalid JSON" && json.Valid(data) {
				t.Fatalf("Decode calls valid JSON invalid: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Decode accepted invalid JSON %q", data)
		}
		if ev.EventID == "" {
			t.Fatal("decoded event has no event_id")
		}
		_ = Check(ev)
		id := DeriveID(ev)
		if id == "" {
			t.Fatal("DeriveID failed on a decoded event")
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		ev2, err := Decode(out)
		if err != nil {
			t.Fatalf("Decode(json.Marshal(ev)) = %v\ninput  %q\nmarshal %s", err, data, out)
		}
		if id2 := DeriveID(ev2); id2 != id {
			t.Fatalf("DeriveID changed over the round trip: %s -> %s\ninput  %q\nmarshal %s", id, id2, data, out)
		}
		if ev2.EventID != ev.EventID {
			t.Fatalf("event_id changed over the round trip: %s -> %s", ev.EventID, ev2.EventID)
		}
		out2, err := json.Marshal(ev2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("second round trip differs (err %v)\nfirst  %s\nsecond %s", err, out, out2)
		}
	})
}
