package chhttp

import (
	"net/url"
	"testing"
)

func TestNegotiateEncodingAndQueryID(t *testing.T) {
	for accept, want := range map[string]string{
		"": "", "gzip": "gzip", "x-gzip": "gzip", "GZIP, deflate": "gzip", "deflate": "deflate",
		"br, gzip": "br", "gzip, zstd": "zstd", "zstd;q=0, br;q=0.5": "br", "identity": "", "*": "",
	} {
		if got := negotiateEncoding(accept); got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", accept, got, want)
		}
	}
	if queryID(url.Values{"query_id": {"abc"}}) != "abc" || queryID(nil) == queryID(nil) {
		t.Fatal("query ids")
	}
}
