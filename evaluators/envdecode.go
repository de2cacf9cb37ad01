package evaluators

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"
)

// DecodeEnv builds an Env from a generic document (YAML or JSON decoded
// into map[string]any) whose keys are the names rules use: run, case,
// tool_calls, … and each field's snake_case name (EnvReference). Missing
// keys stay zero. Unknown keys and values of the wrong type are errors
// naming their path (tool_calls[1].side_effect); all are reported.
// Numbers convert where no precision is lost; times are RFC 3339 strings.
func DecodeEnv(doc map[string]any) (*Env, error) {
	var env Env
	var errs []error
	decodeValue(reflect.ValueOf(&env).Elem(), doc, "", &errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &env, nil
}

// maxDecodeDepth bounds how deep decoded values nest.
const maxDecodeDepth = 200

func decodeValue(dst reflect.Value, src any, path string, errs *[]error) {
	decodeDepth(dst, src, path, errs, 0)
}

func decodeDepth(dst reflect.Value, src any, path string, errs *[]error, depth int) {
	bad := func(format string, args ...any) {
		where := path
		if where == "" {
			where = "env"
		}
		*errs = append(*errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	if depth > maxDecodeDepth {
		bad("nested deeper than %d", maxDecodeDepth)
		return
	}
	if src == nil {
		return // zero value
	}
	t := dst.Type()
	if t == timeType {
		switch s := src.(type) {
		case time.Time:
			dst.Set(reflect.ValueOf(s))
		case string:
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				bad("want an RFC 3339 time, got %q", s)
				return
			}
			dst.Set(reflect.ValueOf(tm))
		default:
			bad("want an RFC 3339 time, got %s", kindOf(src))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := asMap(src)
		if !ok {
			bad("want an object, got %s", kindOf(src))
			return
		}
		fields := exprFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			i, ok := fields[k]
			if !ok {
				bad("unknown key %q", k)
				continue
			}
			decodeDepth(dst.Field(i), m[k], join(path, k), errs, depth+1)
		}
	case reflect.Slice:
		list, ok := src.([]any)
		if !ok {
			bad("want a list, got %s", kindOf(src))
			return
		}
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, x := range list {
			decodeDepth(s.Index(i), x, fmt.Sprintf("%s[%d]", path, i), errs, depth+1)
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := asMap(src)
		if !ok {
			bad("want an object, got %s", kindOf(src))
			return
		}
		n, ok := normalize(m, depth)
		if !ok {
			bad("nested deeper than %d", maxDecodeDepth)
			return
		}
		dst.Set(reflect.ValueOf(n))
	case reflect.Interface:
		n, ok := normalize(src, depth)
		if !ok {
			bad("nested deeper than %d", maxDecodeDepth)
			return
		}
		dst.Set(reflect.ValueOf(&n).Elem())
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			bad("want a string, got %s", kindOf(src))
			return
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := src.(bool)
		if !ok {
			bad("want true or false, got %s", kindOf(src))
			return
		}
		dst.SetBool(b)
	case reflect.Int64:
		f, ok := number(src)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			bad("want an integer, got %s", kindOf(src))
			return
		}
		dst.SetInt(int64(f))
	case reflect.Float64:
		f, ok := number(src)
		if !ok {
			bad("want a number, got %s", kindOf(src))
			return
		}
		dst.SetFloat(f)
	default:
		bad("cannot decode into %s", t) // a field type DecodeEnv does not know yet
	}
}

// exprFields maps a struct's expr tags to field indexes.
func exprFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("expr"); name != "" && t.Field(i).IsExported() {
			m[name] = i
		}
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func asMap(src any) (map[string]any, bool) {
	switch m := src.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
		return out, true
	}
	return nil, false
}

// normalize turns a decoded document into what rules expect: objects as
// map[string]any, lists as []any, all the way down. It fails past
// maxDecodeDepth.
func normalize(src any, depth int) (any, bool) {
	if depth > maxDecodeDepth {
		return nil, false
	}
	ok := true
	if m, isMap := asMap(src); isMap {
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k], ok = normalize(v, depth+1)
			if !ok {
				return nil, false
			}
		}
		return out, true
	}
	if list, isList := src.([]any); isList {
		out := make([]any, len(list))
		for i, v := range list {
			out[i], ok = normalize(v, depth+1)
			if !ok {
				return nil, false
			}
		}
		return out, true
	}
	return src, true
}

func number(src any) (float64, bool) {
	switch n := src.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func kindOf(src any) string {
	switch src.(type) {
	case string:
		return "a string"
	case bool:
		return "a bool"
	case int, int64, uint64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "an object"
	}
	return fmt.Sprintf("%T", src)
}
