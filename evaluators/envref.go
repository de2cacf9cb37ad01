package evaluators

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"
)

// EnvField is one name a rule can use: a variable of Env or a field of one.
type EnvField struct {
	// Path is how a rule reaches it: "run.cost_usd". Elements of a list are
	// "[]": "tool_calls[].authorization" is `.authorization` inside
	// all(tool_calls, …).
	Path string
	// Type is its type in rule terms: string, int, float, bool, time,
	// object, list<…>, map<string, any> or any.
	Type string
}

// EnvReference lists every variable of Env and every field below it, in
// declaration order. It reads Env's expr tags, so it cannot drift from
// what rules compile against.
func EnvReference() []EnvField {
	var out []EnvField
	walkEnv(reflect.TypeFor[Env](), "", &out)
	return out
}

var timeType = reflect.TypeFor[time.Time]()

func walkEnv(t reflect.Type, prefix string, out *[]EnvField) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("expr")
		if name == "" || !f.IsExported() {
			continue
		}
		path := prefix + name
		*out = append(*out, EnvField{Path: path, Type: typeName(f.Type)})
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != timeType:
			walkEnv(f.Type, path+".", out)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem() != timeType:
			walkEnv(f.Type.Elem(), path+"[].", out)
		}
	}
}

// typeName names a Go type the way the docs talk about rule values.
func typeName(t reflect.Type) string {
	if t == timeType {
		return "time"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Struct:
		return "object"
	case reflect.Slice, reflect.Array:
		return "list<" + typeName(t.Elem()) + ">"
	case reflect.Map:
		return "map<" + typeName(t.Key()) + ", " + typeName(t.Elem()) + ">"
	case reflect.Interface:
		return "any"
	}
	return t.String()
}

// WriteEnvReference prints EnvReference as an indented two-column table.
func WriteEnvReference(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range EnvReference() {
		indent := strings.Repeat("  ", strings.Count(f.Path, "."))
		fmt.Fprintf(tw, "  %s%s\t%s\n", indent, f.Path, f.Type)
	}
	return tw.Flush()
}
