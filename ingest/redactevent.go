package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Every string an event carries is scrubbed before it is stored: the
// free-form payloads (input, output, args, attributes, nested at any depth)
// on the decoded event, where the redactor sees keys and values; every text
// field on the row it becomes. Kind, timestamps, numbers and identifiers
// are left untouched: an event whose identifier holds a secret is rejected
// (secretInIdentifier).

// redactPayloads scrubs an event's free-form values.
func redactPayloads(r *redact.Redactor, ev *envelope.Event, c redact.Counts) {
	ev.Input = redact.ScrubValue(r, ev.Input, c)
	ev.Output = redact.ScrubValue(r, ev.Output, c)
	ev.Args = redact.ScrubValue(r, ev.Args, c)
	if ev.Attributes != nil {
		redact.ScrubValue(r, ev.Attributes, c)
	}
}

// redactRow scrubs a stored row's content (Pipeline.Row): its payloads
// (redactJSONText), and its text fields.
func redactRow(r *redact.Redactor, row *events.Row, c redact.Counts) {
	for _, s := range []*string{&row.Input, &row.Output, &row.Args, &row.Attributes} {
		if *s != "" {
			*s = redactJSONText(r, *s, c)
		}
	}
	redactText(r, row, c)
}

// redactJSONText scrubs a payload stored as text: a JSON object or array
// is decoded and redacted as the event's value was (redact.ScrubValue: keys,
// identifiers kept), and re-encoded only when something was replaced;
// any other text is Scrubbed.
func redactJSONText(r *redact.Redactor, s string, c redact.Counts) string {
	if s[0] == '{' || s[0] == '[' {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if _, err := dec.Token(); err == io.EOF {
				local := redact.Counts{}
				v = redact.ScrubValue(r, v, local)
				if len(local) == 0 {
					return s
				}
				c.Add(local)
				return text(v)
			}
		}
	}
	return redact.Scrub(r, s, c)
}

// redactText scrubs a row's text: every string, list of strings and map
// key the row holds, but for its identifiers (see secretInIdentifier), its
// kind (validated, one of a few) and its payloads (redactPayloads,
// redactJSONText). The fields are found by reflection once (textFields), so
// a column added to events.Row is scrubbed without being listed here.
func redactText(r *redact.Redactor, row *events.Row, c redact.Counts) {
	v := reflect.ValueOf(row).Elem()
	for _, i := range textFields.strings {
		if s := v.Field(i); s.Len() > 0 {
			s.SetString(redact.Scrub(r, s.String(), c))
		}
	}
	for _, i := range textFields.lists {
		for j, s := range v.Field(i).Interface().([]string) {
			if s != "" {
				v.Field(i).Index(j).SetString(redact.Scrub(r, s, c))
			}
		}
	}
	// A map's keys are names (redaction_counts' marker types): a key that
	// holds a secret is replaced by its marker, its count kept.
	for _, i := range textFields.maps {
		m := v.Field(i)
		for _, k := range m.MapKeys() {
			red := redact.Scrub(r, k.String(), c)
			if red == k.String() {
				continue
			}
			rk := reflect.ValueOf(red).Convert(k.Type())
			old := m.MapIndex(k)
			if prev := m.MapIndex(rk); prev.IsValid() {
				old = reflect.ValueOf(uint64(prev.Uint() + old.Uint())).Convert(old.Type())
			}
			m.SetMapIndex(k, reflect.Value{})
			m.SetMapIndex(rk, old)
		}
	}
}

// textFields are events.Row's field indexes redactText scrubs, and the
// identifiers secretInIdentifier checks.
var textFields = func() (f struct{ strings, lists, maps, ids, idLists []int }) {
	ids := map[string]bool{
		"event_id": true, "trace_id": true, "span_id": true, "parent_span_id": true, "run_id": true,
		"case_id": true, "dataset": true, "idempotency_key": true,
		"source_ids": true, "read_ids": true, "write_ids": true,
	}
	skip := map[string]bool{"kind": true, "input": true, "output": true, "args": true, "attributes": true}
	t := reflect.TypeFor[events.Row]()
	for i := range t.NumField() {
		sf := t.Field(i)
		col := sf.Tag.Get("ch")
		if skip[col] {
			continue
		}
		switch k := sf.Type.Kind(); {
		case k == reflect.String && ids[col]:
			f.ids = append(f.ids, i)
		case k == reflect.String:
			f.strings = append(f.strings, i)
		case k == reflect.Slice && sf.Type.Elem().Kind() == reflect.String && ids[col]:
			f.idLists = append(f.idLists, i)
		case k == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
			f.lists = append(f.lists, i)
		case k == reflect.Map && sf.Type.Key().Kind() == reflect.String:
			if sf.Type.Elem().Kind() != reflect.Uint32 {
				panic("ingest: redactText cannot merge the counts of " + sf.Name)
			}
			f.maps = append(f.maps, i)
		}
	}
	return f
}()

// secretInIdentifier returns why row must be rejected if one of its
// identifiers holds a secret, or "". Identifiers are never rewritten by
// redaction (a rewritten trace_id or run_id silently breaks every join on
// it); an event whose identifier is itself a secret is rejected instead,
// the field and the kind of secret named, the value never quoted.
func secretInIdentifier(r *redact.Redactor, row *events.Row) string {
	v := reflect.ValueOf(row).Elem()
	t := v.Type()
	for _, i := range textFields.ids {
		if typ := r.Identifier(v.Field(i).String()); typ != "" {
			return identifierReason(t.Field(i).Tag.Get("ch"), typ)
		}
	}
	for _, i := range textFields.idLists {
		for j, id := range v.Field(i).Interface().([]string) {
			if typ := r.Identifier(id); typ != "" {
				return identifierReason(fmt.Sprintf("%s[%d]", t.Field(i).Tag.Get("ch"), j), typ)
			}
		}
	}
	return ""
}

func identifierReason(field, typ string) string {
	return fmt.Sprintf("field %q: identifier holds a secret (%s); identifiers are never redacted, so the event is rejected", field, typ)
}
