package vectors

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// groupAccount is an account object of oracle/groups.json (README §4.15,
// the keys.json fields of §4.10).
type groupAccount struct {
	SeedInput string `json:"seed_input"`
	Seed16    string `json:"seed16"`
	Seed32    string `json:"seed32_padded"`
	EdPK      string `json:"ed25519_pubkey"`
	EdSK      string `json:"ed25519_secretkey"`
	XPK       string `json:"x25519_pubkey"`
	XSK       string `json:"x25519_seckey"`
	SessionID string `json:"session_id"`
}

type groupLoad struct {
	Who       string   `json:"who"`
	SessionID string   `json:"session_id"`
	Found     bool     `json:"found"`
	KeysAfter []string `json:"group_keys_after"`
}

type groupsFile struct {
	Groups      []groupEntry       `json:"groups"`
	Messages    []groupMessage     `json:"messages"`
	Subaccounts []groupSubaccount  `json:"subaccounts"`
	Configs     []groupConfigEntry `json:"configs"`
}

type groupEntry struct {
	Index int `json:"index"`
	Group struct {
		Seed    string `json:"seed"`
		EdPK    string `json:"ed25519_pubkey"`
		EdSK    string `json:"ed25519_secretkey"`
		XPK     string `json:"x25519_pubkey"`
		XSK     string `json:"x25519_seckey"`
		GroupID string `json:"group_id"`
	} `json:"group"`
	Admin     groupAccount   `json:"admin"`
	Members   []groupAccount `json:"members"`
	NonMember groupAccount   `json:"non_member"`
	Derived   struct {
		SeedHash   string            `json:"seed_hash_SessionGroupKeySeed"`
		AdminKey   string            `json:"admin_key_SessionGroupKeyAdminKey"`
		Mask       string            `json:"subaccount_mask_SessionGroupSubaccountMask"`
		MemberKeys map[string]string `json:"member_copy_keys"`
	} `json:"derived"`
	Stages []struct {
		Stage          int      `json:"stage"`
		MembersInGroup []string `json:"members_in_group"`
		KeyMessage     string   `json:"key_message_hex"`
		Generation     int64    `json:"generation"`
		Fields         struct {
			Nonce     string `json:"nonce"`
			G         int64  `json:"G"`
			K         string `json:"K"`
			KCount    int    `json:"k_count"`
			Signature string `json:"signature"`
		} `json:"fields"`
		PendingKey          string   `json:"pending_key"`
		AdminKeysAfterRekey []string `json:"admin_group_keys_after_rekey"`
		Derived             struct {
			H56       string `json:"h56_SessionGroupKeyGen"`
			Positions []struct {
				SessionID string `json:"session_id"`
				KIndex    int    `json:"k_index"`
			} `json:"member_copy_positions"`
			NJunk    int    `json:"n_junk"`
			JunkSeed string `json:"junk_rng_seed_SessionGroupJunkMembers"`
		} `json:"derived"`
		Load struct {
			Hash        string `json:"hash"`
			TimestampMs int64  `json:"timestamp_ms"`
		} `json:"load"`
		AdminLoadFound     bool        `json:"admin_load_found"`
		AdminKeysAfterLoad []string    `json:"admin_group_keys_after_load"`
		MemberLoads        []groupLoad `json:"member_loads"`
	} `json:"stages"`
	Supplement struct {
		For     groupAccount `json:"for"`
		Message string       `json:"message_hex"`
		Fields  struct {
			Nonce string `json:"nonce"`
			G     int64  `json:"G"`
		} `json:"fields"`
		Load struct {
			Hash        string `json:"hash"`
			TimestampMs int64  `json:"timestamp_ms"`
		} `json:"load"`
		Loads []groupLoad `json:"loads"`
	} `json:"key_supplement"`
}

type groupMessage struct {
	Index     int      `json:"index"`
	GroupKeys []string `json:"group_keys"`
	EncKey    string   `json:"group_enc_key"`
	Sender    struct {
		SessionID string `json:"session_id"`
		EdSK      string `json:"ed25519_secretkey"`
	} `json:"sender"`
	Plaintext       string `json:"plaintext_hex"`
	Compress        bool   `json:"compress"`
	Padding         int    `json:"padding"`
	RNG             tape   `json:"rng"`
	Ciphertext      string `json:"ciphertext_hex"`
	UsedCompression bool   `json:"used_compression"`
	InnerPadded     string `json:"inner_padded_hex"`
	Decrypt         struct {
		SessionID string `json:"session_id"`
		Plaintext string `json:"plaintext_hex"`
	} `json:"decrypt_message"`
	Removed struct {
		GroupKeys    []string `json:"group_keys"`
		DecryptFails bool     `json:"decrypt_fails"`
	} `json:"removed_member"`
	NonMemberFails bool `json:"non_member_decrypt_fails"`
}

type groupSubaccount struct {
	Index     int    `json:"index"`
	GroupID   string `json:"group_id"`
	GroupSeed string `json:"group_seed"`
	GroupSK   string `json:"group_ed25519_secretkey"`
	Member    struct {
		SessionID string `json:"session_id"`
		EdPK      string `json:"ed25519_pubkey"`
		EdSK      string `json:"ed25519_secretkey"`
		SignBit   bool   `json:"ed25519_pubkey_sign_bit_set"`
	} `json:"member"`
	Write      bool   `json:"write"`
	Del        bool   `json:"del"`
	Flags      int    `json:"flags"`
	AuthData   string `json:"auth_data_hex"`
	K          string `json:"blind_factor_k"`
	AdminSig   string `json:"admin_signature"`
	Token      string `json:"token_hex"`
	KT         string `json:"kT"`
	Message    string `json:"message_utf8"`
	SignBinary struct {
		Subaccount    string `json:"subaccount"`
		SubaccountSig string `json:"subaccount_sig"`
		Signature     string `json:"signature"`
	} `json:"sign_binary"`
	SignBase64 struct {
		Subaccount    string `json:"subaccount_b64"`
		SubaccountSig string `json:"subaccount_sig_b64"`
		Signature     string `json:"signature_b64"`
	} `json:"sign_base64"`
	SigVerifies bool `json:"signature_verifies_with_ed25519_verify"`
	VerifyCases []struct {
		Case         string `json:"case"`
		GroupID      string `json:"group_id"`
		UserSK       string `json:"user_ed25519_secretkey"`
		SigningValue string `json:"signing_value_hex"`
		RequireWrite bool   `json:"require_write"`
		RequireDel   bool   `json:"require_del"`
		Expected     bool   `json:"expected"`
	} `json:"verify_cases"`
}

type groupConfigEntry struct {
	Index   int    `json:"index"`
	GroupPK string `json:"group_ed25519_pubkey"`
	GroupSK string `json:"group_ed25519_secretkey"`
	Stages  []struct {
		Stage                int                `json:"stage"`
		EncryptionKey        string             `json:"encryption_key"`
		AllKeys              []string           `json:"all_keys"`
		Info                 groupConfigPush    `json:"info"`
		Members              groupConfigPush    `json:"members"`
		InfoNoCompression    groupConfigPush    `json:"info_compression_disabled"`
		MembersNoCompression groupConfigPush    `json:"members_compression_disabled"`
		Readback             groupConfigReadbck `json:"fresh_member_readback"`
	} `json:"stages"`
}

type groupConfigPush struct {
	Domain          string          `json:"domain"`
	Inputs          json.RawMessage `json:"inputs"`
	Obsolete        []string        `json:"push_obsolete_hashes"`
	ConfirmHash     string          `json:"confirm_pushed_hash"`
	PushSeqno       int64           `json:"push_seqno"`
	PushData        string          `json:"push_data_hex"`
	DecryptedPadded string          `json:"decrypted_padded_hex"`
	ZeroPadding     int             `json:"zero_padding_len"`
	Compressed      bool            `json:"compressed"`
	ConfigMessage   string          `json:"config_message_hex"`
	Signature       string          `json:"signature"`
	Hash            string          `json:"config_message_blake2b_32"`
}

type groupConfigReadbck struct {
	ReaderKeys []string `json:"reader_group_keys"`
	Info       struct {
		Name               string `json:"name"`
		Description        string `json:"description"`
		Created            *int64 `json:"created"`
		ExpiryTimer        *int64 `json:"expiry_timer"`
		DeleteBefore       *int64 `json:"delete_before"`
		DeleteAttachBefore *int64 `json:"delete_attach_before"`
		Destroyed          bool   `json:"destroyed"`
		PicURL             string `json:"profile_pic_url"`
		PicKey             string `json:"profile_pic_key"`
	} `json:"info"`
	Members []struct {
		SessionID       string `json:"session_id"`
		Name            string `json:"name"`
		Admin           bool   `json:"admin"`
		InviteStatus    int64  `json:"invite_status"`
		PromotionStatus int64  `json:"promotion_status"`
		RemovedStatus   int64  `json:"removed_status"`
		Supplement      bool   `json:"supplement"`
		PicURL          string `json:"profile_pic_url"`
		PicKey          string `json:"profile_pic_key"`
		StatusName      string `json:"status_name"`
	} `json:"members"`
}

// checkGroupAccount checks an account object the way keys.json's are.
func checkGroupAccount(t *testing.T, w string, a groupAccount) (*keys.Identity, bool) {
	id := identityFrom(t, w, unhex(t, w+".seed32_padded", a.Seed32))
	if id == nil {
		return nil, false
	}
	x, xs := id.X25519PublicKey(), id.X25519PrivateKey()
	ok := eqHex(t, w+".ed25519_pubkey", id.Ed25519PublicKey(), a.EdPK)
	ok = eqHex(t, w+".ed25519_secretkey", id.Ed25519PrivateKey(), a.EdSK) && ok
	ok = eqHex(t, w+".x25519_pubkey", x[:], a.XPK) && ok
	ok = eqHex(t, w+".x25519_seckey", xs[:], a.XSK) && ok
	ok = eqHex(t, w+".session_id", id.SessionID().Bytes(), a.SessionID) && ok
	if a.Seed16 != "" {
		ok = eqHex(t, w+".seed16", id.RecoverySeed(), a.Seed16) && ok
	}
	return id, ok
}

func keyList(t *testing.T, w string, hs []string) [][32]byte {
	out := make([][32]byte, 0, len(hs))
	for i, h := range hs {
		b := unhex(t, fmt.Sprintf("%s[%d]", w, i), h)
		if len(b) != 32 {
			t.Errorf("%s[%d]: key of %d bytes", w, i, len(b))
			continue
		}
		out = append(out, [32]byte(b))
	}
	return out
}

func eqKeys(t *testing.T, w string, got [][32]byte, want []string) bool {
	g := make([]string, len(got))
	for i, k := range got {
		g[i] = hex.EncodeToString(k[:])
	}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", w, g, want)
		return false
	}
	return true
}

func parseSessionIDs(t *testing.T, w string, hs []string) []keys.ID {
	out := make([]keys.ID, 0, len(hs))
	for _, h := range hs {
		id, err := keys.ParseID(h)
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		out = append(out, id)
	}
	return out
}

func checkGroupsOracle(t *testing.T, raw []byte) int {
	var f groupsFile
	decode(t, raw, &f)
	n := 0
	for _, g := range f.Groups {
		if checkGroupEntry(t, g) {
			n++
		}
	}
	for _, m := range f.Messages {
		if checkGroupMessage(t, m) {
			n++
		}
	}
	for _, s := range f.Subaccounts {
		if checkGroupSubaccount(t, s) {
			n++
		}
	}
	for _, c := range f.Configs {
		if checkGroupConfigs(t, c) {
			n++
		}
	}
	return n
}

func checkGroupEntry(t *testing.T, g groupEntry) bool {
	w := fmt.Sprintf("groups[index %d]", g.Index)
	admin, err := groups.NewAdmin(unhex(t, w+".group.seed", g.Group.Seed))
	if err != nil {
		t.Errorf("%s: %v", w, err)
		return false
	}
	gid, err := keys.NewIdentity(unhex(t, w+".group.seed", g.Group.Seed))
	if err != nil {
		t.Errorf("%s: %v", w, err)
		return false
	}
	gx, gxs := gid.X25519PublicKey(), gid.X25519PrivateKey()
	ok := eqHex(t, w+".group.ed25519_pubkey", admin.PublicKey(), g.Group.EdPK)
	ok = eqHex(t, w+".group.ed25519_secretkey", admin.SecretKey(), g.Group.EdSK) && ok
	ok = eqHex(t, w+".group.x25519_pubkey", gx[:], g.Group.XPK) && ok
	ok = eqHex(t, w+".group.x25519_seckey", gxs[:], g.Group.XSK) && ok
	ok = eqHex(t, w+".group.group_id", admin.ID().Bytes(), g.Group.GroupID) && ok

	accounts := map[string]*keys.Identity{}
	addAccount := func(name string, a groupAccount) {
		id, good := checkGroupAccount(t, w+"."+name, a)
		ok = good && ok
		if id != nil {
			accounts[a.SessionID] = id
		}
	}
	addAccount("admin", g.Admin)
	for i, m := range g.Members {
		addAccount(fmt.Sprintf("members[%d]", i), m)
	}
	addAccount("non_member", g.NonMember)
	addAccount("key_supplement.for", g.Supplement.For)

	sh, ak, mask := admin.SeedHash("SessionGroupKeySeed"), admin.SeedHash("SessionGroupKeyAdminKey"),
		admin.SeedHash("SessionGroupSubaccountMask")
	ok = eqHex(t, w+".derived.seed_hash_SessionGroupKeySeed", sh[:], g.Derived.SeedHash) && ok
	ok = eqHex(t, w+".derived.admin_key_SessionGroupKeyAdminKey", ak[:], g.Derived.AdminKey) && ok
	ok = eqHex(t, w+".derived.subaccount_mask_SessionGroupSubaccountMask", mask[:], g.Derived.Mask) && ok
	for sid, want := range g.Derived.MemberKeys {
		id, err := keys.ParseID(sid)
		if err != nil {
			t.Errorf("%s: member_copy_keys: %v", w, err)
			ok = false
			continue
		}
		mk, err := admin.MemberKey(id)
		if err != nil {
			t.Errorf("%s: member_copy_keys[%s]: %v", w, sid, err)
			ok = false
			continue
		}
		ok = eqHex(t, w+".derived.member_copy_keys["+sid+"]", mk[:], want) && ok
	}

	// The admin's ring, and one ring per account that loads.
	adminRing, err := groups.NewKeyRing(accounts[g.Admin.SessionID].Ed25519PrivateKey(), admin.PublicKey(), admin)
	if err != nil {
		t.Errorf("%s: admin key ring: %v", w, err)
		return false
	}
	rings := map[string]*groups.KeyRing{}
	ringFor := func(sid string) *groups.KeyRing {
		if r := rings[sid]; r != nil {
			return r
		}
		id := accounts[sid]
		if id == nil {
			t.Errorf("%s: no account %s in the entry", w, sid)
			return nil
		}
		r, err := groups.NewKeyRing(id.Ed25519PrivateKey(), admin.PublicKey(), nil)
		if err != nil {
			t.Errorf("%s: key ring for %s: %v", w, sid, err)
			return nil
		}
		rings[sid] = r
		return r
	}

	for _, st := range g.Stages {
		sw := fmt.Sprintf("%s.stages[%d]", w, st.Stage)
		members := parseSessionIDs(t, sw+".members_in_group", st.MembersInGroup)
		h56 := admin.RekeyHash(members, st.Generation)
		ok = eqHex(t, sw+".derived.h56_SessionGroupKeyGen", h56, st.Derived.H56) && ok
		msg, key, err := admin.Rekey(members, st.Generation)
		if err != nil {
			t.Errorf("%s: rekey: %v", sw, err)
			ok = false
			continue
		}
		ok = eqHex(t, sw+".pending_key", key[:], st.PendingKey) && ok
		// The ring's rekey picks the generation itself and must agree.
		ringMsg, err := adminRing.Rekey(members)
		if err != nil || !bytes.Equal(ringMsg, msg) {
			t.Errorf("%s: key ring rekey differs from the direct rekey (%v)", sw, err)
			ok = false
		}
		ok = eqKeys(t, sw+".admin_group_keys_after_rekey", adminRing.Keys(), st.AdminKeysAfterRekey) && ok
		if !eqHex(t, sw+".key_message_hex", msg, st.KeyMessage) {
			ok = false
			// Narrow down which part differs.
			want := unhex(t, sw, st.KeyMessage)
			if bytes.Contains(want, unhex(t, sw+".fields.K", st.Fields.K)) && !bytes.Contains(msg, unhex(t, sw, st.Fields.K)) {
				t.Errorf("%s: admin key copy K differs", sw)
			}
		}
		for _, p := range st.Derived.Positions {
			id, _ := keys.ParseID(p.SessionID)
			mk, err := admin.MemberKey(id)
			if err != nil {
				continue
			}
			_ = mk // positions are implied by the byte-exact message
		}

		found, err := adminRing.Load(st.Load.Hash, msg, st.Load.TimestampMs)
		if err != nil || found != st.AdminLoadFound {
			t.Errorf("%s: admin load: found %v, %v; want %v", sw, found, err, st.AdminLoadFound)
			ok = false
		}
		ok = eqKeys(t, sw+".admin_group_keys_after_load", adminRing.Keys(), st.AdminKeysAfterLoad) && ok
		for _, ml := range st.MemberLoads {
			r := ringFor(ml.SessionID)
			if r == nil {
				ok = false
				continue
			}
			found, err := r.Load(st.Load.Hash, unhex(t, sw, st.KeyMessage), st.Load.TimestampMs)
			if err != nil || found != ml.Found {
				t.Errorf("%s: member_loads[%s]: found %v, %v; want %v", sw, ml.Who, found, err, ml.Found)
				ok = false
			}
			ok = eqKeys(t, sw+".member_loads["+ml.Who+"].group_keys_after", r.Keys(), ml.KeysAfter) && ok
		}
	}

	// Supplement for an account added without a rekey.
	sw := w + ".key_supplement"
	forID, err := keys.ParseID(g.Supplement.For.SessionID)
	if err != nil {
		t.Errorf("%s: %v", sw, err)
		return false
	}
	supp, err := adminRing.Supplement([]keys.ID{forID})
	if err != nil {
		t.Errorf("%s: %v", sw, err)
		return false
	}
	ok = eqHex(t, sw+".message_hex", supp, g.Supplement.Message) && ok
	for _, l := range g.Supplement.Loads {
		id := accounts[l.SessionID]
		if id == nil {
			t.Errorf("%s: loads: no account %s", sw, l.SessionID)
			ok = false
			continue
		}
		r, err := groups.NewKeyRing(id.Ed25519PrivateKey(), admin.PublicKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		found, err := r.Load(g.Supplement.Load.Hash, unhex(t, sw, g.Supplement.Message), g.Supplement.Load.TimestampMs)
		if err != nil || found != l.Found {
			t.Errorf("%s: loads[%s]: found %v, %v; want %v", sw, l.Who, found, err, l.Found)
			ok = false
		}
		ok = eqKeys(t, sw+".loads["+l.Who+"].group_keys_after", r.Keys(), l.KeysAfter) && ok
	}
	return ok
}

func checkGroupMessage(t *testing.T, m groupMessage) bool {
	w := fmt.Sprintf("messages[index %d]", m.Index)
	ks := keyList(t, w+".group_keys", m.GroupKeys)
	if len(ks) == 0 || !eqHex(t, w+".group_enc_key", ks[0][:], m.EncKey) {
		return false
	}
	sender := ed25519.PrivateKey(unhex(t, w+".sender.ed25519_secretkey", m.Sender.EdSK))
	plain := unhex(t, w+".plaintext_hex", m.Plaintext)
	tp := newTape(t, m.RNG)
	ct, err := groups.EncryptMessage(tp, ks[0], sender, plain, m.Compress, m.Padding)
	if err != nil {
		t.Errorf("%s: encrypt: %v", w, err)
		return false
	}
	ok := tp.done()
	if !ok {
		t.Errorf("%s: encrypt left tape draws unused", w)
	}
	if !m.UsedCompression {
		ok = eqHex(t, w+".ciphertext_hex", ct, m.Ciphertext) && ok
	} else if _, got, err := groups.DecryptMessage(ks, ct); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("%s: own compressed message does not round-trip: %v", w, err)
		ok = false
	}

	want := unhex(t, w+".ciphertext_hex", m.Ciphertext)
	inner, err := groups.OpenMessage(ks, want)
	if err != nil {
		t.Errorf("%s: open: %v", w, err)
		return false
	}
	ok = eqHex(t, w+".inner_padded_hex", inner, m.InnerPadded) && ok
	from, got, err := groups.DecryptMessage(ks, want)
	if err != nil {
		t.Errorf("%s: decrypt: %v", w, err)
		return false
	}
	ok = eqHex(t, w+".decrypt_message.session_id", from.Bytes(), m.Decrypt.SessionID) && ok
	ok = eqHex(t, w+".decrypt_message.plaintext_hex", got, m.Decrypt.Plaintext) && ok
	if _, _, err := groups.DecryptMessage(keyList(t, w+".removed_member.group_keys", m.Removed.GroupKeys), want); (err == nil) == m.Removed.DecryptFails {
		t.Errorf("%s: removed member decrypt: err %v, want failure %v", w, err, m.Removed.DecryptFails)
		ok = false
	}
	if _, _, err := groups.DecryptMessage(nil, want); (err == nil) == m.NonMemberFails {
		t.Errorf("%s: non-member decrypt: err %v, want failure %v", w, err, m.NonMemberFails)
		ok = false
	}
	return ok
}

func checkGroupSubaccount(t *testing.T, s groupSubaccount) bool {
	w := fmt.Sprintf("subaccounts[index %d]", s.Index)
	admin, err := groups.NewAdmin(unhex(t, w+".group_ed25519_secretkey", s.GroupSK))
	if err != nil {
		t.Errorf("%s: %v", w, err)
		return false
	}
	ok := eqHex(t, w+".group_seed", admin.SecretKey().Seed(), s.GroupSeed)
	ok = eqHex(t, w+".group_id", admin.ID().Bytes(), s.GroupID) && ok
	member, err := keys.ParseID(s.Member.SessionID)
	if err != nil {
		t.Errorf("%s: %v", w, err)
		return false
	}
	auth, err := admin.MakeSubaccount(member, s.Write, s.Del)
	if err != nil {
		t.Errorf("%s: make subaccount: %v", w, err)
		return false
	}
	ok = eqHex(t, w+".auth_data_hex", auth, s.AuthData) && ok
	ok = eqHex(t, w+".flags", auth[1:2], fmt.Sprintf("%02x", s.Flags)) && ok
	ok = eqHex(t, w+".blind_factor_k", auth[4:36], s.K) && ok
	ok = eqHex(t, w+".admin_signature", auth[36:], s.AdminSig) && ok
	token, err := admin.SubaccountToken(member, s.Write, s.Del)
	if err != nil {
		t.Errorf("%s: token: %v", w, err)
		return false
	}
	ok = eqHex(t, w+".token_hex", token, s.Token) && ok
	ok = eqHex(t, w+".kT", token[4:], s.KT) && ok

	user := ed25519.PrivateKey(unhex(t, w+".member.ed25519_secretkey", s.Member.EdSK))
	if got := user[63]&0x80 != 0; got != s.Member.SignBit {
		t.Errorf("%s: member.ed25519_pubkey_sign_bit_set: got %v", w, got)
		ok = false
	}
	sa, err := groups.SignSubaccount(user, unhex(t, w+".auth_data_hex", s.AuthData), []byte(s.Message))
	if err != nil {
		t.Errorf("%s: sign: %v", w, err)
		return false
	}
	ok = eqHex(t, w+".sign_binary.subaccount", sa.Token, s.SignBinary.Subaccount) && ok
	ok = eqHex(t, w+".sign_binary.subaccount_sig", sa.TokenSig, s.SignBinary.SubaccountSig) && ok
	ok = eqHex(t, w+".sign_binary.signature", sa.Signature, s.SignBinary.Signature) && ok
	tb, tsb, sb := sa.Base64()
	if tb != s.SignBase64.Subaccount || tsb != s.SignBase64.SubaccountSig || sb != s.SignBase64.Signature {
		t.Errorf("%s: sign_base64: got %q %q %q", w, tb, tsb, sb)
		ok = false
	}
	if got := ed25519.Verify(sa.Token[4:], []byte(s.Message), sa.Signature); got != s.SigVerifies {
		t.Errorf("%s: signature_verifies_with_ed25519_verify: got %v", w, got)
		ok = false
	}
	// What a storage server checks, with the flags of this subaccount.
	err = groups.VerifySubaccountRequest(admin.ID(), sa.Token, sa.TokenSig, sa.Signature, []byte(s.Message),
		groups.Needs{Read: true, Write: s.Write, Delete: s.Del})
	if err != nil {
		t.Errorf("%s: storage-server verification: %v", w, err)
		ok = false
	}
	for i, c := range s.VerifyCases {
		gid, err := keys.ParseID(c.GroupID)
		if err != nil {
			t.Errorf("%s.verify_cases[%d]: %v", w, i, err)
			ok = false
			continue
		}
		got := groups.VerifySubaccountGrant(gid, unhex(t, w, c.UserSK), unhex(t, w, c.SigningValue), c.RequireWrite, c.RequireDel)
		if got != c.Expected {
			t.Errorf("%s.verify_cases[%d] (%s): got %v, want %v", w, i, c.Case, got, c.Expected)
			ok = false
		}
	}
	return ok
}

func checkGroupConfigs(t *testing.T, c groupConfigEntry) bool {
	w := fmt.Sprintf("configs[index %d]", c.Index)
	admin, err := groups.NewAdmin(unhex(t, w+".group_ed25519_secretkey", c.GroupSK))
	if err != nil {
		t.Errorf("%s: %v", w, err)
		return false
	}
	ok := eqHex(t, w+".group_ed25519_pubkey", admin.PublicKey(), c.GroupPK)
	pk := admin.PublicKey()
	// The admin's configs, rebuilt from the stage inputs with compression
	// off: each push must be byte for byte libsession's.
	info, err := config.NewGroupInfo(pk, admin.SecretKey(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mems, err := config.NewGroupMembers(pk, admin.SecretKey(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	info.SetCompression(false)
	mems.SetCompression(false)
	for _, st := range c.Stages {
		sw := fmt.Sprintf("%s.stages[%d]", w, st.Stage)
		key := keyList(t, sw+".encryption_key", []string{st.EncryptionKey})
		all := keyList(t, sw+".all_keys", st.AllKeys)
		if len(key) != 1 {
			return false
		}
		ok = buildGroupConfigStage(t, sw, info, mems, st.InfoNoCompression, st.MembersNoCompression,
			st.Info.Inputs, st.Members.Inputs, append([][32]byte{key[0]}, slices.DeleteFunc(slices.Clone(all), func(k [32]byte) bool { return k == key[0] })...)) && ok
		pushes := []struct {
			name string
			p    groupConfigPush
		}{{"info", st.Info}, {"members", st.Members}, {"info_compression_disabled", st.InfoNoCompression},
			{"members_compression_disabled", st.MembersNoCompression}}
		for _, p := range pushes {
			pw := sw + "." + p.name
			push := unhex(t, pw+".push_data_hex", p.p.PushData)
			padded, err := config.Decrypt(push, key[0][:], p.p.Domain)
			if err != nil {
				t.Errorf("%s: decrypt: %v", pw, err)
				ok = false
				continue
			}
			ok = eqHex(t, pw+".decrypted_padded_hex", padded, p.p.DecryptedPadded) && ok
			if z := len(padded) - len(bytes.TrimLeft(padded, "\x00")); z != p.p.ZeroPadding {
				t.Errorf("%s: zero_padding_len: got %d, want %d", pw, z, p.p.ZeroPadding)
				ok = false
			}
			msg, err := groups.OpenConfig(push, all, p.p.Domain, pk)
			if err != nil {
				t.Errorf("%s: open: %v", pw, err)
				ok = false
				continue
			}
			ok = eqHex(t, pw+".config_message_hex", msg, p.p.ConfigMessage) && ok
			ok = eqHex(t, pw+".signature", admin.Sign(msg[:len(msg)-71]), p.p.Signature) && ok
			h := blake2b.Sum256(msg)
			ok = eqHex(t, pw+".config_message_blake2b_32", h[:], p.p.Hash) && ok
			if !p.p.Compressed {
				// The byte-exact encode target.
				sealed, err := groups.SealConfig(msg, key[0], p.p.Domain)
				if err != nil {
					t.Errorf("%s: seal: %v", pw, err)
					ok = false
					continue
				}
				ok = eqHex(t, pw+".push_data_hex (sealed)", sealed, p.p.PushData) && ok
			}
		}

		// A fresh member holding the reader's keys reads both configs.
		rb := st.Readback
		rw := sw + ".fresh_member_readback"
		rkeys := keyList(t, rw+".reader_group_keys", rb.ReaderKeys)
		infoMsg, err := groups.OpenConfig(unhex(t, sw, st.Info.PushData), rkeys, groups.DomainInfo, pk)
		if err != nil {
			t.Errorf("%s: info: %v", rw, err)
			ok = false
			continue
		}
		infoData, _ := groups.VerifyConfig(infoMsg, pk)
		info := groups.ParseInfo(infoData)
		wantInfo := rb.Info
		opt := func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		}
		if info.Name != wantInfo.Name || info.Description != wantInfo.Description ||
			info.Created != opt(wantInfo.Created) || info.ExpiryTimer != opt(wantInfo.ExpiryTimer) ||
			info.DeleteBefore != opt(wantInfo.DeleteBefore) || info.DeleteAttachBefore != opt(wantInfo.DeleteAttachBefore) ||
			info.Destroyed != wantInfo.Destroyed || info.PicURL != wantInfo.PicURL ||
			hex.EncodeToString(info.PicKey) != wantInfo.PicKey {
			t.Errorf("%s.info: got %+v, want %+v", rw, info, wantInfo)
			ok = false
		}
		// The same through a member's config objects.
		fi, _ := config.NewGroupInfo(pk, nil, rkeys, nil)
		if acc := fi.Merge([]config.Received{{Hash: "h", Data: unhex(t, sw, st.Info.PushData)}}); len(acc) != 1 ||
			fi.Name() != info.Name || fi.Description() != info.Description || fi.Created() != info.Created ||
			int64(fi.ExpiryTimer().Seconds()) != info.ExpiryTimer || fi.CanPush() {
			t.Errorf("%s: member Info object read %q %q %d %v (accepted %d)", rw, fi.Name(), fi.Description(), fi.Created(), fi.ExpiryTimer(), len(acc))
			ok = false
		}
		fm, _ := config.NewGroupMembers(pk, nil, rkeys, nil)
		fm.Merge([]config.Received{{Hash: "h", Data: unhex(t, sw, st.Members.PushData)}})
		if got := fm.All(); len(got) != len(rb.Members) {
			t.Errorf("%s: member Members object holds %d members, want %d", rw, len(got), len(rb.Members))
			ok = false
		} else {
			for i, m := range got {
				if m.ID.String() != rb.Members[i].SessionID || m.Name != rb.Members[i].Name || m.Admin != rb.Members[i].Admin ||
					m.Invite != rb.Members[i].InviteStatus || m.Promotion != rb.Members[i].PromotionStatus {
					t.Errorf("%s: member Members object [%d]: %+v", rw, i, m)
					ok = false
				}
			}
		}
		stranger, _ := config.NewGroupInfo(pk, nil, nil, nil)
		if acc := stranger.Merge([]config.Received{{Hash: "h", Data: unhex(t, sw, st.Info.PushData)}}); len(acc) != 0 {
			t.Errorf("%s: a non-member merged the Info config", rw)
			ok = false
		}
		memMsg, err := groups.OpenConfig(unhex(t, sw, st.Members.PushData), rkeys, groups.DomainMembers, pk)
		if err != nil {
			t.Errorf("%s: members: %v", rw, err)
			ok = false
			continue
		}
		memData, _ := groups.VerifyConfig(memMsg, pk)
		mems := groups.ParseMembers(memData)
		if len(mems) != len(rb.Members) {
			t.Errorf("%s.members: got %d, want %d", rw, len(mems), len(rb.Members))
			ok = false
			continue
		}
		for i, m := range mems {
			want := rb.Members[i]
			got := fmt.Sprintf("%s %q %v %d %d %d %v %q %x %s", m.ID, m.Name, m.Admin, m.InviteStatus,
				m.PromotionStatus, m.RemovedStatus, m.Supplement, m.PicURL, m.PicKey, m.StatusName())
			exp := fmt.Sprintf("%s %q %v %d %d %d %v %q %s %s", want.SessionID, want.Name, want.Admin, want.InviteStatus,
				want.PromotionStatus, want.RemovedStatus, want.Supplement, want.PicURL, want.PicKey, want.StatusName)
			if got != exp {
				t.Errorf("%s.members[%d]: got %s, want %s", rw, i, got, exp)
				ok = false
			}
		}
	}
	return ok
}

// buildGroupConfigStage applies one stage's inputs to the admin's Info and
// Members, rekeys them (dirtying both) and checks the pushes.
func buildGroupConfigStage(t *testing.T, sw string, info *config.GroupInfo, mems *config.GroupMembers,
	wantInfo, wantMembers groupConfigPush, infoIn, membersIn json.RawMessage, groupKeys [][32]byte) bool {
	var in struct {
		Name        *string `json:"set_name"`
		Description *string `json:"set_description"`
		Created     *int64  `json:"set_created"`
		ExpiryTimer *int64  `json:"set_expiry_timer"`
	}
	if err := json.Unmarshal(infoIn, &in); err != nil {
		t.Errorf("%s.info.inputs: %v", sw, err)
		return false
	}
	if in.Name != nil {
		info.SetName(*in.Name)
	}
	if in.Description != nil {
		info.SetDescription(*in.Description)
	}
	if in.Created != nil {
		info.SetCreated(*in.Created)
	}
	if in.ExpiryTimer != nil {
		info.SetExpiryTimer(time.Duration(*in.ExpiryTimer) * time.Second)
	}
	var ops []struct {
		Op        string `json:"op"`
		SessionID string `json:"session_id"`
		Name      string `json:"name"`
		Admin     bool   `json:"admin"`
		Invite    string `json:"invite"`
	}
	if err := json.Unmarshal(membersIn, &ops); err != nil {
		t.Errorf("%s.members.inputs: %v", sw, err)
		return false
	}
	for _, op := range ops {
		id, err := keys.ParseID(op.SessionID)
		if err != nil {
			t.Errorf("%s.members.inputs: %v", sw, err)
			return false
		}
		switch op.Op {
		case "erase":
			if !mems.Erase(id) {
				t.Errorf("%s: erase %s: not a member", sw, id)
			}
		case "set":
			m := config.GroupMember{ID: id, Name: op.Name, Admin: op.Admin, Invite: config.GroupStatusNotSent}
			switch {
			case strings.Contains(op.Invite, "I=1"):
				m.Invite = config.GroupStatusSent
			case strings.Contains(op.Invite, "I omitted"):
				m.Invite = 0
			}
			if err := mems.Set(m); err != nil {
				t.Errorf("%s: set %s: %v", sw, id, err)
				return false
			}
		}
	}
	ok := true
	for _, p := range []struct {
		name string
		c    *config.Config
		want groupConfigPush
	}{{"info_compression_disabled", info.Config, wantInfo}, {"members_compression_disabled", mems.Config, wantMembers}} {
		pw := sw + "." + p.name + " (built)"
		p.c.SetKeys(groupKeys, true)
		pushed, err := p.c.Push()
		if err != nil {
			t.Errorf("%s: push: %v", pw, err)
			ok = false
			continue
		}
		if pushed.Seqno != p.want.PushSeqno || !slices.Equal(pushed.Obsolete, p.want.Obsolete) && len(pushed.Obsolete)+len(p.want.Obsolete) > 0 {
			t.Errorf("%s: seqno %d obsolete %q, want %d %q", pw, pushed.Seqno, pushed.Obsolete, p.want.PushSeqno, p.want.Obsolete)
			ok = false
		}
		if padded, err := config.Decrypt(pushed.Data, groupKeys[0][:], p.want.Domain); err == nil {
			msg, _ := config.DecodePlaintext(padded)
			ok = eqHex(t, pw+".config_message_hex", msg, p.want.ConfigMessage) && ok
		}
		ok = eqHex(t, pw+".push_data_hex", pushed.Data, p.want.PushData) && ok
		p.c.ConfirmPushed(pushed.Seqno, p.want.ConfirmHash)
	}
	return ok
}
