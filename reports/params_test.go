package reports

import (
	"strings"
	"testing"
	"time"
)

func TestParamsOptions(t *testing.T) {
	now := time.Now().UTC()
	o, err := Params{Since: "7d", Tenant: "acme", By: []string{"model", "attr.channel"}, Attrs: []string{"channel=web"}, Prefix: "--"}.Options(now)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Window.Since.Equal(now.AddDate(0, 0, -7)) || !o.Window.Until.Equal(now) || o.Filter.Tenant != "acme" || o.Filter.Attrs["channel"] != "web" || len(o.By) != 2 {
		t.Errorf("options %+v", o)
	}
	for _, c := range []struct {
		p    Params
		want string
	}{
		{Params{Since: "7x"}, `since "7x"`},
		{Params{Since: "1h", Until: "2h"}, "the window is empty"},
		{Params{Since: "1h", TZ: "Mars/Olympus"}, `tz "Mars/Olympus"`},
		{Params{Since: "1h", Bucket: "fortnight"}, `bucket: bucket "fortnight"`},
		{Params{Since: "1h", Attrs: []string{"novalue"}}, `attr "novalue": want KEY=VALUE`},
		{Params{Since: "1h", By: []string{"password"}}, "by: "},
		{Params{Since: "1h", Top: -1}, "neither may be negative"},
	} {
		c.p.Prefix = "--"
		if _, err := c.p.Options(now); err == nil || !strings.Contains(err.Error(), "--"+strings.TrimPrefix(c.want, "--")) && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.p, err, c.want)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Now().UTC()
	abs := now.Add(-time.Hour).Truncate(time.Second)
	for in, want := range map[string]time.Time{"": {}, "90m": now.Add(-90 * time.Minute), "2d": now.AddDate(0, 0, -2), abs.Format(time.RFC3339): abs} {
		if got, err := ParseWhen("since", in, now); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1d", "-5m", "yesterday", "1.5d"} {
		if _, err := ParseWhen("since", bad, now); err == nil || !strings.HasPrefix(err.Error(), "since ") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
