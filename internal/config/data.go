package config

import (
	"fmt"
	"slices"
	"strings"
)

// Set is a config-data set: one or more distinct scalars (int64 or string),
// integers before strings, each kind in ascending order, as libsession's
// std::set<std::variant<int64_t, std::string>> orders them. Sets encode as bt
// lists. An empty set is never stored: it is dropped from the data.
type Set []any

// scalarCompare orders config scalars: int64 before string, then by value.
func scalarCompare(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		return -1
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
		return 1
	}
	panic("config: not a scalar")
}

func isScalar(v any) bool {
	switch v.(type) {
	case int64, string:
		return true
	}
	return false
}

// Contains reports whether v is in s.
func (s Set) Contains(v any) bool {
	if !isScalar(v) {
		return false
	}
	_, found := slices.BinarySearchFunc(s, v, scalarCompare)
	return found
}

// with returns s plus v, in a new slice when v was missing.
func (s Set) with(v any) Set {
	i, found := slices.BinarySearchFunc(s, v, scalarCompare)
	if found {
		return s
	}
	return slices.Insert(slices.Clone(s), i, v)
}

// without returns s minus v, in a new slice when v was present.
func (s Set) without(v any) Set {
	i, found := slices.BinarySearchFunc(s, v, scalarCompare)
	if !found {
		return s
	}
	return slices.Delete(slices.Clone(s), i, i+1)
}

// kind numbers the three shapes a data value can have, in libsession's
// variant order (dict, set, scalar): a diff treats a change of shape as a
// removal plus an addition.
func kind(v any) int {
	switch v.(type) {
	case Dict:
		return 0
	case Set:
		return 1
	}
	return 2
}

// copyData deep-copies config data, so that later edits of the copy cannot
// reach the original.
func copyData(d Dict) Dict {
	out := make(Dict, len(d))
	for k, v := range d {
		switch x := v.(type) {
		case Dict:
			out[k] = copyData(x)
		case Set:
			out[k] = slices.Clone(x)
		default:
			out[k] = v
		}
	}
	return out
}

// copyBT deep-copies a generic bt value.
func copyBT(v any) any {
	switch x := v.(type) {
	case Dict:
		out := make(Dict, len(x))
		for k, e := range x {
			out[k] = copyBT(e)
		}
		return out
	case List:
		out := make(List, len(x))
		for i, e := range x {
			out[i] = copyBT(e)
		}
		return out
	case Set:
		return slices.Clone(x)
	}
	return v
}

// prune removes, depth first, every set and dict that is empty (or became
// empty once its own empty children went). It reports whether d itself is now
// empty.
func prune(d Dict) bool {
	for k, v := range d {
		switch x := v.(type) {
		case Dict:
			if prune(x) {
				delete(d, k)
			}
		case Set:
			if len(x) == 0 {
				delete(d, k)
			}
		}
	}
	return len(d) == 0
}

// diffSet returns the set diff [added, removed] from old to new, or nil when
// they are equal.
func diffSet(old, new Set) List {
	added, removed := List{}, List{}
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case i == len(old) || (j < len(new) && scalarCompare(new[j], old[i]) < 0):
			added = append(added, new[j])
			j++
		case j == len(new) || scalarCompare(old[i], new[j]) < 0:
			removed = append(removed, old[i])
			i++
		default:
			i++
			j++
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	return List{added, removed}
}

// diffDict returns the diff from old to new: "" for a scalar set or changed,
// "-" for one removed, a sub-diff for a dict, [added, removed] for a set. It
// returns nil when nothing changed. Both must be pruned (no empty children).
func diffDict(old, new Dict) Dict {
	out := Dict{}
	for k, o := range old {
		n, ok := new[k]
		if !ok {
			switch x := o.(type) {
			case Dict:
				out[k] = diffDict(x, Dict{})
			case Set:
				out[k] = diffSet(x, nil)
			default:
				out[k] = "-"
			}
			continue
		}
		if kind(o) != kind(n) {
			continue // handled below as a new value
		}
		switch x := o.(type) {
		case Dict:
			if sub := diffDict(x, n.(Dict)); sub != nil {
				out[k] = sub
			}
		case Set:
			if sub := diffSet(x, n.(Set)); sub != nil {
				out[k] = sub
			}
		default:
			if x != n {
				out[k] = ""
			}
		}
	}
	for k, n := range new {
		if o, ok := old[k]; ok && kind(o) == kind(n) {
			continue
		}
		switch x := n.(type) {
		case Dict:
			out[k] = diffDict(Dict{}, x)
		case Set:
			out[k] = diffSet(nil, x)
		default:
			out[k] = ""
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// applyDiff replays one diff onto data, taking the values it names from
// source (the full data of the message the diff belongs to). A value the diff
// names that source no longer holds, or holds with another shape, is removed:
// a later diff must remove it or replace it with a value of the new shape, so
// removing it now is what makes a dict→int→dict sequence end with only the
// second dict. Empty sets and dicts are left for prune.
func applyDiff(data, diff, source Dict) {
	for k, v := range diff {
		src, ok := source[k]
		switch d := v.(type) {
		case string:
			if !ok || kind(src) != 2 || d == "-" {
				delete(data, k)
				continue
			}
			data[k] = src
		case Dict:
			srcDict, isDict := src.(Dict)
			if !ok || !isDict {
				delete(data, k)
				continue
			}
			sub, isDict := data[k].(Dict)
			if !isDict {
				sub = Dict{}
				data[k] = sub
			}
			applyDiff(sub, d, srcDict)
		case List:
			if _, isSet := src.(Set); !ok || !isSet {
				delete(data, k)
				continue
			}
			cur, _ := data[k].(Set)
			cur = slices.Clone(cur)
			for _, a := range d[0].(List) {
				cur = cur.with(a)
			}
			for _, r := range d[1].(List) {
				cur = cur.without(r)
			}
			data[k] = cur
		}
	}
}

// parseData converts a decoded bt dict into config data, checking the rules
// libsession enforces: only ints, strings, sets and dicts; sets non-empty,
// sorted and free of duplicates; dicts other than the top one non-empty.
func parseData(in Dict, top bool) (Dict, error) {
	if !top && len(in) == 0 {
		return nil, fmt.Errorf("%w: data holds an empty dict", ErrMalformed)
	}
	out := make(Dict, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case int64, string:
			out[k] = x
		case Dict:
			sub, err := parseData(x, false)
			if err != nil {
				return nil, err
			}
			out[k] = sub
		case List:
			s, err := parseSet(x)
			if err != nil {
				return nil, fmt.Errorf("%w (key %q)", err, k)
			}
			out[k] = s
		}
	}
	return out, nil
}

func parseSet(l List) (Set, error) {
	if len(l) == 0 {
		return nil, fmt.Errorf("%w: data holds an empty set", ErrMalformed)
	}
	s := make(Set, 0, len(l))
	for _, e := range l {
		if !isScalar(e) {
			return nil, fmt.Errorf("%w: set holds a list or dict", ErrMalformed)
		}
		if len(s) > 0 && scalarCompare(s[len(s)-1], e) >= 0 {
			return nil, fmt.Errorf("%w: set is unsorted or has duplicates", ErrMalformed)
		}
		s = append(s, e)
	}
	return s, nil
}

// loadDiff validates a decoded diff: every value is "" or "-", a sub-diff
// dict, or a pair of sorted scalar lists [added, removed].
//
// libsession lets an integer value or a non-scalar element of a one-element
// added/removed list through this check and then misbehaves on it (loops, or
// aborts the whole merge); both are refused here, so such a message is simply
// ignored as malformed.
func loadDiff(in Dict) (Dict, error) {
	for k, v := range in {
		switch x := v.(type) {
		case string:
			if x != "" && x != "-" {
				return nil, fmt.Errorf("%w: diff value at %q is neither \"\" nor \"-\"", ErrMalformed, k)
			}
		case Dict:
			if _, err := loadDiff(x); err != nil {
				return nil, err
			}
		case List:
			if len(x) != 2 {
				return nil, fmt.Errorf("%w: set diff at %q has %d elements, want 2", ErrMalformed, k, len(x))
			}
			for _, half := range x {
				elems, ok := half.(List)
				if !ok {
					return nil, fmt.Errorf("%w: set diff at %q is not a pair of lists", ErrMalformed, k)
				}
				for i, e := range elems {
					if !isScalar(e) {
						return nil, fmt.Errorf("%w: set diff at %q holds a list or dict", ErrMalformed, k)
					}
					if i > 0 && scalarCompare(elems[i-1], e) >= 0 {
						return nil, fmt.Errorf("%w: set diff at %q is unsorted", ErrMalformed, k)
					}
				}
			}
		default:
			return nil, fmt.Errorf("%w: diff value at %q is an integer", ErrMalformed, k)
		}
	}
	return in, nil
}
