package redact

// Value redacts a decoded JSON value in place where possible and returns
// it: string, []any, map[string]any, nested at any depth (also []string,
// map[string]string and map[string][]string). Map keys are left alone,
// values redacted; slices and maps are modified in place (the returned
// value is v itself for them), strings are returned redacted. Numbers,
// bools, nil and other types are returned unchanged. Clean input is not
// copied and nothing is allocated for it.
//
// A string stored under a credential key (a key ending in password,
// token, secret, api_key, authorization, ..., at any depth below it) is a
// secret as a whole: after String, whatever follows a leading scheme word
// such as "Bearer " becomes "[REDACTED:credential]", unless it is empty,
// "true"/"false"/"null" or only markers. This matches what String does to
// the same pair written as text, `"password": "hunter2"`.
func (r *Redactor) Value(v any, c Counts) any {
	if out, changed := r.walk(v, "", c); changed {
		return out
	}
	return v
}

// walk redacts v; cred is the marker type of the credential key v sits
// under, "" for none. changed is
// true only when the returned value must be stored in place of v (a
// string); containers are modified in place.
func (r *Redactor) walk(v any, cred string, c Counts) (any, bool) {
	switch x := v.(type) {
	case string:
		if s, changed := r.str(x, cred, c); changed {
			return s, true
		}
	case []any:
		for i, e := range x {
			if y, changed := r.walk(e, cred, c); changed {
				x[i] = y
			}
		}
	case map[string]any:
		for k, e := range x {
			if y, changed := r.walk(e, under(cred, k), c); changed {
				x[k] = y
			}
		}
	case []string:
		for i, e := range x {
			if s, changed := r.str(e, cred, c); changed {
				x[i] = s
			}
		}
	case map[string]string:
		for k, e := range x {
			if s, changed := r.str(e, under(cred, k), c); changed {
				x[k] = s
			}
		}
	case map[string][]string:
		for k, e := range x {
			r.walk(e, under(cred, k), c)
		}
	}
	return v, false
}

// under returns the credential type for values under key k of a map
// that itself sits under credential type cred ("" for none).
func under(cred, k string) string {
	if cred != "" {
		return cred
	}
	return credKeyType(k)
}

// str redacts one string, as a credential value of type cred unless cred
// is "".
func (r *Redactor) str(s string, cred string, c Counts) (string, bool) {
	if cred != "" {
		return r.credString(s, cred, c)
	}
	return r.redact(s, c)
}
