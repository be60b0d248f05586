package groups

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// Limits of the Keys config, as libsession sets them.
const (
	// KeyMultiple pads the member key list of a rekey message to a multiple
	// of this many entries, so that its size leaks the member count only
	// coarsely.
	KeyMultiple = 75
	// KeyExpiry is how long a superseded key generation is kept after the
	// next generation appeared (twice the 30 days messages live).
	KeyExpiry = 60 * 24 * time.Hour
	// MaxMembers is the largest group Session supports.
	MaxMembers = 100
	// MaxKeyMessageSize bounds a key message: 100 members padded to 150
	// copies is under 8 KiB; supplements for a few members with many
	// generations stay far below this.
	MaxKeyMessageSize = 64 << 10
	// maxSupplementKeys bounds the key list inside one supplement entry.
	maxSupplementKeys = 1024
)

// Key is one generation of the group encryption key.
type Key struct {
	// Generation counts rekeys from 0.
	Generation int64
	// Key is the XChaCha20-Poly1305 key of that generation.
	Key [32]byte
	// Timestamp is when the key message was stored on the swarm, in Unix
	// milliseconds (swarm-provided; it drives expiry).
	Timestamp int64
}

func (k Key) compare(b Key) int {
	if c := cmpInt(k.Generation, b.Generation); c != 0 {
		return c
	}
	if c := cmpInt(k.Timestamp, b.Timestamp); c != 0 {
		return c
	}
	return bytes.Compare(k.Key[:], b.Key[:])
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Admin holds a group's Ed25519 secret key: it creates the group's keys,
// signs its configs and control messages and grants subaccounts.
type Admin struct {
	sk       ed25519.PrivateKey
	xpk, xsk [32]byte
}

// NewAdmin returns the admin keys for a 32-byte group seed (or a 64-byte
// libsodium secret key, seed ‖ public key).
func NewAdmin(secret []byte) (*Admin, error) {
	switch len(secret) {
	case 64:
		sk := ed25519.NewKeyFromSeed(secret[:32])
		if !bytes.Equal(sk[32:], secret[32:]) {
			return nil, fmt.Errorf("%w: group secret key does not match its public half", ErrInvalidArgument)
		}
		secret = secret[:32]
	case 32:
	default:
		return nil, fmt.Errorf("%w: group secret key must be 32 or 64 bytes, got %d", ErrInvalidArgument, len(secret))
	}
	id, err := keys.NewIdentity(secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	return &Admin{sk: id.Ed25519PrivateKey(), xpk: id.X25519PublicKey(), xsk: id.X25519PrivateKey()}, nil
}

// PublicKey returns the group's Ed25519 public key.
func (a *Admin) PublicKey() ed25519.PublicKey { return a.sk.Public().(ed25519.PublicKey) }

// SecretKey returns the group's 64-byte Ed25519 secret key.
func (a *Admin) SecretKey() ed25519.PrivateKey { return slices.Clone(a.sk) }

// ID returns the group ID (03 ‖ Ed25519 public key).
func (a *Admin) ID() keys.ID {
	id := keys.ID{Prefix: keys.PrefixGroup}
	copy(id.Key[:], a.PublicKey())
	return id
}

// Sign signs data with the group key.
func (a *Admin) Sign(data []byte) []byte { return ed25519.Sign(a.sk, data) }

// SeedHash returns BLAKE2b-32 of the group seed keyed with label; libsession
// derives the admin key ("SessionGroupKeyAdminKey"), the rekey seed hash
// ("SessionGroupKeySeed") and the subaccount mask
// ("SessionGroupSubaccountMask") this way.
func (a *Admin) SeedHash(label string) [32]byte {
	return [32]byte(keyedHash(32, label, a.sk.Seed()))
}

// MemberKey returns the key that protects member's copy of each group key:
// BLAKE2b-32 keyed "SessionGroupKeyMemberKey" over
// X25519(group x25519 sk, B) ‖ group x25519 pk ‖ B.
func (a *Admin) MemberKey(member keys.ID) ([32]byte, error) {
	b, err := sessionXPK(member)
	if err != nil {
		return [32]byte{}, err
	}
	k, err := multiKey(a.xsk[:], b, a.xpk[:], b)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(k), nil
}

// RekeyHash returns the 56-byte BLAKE2b hash a rekey derives its key (bytes
// 0–31) and nonce (32–55) from: keyed "SessionGroupKeyGen" over the sorted
// hex session IDs of every member, the decimal generation and the seed hash.
// It is deterministic so that two admins rekeying for the same change make
// the same key.
func (a *Admin) RekeyHash(members []keys.ID, generation int64) []byte {
	sh := a.SeedHash(hkSeed)
	parts := make([][]byte, 0, len(members)+2)
	for _, m := range sortedMembers(members) {
		parts = append(parts, []byte(m.String()))
	}
	parts = append(parts, []byte(strconv.FormatInt(generation, 10)), sh[:])
	return keyedHash(56, hkGen, parts...)
}

func sortedMembers(members []keys.ID) []keys.ID {
	out := slices.Clone(members)
	slices.SortFunc(out, func(a, b keys.ID) int { return bytes.Compare(a.Bytes(), b.Bytes()) })
	return slices.CompactFunc(out, func(a, b keys.ID) bool { return a == b })
}

// Rekey builds the key message of a new generation for members (every
// member, admins included; order does not matter) and returns it with the
// new key. The message is the bt dict {"#": nonce, "G": generation, "K":
// admin copy, "k": member copies padded with junk to a multiple of
// [KeyMultiple], "~": group signature}.
func (a *Admin) Rekey(members []keys.ID, generation int64) (msg []byte, key [32]byte, err error) {
	if generation < 0 {
		return nil, key, fmt.Errorf("%w: negative generation %d", ErrInvalidArgument, generation)
	}
	sorted := sortedMembers(members)
	if len(sorted) > MaxMembers {
		return nil, key, fmt.Errorf("%w: %d members, at most %d", ErrInvalidArgument, len(sorted), MaxMembers)
	}
	h56 := a.RekeyHash(sorted, generation)
	copy(key[:], h56[:32])
	nonce := h56[32:56]
	adminKey := a.SeedHash(hkAdmin)

	var copies [][]byte
	for _, m := range sorted {
		mk, err := a.MemberKey(m)
		if err != nil {
			// libsession skips invalid session IDs ("ignore invalid").
			continue
		}
		copies = append(copies, seal(mk[:], nonce, key[:]))
	}
	if r := len(copies) % KeyMultiple; r != 0 {
		nJunk := KeyMultiple - r
		seed := keyedHash(32, hkJunk, h56, a.sk)
		junk := deterministicBytes(nJunk*keyCopySize, seed)
		for i := range nJunk {
			copies = append(copies, junk[i*keyCopySize:(i+1)*keyCopySize])
		}
	}

	b := []byte("d")
	b = appendStr(b, "#")
	b = appendStr(b, string(nonce))
	b = appendStr(b, "G")
	b = append(b, 'i')
	b = strconv.AppendInt(b, generation, 10)
	b = append(b, 'e')
	b = appendStr(b, "K")
	b = appendStr(b, string(seal(adminKey[:], nonce, key[:])))
	b = appendStr(b, "k")
	b = append(b, 'l')
	for _, c := range copies {
		b = appendStr(b, string(c))
	}
	b = append(b, 'e')
	return a.appendSignature(b), key, nil
}

// appendSignature appends "1:~64:<sig>e", the signature covering b.
func (a *Admin) appendSignature(b []byte) []byte {
	sig := ed25519.Sign(a.sk, b)
	b = append(b, sigEntryStart...)
	b = append(b, sig...)
	return append(b, 'e')
}

func appendStr(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// encodeKeyList is the bt list of {g, k, t} dicts, oldest first, that a
// supplement carries.
func encodeKeyList(ks []Key) []byte {
	b := []byte("l")
	for _, k := range ks {
		b = append(b, 'd')
		b = appendStr(b, "g")
		b = append(b, 'i')
		b = strconv.AppendInt(b, k.Generation, 10)
		b = append(b, 'e')
		b = appendStr(b, "k")
		b = appendStr(b, string(k.Key[:]))
		b = appendStr(b, "t")
		b = append(b, 'i')
		b = strconv.AppendInt(b, k.Timestamp, 10)
		b = append(b, 'e', 'e')
	}
	return append(b, 'e')
}

// Supplement builds a supplemental key message giving every key in ks
// (oldest first, as a key ring holds them) to the members in sids, so that
// members added without a rekey can read what came before. The nonce is
// BLAKE2b-24 keyed "SessionGroupKeyGen" over the hex session IDs, the
// encoded key list and the seed hash.
func (a *Admin) Supplement(sids []keys.ID, ks []Key) ([]byte, error) {
	if len(ks) == 0 {
		return nil, fmt.Errorf("%w: no keys to supplement", ErrInvalidArgument)
	}
	if len(sids) == 0 || len(sids) > MaxMembers {
		return nil, fmt.Errorf("%w: %d supplement recipients", ErrInvalidArgument, len(sids))
	}
	plain := encodeKeyList(ks)
	sh := a.SeedHash(hkSeed)
	parts := make([][]byte, 0, len(sids)+2)
	for _, s := range sids {
		parts = append(parts, []byte(s.String()))
	}
	parts = append(parts, plain, sh[:])
	nonce := keyedHash(24, hkGen, parts...)

	b := []byte("d")
	b = appendStr(b, "#")
	b = appendStr(b, string(nonce))
	b = appendStr(b, "+")
	b = append(b, 'l')
	n := 0
	for _, s := range sids {
		mk, err := a.MemberKey(s)
		if err != nil {
			continue
		}
		b = appendStr(b, string(seal(mk[:], nonce, plain)))
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no valid session IDs for the supplement", ErrInvalidArgument)
	}
	b = append(b, 'e')
	b = appendStr(b, "G")
	b = append(b, 'i')
	b = strconv.AppendInt(b, ks[len(ks)-1].Generation, 10)
	b = append(b, 'e')
	return a.appendSignature(b), nil
}

// KeyRing is one account's view of a group's Keys config: the keys it
// could decrypt, sorted oldest first, and the hashes of the key messages
// that are still needed. An admin's ring also holds a pending key between
// Rekey and loading its own message back. It mirrors libsession's Keys
// object (without persistence).
type KeyRing struct {
	user     ed25519.PrivateKey
	groupPK  ed25519.PublicKey
	admin    *Admin
	keys     []Key
	active   map[int64]map[string]struct{}
	pending  *Key
	pendingM []byte
}

// NewKeyRing returns an empty key ring for user (a 64-byte Ed25519 secret
// key) in the group groupPK. admin may be nil (a plain member).
func NewKeyRing(user ed25519.PrivateKey, groupPK ed25519.PublicKey, admin *Admin) (*KeyRing, error) {
	if len(user) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: user secret key must be 64 bytes, got %d", ErrInvalidArgument, len(user))
	}
	if len(groupPK) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: group public key must be 32 bytes, got %d", ErrInvalidArgument, len(groupPK))
	}
	if admin != nil && !bytes.Equal(admin.PublicKey(), groupPK) {
		return nil, fmt.Errorf("%w: admin key does not match the group public key", ErrInvalidArgument)
	}
	if _, err := keys.Ed25519PublicToX25519(groupPK); err != nil {
		return nil, fmt.Errorf("%w: group public key: %v", ErrInvalidArgument, err)
	}
	return &KeyRing{user: slices.Clone(user), groupPK: slices.Clone(groupPK), admin: admin,
		active: map[int64]map[string]struct{}{}}, nil
}

// IsAdmin reports whether the ring holds the group secret key.
func (r *KeyRing) IsAdmin() bool { return r.admin != nil }

// Keys returns every key held, newest first, a pending key first of all.
func (r *KeyRing) Keys() [][32]byte {
	out := make([][32]byte, 0, len(r.keys)+1)
	if r.pending != nil {
		out = append(out, r.pending.Key)
	}
	for i := len(r.keys) - 1; i >= 0; i-- {
		out = append(out, r.keys[i].Key)
	}
	return out
}

// KeyInfos returns the loaded keys with their generations and timestamps,
// oldest first (what a supplement hands on).
func (r *KeyRing) KeyInfos() []Key { return slices.Clone(r.keys) }

// EncryptionKey returns the key new messages and configs are encrypted
// with: the pending key, else the newest loaded one.
func (r *KeyRing) EncryptionKey() ([32]byte, bool) {
	if r.pending != nil {
		return r.pending.Key, true
	}
	if len(r.keys) == 0 {
		return [32]byte{}, false
	}
	return r.keys[len(r.keys)-1].Key, true
}

// Generation returns the newest loaded generation, or -1 with no keys.
func (r *KeyRing) Generation() int64 {
	if len(r.keys) == 0 {
		return -1
	}
	return r.keys[len(r.keys)-1].Generation
}

// PendingMessage returns the key message of a rekey not yet loaded back.
func (r *KeyRing) PendingMessage() []byte { return slices.Clone(r.pendingM) }

// NeedsRekey reports whether two keys share the newest generation (two
// admins rekeyed at once): an admin then rekeys again to settle it.
func (r *KeyRing) NeedsRekey() bool {
	n := len(r.keys)
	return r.admin != nil && n >= 2 && r.keys[n-1].Generation == r.keys[n-2].Generation
}

// ActiveHashes returns the hashes of key messages still needed; the
// others may be left to expire on the swarm.
func (r *KeyRing) ActiveHashes() []string {
	var out []string
	for _, hs := range r.active {
		for h := range hs {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// Rekey makes a new key for members (admins only). The new key is pending,
// used for encryption at once, until the returned message is loaded back
// with [KeyRing.Load] after it was stored.
func (r *KeyRing) Rekey(members []keys.ID) ([]byte, error) {
	if r.admin == nil {
		return nil, ErrNotAdmin
	}
	gen := int64(0)
	if len(r.keys) > 0 {
		gen = r.keys[len(r.keys)-1].Generation + 1
	}
	msg, key, err := r.admin.Rekey(members, gen)
	if err != nil {
		return nil, err
	}
	r.pending = &Key{Generation: gen, Key: key}
	r.pendingM = msg
	return msg, nil
}

// Supplement gives every loaded key to sids (admins only).
func (r *KeyRing) Supplement(sids []keys.ID) ([]byte, error) {
	if r.admin == nil {
		return nil, ErrNotAdmin
	}
	if len(r.keys) == 0 {
		return nil, fmt.Errorf("%w: no keys loaded", ErrInvalidArgument)
	}
	return r.admin.Supplement(sids, r.keys)
}

// Load reads a key message stored on the group swarm (namespace 12) under
// hash at timestampMs. It reports whether the message held a key for this
// account. A message that fails to parse or whose group signature does not
// verify is an error and changes nothing.
func (r *KeyRing) Load(hash string, data []byte, timestampMs int64) (bool, error) {
	if len(data) > MaxKeyMessageSize {
		return false, fmt.Errorf("%w: key message of %d bytes", ErrTooLarge, len(data))
	}
	v, err := config.DecodeBT(data)
	if err != nil {
		return false, fmt.Errorf("%w: key message: %v", ErrMalformed, err)
	}
	d, ok := v.(config.Dict)
	if !ok {
		return false, fmt.Errorf("%w: key message is not a dict", ErrMalformed)
	}
	nonce, ok := d["#"].(string)
	if !ok || len(nonce) != 24 {
		return false, fmt.Errorf("%w: key message has no 24-byte nonce", ErrMalformed)
	}
	groupX, err := keys.Ed25519PublicToX25519(r.groupPK)
	if err != nil {
		return false, fmt.Errorf("%w: group public key", ErrInvalidArgument)
	}
	var myKey []byte
	if r.admin == nil {
		x := keys.Ed25519SecretToX25519(r.user)
		myX, err := keys.Ed25519PublicToX25519(r.user[32:])
		if err != nil {
			return false, fmt.Errorf("%w: user public key", ErrInvalidArgument)
		}
		if myKey, err = multiKey(x[:], groupX, groupX, myX); err != nil {
			return false, err
		}
	}

	var newKeys []Key
	var maxGen *int64
	if supp, isSupp := d["+"]; isSupp {
		list, ok := supp.(config.List)
		if !ok {
			return false, fmt.Errorf("%w: supplement list (+) is not a list", ErrMalformed)
		}
		found := false
		for i, e := range list {
			ct, ok := e.(string)
			if !ok || len(ct) < 52+16 {
				return false, fmt.Errorf("%w: supplement entry %d has an invalid size", ErrMalformed, i)
			}
			if found || r.admin != nil {
				continue
			}
			pt, ok := open(myKey, []byte(nonce), []byte(ct))
			if !ok {
				continue
			}
			if newKeys, err = parseKeyList(pt); err != nil {
				return false, err
			}
			found = true
		}
		g, ok := d["G"].(int64)
		if !ok {
			return false, fmt.Errorf("%w: supplement has no generation (G)", ErrMalformed)
		}
		maxGen = &g
	} else {
		g, ok := d["G"].(int64)
		if !ok || g < 0 {
			return false, fmt.Errorf("%w: key message has no valid generation (G)", ErrMalformed)
		}
		nk := Key{Generation: g, Timestamp: timestampMs}
		found := false
		adminCopy, ok := d["K"].(string)
		if !ok || len(adminCopy) != keyCopySize {
			return false, fmt.Errorf("%w: key message has no valid admin key (K)", ErrMalformed)
		}
		if r.admin != nil {
			ak := r.admin.SeedHash(hkAdmin)
			pt, ok := open(ak[:], []byte(nonce), []byte(adminCopy))
			if !ok {
				return false, fmt.Errorf("%w: admin key copy (K) does not open", ErrDecrypt)
			}
			copy(nk.Key[:], pt)
			found = true
		}
		list, ok := d["k"].(config.List)
		if !ok {
			return false, fmt.Errorf("%w: key message has no member key list (k)", ErrMalformed)
		}
		for i, e := range list {
			ct, ok := e.(string)
			if !ok || len(ct) != keyCopySize {
				return false, fmt.Errorf("%w: member key %d has an invalid size", ErrMalformed, i)
			}
			if found {
				continue
			}
			if pt, ok := open(myKey, []byte(nonce), []byte(ct)); ok {
				copy(nk.Key[:], pt)
				found = true
			}
		}
		if len(list)%KeyMultiple != 0 {
			return false, fmt.Errorf("%w: member key list of %d entries is not padded", ErrMalformed, len(list))
		}
		if found {
			newKeys = []Key{nk}
		} else {
			maxGen = &g
		}
	}

	signed, sig, err := signedPart(data, d)
	if err != nil {
		return false, err
	}
	if !ed25519.Verify(r.groupPK, signed, sig) {
		return false, fmt.Errorf("%w: key message", ErrSignature)
	}

	if r.admin != nil && len(newKeys) > 0 && r.pending != nil &&
		(newKeys[0].Generation > r.pending.Generation || newKeys[0].Key == r.pending.Key) {
		r.pending, r.pendingM = nil, nil
	}
	if len(newKeys) > 0 {
		for _, k := range newKeys {
			r.insert(hash, k)
		}
		return true, nil
	}
	if maxGen != nil {
		r.markActive(*maxGen, hash)
		r.removeExpired()
	}
	return false, nil
}

func (r *KeyRing) markActive(gen int64, hash string) {
	hs := r.active[gen]
	if hs == nil {
		hs = map[string]struct{}{}
		r.active[gen] = hs
	}
	hs[hash] = struct{}{}
}

func parseKeyList(pt []byte) ([]Key, error) {
	v, err := config.DecodeBT(pt)
	if err != nil {
		return nil, fmt.Errorf("%w: supplement key list: %v", ErrMalformed, err)
	}
	l, ok := v.(config.List)
	if !ok || len(l) > maxSupplementKeys {
		return nil, fmt.Errorf("%w: supplement key list is not a list of at most %d keys", ErrMalformed, maxSupplementKeys)
	}
	out := make([]Key, 0, len(l))
	for i, e := range l {
		d, ok := e.(config.Dict)
		if !ok {
			return nil, fmt.Errorf("%w: supplement key %d is not a dict", ErrMalformed, i)
		}
		g, okG := d["g"].(int64)
		k, okK := d["k"].(string)
		t, okT := d["t"].(int64)
		if !okG || !okK || !okT || len(k) != 32 {
			return nil, fmt.Errorf("%w: supplement key %d lacks g, k (32 bytes) or t", ErrMalformed, i)
		}
		out = append(out, Key{Generation: g, Key: [32]byte([]byte(k)), Timestamp: t})
	}
	return out, nil
}

// insert adds a key unless the same key of that generation is held already
// or it is older than keys that have long expired.
func (r *KeyRing) insert(hash string, nk Key) {
	for _, k := range r.keys {
		if k.Generation == nk.Generation && k.Key == nk.Key {
			r.markActive(nk.Generation, hash)
			return
		}
	}
	i, _ := slices.BinarySearchFunc(r.keys, nk, Key.compare)
	n := len(r.keys)
	if n >= 2 && i == 0 && nk.Generation < r.keys[0].Generation &&
		r.keys[0].Timestamp+KeyExpiry.Milliseconds() < r.keys[n-1].Timestamp {
		return // stale: older than a generation already expired
	}
	r.markActive(nk.Generation, hash)
	r.keys = slices.Insert(r.keys, i, nk)
	r.removeExpired()
}

// removeExpired drops every generation that a newer one superseded more
// than [KeyExpiry] before the newest key, and the hashes of messages of
// dropped generations. Timestamps are the swarm's, not the local clock.
func (r *KeyRing) removeExpired() {
	if len(r.keys) >= 2 {
		lapsed := 0
		newest := r.keys[len(r.keys)-1].Timestamp
		for i := 0; i < len(r.keys); {
			j := i + 1
			for j < len(r.keys) && r.keys[j].Generation == r.keys[i].Generation {
				i = j
				j++
			}
			if j == len(r.keys) {
				break
			}
			if r.keys[j].Timestamp+KeyExpiry.Milliseconds() < newest {
				lapsed = j
			} else {
				break
			}
			i = j
		}
		r.keys = slices.Delete(r.keys, 0, lapsed)
	}
	if len(r.keys) == 0 {
		clear(r.active)
		return
	}
	for g := range r.active {
		if g < r.keys[0].Generation {
			delete(r.active, g)
		}
	}
}
