package envelope

import "time"

// typeErr reports that the value at the cursor has the wrong JSON type.
func (s *scanner) typeErr(f *fieldSpec) *DecodeError {
	got := jsonType(s.peek())
	if got == "" {
		return s.syntaxErr()
	}
	return &DecodeError{Offset: -1, Msg: "want " + want[f.typ] + ", got " + got}
}

// field decodes the value at the cursor into the field f of ev.
func (s *scanner) field(ev *Event, f *fieldSpec) *DecodeError {
	c := s.peek()
	if c == 'n' {
		if !s.literal("null") {
			return s.syntaxErr()
		}
		return nil // null means absent
	}
	switch f.typ {
	case tString, tKind, tTime:
		if c != '"' {
			return s.typeErr(f)
		}
		v, err := s.str()
		if err != nil {
			return err
		}
		switch p := f.ptr(ev).(type) {
		case *string:
			if f.name == "dataset" && v != "" && !ValidDataset(v) {
				return &DecodeError{Offset: -1, Msg: `want "name@vN", got a string that does not match`}
			}
			*p = v
		case *Kind:
			if k := Kind(v); ValidKind(k) {
				*p = k
			} else {
				return &DecodeError{Offset: -1, Msg: "want one of " + kindList + ", got another string"}
			}
		case *time.Time, **time.Time:
			t, perr := time.Parse(time.RFC3339, v)
			if perr != nil {
				return &DecodeError{Offset: -1, Msg: "want " + want[tTime] + ", got a string that does not parse"}
			}
			t = t.UTC()
			if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
				return &DecodeError{Offset: -1, Msg: "want " + want[tTime] + " in UTC years 0001 to 9999, after the zero time"}
			}
			if pt, ok := p.(*time.Time); ok {
				*pt = t
			} else {
				*p.(**time.Time) = &t
			}
		}
	case tInt, tFloat:
		if jsonType(c) != "number" {
			return s.typeErr(f)
		}
		raw, integral, err := s.scanNumber()
		if err != nil {
			return err
		}
		if f.typ == tFloat {
			v, ok := toFloat(raw, integral)
			if !ok {
				return &DecodeError{Offset: -1, Msg: "want number, got number out of range"}
			}
			*f.ptr(ev).(**float64) = &v
			return nil
		}
		v, problem := toInt(raw, integral)
		if problem != "" {
			return &DecodeError{Offset: -1, Msg: "want integer, got " + problem}
		}
		*f.ptr(ev).(**int64) = &v
	case tBool:
		v, err := s.boolean(f)
		if err != nil {
			return err
		}
		*f.ptr(ev).(**bool) = &v
	case tStrings:
		return s.strings(f, f.ptr(ev).(*[]string))
	case tAny:
		v, err := s.value(1)
		if err != nil {
			return err
		}
		*f.ptr(ev).(*any) = v
	case tObject:
		if c != '{' {
			return s.typeErr(f)
		}
		m, err := s.object(2)
		if err != nil {
			return err
		}
		*f.ptr(ev).(*map[string]any) = m
	case tFreshness:
		return s.freshness(f, f.ptr(ev).(**Freshness))
	}
	return nil
}

func (s *scanner) boolean(f *fieldSpec) (bool, *DecodeError) {
	switch s.peek() {
	case 't':
		if s.literal("true") {
			return true, nil
		}
	case 'f':
		if s.literal("false") {
			return false, nil
		}
	default:
		return false, s.typeErr(f)
	}
	return false, s.syntaxErr()
}

// strings decodes an array of strings into dst; an empty array leaves dst
// nil.
func (s *scanner) strings(f *fieldSpec, dst *[]string) *DecodeError {
	if s.peek() != '[' {
		return s.typeErr(f)
	}
	s.i++
	s.skipWS()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	var out []string
	for {
		if c := s.peek(); c != '"' {
			if t := jsonType(c); t != "" {
				return &DecodeError{Offset: -1, Msg: "want array of strings, got array containing " + t}
			}
			return s.syntaxErr()
		}
		v, err := s.str()
		if err != nil {
			return err
		}
		out = append(out, v)
		s.skipWS()
		switch s.peek() {
		case ',':
			s.i++
			s.skipWS()
		case ']':
			s.i++
			*dst = out
			return nil
		default:
			return s.syntaxErr()
		}
	}
}

// freshness decodes {"stale": bool, "age_s": number}; both keys are
// required and no others are allowed.
func (s *scanner) freshness(f *fieldSpec, dst **Freshness) *DecodeError {
	if s.peek() != '{' {
		return s.typeErr(f)
	}
	s.i++
	s.skipWS()
	var fr Freshness
	var haveStale, haveAge bool
	for s.peek() != '}' {
		if s.peek() != '"' {
			return s.syntaxErr()
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		switch {
		case k == "stale" && !haveStale:
			haveStale = true
			v, err := s.boolean(&fieldSpec{typ: tBool})
			if err != nil {
				err.Field = "freshness.stale"
				return err
			}
			fr.Stale = v
		case k == "age_s" && !haveAge:
			haveAge = true
			if jsonType(s.peek()) != "number" {
				err := s.typeErr(&fieldSpec{typ: tFloat})
				err.Field = "freshness.age_s"
				return err
			}
			raw, integral, err := s.scanNumber()
			if err != nil {
				return err
			}
			v, ok := toFloat(raw, integral)
			if !ok {
				return &DecodeError{Field: "freshness.age_s", Offset: -1, Msg: "want number, got number out of range"}
			}
			fr.AgeS = v
		case k == "stale" || k == "age_s":
			return &DecodeError{Field: "freshness." + k, Offset: -1, Msg: "appears more than once"}
		default:
			return &DecodeError{Offset: -1, Msg: `unknown key, want only "stale" and "age_s"`}
		}
		s.skipWS()
		if s.peek() == ',' {
			s.i++
			s.skipWS()
			if s.peek() == '}' {
				return s.syntaxErr()
			}
		} else if s.peek() != '}' {
			return s.syntaxErr()
		}
	}
	s.i++
	switch {
	case !haveStale:
		return &DecodeError{Field: "freshness.stale", Offset: -1, Msg: "missing, want boolean"}
	case !haveAge:
		return &DecodeError{Field: "freshness.age_s", Offset: -1, Msg: "missing, want number"}
	}
	*dst = &fr
	return nil
}
