package config

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/session-go/session-go/internal/keys"
)

// State is where a config stands with respect to the swarm.
type State int

// The states, numbered as libsession numbers them in its dumps.
const (
	// StateClean means the config is stored on the swarm and unchanged since.
	StateClean State = 0
	// StateDirty means the config has changes that have not been pushed.
	StateDirty State = 1
	// StateWaiting means the config was pushed and not changed since, but
	// the push has not been confirmed.
	StateWaiting State = 2
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateClean:
		return "clean"
	case StateDirty:
		return "dirty"
	case StateWaiting:
		return "waiting"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Received is one config message retrieved from the swarm.
type Received struct {
	// Hash is the storage server's hash of the message, which identifies it
	// for deletion.
	Hash string
	// Data is the message as stored (after base64 decoding).
	Data []byte
}

// Pushed is what [Config.Push] returns: the bytes to store and the messages
// they make obsolete.
type Pushed struct {
	// Seqno is the seqno of the pushed config; pass it to
	// [Config.ConfirmPushed] with the hash the storage server returns.
	Seqno int64
	// Data is the message to store in the config's namespace.
	Data []byte
	// Obsolete lists the hashes of messages this push supersedes, to delete
	// in the same request as the store. It is sorted.
	Obsolete []string
}

// Config is the state shared by every config type: the current config
// message, its push state and the hashes of the swarm messages it knows
// about. Its methods implement the life cycle:
//
//  1. edit through the typed object (the first edit after a push bumps the
//     seqno and marks the config dirty);
//  2. [Config.Push] when [Config.NeedsPush], store the data and delete the
//     obsolete hashes in one request, then [Config.ConfirmPushed];
//  3. [Config.Merge] whatever the namespace holds, which may resolve a
//     conflict and so require another push;
//  4. [Config.Dump] when [Config.NeedsDump], to persist the state locally.
//
// A Config is not safe for concurrent use.
type Config struct {
	ns        Namespace
	id        *keys.Identity
	keyBases  [][]byte // the first encrypts; all are tried to decrypt
	msg       *message
	state     State
	currHash  string
	oldHashes map[string]struct{}
	needsDump bool
	compress  bool
	wrap      bool
	zstd      compressor
	// Group configs (Info, Members) are signed with the group key: signer
	// is set when this device holds it, groupPK always; messages whose
	// signature does not verify are refused.
	signer  func([]byte) []byte
	groupPK ed25519.PublicKey
}

func newConfig(ns Namespace, id *keys.Identity, dump []byte) (*Config, error) {
	if id == nil {
		return nil, fmt.Errorf("%w: no account key", ErrInvalidArgument)
	}
	c := &Config{
		ns:        ns,
		id:        id,
		keyBases:  [][]byte{id.Seed()},
		msg:       newMessage(),
		oldHashes: map[string]struct{}{},
		compress:  true,
		wrap:      true,
	}
	if dump != nil {
		if err := c.loadDump(dump); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Namespace returns the config's storage namespace.
func (c *Config) Namespace() Namespace { return c.ns }

// Seqno returns the seqno of the current config message.
func (c *Config) Seqno() int64 { return c.msg.seqno }

// State returns the push state.
func (c *Config) State() State { return c.state }

// NeedsPush reports whether the config has changes, or a merge result, that
// the swarm does not have yet (or that were pushed but not confirmed).
func (c *Config) NeedsPush() bool { return c.state != StateClean }

// NeedsDump reports whether anything changed since the last [Config.Dump].
func (c *Config) NeedsDump() bool { return c.needsDump }

// SetCompression turns zstd compression of pushes on (the default, as in
// libsession) or off. Compression is used only when it makes a message
// smaller; received messages are decompressed either way.
func (c *Config) SetCompression(on bool) { c.compress = on }

// SetLegacyWrap turns the legacy protobuf wrapping of pushes ([WrapLegacy])
// on (the default, as libsession-util of January 2025 sends) or off (raw
// encrypted data, which newer clients send). Received messages are accepted
// in both forms either way.
func (c *Config) SetLegacyWrap(on bool) { c.wrap = on }

// CurrentHashes returns the hash of the swarm message that holds the current
// config, if it is known.
func (c *Config) CurrentHashes() []string {
	if c.currHash == "" {
		return nil
	}
	return []string{c.currHash}
}

// Value returns a copy of the config data at path (each element a dict key),
// including data this package does not interpret, such as fields written by
// newer clients. Values are int64, string, [Set] or [Dict].
func (c *Config) Value(path ...string) (any, bool) {
	v, ok := c.get(path...)
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case Dict:
		return copyData(x), true
	case Set:
		return slices.Clone(x), true
	}
	return v, true
}

// serialized returns the current message serialized (and signed, for a
// group config whose key this device holds).
func (c *Config) serialized() []byte {
	c.msg.signer = c.signer
	return c.msg.serialize()
}

func (c *Config) setState(s State) {
	if c.state == StateClean && c.currHash != "" {
		// The message that was current is superseded: delete it with the
		// next push.
		c.oldHashes[c.currHash] = struct{}{}
		c.currHash = ""
	}
	c.state = s
	c.needsDump = true
}

// dirty returns the message to edit, incrementing the seqno on the first
// edit since the last push.
func (c *Config) dirty() *message {
	if c.state != StateDirty {
		c.setState(StateDirty)
		c.msg.signer = c.signer
		c.msg = c.msg.increment()
	} else {
		c.needsDump = true
	}
	return c.msg
}

// Push returns the current config, serialized, compressed if that helps,
// padded, encrypted and (unless turned off) legacy-wrapped, with the hashes
// of the messages it makes obsolete. A dirty config becomes waiting: once the
// store succeeds, call [Config.ConfirmPushed]. Pushing a config that does not
// need it is allowed and returns the same data again.
func (c *Config) Push() (*Pushed, error) {
	seqno := c.msg.seqno
	data, err := c.encode()
	if err != nil {
		return nil, err
	}
	if len(data) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxMessageSize)
	}
	if c.state == StateDirty {
		c.setState(StateWaiting)
	}
	obsolete := slices.Sorted(maps.Keys(c.oldHashes))
	clear(c.oldHashes)
	return &Pushed{Seqno: seqno, Data: data, Obsolete: obsolete}, nil
}

// encode serializes, compresses, pads, encrypts and wraps the current
// message, as Push sends it.
func (c *Config) encode() ([]byte, error) {
	plain := c.serialized()
	if c.compress {
		plain = c.zstd.compress(plain)
	}
	padded := PadMessage(plain, EncryptOverhead)
	data, err := Encrypt(padded, c.keyBases[0], c.ns.Domain())
	if err != nil {
		return nil, err
	}
	if c.wrap {
		if data, err = WrapLegacy(c.id, c.ns, c.msg.seqno, data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// PushSize returns the size in bytes that Push would produce now, without
// changing the config's state, so that a caller can make room before a
// push that would exceed [MaxMessageSize].
func (c *Config) PushSize() (int, error) {
	data, err := c.encode()
	if errors.Is(err, ErrTooLarge) {
		// The legacy wrapping refuses what cannot be stored; the size
		// before it is a lower bound, and over the limit is all a caller
		// needs to know.
		c.wrap = false
		data, err = c.encode()
		c.wrap = true
		return max(len(data), MaxMessageSize+1), err
	}
	return len(data), err
}

// ConfirmPushed records that the push of seqno was stored under hash. A
// confirmation for an older seqno (the config changed since) is ignored.
func (c *Config) ConfirmPushed(seqno int64, hash string) {
	if c.state == StateWaiting && seqno == c.msg.seqno {
		c.setState(StateClean)
		c.currHash = hash
	}
}

// open turns one received message into a serialized config message: it
// removes the legacy wrapping if there is one (twice: one client release
// wrapped twice), decrypts with the first key that works, strips the padding
// and decompresses.
func (c *Config) open(data []byte) ([]byte, error) {
	if c.id == nil {
		// Group configs are never wrapped.
	} else if inner, err := UnwrapLegacy(c.id, c.ns, data); err == nil {
		data = inner
		if inner2, err := UnwrapLegacy(c.id, c.ns, inner); err == nil {
			data = inner2
		}
	}
	var padded []byte
	for _, k := range c.keyBases {
		if p, err := Decrypt(data, k, c.ns.Domain()); err == nil {
			padded = p
			break
		}
	}
	if padded == nil {
		return nil, ErrDecrypt
	}
	return DecodePlaintext(padded)
}

// Merge folds messages retrieved from the config's namespace into the
// current config and returns the hashes of those it accepted (decrypted and
// parsed), in order. Messages that do not decrypt or parse are left out:
// they may come from a newer client and must not be deleted. The outcome
// follows libsession exactly:
//
//   - if one message (possibly the current config) includes all the others,
//     it becomes the current config and the config is clean;
//   - otherwise the messages are merged into a new message with the next
//     seqno and the config is dirty, so it needs a push;
//   - the hashes of superseded messages are deleted with the next push.
//
// Two deliberate differences from libsession (at the commit the spec
// follows) only show with broken input: a message that decrypts to
// something other than a bt dict (all padding, say) is ignored rather than
// aborting the whole merge, and the superseding message is located among all
// inputs, where libsession counts only those that parsed and so can record
// the wrong hash as current when an unparseable message precedes it.
func (c *Config) Merge(msgs []Received) []string {
	oldSeqno := c.msg.seqno
	var hashes []string
	var confs [][]byte
	// The current config takes part as if it were already on the swarm, so
	// that the outcome is the same whether or not it was pushed. An
	// untouched seqno-0 config has nothing to contribute.
	mine := oldSeqno != 0 || c.state == StateDirty
	if mine {
		hashes = append(hashes, c.currHash)
		confs = append(confs, c.serialized())
	}
	for _, m := range msgs {
		plain, err := c.open(m.Data)
		if err != nil {
			continue
		}
		if c.groupPK != nil && !verifySigned(plain, c.groupPK) {
			continue
		}
		hashes = append(hashes, m.Hash)
		confs = append(confs, plain)
	}

	bad := map[int]bool{}
	merged, err := mergeMessages(confs, DefaultLag, c.state == StateDirty, func(i int, _ error) { bad[i] = true })
	if err != nil {
		// Nothing parsed: there is nothing to change.
		return nil
	}

	super := merged.unmerged // -1 when the messages were merged
	for i, h := range hashes {
		if i != super && !bad[i] && h != "" {
			c.oldHashes[h] = struct{}{}
		}
	}
	if merged.seqno != oldSeqno {
		switch {
		case merged.unmerged < 0:
			if c.state != StateDirty {
				// libsession turns the merge result into a mutable message
				// whose original data is empty, so the diff it pushes lists
				// every value. Doing the same keeps the bytes identical to
				// those of libsession devices resolving the same conflict.
				merged.mutable = true
				merged.orig = Dict{}
			}
			c.msg = merged
			c.setState(StateDirty)
		case c.state == StateDirty && super == 0 && merged.seqno == oldSeqno+1:
			// Only our own dirty config survived: keep it as it is.
		default:
			c.msg = merged
			c.setState(StateClean)
			c.currHash = hashes[super]
		}
	}

	start := 0
	if mine {
		start = 1
	}
	var good []string
	for i := start; i < len(hashes); i++ {
		if !bad[i] {
			good = append(good, hashes[i])
		}
	}
	return good
}

// get returns the data value at path without creating anything.
func (c *Config) get(path ...string) (any, bool) {
	var cur any = c.msg.data
	for _, k := range path {
		d, ok := cur.(Dict)
		if !ok {
			return nil, false
		}
		if cur, ok = d[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (c *Config) getString(path ...string) (string, bool) {
	v, _ := c.get(path...)
	s, ok := v.(string)
	return s, ok
}

func (c *Config) getInt(path ...string) (int64, bool) {
	v, _ := c.get(path...)
	i, ok := v.(int64)
	return i, ok
}

func (c *Config) getDict(path ...string) (Dict, bool) {
	v, _ := c.get(path...)
	d, ok := v.(Dict)
	return d, ok
}

// parentForWrite returns the dict that holds the last element of path,
// creating (or replacing non-dict values with) dicts along the way.
func parentForWrite(data Dict, path []string) Dict {
	for _, k := range path[:len(path)-1] {
		sub, ok := data[k].(Dict)
		if !ok {
			sub = Dict{}
			data[k] = sub
		}
		data = sub
	}
	return data
}

// setScalar assigns an int64 or string at path. Assigning the value already
// there does not dirty a clean config.
func (c *Config) setScalar(v any, path ...string) {
	if c.state != StateDirty {
		if cur, ok := c.get(path...); ok && isScalar(cur) && cur == v {
			return
		}
	}
	m := c.dirty()
	parentForWrite(m.data, path)[path[len(path)-1]] = v
}

// erase removes the value at path; removing nothing does not dirty a clean
// config.
func (c *Config) erase(path ...string) {
	if c.state != StateDirty {
		if _, ok := c.get(path...); !ok {
			return
		}
	}
	d := c.dirty().data
	for _, k := range path[:len(path)-1] {
		sub, ok := d[k].(Dict)
		if !ok {
			return
		}
		d = sub
	}
	delete(d, path[len(path)-1])
}

// The setters below store a value only when it differs from the default a
// reader assumes, so that defaults take no space and never conflict.

func (c *Config) setFlag(on bool, path ...string) {
	if on {
		c.setScalar(int64(1), path...)
	} else {
		c.erase(path...)
	}
}

func (c *Config) setPositiveInt(v int64, path ...string) {
	if v > 0 {
		c.setScalar(v, path...)
	} else {
		c.erase(path...)
	}
}

func (c *Config) setNonzeroInt(v int64, path ...string) {
	if v != 0 {
		c.setScalar(v, path...)
	} else {
		c.erase(path...)
	}
}

func (c *Config) setNonemptyString(v string, path ...string) {
	if v != "" {
		c.setScalar(v, path...)
	} else {
		c.erase(path...)
	}
}

// setPair sets two values when cond holds and erases both otherwise (a
// picture URL is meaningless without its key, and the other way round).
func (c *Config) setPair(cond bool, p1 []string, v1 any, p2 []string, v2 any) {
	if cond {
		c.setScalar(v1, p1...)
		c.setScalar(v2, p2...)
	} else {
		c.erase(p1...)
		c.erase(p2...)
	}
}

// Dump returns the config's persistent state in libsession's dump format, a
// bt dict {"!": state, "$": current message, "(": current hash, ")": [old
// hashes], "+": {}}, which [NewUserProfile] and the other constructors load.
// Loading a dirty dump bumps the seqno once more, as libsession does, since
// the dirty message may or may not have been pushed. A dump holds the config
// in plaintext, group keys included: store it as the secret it is.
func (c *Config) Dump() []byte {
	c.needsDump = false
	old := List{}
	for _, h := range slices.Sorted(maps.Keys(c.oldHashes)) {
		old = append(old, h)
	}
	return mustEncodeBT(Dict{
		"!": int64(c.state),
		"$": string(c.serialized()),
		"(": c.currHash,
		")": old,
		"+": Dict{},
	})
}

func (c *Config) loadDump(dump []byte) error {
	v, err := DecodeBT(dump)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDump, err)
	}
	d, ok := v.(Dict)
	if !ok {
		return fmt.Errorf("%w: not a dict", ErrDump)
	}
	st, ok := d["!"].(int64)
	if !ok || st < int64(StateClean) || st > int64(StateWaiting) {
		return fmt.Errorf("%w: no valid state", ErrDump)
	}
	data, ok := d["$"].(string)
	if !ok {
		return fmt.Errorf("%w: no config data", ErrDump)
	}
	c.state = State(st)
	if c.state == StateDirty {
		// The dirty message may or may not have reached the swarm: continue
		// from its successor, which costs one seqno but never reuses one.
		c.msg, err = mergeMessages([][]byte{[]byte(data)}, DefaultLag, true, nil)
	} else {
		c.msg, err = parseMessage([]byte(data), DefaultLag)
	}
	if err != nil {
		if errors.Is(err, errNoConfigs) {
			err = ErrMalformed
		}
		return fmt.Errorf("%w: %w", ErrDump, err)
	}
	if h, present := d["("]; present {
		if c.currHash, ok = h.(string); !ok {
			return fmt.Errorf("%w: current hash is not a string", ErrDump)
		}
		old, ok := d[")"].(List)
		if !ok {
			return fmt.Errorf("%w: no list of old hashes", ErrDump)
		}
		for _, o := range old {
			s, ok := o.(string)
			if !ok {
				return fmt.Errorf("%w: old hash is not a string", ErrDump)
			}
			c.oldHashes[s] = struct{}{}
		}
	}
	return nil
}

// setInsert adds v (an int64 or string) to the set at path, creating the set
// (or replacing a value that is not a set). Adding a member already there
// does not dirty a clean config.
func (c *Config) setInsert(v any, path ...string) {
	if c.state != StateDirty {
		if cur, ok := c.get(path...); ok {
			if s, isSet := cur.(Set); isSet && s.Contains(v) {
				return
			}
		}
	}
	parent := parentForWrite(c.dirty().data, path)
	cur, _ := parent[path[len(path)-1]].(Set)
	parent[path[len(path)-1]] = cur.with(v)
}

// setErase removes v from the set at path. A value there that is not a set
// is replaced by an empty one (so it disappears), as in libsession.
func (c *Config) setErase(v any, path ...string) {
	if c.state != StateDirty {
		if cur, ok := c.get(path...); ok {
			if s, isSet := cur.(Set); isSet && !s.Contains(v) {
				return
			}
		}
	}
	d := c.dirty().data
	for _, k := range path[:len(path)-1] {
		sub, ok := d[k].(Dict)
		if !ok {
			return
		}
		d = sub
	}
	last := path[len(path)-1]
	cur, present := d[last]
	if !present {
		return
	}
	if s, isSet := cur.(Set); isSet {
		d[last] = s.without(v)
	} else {
		d[last] = Set{}
	}
}
