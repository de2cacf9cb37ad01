package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
)

func TestRegistryLookup(t *testing.T) {
	other := ingest.Format{Name: "other", Decode: func([]byte) (ingest.Decoded, error) { return ingest.Decoded{}, nil }}
	r := ingest.NewRegistry().
		Register(ingest.Envelope, "application/x-ndjson", "application/json").
		Register(other, "application/x-protobuf").
		Default(ingest.Envelope)
	cases := []struct {
		ct, want string
		ok       bool
	}{
		{"application/x-ndjson", "ndjson", true},
		{" Application/JSON ; charset=utf-8", "ndjson", true},
		{"application/x-protobuf;proto=x", "other", true},
		{"", "ndjson", true},
		{"text/csv", "", false},
		{";", "ndjson", true}, // no media type at all: the default
	}
	for _, c := range cases {
		f, _, ok := r.Lookup(c.ct)
		if ok != c.ok || f.Name != c.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", c.ct, f.Name, ok, c.want, c.ok)
		}
	}
	if w := r.Want(); w != "application/x-ndjson or application/x-protobuf" {
		t.Errorf("Want %q", w)
	}
	if _, _, ok := ingest.NewRegistry().Lookup(""); ok {
		t.Error("a registry without a default takes a body without a content type")
	}
}

// FuzzMediaType: the one media-type parser of every transport never
// panics, and its result is canonical: trimmed, lower-case, without
// parameters, and parsed again unchanged.
func FuzzMediaType(f *testing.F) {
	for _, s := range []string{"application/x-ndjson", "Application/JSON; charset=utf-8", "", ";", " text/plain ;a=b;c", "\x00;\xff", "APPLICATION/X-PROTOBUF\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		mt := ingest.MediaType(ct)
		if strings.ContainsRune(mt, ';') || mt != strings.TrimSpace(mt) || strings.ContainsAny(mt, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("MediaType(%q) = %q: not canonical", ct, mt)
		}
		if again := ingest.MediaType(mt); again != mt {
			t.Fatalf("MediaType(%q) = %q, then %q", ct, mt, again)
		}
		if len(mt) > len(ct) {
			t.Fatalf("MediaType(%q) = %q: longer than its input", ct, mt)
		}
	})
}

func TestPermanent(t *testing.T) {
	base := errors.New("bad body")
	p := ingest.NewPermanent(base)
	if !ingest.IsPermanent(p) || !errors.Is(p, base) || p.Error() != "bad body" {
		t.Fatalf("NewPermanent: %v", p)
	}
	if wrapped := fmt.Errorf("request: %w", p); !ingest.IsPermanent(wrapped) {
		t.Error("a wrapped permanent error is not permanent")
	}
	if ingest.IsPermanent(base) || ingest.IsPermanent(context.DeadlineExceeded) || ingest.IsPermanent(nil) {
		t.Error("an unmarked error is permanent")
	}
	if ingest.NewPermanent(nil) != nil {
		t.Error("NewPermanent(nil) is not nil")
	}
	if _, err := ingest.DecodeEnvelope([]byte("{not json")); !ingest.IsPermanent(err) {
		t.Errorf("an envelope that does not decode: %v is not permanent", err)
	}
}

// The rejection hook is told each rejected line as a Go value, raw bytes
// redacted; its error stops the ingest at that line.
func TestOnReject(t *testing.T) {
	const secret = "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"
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	good := `{"kind":"run","event_id":"e1","ts":"` + ts + `","run_id":"r"}`
	in := good + "\n" + `{"kind":"tool","token":"` + secret + `"` + "\r\n" + good + "\n"
	var got []ingest.Rejection
	p, err := ingest.NewPipeline(ingest.NewWriter(nil, 0, 0), ingest.Options{BatchSize: 1 << 30,
		OnReject: func(r ingest.Rejection) error { got = append(got, r); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadNDJSON(context.Background(), "day1.ndjson", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Origin != "day1.ndjson" || got[0].Line != 2 || got[0].Reason == "" || got[0].Expired {
		t.Fatalf("rejections %+v", got)
	}
	if raw := string(got[0].Raw); strings.Contains(raw, secret) || strings.HasSuffix(raw, "\n") || !strings.HasPrefix(raw, `{"kind":"tool"`) {
		t.Errorf("raw %q: not the line, redacted, without its line ending", raw)
	}

	full := errors.New("dead-letter topic gone")
	p, _ = ingest.NewPipeline(ingest.NewWriter(nil, 0, 0), ingest.Options{BatchSize: 1 << 30,
		OnReject: func(ingest.Rejection) error { return full }})
	err = p.ReadNDJSON(context.Background(), "day1.ndjson", strings.NewReader(in+good+"\n"))
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "day1.ndjson:2") {
		t.Fatalf("ReadNDJSON: %v; want the hook's error naming day1.ndjson:2", err)
	}
}
