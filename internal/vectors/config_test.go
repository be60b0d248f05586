package vectors

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// upstreamConfig is upstream/config.json (README §4.5).
type upstreamConfig struct {
	Encrypt []struct {
		KeyBase       string `json:"key_base"`
		Domain        string `json:"domain"`
		PlaintextUTF8 string `json:"plaintext_utf8"`
		Ciphertext    string `json:"ciphertext"`
		Nonce         string `json:"nonce"`
	} `json:"config_encrypt"`
	PaddedSize struct {
		Cases []struct {
			Size     int `json:"size"`
			Overhead int `json:"overhead"`
			Padded   int `json:"padded"`
		} `json:"cases"`
	} `json:"padded_size"`
	EmptyHash *struct {
		Serialized string `json:"serialized"`
		Blake2b32  string `json:"blake2b_32"`
	} `json:"empty_config_hash"`
	Seqno1 *struct {
		AccountSeed string `json:"account_seed"`
		KeyBase     string `json:"key_base"`
		Domain      string `json:"domain"`
		Set         struct {
			Name        string `json:"name"`
			PicURL      string `json:"pic_url"`
			PicKeyUTF8  string `json:"pic_key_utf8"`
			NTSPriority int64  `json:"nts_priority"`
		} `json:"set"`
		PlaintextHex string `json:"plaintext_hex"`
		PlaintextLen int    `json:"plaintext_len"`
		PaddedLen    int    `json:"padded_len"`
		Ciphertext   string `json:"ciphertext"`
	} `json:"user_profile_push_seqno1"`
	Seqno0Wrapped *struct {
		AccountSeed string `json:"account_seed"`
		Length      int    `json:"length"`
		Hex         string `json:"hex"`
	} `json:"user_profile_push_seqno0_wrapped"`
}

// rawPush returns the decrypted, unpadded serialized message of a raw (not
// wrapped) push.
func rawPush(t *testing.T, where string, data, keyBase []byte, domain string) (padded, plain []byte) {
	t.Helper()
	padded, err := config.Decrypt(data, keyBase, domain)
	if err != nil {
		t.Errorf("%s: decrypting own push: %v", where, err)
		return nil, nil
	}
	plain, err = config.DecodePlaintext(padded)
	if err != nil {
		t.Errorf("%s: decoding own push: %v", where, err)
	}
	return padded, plain
}

func checkConfigUpstream(t *testing.T, raw []byte) int {
	var f upstreamConfig
	decode(t, raw, &f)
	n := 0

	for i, v := range f.Encrypt {
		where := fmt.Sprintf("config_encrypt[%d]", i)
		key := unhex(t, where+".key_base", v.KeyBase)
		ct, err := config.Encrypt([]byte(v.PlaintextUTF8), key, v.Domain)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		ok := eqHex(t, where+".nonce", ct[len(ct)-24:], v.Nonce)
		if v.Ciphertext != "" {
			ok = eqHex(t, where+".ciphertext", ct, v.Ciphertext) && ok
		}
		pt, err := config.Decrypt(ct, key, v.Domain)
		if err != nil || string(pt) != v.PlaintextUTF8 {
			t.Errorf("%s: decrypt: got %q, %v", where, pt, err)
			ok = false
		}
		if ok {
			n++
		}
	}

	for i, c := range f.PaddedSize.Cases {
		if got := config.PaddedSize(c.Size, c.Overhead); got != c.Padded {
			t.Errorf("padded_size.cases[%d]: padded_size(%d, %d) = %d, want %d", i, c.Size, c.Overhead, got, c.Padded)
			continue
		}
		n++
	}

	if e := f.EmptyHash; e != nil {
		// A new config pushes its empty seqno-0 message.
		id, err := keys.NewIdentity(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		up, err := config.NewUserProfile(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		up.SetLegacyWrap(false)
		p, err := up.Push()
		if err != nil {
			t.Fatalf("empty_config_hash: push: %v", err)
		}
		_, plain := rawPush(t, "empty_config_hash", p.Data, id.Seed(), "UserProfile")
		h := config.MessageHash([]byte(e.Serialized))
		if string(plain) != e.Serialized {
			t.Errorf("empty_config_hash.serialized: got %q, want %q", plain, e.Serialized)
		} else if eqHex(t, "empty_config_hash.blake2b_32", h[:], e.Blake2b32) && p.Seqno == 0 {
			n++
		}
	}

	if v := f.Seqno1; v != nil {
		if checkUserProfileSeqno1(t, v.AccountSeed, v.KeyBase, v.Domain, v.Set.Name, v.Set.PicURL,
			v.Set.PicKeyUTF8, v.Set.NTSPriority, v.PlaintextHex, v.PlaintextLen, v.PaddedLen, v.Ciphertext) {
			n++
		}
	}

	if v := f.Seqno0Wrapped; v != nil {
		where := "user_profile_push_seqno0_wrapped"
		id := identityFromHex(t, where+".account_seed", v.AccountSeed)
		want := unhex(t, where+".hex", v.Hex)
		ok := len(want) == v.Length
		if !ok {
			t.Errorf("%s: hex is %d bytes, length says %d", where, len(want), v.Length)
		}
		// Minimum check: unwrap, decrypt, get an empty seqno-0 profile.
		inner, err := config.UnwrapLegacy(id, config.NamespaceUserProfile, want)
		if err != nil {
			t.Errorf("%s: unwrap: %v", where, err)
			ok = false
		} else {
			_, plain := rawPush(t, where, inner, id.Seed(), "UserProfile")
			if string(plain) != "d1:#i0e1:&de1:<le1:=dee" {
				t.Errorf("%s: unwrapped config is %q, want the empty seqno-0 config", where, plain)
				ok = false
			}
		}
		fresh, err := config.NewUserProfile(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accepted := fresh.Merge([]config.Received{{Hash: "h0", Data: want}}); len(accepted) != 1 || fresh.Name() != "" || fresh.Seqno() != 0 {
			t.Errorf("%s: merge: accepted %q, seqno %d", where, accepted, fresh.Seqno())
			ok = false
		}
		// This package produces the wrapping, so the bytes must match too.
		up, err := config.NewUserProfile(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := up.Push()
		if err != nil {
			t.Errorf("%s: push: %v", where, err)
			ok = false
		} else if !eqHex(t, where+".hex (own push)", p.Data, v.Hex) {
			ok = false
		}
		if ok {
			n++
		}
	}
	return n
}

// checkUserProfileSeqno1 builds the upstream seqno-1 profile and compares its
// serialization and (raw) ciphertext, then merges it into a fresh profile.
func checkUserProfileSeqno1(t *testing.T, seed, keyBase, domain, name, picURL, picKey string, prio int64,
	plainHex string, plainLen, paddedLen int, ctHex string) bool {
	where := "user_profile_push_seqno1"
	id := identityFromHex(t, where+".account_seed", seed)
	kb := unhex(t, where+".key_base", keyBase)
	if !bytes.Equal(kb, id.Seed()) || domain != config.NamespaceUserProfile.Domain() {
		t.Errorf("%s: key_base/domain are not the account seed and %q", where, config.NamespaceUserProfile.Domain())
		return false
	}
	up, err := config.NewUserProfile(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	up.SetLegacyWrap(false)
	if err := up.SetName(name); err != nil {
		t.Errorf("%s: set name: %v", where, err)
		return false
	}
	up.SetProfilePic(config.ProfilePic{URL: picURL, Key: []byte(picKey)})
	up.SetNoteToSelfPriority(prio)
	p, err := up.Push()
	if err != nil {
		t.Errorf("%s: push: %v", where, err)
		return false
	}
	ok := p.Seqno == 1 && len(p.Obsolete) == 0
	if !ok {
		t.Errorf("%s: push seqno %d, obsolete %q; want 1 and none", where, p.Seqno, p.Obsolete)
	}
	padded, plain := rawPush(t, where, p.Data, kb, domain)
	ok = eqHex(t, where+".plaintext_hex", plain, plainHex) && ok
	if len(plain) != plainLen || len(padded) != paddedLen {
		t.Errorf("%s: plaintext %d bytes padded to %d, want %d and %d", where, len(plain), len(padded), plainLen, paddedLen)
		ok = false
	}
	ok = eqHex(t, where+".ciphertext", p.Data, ctHex) && ok

	fresh, err := config.NewUserProfile(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	accepted := fresh.Merge([]config.Received{{Hash: "fakehash1", Data: unhex(t, where+".ciphertext", ctHex)}})
	pic := fresh.ProfilePic()
	if len(accepted) != 1 || fresh.Name() != name || pic.URL != picURL || string(pic.Key) != picKey ||
		fresh.NoteToSelfPriority() != prio || fresh.Seqno() != 1 || fresh.NeedsPush() {
		t.Errorf("%s: merged back: accepted %q, name %q, pic %q, priority %d, seqno %d, needs push %v",
			where, accepted, fresh.Name(), pic.URL, fresh.NoteToSelfPriority(), fresh.Seqno(), fresh.NeedsPush())
		ok = false
	}
	return ok
}

// oracleConfig is oracle/config.json (README §4.12). Every member of run1 is
// optional.
type oracleConfig struct {
	Run1 struct {
		UserProfile           *oracleConfigCase `json:"user_profile"`
		Contacts              *oracleConfigCase `json:"contacts"`
		ContactsNoCompression *oracleConfigCase `json:"contacts_compression_disabled"`
		ConfigEncrypt         []oracleConfigEnc `json:"config_encrypt"`
	} `json:"run1"`
}

// oracleConfigCase is one generated config object: its inputs and what
// libsession pushed, dumped and read back.
type oracleConfigCase struct {
	Ed25519SecretKey   string            `json:"ed25519_secretkey"`
	KeySeed32          string            `json:"encryption_key_seed32"`
	Domain             string            `json:"domain"`
	Namespace          int               `json:"namespace"`
	Name               *string           `json:"name"`
	Inputs             []json.RawMessage `json:"inputs"`
	PushSeqno          int64             `json:"push_seqno"`
	PushData           string            `json:"push_data_hex"`
	Unwrapped          string            `json:"push_data_unwrapped_config_ciphertext_hex"`
	Decrypted          string            `json:"push_data_decrypted_hex"`
	Obsolete           []string          `json:"push_obsolete_hashes"`
	DumpHex            *string           `json:"dump_hex"`
	ReloadName         *string           `json:"reload_from_dump_name"`
	ReloadContacts     []json.RawMessage `json:"reload_from_dump"`
	MergeIntoFreshName *string           `json:"merge_into_fresh_name"`
	MergeIntoFresh     []json.RawMessage `json:"merge_into_fresh"`
}

type oracleConfigEnc struct {
	KeyBase    string `json:"key_base"`
	Domain     string `json:"domain"`
	Message    string `json:"message_hex"`
	Ciphertext string `json:"ciphertext_hex"`
	Decrypted  string `json:"decrypted_hex"`
	PadMessage string `json:"pad_message_hex"`
	PaddedSize int    `json:"padded_size"`
}

func checkConfigOracle(t *testing.T, raw []byte) int {
	var f oracleConfig
	decode(t, raw, &f)
	n := 0
	for _, c := range []struct {
		name       string
		v          *oracleConfigCase
		compressed bool
	}{
		{"run1.user_profile", f.Run1.UserProfile, false},
		{"run1.contacts", f.Run1.Contacts, true},
		{"run1.contacts_compression_disabled", f.Run1.ContactsNoCompression, false},
	} {
		if c.v != nil && checkOracleConfigCase(t, c.name, c.v, c.compressed) {
			n++
		}
	}
	for i, v := range f.Run1.ConfigEncrypt {
		where := fmt.Sprintf("run1.config_encrypt[%d]", i)
		key := unhex(t, where+".key_base", v.KeyBase)
		msg := unhex(t, where+".message_hex", v.Message)
		ct, err := config.Encrypt(msg, key, v.Domain)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		ok := eqHex(t, where+".ciphertext_hex", ct, v.Ciphertext)
		pt, err := config.Decrypt(unhex(t, where+".ciphertext_hex", v.Ciphertext), key, v.Domain)
		if err != nil {
			t.Errorf("%s: decrypt: %v", where, err)
			ok = false
		} else {
			ok = eqHex(t, where+".decrypted_hex", pt, v.Decrypted) && ok
		}
		ok = eqHex(t, where+".pad_message_hex", config.PadMessage(msg, config.EncryptOverhead), v.PadMessage) && ok
		if got := config.PaddedSize(len(msg), config.EncryptOverhead); got != v.PaddedSize {
			t.Errorf("%s.padded_size: got %d, want %d", where, got, v.PaddedSize)
			ok = false
		}
		if ok {
			n++
		}
	}
	return n
}

// oracleContact is a contact as the oracle lists it. Only session_id is
// required; every other field is compared when present.
type oracleContact map[string]any

func (c oracleContact) sessionID() string {
	s, _ := c["session_id"].(string)
	return s
}

// newConfigObject builds the config object a case names, with the account key.
func newConfigObject(t *testing.T, where string, v *oracleConfigCase, id *keys.Identity, dump []byte) (*config.Config, *config.UserProfile, *config.Contacts) {
	t.Helper()
	switch config.Namespace(v.Namespace) {
	case config.NamespaceUserProfile:
		up, err := config.NewUserProfile(id, dump)
		if err != nil {
			t.Errorf("%s: new user profile: %v", where, err)
			return nil, nil, nil
		}
		return &up.Config, up, nil
	case config.NamespaceContacts:
		ct, err := config.NewContacts(id, dump)
		if err != nil {
			t.Errorf("%s: new contacts: %v", where, err)
			return nil, nil, nil
		}
		return &ct.Config, nil, ct
	}
	t.Errorf("%s: namespace %d is not a user profile or contacts config", where, v.Namespace)
	return nil, nil, nil
}

func checkOracleConfigCase(t *testing.T, where string, v *oracleConfigCase, compressed bool) bool {
	id := identityFromHex(t, where+".ed25519_secretkey", v.Ed25519SecretKey)
	ns := config.Namespace(v.Namespace)
	if !eqHex(t, where+".encryption_key_seed32", id.Seed(), v.KeySeed32) {
		return false
	}
	if ns.Domain() != v.Domain {
		t.Errorf("%s: namespace %d has domain %q, the case says %q", where, v.Namespace, ns.Domain(), v.Domain)
		return false
	}
	ok := true

	// Build the object from the inputs and push it.
	base, up, ct := newConfigObject(t, where, v, id, nil)
	if base == nil {
		return false
	}
	base.SetCompression(compressed)
	var wantContacts []oracleContact
	switch {
	case up != nil:
		if v.Name == nil {
			t.Errorf("%s: user profile case without a name", where)
			return false
		}
		if err := up.SetName(*v.Name); err != nil {
			t.Errorf("%s: set name: %v", where, err)
			return false
		}
	case ct != nil:
		for i, in := range v.Inputs {
			var c oracleContact
			if err := json.Unmarshal(in, &c); err != nil {
				t.Fatalf("%s.inputs[%d]: %v", where, i, err)
			}
			if err := setOracleContact(ct, c); err != nil {
				t.Errorf("%s.inputs[%d]: %v", where, i, err)
				ok = false
			}
			wantContacts = append(wantContacts, c)
		}
	}
	p, err := base.Push()
	if err != nil {
		t.Errorf("%s: push: %v", where, err)
		return false
	}
	if p.Seqno != v.PushSeqno || len(p.Obsolete) != 0 || len(v.Obsolete) != 0 {
		t.Errorf("%s: push seqno %d obsolete %q, want %d and %q (must be empty)", where, p.Seqno, p.Obsolete, v.PushSeqno, v.Obsolete)
		ok = false
	}
	want := unhex(t, where+".push_data_hex", v.PushData)
	wantPadded := unhex(t, where+".push_data_decrypted_hex", v.Decrypted)

	// Unwrapping and decrypting the recorded push is byte-exact in every case.
	unwrapped, err := config.UnwrapLegacy(id, ns, want)
	if err != nil {
		t.Errorf("%s: unwrap push_data_hex: %v", where, err)
		return false
	}
	ok = eqHex(t, where+".push_data_unwrapped_config_ciphertext_hex", unwrapped, v.Unwrapped) && ok
	padded, err := config.Decrypt(unwrapped, id.Seed(), v.Domain)
	if err != nil {
		t.Errorf("%s: decrypt: %v", where, err)
		return false
	}
	ok = eqHex(t, where+".push_data_decrypted_hex", padded, v.Decrypted) && ok
	wantPlain, err := config.DecodePlaintext(padded)
	if err != nil {
		t.Errorf("%s: decode recorded plaintext: %v", where, err)
		return false
	}

	// Our own push: byte-exact unless zstd is involved (README §3); then the
	// serialized message inside must still be the same.
	ownInner, err := config.UnwrapLegacy(id, ns, p.Data)
	if err != nil {
		t.Errorf("%s: unwrap own push: %v", where, err)
		return false
	}
	ownPadded, ownPlain := rawPush(t, where+" (own push)", ownInner, id.Seed(), v.Domain)
	if compressed && bytes.HasPrefix(bytes.TrimLeft(wantPadded, "\x00"), []byte("z")) {
		if !bytes.Equal(ownPlain, wantPlain) {
			t.Errorf("%s: own serialized message %x, recorded one decompresses to %x", where, ownPlain, wantPlain)
			ok = false
		}
	} else {
		ok = eqHex(t, where+".push_data_decrypted_hex (own push)", ownPadded, v.Decrypted) && ok
		ok = eqHex(t, where+".push_data_unwrapped_config_ciphertext_hex (own push)", ownInner, v.Unwrapped) && ok
		ok = eqHex(t, where+".push_data_hex (own push)", p.Data, v.PushData) && ok
	}

	// Dump after confirm_pushed(seqno, "fakehash1"), and reload it.
	base.ConfirmPushed(p.Seqno, "fakehash1")
	dump := base.Dump()
	if v.DumpHex != nil {
		// This package writes libsession's dump format, so the bytes match
		// (a dump holds the message uncompressed).
		ok = eqHex(t, where+".dump_hex", dump, *v.DumpHex) && ok
	}
	reloaded, rup, rct := newConfigObject(t, where+" (reload)", v, id, dump)
	if reloaded == nil {
		return false
	}
	if reloaded.Seqno() != p.Seqno || reloaded.NeedsPush() {
		t.Errorf("%s: reloaded dump has seqno %d, needs push %v", where, reloaded.Seqno(), reloaded.NeedsPush())
		ok = false
	}
	if v.DumpHex != nil {
		// libsession's own dump loads too.
		if theirs, tup, tct := newConfigObject(t, where+" (libsession dump)", v, id, unhex(t, where+".dump_hex", *v.DumpHex)); theirs == nil {
			ok = false
		} else {
			ok = sameReadBack(t, where+" (libsession dump)", tup, tct, v.ReloadName, v.ReloadContacts, wantContacts) && ok
		}
	}
	ok = sameReadBack(t, where+".reload_from_dump", rup, rct, v.ReloadName, v.ReloadContacts, wantContacts) && ok

	// Merge the recorded push into a fresh object.
	fresh, fup, fct := newConfigObject(t, where+" (fresh)", v, id, nil)
	if fresh == nil {
		return false
	}
	accepted := fresh.Merge([]config.Received{{Hash: "fakehash1", Data: want}})
	if len(accepted) != 1 || accepted[0] != "fakehash1" || fresh.Seqno() != v.PushSeqno || fresh.NeedsPush() {
		t.Errorf("%s: merge into fresh: accepted %q, seqno %d, needs push %v", where, accepted, fresh.Seqno(), fresh.NeedsPush())
		ok = false
	}
	ok = sameReadBack(t, where+".merge_into_fresh", fup, fct, v.MergeIntoFreshName, v.MergeIntoFresh, wantContacts) && ok
	return ok
}

// sameReadBack compares what a config object reads back with the expected
// name or contact list. Expected contacts come from the case (wantList) or,
// when it has none, from the inputs.
func sameReadBack(t *testing.T, where string, up *config.UserProfile, ct *config.Contacts, name *string, wantList []json.RawMessage, inputs []oracleContact) bool {
	if up != nil {
		if name != nil && up.Name() != *name {
			t.Errorf("%s: name %q, want %q", where, up.Name(), *name)
			return false
		}
		return true
	}
	if ct == nil {
		return false
	}
	want := inputs
	if wantList != nil {
		want = nil
		for i, raw := range wantList {
			var c oracleContact
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("%s[%d]: %v", where, i, err)
			}
			want = append(want, c)
		}
	}
	got := ct.All()
	if len(got) != len(want) {
		t.Errorf("%s: %d contacts, want %d", where, len(got), len(want))
		return false
	}
	byID := map[string]config.Contact{}
	for _, c := range got {
		byID[c.SessionID.String()] = c
	}
	ok := true
	for i, w := range want {
		c, found := byID[strings.ToLower(w.sessionID())]
		if !found {
			t.Errorf("%s[%d]: contact %s missing", where, i, w.sessionID())
			ok = false
			continue
		}
		ok = compareContact(t, fmt.Sprintf("%s[%d]", where, i), c, w) && ok
	}
	return ok
}

// contactFields renders a contact under the names a generator may use for
// libsession's contact_info members.
func contactFields(c config.Contact) map[string]any {
	pic := map[string]any{"url": c.ProfilePic.URL, "key": hex.EncodeToString(c.ProfilePic.Key)}
	notify := []string{"defaulted", "all", "disabled", "mentions_only"}[c.Notifications]
	exp := []string{"none", "after_send", "after_read"}[c.ExpirationMode]
	secs := int64(c.ExpirationTimer / time.Second)
	return map[string]any{
		"session_id":       c.SessionID.String(),
		"name":             c.Name,
		"nickname":         c.Nickname,
		"approved":         c.Approved,
		"approved_me":      c.ApprovedMe,
		"blocked":          c.Blocked,
		"priority":         c.Priority,
		"created":          c.Created,
		"mute_until":       c.MuteUntil,
		"notifications":    enumValue{int64(c.Notifications), notify},
		"notify":           enumValue{int64(c.Notifications), notify},
		"exp_mode":         enumValue{int64(c.ExpirationMode), exp},
		"expiration_mode":  enumValue{int64(c.ExpirationMode), exp},
		"exp_timer":        secs,
		"exp_seconds":      secs,
		"expiration_timer": secs,
		"profile_picture":  pic,
		"profile_pic":      pic,
		"profile_pic_url":  c.ProfilePic.URL,
		"profile_pic_key":  hex.EncodeToString(c.ProfilePic.Key),
		"pic_url":          c.ProfilePic.URL,
		"pic_key":          hex.EncodeToString(c.ProfilePic.Key),
	}
}

// enumValue is an enum that may be written as its number or its name.
type enumValue struct {
	n    int64
	name string
}

// compareContact compares every field of want that this checker knows
// (README §1: unknown fields are ignored).
func compareContact(t *testing.T, where string, c config.Contact, want oracleContact) bool {
	got := contactFields(c)
	ok := true
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, known := got[k]
		if !known {
			continue
		}
		if !sameJSONValue(g, want[k]) {
			t.Errorf("%s.%s: got %v, want %v", where, k, g, want[k])
			ok = false
		}
	}
	return ok
}

// sameJSONValue compares a Go value with a decoded JSON value, allowing
// booleans as 0/1, enums as number or name, and hex in either case.
func sameJSONValue(got, want any) bool {
	switch g := got.(type) {
	case bool:
		switch w := want.(type) {
		case bool:
			return g == w
		case float64:
			return (w != 0) == g
		}
	case int64:
		switch w := want.(type) {
		case float64:
			return float64(g) == w
		case bool:
			return (g != 0) == w
		case nil:
			return g == 0
		}
	case enumValue:
		switch w := want.(type) {
		case float64:
			return float64(g.n) == w
		case string:
			return strings.EqualFold(g.name, w)
		}
	case string:
		switch w := want.(type) {
		case string:
			return strings.EqualFold(g, w) && (g == w || isHex(w))
		case nil:
			return g == ""
		}
	case map[string]any:
		switch w := want.(type) {
		case map[string]any:
			for k, wv := range w {
				if gv, known := g[k]; known && !sameJSONValue(gv, wv) {
					return false
				}
			}
			return true
		case nil:
			return g["url"] == ""
		}
	}
	return false
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// setOracleContact stores one generator input contact, as the generator did
// with get_or_construct and set. Fields the README lists are session_id,
// name, nickname, approved, approved_me, priority and created; the other
// contact_info members are applied too when an input carries them.
func setOracleContact(ct *config.Contacts, in oracleContact) error {
	id, err := keys.ParseSessionID(in.sessionID())
	if err != nil {
		return err
	}
	c := ct.GetOrConstruct(id)
	str := func(k string) string { s, _ := in[k].(string); return s }
	num := func(ks ...string) int64 {
		for _, k := range ks {
			switch x := in[k].(type) {
			case float64:
				return int64(x)
			case bool:
				if x {
					return 1
				}
				return 0
			case string:
				for _, names := range [][]string{
					{"none", "after_send", "after_read"},
					{"defaulted", "all", "disabled", "mentions_only"},
				} {
					if i := slices.Index(names, strings.ToLower(x)); i >= 0 {
						return int64(i)
					}
				}
			}
		}
		return 0
	}
	if _, ok := in["name"]; ok {
		c.Name = str("name")
	}
	if _, ok := in["nickname"]; ok {
		c.Nickname = str("nickname")
	}
	c.Approved = num("approved") != 0
	c.ApprovedMe = num("approved_me") != 0
	c.Blocked = num("blocked") != 0
	c.Priority = num("priority")
	c.Created = num("created")
	c.MuteUntil = num("mute_until")
	c.Notifications = config.NotifyMode(num("notifications", "notify"))
	c.ExpirationMode = config.ExpirationMode(num("exp_mode", "expiration_mode"))
	c.ExpirationTimer = time.Duration(num("exp_timer", "exp_seconds", "expiration_timer")) * time.Second
	url, key := str("profile_pic_url"), str("profile_pic_key")
	if pic, ok := in["profile_picture"].(map[string]any); ok {
		url, _ = pic["url"].(string)
		key, _ = pic["key"].(string)
	} else if pic, ok := in["profile_pic"].(map[string]any); ok {
		url, _ = pic["url"].(string)
		key, _ = pic["key"].(string)
	}
	if url != "" {
		k, err := hex.DecodeString(key)
		if err != nil {
			return fmt.Errorf("profile picture key %q: %v", key, err)
		}
		c.ProfilePic = config.ProfilePic{URL: url, Key: k}
	}
	return ct.Set(c)
}
