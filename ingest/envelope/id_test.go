package envelope

import (
	"encoding/hex"
	"testing"
	"time"
)

// full is an event with every field set.
const full = `{"kind":"tool","event_id":"e1","trace_id":"t1","span_id":"s1","parent_span_id":"p1","run_id":"r1",` +
	`"tenant":"acme","environment":"prod","release":"a@1","ts":"2026-11-02T09:15:00Z","duration_ms":10,` +
	`"status":"ok","attributes":{"a":{"b":[1,"x"]}},"dataset":"d@v1","case_id":"c1","actor":"u","task":"t",` +
	`"input":{"q":"hi"},"output":"ok","stop_reason":"done","model":"gpt-4o","prompt_version":"p@1",` +
	`"input_ref":"blob://i","output_status":"stop","input_tokens":10,"output_tokens":5,"cost_usd":0.1,` +
	`"latency_ms":9,"tool":"search","args":["x"],"authorization":"allowed","retry_count":1,` +
	`"idempotency_key":"k","side_effect":"read","source_ids":["s"],"freshness":{"stale":false,"age_s":1},` +
	`"access_decision":"allowed","citation_required":true,"op":"read","read_ids":["m1"],"write_ids":["m2"],` +
	`"retention_class":"30d","policy_basis":"consent","policy_version":"v1","decision":"allow",` +
	`"reason_code":"r","enforcement":"audit","approver_role":"lead","action":"refund",` +
	`"expires_at":"2026-11-03T00:00:00Z","result":"approved","evaluator":"e","evaluator_version":"1",` +
	`"score":0.5,"threshold":0.4,"passed":true}`

func TestDeriveIDFormatAndGolden(t *testing.T) {
	ev, err := Decode([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	id := DeriveID(ev)
	if b, err := hex.DecodeString(id); err != nil || len(b) != 16 {
		t.Fatalf("DeriveID = %q, want 32 hex digits", id)
	}
	// Pinned: a change here changes every stored derived id. Only accept it
	// together with a new idDomain.
	if want := "6c8d6767c30e1bea6dfdcf8aa90f54f7"; id != want {
		t.Errorf("DeriveID(full) = %s, want %s", id, want)
	}
	if ev.EventID != "e1" {
		t.Errorf("EventID = %q, want the given e1", ev.EventID)
	}
}

func TestDeriveIDSameContent(t *testing.T) {
	lines := []string{
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","run_id":"r1","attributes":{"a":1,"b":[true,null]},"input":{"x":1,"y":"z"}}`,
		"\t{ \"input\" : {\"y\":\"z\",\"x\":1.0}, \"attributes\":{\"b\":[true,null],\"a\":1e0},\n \"run_id\":\"r1\",\"ts\":\"2026-11-02T10:15:00+01:00\",\"kind\":\"run\" }\n",
		`{"kind":"run","ts":"2026-11-02T09:15:00.000Z","run_id":"r1","event_id":"given","b":[true,null],"attributes":{"a":1},"input":{"x":1,"y":"z"},"model":null,"tool":""}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","run_id":"r\u0031","attributes":{"a":1,"b":[true,null]},"input":{"x":1,"y":"z"},"source_ids":[]}`,
	}
	var first string
	for i, l := range lines {
		ev, err := Decode([]byte(l))
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		id := DeriveID(ev)
		if i == 0 {
			first = id
			if ev.EventID != id {
				t.Errorf("Decode set EventID %q, want DeriveID %q", ev.EventID, id)
			}
		} else if id != first {
			t.Errorf("line %d: DeriveID = %s, want %s (same content)", i, id, first)
		}
	}
}

// TestDeriveIDAnyChange changes each field of a complete event in turn;
// every change must change the id.
func TestDeriveIDAnyChange(t *testing.T) {
	base, err := Decode([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	baseID := DeriveID(base)
	seen := map[string]string{baseID: "base"}
	for _, f := range fieldList {
		if f.name == "event_id" {
			continue
		}
		ev, _ := Decode([]byte(full))
		switch p := f.ptr(ev).(type) {
		case *string:
			*p += "x"
		case *Kind:
			*p = KindEval
		case *time.Time:
			*p = p.Add(time.Millisecond)
		case **time.Time:
			t := (*p).Add(time.Second)
			*p = &t
		case **int64:
			v := **p + 1
			*p = &v
		case **float64:
			v := **p + 0.25
			*p = &v
		case **bool:
			v := !**p
			*p = &v
		case *[]string:
			*p = append(*p, "more")
		case *any:
			*p = []any{*p}
		case *map[string]any:
			(*p)["a"].(map[string]any)["b"].([]any)[0] = 2.0
		case **Freshness:
			(*p).AgeS++
		default:
			t.Fatalf("%s: unhandled type %T", f.name, p)
		}
		id := DeriveID(ev)
		if prev, dup := seen[id]; dup {
			t.Errorf("changing %s gives the id of %s", f.name, prev)
		}
		seen[id] = f.name
	}
	ev, _ := Decode([]byte(full))
	ev.EventID = "other"
	if DeriveID(ev) != baseID {
		t.Error("DeriveID depends on EventID")
	}
}

func TestDeriveIDUnmarshalable(t *testing.T) {
	ev := &Event{Kind: KindRun, Attributes: map[string]any{"c": make(chan int)}}
	if id := DeriveID(ev); id != "" {
		t.Errorf("DeriveID = %q, want \"\" for an event json.Marshal rejects", id)
	}
}
