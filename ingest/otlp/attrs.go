package otlp

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// attrs is one span's attributes as stored values. Mapping a value to an
// envelope field takes (deletes) its key; whatever is left is stored under
// the event's attributes, so nothing the sender said is dropped.
type attrs map[string]any

// toAttrs converts an OTLP attribute list. A repeated key keeps its first
// value (OTLP forbids repeats; this is what the collector's pdata does).
func toAttrs(kvs []*commonpb.KeyValue) attrs {
	a := make(attrs, len(kvs)+10) // room for the otel.* keys meta adds
	for _, kv := range kvs {
		if _, dup := a[kv.GetKey()]; dup {
			continue
		}
		a[kv.GetKey()] = value(kv.GetValue())
	}
	return a
}

// value converts an AnyValue to what encoding/json can store: strings,
// bools, int64, finite float64 (NaN and ±Inf become strings, since JSON
// has no spelling for them), bytes as base64, arrays as []any and kvlists
// as map[string]any. An empty AnyValue is nil.
func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
		}
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		vs := x.ArrayValue.GetValues()
		out := make([]any, len(vs))
		for i, e := range vs {
			out[i] = value(e)
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		kvs := x.KvlistValue.GetValues()
		out := make(map[string]any, len(kvs))
		for _, kv := range kvs {
			if _, dup := out[kv.GetKey()]; !dup {
				out[kv.GetKey()] = value(kv.GetValue())
			}
		}
		return out
	}
	return nil
}

// str returns a as a string: strings as they are, other scalars in their
// usual spelling; "" and false for absent, empty, array or map values.
func (a attrs) str(key string) (string, bool) {
	switch v := a[key].(type) {
	case string:
		return v, v != ""
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// takeStr is str that also takes the key when it gave a value.
func (a attrs) takeStr(key string) (string, bool) {
	s, ok := a.str(key)
	if ok {
		delete(a, key)
	}
	return s, ok
}

// firstStr takes the first of keys that has a string value.
func (a attrs) firstStr(keys ...string) string {
	for _, k := range keys {
		if s, ok := a.takeStr(k); ok {
			return s
		}
	}
	return ""
}

// takeInt takes an integer: an int, a whole double, or a decimal string
// (token counts arrive as "190" from some exporters).
func (a attrs) takeInt(key string) *int64 {
	var n int64
	switch v := a[key].(type) {
	case int64:
		n = v
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil
		}
		n = int64(v)
	case string:
		p, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return nil
			}
			p = int64(f)
		}
		n = p
	default:
		return nil
	}
	delete(a, key)
	return &n
}

// firstInt takes the first of keys that holds an integer.
func (a attrs) firstInt(keys ...string) *int64 {
	for _, k := range keys {
		if n := a.takeInt(k); n != nil {
			return n
		}
	}
	return nil
}

// takeFloat takes a finite number: int, double or a decimal string.
func (a attrs) takeFloat(key string) *float64 {
	f, ok := number(a[key])
	if !ok {
		return nil
	}
	delete(a, key)
	return &f
}

func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case string:
		p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = p
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// takeBool takes a bool or the strings "true"/"false" (any case).
func (a attrs) takeBool(key string) *bool {
	var b bool
	switch v := a[key].(type) {
	case bool:
		b = v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			b = true
		case "false":
		default:
			return nil
		}
	default:
		return nil
	}
	delete(a, key)
	return &b
}

// takeList takes a list of strings: a string array, a JSON array in a
// string, or one plain string (a single item).
func (a attrs) takeList(key string) []string {
	out := list(a[key])
	if len(out) > 0 {
		delete(a, key)
	}
	return out
}

func list(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s, ok := scalarString(e); ok && s != "" {
				out = append(out, s)
			}
		}
	case string:
		t := strings.TrimSpace(x)
		if strings.HasPrefix(t, "[") {
			var arr []any
			if json.Unmarshal([]byte(t), &arr) == nil {
				return list(arr)
			}
		}
		if t != "" {
			out = append(out, x)
		}
	default:
		if s, ok := scalarString(x); ok {
			out = append(out, s)
		}
	}
	return out
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// takeTime takes a timestamp: RFC 3339 text, or a number of Unix seconds,
// milliseconds or nanoseconds (told apart by magnitude).
func (a attrs) takeTime(key string) *time.Time {
	var t time.Time
	switch v := a[key].(type) {
	case string:
		p, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
		if err != nil {
			f, ok := number(v)
			if !ok {
				return nil
			}
			p = unixAny(f)
		}
		t = p
	case int64, float64:
		f, _ := number(v)
		t = unixAny(f)
	default:
		return nil
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return nil
	}
	delete(a, key)
	t = t.UTC()
	return &t
}

func unixAny(f float64) time.Time {
	switch {
	case math.Abs(f) >= 1e17:
		return time.Unix(0, int64(f))
	case math.Abs(f) >= 1e11:
		return time.UnixMilli(int64(f))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// takeText takes a free-form value as text: strings as they are,
// anything else as JSON.
func (a attrs) takeText(key string) (string, bool) {
	v, ok := a[key]
	if !ok || v == nil {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		s = string(b)
	}
	if s == "" {
		return "", false
	}
	delete(a, key)
	return s, true
}

// firstText takes the first of keys that holds a non-empty value, as text.
func (a attrs) firstText(keys ...string) string {
	for _, k := range keys {
		if s, ok := a.takeText(k); ok {
			return s
		}
	}
	return ""
}

// setIfFree sets key unless the span already used it.
func (a attrs) setIfFree(key string, v any) {
	if _, taken := a[key]; !taken {
		a[key] = v
	}
}
