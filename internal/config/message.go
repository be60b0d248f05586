package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"

	"golang.org/x/crypto/blake2b"
)

// DefaultLag is how many seqnos back a config message keeps the diffs of
// earlier updates (libsession's config_lags), and so how far apart two
// concurrent updates may be and still merge.
const DefaultLag = 5

// The keys of a config message's outer dict.
const (
	keySeqno  = "#"
	keyData   = "&"
	keyLagged = "<"
	keyDiff   = "="
	keySig    = "~"
)

// seqHash names one config message: its seqno and the BLAKE2b-256 hash of its
// serialized form. Messages, and lagged diffs, are ordered by seqno and then
// hash.
type seqHash struct {
	seqno int64
	hash  [32]byte
}

func (a seqHash) compare(b seqHash) int {
	switch {
	case a.seqno < b.seqno:
		return -1
	case a.seqno > b.seqno:
		return 1
	}
	return bytes.Compare(a.hash[:], b.hash[:])
}

// MessageHash returns the hash that identifies a serialized (decrypted and
// decompressed) config message in other messages' lagged diffs: unkeyed
// BLAKE2b-256.
func MessageHash(serialized []byte) [32]byte {
	return blake2b.Sum256(serialized)
}

// message is one config message: libsession's ConfigMessage, and its
// MutableConfigMessage when mutable is set.
//
// An immutable message is one that was parsed (its hash is that of the bytes
// it came from, its diff the one it carried) or the result of a merge. A
// mutable one is being edited: its diff is recomputed from orig (the data as
// it was when the seqno was incremented) on every serialization.
type message struct {
	seqHash
	data    Dict
	diff    Dict
	lagged  map[seqHash]Dict
	unknown Dict // top-level keys this version does not know, kept as they were
	lag     int
	// unmerged is the index, among the inputs of a merge, of the one message
	// that superseded all the others, or -1 if they had to be merged.
	unmerged int
	mutable  bool
	orig     Dict
	// sig is the signature ("~") a parsed message carried; signer, if set,
	// signs the message whenever a mutable one is serialized (group configs
	// are signed with the group key).
	sig    []byte
	signer func([]byte) []byte
}

// newMessage returns the empty seqno-0 message every config starts from.
func newMessage() *message {
	m := &message{
		data:     Dict{},
		diff:     Dict{},
		lagged:   map[seqHash]Dict{},
		unknown:  Dict{},
		lag:      DefaultLag,
		unmerged: -1,
	}
	m.hash = MessageHash(m.serialize())
	return m
}

// parseMessage parses one serialized config message. Lagged diffs that are
// DefaultLag or more seqnos old are dropped, as libsession drops them.
//
// A top-level signature ("~") must be 64 bytes and the last key; user configs
// are not signed, so it is checked for shape and otherwise dropped.
func parseMessage(raw []byte, lag int) (*message, error) {
	v, err := DecodeBT(raw)
	if err != nil {
		return nil, err
	}
	outer, ok := v.(Dict)
	if !ok {
		return nil, fmt.Errorf("%w: not a dict", ErrMalformed)
	}
	m := &message{
		lagged:   map[seqHash]Dict{},
		unknown:  Dict{},
		lag:      lag,
		unmerged: -1,
		diff:     Dict{},
	}
	m.hash = MessageHash(raw)
	for k, v := range outer {
		switch {
		case k < keySeqno:
			// Reserved for an incompatible future format.
			return nil, fmt.Errorf("%w: key %q sorts before \"#\"", ErrMalformed, k)
		case k > keySig:
			return nil, fmt.Errorf("%w: key %q sorts after the signature", ErrMalformed, k)
		case k == keySeqno || k == keyData || k == keyLagged || k == keyDiff:
		case k == keySig:
			s, ok := v.(string)
			if !ok || len(s) != 64 {
				return nil, fmt.Errorf("%w: signature is not 64 bytes", ErrMalformed)
			}
			m.sig = []byte(s)
		default:
			m.unknown[k] = v
		}
	}
	seqno, ok := outer[keySeqno].(int64)
	if !ok {
		return nil, fmt.Errorf("%w: no integer seqno", ErrMalformed)
	}
	// libsession takes any int64; a negative seqno or one that cannot be
	// incremented is no real config and would only invite overflow.
	if seqno < 0 || seqno == math.MaxInt64 {
		return nil, fmt.Errorf("%w: seqno %d out of range", ErrMalformed, seqno)
	}
	m.seqno = seqno
	data, ok := outer[keyData].(Dict)
	if !ok {
		return nil, fmt.Errorf("%w: no data dict", ErrMalformed)
	}
	if m.data, err = parseData(data, true); err != nil {
		return nil, err
	}
	if l, present := outer[keyLagged]; present {
		list, ok := l.(List)
		if !ok {
			return nil, fmt.Errorf("%w: lagged diffs are not a list", ErrMalformed)
		}
		if err := m.parseLagged(list); err != nil {
			return nil, err
		}
	}
	if d, present := outer[keyDiff]; present {
		diff, ok := d.(Dict)
		if !ok {
			return nil, fmt.Errorf("%w: diff is not a dict", ErrMalformed)
		}
		if m.diff, err = loadDiff(diff); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *message) parseLagged(list List) error {
	var last *seqHash
	for _, e := range list {
		tuple, ok := e.(List)
		if !ok || len(tuple) == 0 {
			return fmt.Errorf("%w: lagged diff is not a list", ErrMalformed)
		}
		seqno, ok := tuple[0].(int64)
		if !ok {
			return fmt.Errorf("%w: lagged diff seqno is not an integer", ErrMalformed)
		}
		if seqno >= m.seqno {
			return fmt.Errorf("%w: lagged seqno %d is not below the message seqno %d", ErrMalformed, seqno, m.seqno)
		}
		if seqno <= m.seqno-int64(m.lag) {
			continue // too old to matter; libsession skips it unread
		}
		if len(tuple) != 3 {
			return fmt.Errorf("%w: lagged diff has %d elements, want 3", ErrMalformed, len(tuple))
		}
		h, ok := tuple[1].(string)
		if !ok || len(h) != 32 {
			return fmt.Errorf("%w: lagged diff hash is not 32 bytes", ErrMalformed)
		}
		sh := seqHash{seqno: seqno}
		copy(sh.hash[:], h)
		if last != nil && sh.compare(*last) <= 0 {
			return fmt.Errorf("%w: lagged diffs unsorted or duplicated", ErrMalformed)
		}
		last = &sh
		diff, ok := tuple[2].(Dict)
		if !ok {
			return fmt.Errorf("%w: lagged diff is not a dict", ErrMalformed)
		}
		if _, err := loadDiff(diff); err != nil {
			return err
		}
		m.lagged[sh] = diff
	}
	return nil
}

// laggedKeys returns the lagged diffs' names in ascending order.
func (m *message) laggedKeys() []seqHash {
	keys := make([]seqHash, 0, len(m.lagged))
	for k := range m.lagged {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, seqHash.compare)
	return keys
}

// serializeWith encodes the message with the given current diff. Lagged diffs
// outside (seqno-lag, seqno) are kept in memory but not written.
func (m *message) serializeWith(diff Dict) []byte {
	out := make(Dict, len(m.unknown)+4)
	for k, v := range m.unknown {
		out[k] = v
	}
	out[keySeqno] = m.seqno
	out[keyData] = m.data
	lags := List{}
	for _, sh := range m.laggedKeys() {
		if sh.seqno <= m.seqno-int64(m.lag) || sh.seqno >= m.seqno {
			continue
		}
		lags = append(lags, List{sh.seqno, string(sh.hash[:]), m.lagged[sh]})
	}
	out[keyLagged] = lags
	out[keyDiff] = diff
	b := mustEncodeBT(out)
	sig := m.sig
	if m.signer != nil && (m.mutable || sig == nil) {
		sig = m.signer(b[:len(b)-1])
	}
	if len(sig) == 64 {
		// "~" sorts after every other key: the signature covers the dict
		// up to it.
		b = append(b[:len(b)-1], "1:~64:"...)
		b = append(b, sig...)
		b = append(b, 'e')
	}
	return b
}

// serialize encodes the message. A mutable message first drops empty sets
// and dicts and recomputes its diff against orig.
func (m *message) serialize() []byte {
	if m.mutable {
		prune(m.data)
		m.diff = diffDict(m.orig, m.data)
		if m.diff == nil {
			m.diff = Dict{}
		}
	}
	return m.serializeWith(m.diff)
}

// clone returns a copy whose data can be edited independently. Diffs are
// never edited in place, so they are shared.
func (m *message) clone() *message {
	c := *m
	c.data = copyData(m.data)
	c.lagged = make(map[seqHash]Dict, len(m.lagged))
	for k, v := range m.lagged {
		c.lagged[k] = v
	}
	c.unknown = copyBT(m.unknown).(Dict)
	if m.orig != nil {
		c.orig = copyData(m.orig)
	}
	return &c
}

// increment returns the mutable successor of m, with seqno+1, m's diff moved
// into the lagged diffs and an empty diff of its own.
func (m *message) increment() *message {
	n := m.clone()
	if n.mutable {
		// The diff and hash of an edited message are only known once it is
		// serialized.
		n.hash = MessageHash(n.serialize())
	}
	n.mutable = true
	n.incrementInPlace()
	return n
}

func (m *message) incrementInPlace() {
	m.orig = copyData(m.data)
	m.sig = nil
	for sh := range m.lagged {
		if sh.seqno <= m.seqno-int64(m.lag) || sh.seqno >= m.seqno {
			delete(m.lagged, sh)
		}
	}
	m.lagged[m.seqHash] = m.diff
	m.seqno++
	m.hash = [32]byte{}
	m.diff = Dict{}
}

// errNoConfigs reports a merge of messages none of which parsed.
var errNoConfigs = errors.New("config: no valid config messages to merge")

// mergeMessages combines serialized config messages by libsession's rules
// (docs/config-merge-logic.md):
//
//   - a message included in another's lagged diffs, a duplicate, or one
//     DefaultLag or more seqnos behind the newest is redundant;
//   - if exactly one message is left it is the result as it is (unmerged is
//     its index in confs);
//   - otherwise the result has seqno max+1 and starts from the data of the
//     greatest (seqno, hash); every diff the remaining messages carry, their
//     own and their lagged ones, is replayed in ascending (seqno, hash) order
//     with the values of the message it came from, and becomes a lagged diff
//     of the result, whose own diff is empty.
//
// With mutable set the result is a MutableConfigMessage: a superseding
// message is incremented (seqno+1), a merge keeps its seqno, and later edits
// are diffed against the result's data. Messages that fail to parse are
// reported to onError with their index and otherwise skipped.
func mergeMessages(confs [][]byte, lag int, mutable bool, onError func(int, error)) (*message, error) {
	type candidate struct {
		m         *message
		index     int
		redundant bool
	}
	var cands []*candidate
	for i, raw := range confs {
		m, err := parseMessage(raw, lag)
		if err != nil {
			if onError != nil {
				onError(i, err)
			}
			continue
		}
		cands = append(cands, &candidate{m: m, index: i})
	}
	if len(cands) == 0 {
		return nil, errNoConfigs
	}

	maxSeqno := int64(math.MinInt64)
	for i, c := range cands {
		maxSeqno = max(maxSeqno, c.m.seqno)
		for j, o := range cands {
			if i == j {
				continue
			}
			if _, ok := o.m.lagged[c.m.seqHash]; ok {
				c.redundant = true // o includes c
				break
			}
			if j < i && o.m.seqHash == c.m.seqHash {
				c.redundant = true // a duplicate of an earlier one
				break
			}
		}
	}
	live := cands[:0:0]
	for _, c := range cands {
		if c.m.seqno+int64(lag) <= maxSeqno {
			c.redundant = true
		}
		if !c.redundant {
			live = append(live, c)
		}
	}

	if len(live) == 0 {
		// Cannot happen (lagged seqnos are below their message's, so
		// inclusion has no cycles), but an empty merge must not panic.
		return nil, errNoConfigs
	}
	if len(live) == 1 {
		m := live[0].m
		m.unmerged = live[0].index
		if mutable {
			m.mutable = true
			m.incrementInPlace()
		}
		return m, nil
	}

	// Highest (seqno, hash) first, so that its data is the starting point and
	// its copy of a shared lagged diff is the one replayed.
	slices.SortFunc(live, func(a, b *candidate) int { return b.m.compare(a.m.seqHash) })
	type replay struct{ source, diff Dict }
	replays := map[seqHash]replay{}
	for _, c := range live {
		if _, ok := replays[c.m.seqHash]; !ok {
			replays[c.m.seqHash] = replay{c.m.data, c.m.diff}
		}
		for sh, diff := range c.m.lagged {
			if _, ok := replays[sh]; !ok {
				replays[sh] = replay{c.m.data, diff}
			}
		}
	}
	order := make([]seqHash, 0, len(replays))
	for sh := range replays {
		order = append(order, sh)
	}
	slices.SortFunc(order, seqHash.compare)

	m := &message{
		seqHash:  seqHash{seqno: maxSeqno + 1},
		data:     copyData(live[0].m.data),
		diff:     Dict{},
		lagged:   make(map[seqHash]Dict, len(order)),
		unknown:  Dict{}, // libsession does not carry unknown keys into a merge
		lag:      lag,
		unmerged: -1,
	}
	for _, sh := range order {
		r := replays[sh]
		applyDiff(m.data, r.diff, r.source)
		m.lagged[sh] = r.diff
	}
	prune(m.data)
	m.hash = MessageHash(m.serializeWith(m.diff))
	if mutable {
		m.mutable = true
		m.orig = copyData(m.data)
	}
	return m, nil
}
