package httpbody

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/evalhouse/evalhouse/ingest"
)

type refusal struct {
	status int
	format string
	msg    string
}

// testAdmission records its refusals; the recorder is safe for the
// concurrent requests of the listener tests (read it after they end).
func testAdmission(l Limits) (*Admission, *[]refusal) {
	var (
		mu  sync.Mutex
		got []refusal
	)
	a := NewAdmission(ingest.NewRegistry().Register(ingest.Envelope, "application/x-ndjson", "application/json"), l,
		"use POST with an NDJSON body", func(w http.ResponseWriter, status int, f ingest.Format, msg string) {
			mu.Lock()
			got = append(got, refusal{status, f.Name, msg})
			mu.Unlock()
			w.WriteHeader(status)
		})
	return a, &got
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Every refusal a sender can provoke, with its status, its message and the
// format the reply may follow; an admitted request holds its slot until
// Done.
func TestAdmit(t *testing.T) {
	cases := []struct {
		name, method, ct, ce string
		body                 []byte
		want                 refusal
		header, value        string
	}{
		{name: "GET", method: "GET", ct: "application/json", want: refusal{405, "ndjson", "use POST with an NDJSON body"}, header: "Allow", value: "POST"},
		{name: "unknown type", ct: "text/csv; x=y", want: refusal{415, "", `content type "text/csv": send application/x-ndjson`}},
		{name: "no type, no default", want: refusal{415, "", `content type "": send application/x-ndjson`}},
		{name: "long type cut", ct: strings.Repeat("x", 100), want: refusal{415, "", `content type "` + strings.Repeat("x", 64) + `…": send application/x-ndjson`}},
		{name: "brotli", ct: "application/json", ce: "br", want: refusal{415, "ndjson", `content encoding "br": send gzip or none`}},
		{name: "over the limit", ct: "application/json", body: bytes.Repeat([]byte(" "), 101), want: refusal{413, "ndjson", "body too large: the limit is 100 bytes; split the batch"}},
		{name: "over the limit inflated", ct: "application/json", ce: "gzip", body: gz(bytes.Repeat([]byte(" "), 5000)), want: refusal{413, "ndjson", "body too large: the limit is 100 bytes; split the batch"}},
		{name: "bad gzip", ct: "application/json", ce: "gzip", body: []byte("not a gzip stream at all"), want: refusal{400, "ndjson", "gzip body: gzip: invalid header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, got := testAdmission(Limits{MaxBody: 100, MaxInFlight: 1})
			method := c.method
			if method == "" {
				method = "POST"
			}
			r := httptest.NewRequest(method, "/v1/events", bytes.NewReader(c.body))
			if c.ct != "" {
				r.Header.Set("Content-Type", c.ct)
			}
			if c.ce != "" {
				r.Header.Set("Content-Encoding", c.ce)
			}
			w := httptest.NewRecorder()
			if req := a.Admit(w, r); req != nil {
				t.Fatalf("admitted %q", req.Body)
			}
			if len(*got) != 1 || (*got)[0] != c.want {
				t.Fatalf("refusals %+v, want %+v", *got, c.want)
			}
			if c.header != "" && w.Header().Get(c.header) != c.value {
				t.Errorf("%s: %q", c.header, w.Header().Get(c.header))
			}
			if n, held := a.budget.InFlight(); n != 0 || held != 0 {
				t.Errorf("a refused request keeps its slot or bytes: %d requests, %d bytes", n, held)
			}
		})
	}
}

func TestAdmitInFlight(t *testing.T) {
	a, got := testAdmission(Limits{MaxInFlight: 1})
	post := func() (*Request, *httptest.ResponseRecorder) {
		r := httptest.NewRequest("POST", "/v1/events", strings.NewReader("{}\n"))
		r.Header.Set("Content-Type", "application/x-ndjson; charset=utf-8")
		w := httptest.NewRecorder()
		return a.Admit(w, r), w
	}
	first, _ := post()
	if first == nil || string(first.Body) != "{}\n" || first.Format.Name != "ndjson" {
		t.Fatalf("first request: %+v, refusals %+v", first, *got)
	}
	if second, w := post(); second != nil || len(*got) != 1 || (*got)[0].status != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("second request while the first is in flight: %+v, %+v", second, *got)
	}
	first.Done()
	third, _ := post()
	if third == nil {
		t.Fatalf("after Done: refused %+v", *got)
	}
	third.Done()
}

func TestLimitsValidate(t *testing.T) {
	if err := (Limits{}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (Limits{MaxBody: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "max_body -1") {
		t.Errorf("negative max body: %v", err)
	}
	if err := (Limits{MaxInFlight: -1}).Validate(); err == nil {
		t.Error("negative max in flight is valid")
	}
}
