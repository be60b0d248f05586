package vectors

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/sogs"
	"github.com/session-go/session-go/internal/sogs/sogstest"
)

// parseIDField parses a 33-byte ID field, reporting a malformed one.
func parseIDField(t *testing.T, where, s string) (keys.ID, bool) {
	t.Helper()
	id, err := keys.ParseID(s)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return keys.ID{}, false
	}
	return id, true
}

// eqID reports a mismatch between an ID and its expected hex.
func eqID(t *testing.T, where string, got keys.ID, want string) bool {
	t.Helper()
	return eqHex(t, where, got.Bytes(), want)
}

// verifies reports a signature that plain Ed25519 verification rejects.
func verifies(t *testing.T, where string, pub, msg, sig []byte) bool {
	t.Helper()
	if !ed25519.Verify(pub, msg, sig) {
		t.Errorf("%s: signature %x does not verify against %x", where, sig, pub)
		return false
	}
	return true
}

// blind15Bonus counts blind15 signatures that also match the recorded bytes,
// which only happens when the nonce derivation is the same (vectors README
// §3); a difference is not an error.
type blind15Bonus struct{ matched, total int }

func (b *blind15Bonus) add(got []byte, want string) {
	b.total++
	if hex.EncodeToString(got) == want {
		b.matched++
	}
}

func (b *blind15Bonus) log(t *testing.T, where, recordedBy string) {
	t.Logf("vectors: %s: %d of %d blind15 signatures equal the recorded ones byte for byte (ours use libsession's nonce; these were recorded by %s)", where, b.matched, b.total, recordedBy)
}

// checkBlindingUpstream checks upstream/blinding.json (vectors README §4.4).
func checkBlindingUpstream(t *testing.T, raw []byte) int {
	type signEntry struct {
		SK        string `json:"sk"`
		ServerPK  string `json:"server_pk"`
		Message   string `json:"message_utf8"`
		Signature string `json:"signature"`
	}
	type idEntry struct {
		SessionID string `json:"session_id"`
		ServerPK  string `json:"server_pk"`
		BlindedID string `json:"blinded_id"`
	}
	var f struct {
		Keys        map[string]string `json:"keys"`
		Blind25ID   []idEntry         `json:"blind25_id"`
		Blind15ID   []idEntry         `json:"blind15_id"`
		Blind25Sign []signEntry       `json:"blind25_sign"`
		Blind15Sign []signEntry       `json:"blind15_sign"`
		Version07   []struct {
			SK           string `json:"sk"`
			PK           string `json:"blind_version_pk"`
			SK64         string `json:"blind_version_sk"`
			Platform     string `json:"platform"`
			Timestamp    int64  `json:"timestamp"`
			SignedString string `json:"signed_string"`
			Signature    string `json:"signature"`
		} `json:"version_blinding_07"`
		Auth *struct {
			SK64      string `json:"signing_sk64"`
			PK        string `json:"signing_pk"`
			ServerPK  string `json:"server_pk"`
			Timestamp int64  `json:"timestamp"`
			Method    string `json:"method"`
			Path      string `json:"path"`
			Nonce     string `json:"nonce_b64"`
			Body      string `json:"body_utf8"`
			Blinded15 struct {
				Pubkey  string `json:"X-SOGS-Pubkey"`
				SigNone string `json:"X-SOGS-Signature_no_body"`
				SigBody string `json:"X-SOGS-Signature_with_body"`
			} `json:"blinded15"`
			Unblinded struct {
				Pubkey  string `json:"X-SOGS-Pubkey"`
				SigNone string `json:"X-SOGS-Signature_no_body"`
				SigBody string `json:"X-SOGS-Signature_with_body"`
			} `json:"unblinded"`
			Common map[string]string `json:"headers_common"`
		} `json:"sogs_request_auth"`
	}
	decode(t, raw, &f)
	n := 0

	// account resolves "key1"/"key2" through the keys object.
	account := func(w, name string) (*keys.Identity, keys.ID, bool) {
		sk, ok := f.Keys[name+"_sk64"]
		sid, ok2 := f.Keys[name+"_session_id"]
		if !ok || !ok2 {
			t.Errorf("%s: unknown key %q", w, name)
			return nil, keys.ID{}, false
		}
		id := identityFrom(t, w, unhex(t, w, sk))
		if id == nil {
			return nil, keys.ID{}, false
		}
		if !eqID(t, w+": keys."+name+"_session_id", id.SessionID(), sid) {
			return nil, keys.ID{}, false
		}
		return id, id.SessionID(), true
	}

	for i, e := range f.Blind25ID {
		w := fmt.Sprintf("blind25_id[%d]", i)
		sid, ok := parseIDField(t, w+".session_id", e.SessionID)
		if !ok {
			continue
		}
		got, err := keys.Blind25ID(sid, unhex(t, w, e.ServerPK))
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		eqID(t, w+".blinded_id", got, e.BlindedID)
		n++
	}

	for i, e := range f.Blind15ID {
		w := fmt.Sprintf("blind15_id[%d]", i)
		sid, ok := parseIDField(t, w+".session_id", e.SessionID)
		if !ok {
			continue
		}
		c, err := keys.Blind15IDCandidates(sid, unhex(t, w, e.ServerPK))
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		eqID(t, w+".blinded_id", c[0], e.BlindedID)
		other := c[0].Bytes()
		other[32] ^= 0x80
		eqHex(t, w+".blinded_id (negative candidate)", c[1].Bytes(), hex.EncodeToString(other))
		n++
	}

	for i, e := range f.Blind25Sign {
		w := fmt.Sprintf("blind25_sign[%d]", i)
		id, sid, ok := account(w, e.SK)
		if !ok {
			continue
		}
		server := unhex(t, w, e.ServerPK)
		kp, err := id.Blind25KeyPair(server)
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		sig := kp.Sign([]byte(e.Message))
		eqHex(t, w+".signature", sig, e.Signature)
		want, err := keys.Blind25ID(sid, server)
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		if kp.ID() != want {
			t.Errorf("%s: key pair ID %s, blind25_id of the session ID %s", w, kp.ID(), want)
		}
		verifies(t, w+".signature", want.Key[:], []byte(e.Message), sig)
		// The seed alone gives the same account and the same bytes.
		if id32 := identityFrom(t, w, id.Seed()); id32 != nil {
			if kp32, err := id32.Blind25KeyPair(server); err != nil {
				t.Errorf("%s: %v", w, err)
			} else {
				eqHex(t, w+".signature (from the 32-byte seed)", kp32.Sign([]byte(e.Message)), e.Signature)
			}
		}
		n++
	}

	var bonus blind15Bonus
	for i, e := range f.Blind15Sign {
		w := fmt.Sprintf("blind15_sign[%d]", i)
		id, sid, ok := account(w, e.SK)
		if !ok {
			continue
		}
		server := unhex(t, w, e.ServerPK)
		kp, err := id.Blind15KeyPair(server)
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		c, err := keys.Blind15IDCandidates(sid, server)
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		if kp.ID() != c[0] && kp.ID() != c[1] {
			t.Errorf("%s: key pair ID %s is neither candidate of the session ID (%s, %s)", w, kp.ID(), c[0], c[1])
		}
		pub := kp.PublicKey()
		msg := []byte(e.Message)
		sig := kp.Sign(msg)
		verifies(t, w+".signature (ours)", pub[:], msg, sig)
		verifies(t, w+".signature (recorded)", pub[:], msg, unhex(t, w, e.Signature))
		bonus.add(sig, e.Signature)
		n++
	}
	bonus.log(t, "upstream/blinding.json blind15_sign", "libsession")

	for i, e := range f.Version07 {
		w := fmt.Sprintf("version_blinding_07[%d]", i)
		id, _, ok := account(w, e.SK)
		if !ok {
			continue
		}
		checked := false
		if e.PK != "" || e.SK64 != "" {
			vk := id.VersionKey()
			eqHex(t, w+".blind_version_pk", vk.Public().(ed25519.PublicKey), e.PK)
			eqHex(t, w+".blind_version_sk", vk, e.SK64)
			vid := id.VersionID()
			if vid.Prefix != keys.PrefixVersionBlinded {
				t.Errorf("%s: version ID prefix %s", w, vid.Prefix)
			}
			eqHex(t, w+".blind_version_pk (VersionID)", vid.Key[:], e.PK)
			checked = true
		}
		if e.SignedString != "" {
			msg := strconv.FormatInt(e.Timestamp, 10) + "GET" + "/session_version?platform=" + e.Platform
			if msg != e.SignedString {
				t.Errorf("%s.signed_string: built %q, want %q", w, msg, e.SignedString)
			}
			sig := id.VersionSign(e.Timestamp, e.Platform)
			eqHex(t, w+".signature", sig, e.Signature)
			verifies(t, w+".signature", id.VersionKey().Public().(ed25519.PublicKey), []byte(e.SignedString), sig)
			checked = true
		}
		if !checked {
			t.Errorf("%s: entry has neither a key nor a signed string", w)
			continue
		}
		n++
	}

	if a := f.Auth; a != nil {
		w := "sogs_request_auth"
		ok := true
		id := identityFrom(t, w, unhex(t, w, a.SK64))
		if id == nil {
			ok = false
		} else {
			eqHex(t, w+".signing_pk", id.Ed25519PublicKey(), a.PK)
		}
		server := unhex(t, w, a.ServerPK)
		nonce := unb64(t, w+".nonce_b64", a.Nonce)
		var bonus blind15Bonus
		for _, c := range []struct {
			name              string
			body              []byte
			unblinded, blind1 string
		}{
			{"no_body", nil, a.Unblinded.SigNone, a.Blinded15.SigNone},
			{"with_body", []byte(a.Body), a.Unblinded.SigBody, a.Blinded15.SigBody},
		} {
			if !ok {
				break
			}
			for _, k := range []struct {
				kind sogs.KeyKind
				name string
			}{{sogs.Unblinded, "unblinded"}, {sogs.Blinded15, "blinded15"}} {
				kind, wk := k.kind, w+"."+k.name
				h, err := sogs.SignRequestAt(id, kind, server, nonce, a.Timestamp, a.Method, a.Path, c.body)
				if err != nil {
					t.Errorf("%s (%s): %v", wk, c.name, err)
					ok = false
					continue
				}
				if h.Nonce != a.Common["X-SOGS-Nonce"] {
					t.Errorf("%s: X-SOGS-Nonce %q, want %q", w+".headers_common", h.Nonce, a.Common["X-SOGS-Nonce"])
				}
				if h.Timestamp != a.Common["X-SOGS-Timestamp"] {
					t.Errorf("%s: X-SOGS-Timestamp %q, want %q", w+".headers_common", h.Timestamp, a.Common["X-SOGS-Timestamp"])
				}
				sig := unb64(t, wk, h.Signature)
				msg := sogs.SignedMessage(server, nonce, a.Timestamp, a.Method, a.Path, c.body)
				switch kind {
				case sogs.Unblinded:
					if h.Pubkey != a.Unblinded.Pubkey {
						t.Errorf("%s.X-SOGS-Pubkey: got %s, want %s", wk, h.Pubkey, a.Unblinded.Pubkey)
					}
					if h.Signature != c.unblinded {
						t.Errorf("%s.X-SOGS-Signature_%s: got %s, want %s", wk, c.name, h.Signature, c.unblinded)
					}
					verifies(t, wk+".X-SOGS-Signature_"+c.name, id.Ed25519PublicKey(), msg, sig)
				case sogs.Blinded15:
					if h.Pubkey != a.Blinded15.Pubkey {
						t.Errorf("%s.X-SOGS-Pubkey: got %s, want %s", wk, h.Pubkey, a.Blinded15.Pubkey)
					}
					pub := unhex(t, wk, a.Blinded15.Pubkey)[1:]
					verifies(t, wk+".X-SOGS-Signature_"+c.name+" (ours)", pub, msg, sig)
					verifies(t, wk+".X-SOGS-Signature_"+c.name+" (recorded)", pub, msg, unb64(t, wk, c.blind1))
					bonus.add(sig, hex.EncodeToString(unb64(t, wk, c.blind1)))
				}
			}
		}
		bonus.log(t, "upstream/blinding.json sogs_request_auth", "Session Desktop, which hashes the seed")
		if ok {
			n++
		}
	}
	return n
}

// versionRequest is a request signed with the version-check key.
type versionRequest struct {
	Method string  `json:"method"`
	Path   string  `json:"path"`
	Body   *string `json:"body_hex"` // absent: no body
	Sig    string  `json:"sig"`
}

// blindedDMCase is one blinded_dm.blind15 or .blind25 object.
type blindedDMCase struct {
	Sender     string `json:"sender_blinded_id"`
	Recipient  string `json:"recipient_blinded_id"`
	RecipSK    string `json:"recipient_ed25519_secretkey"`
	Plaintext  string `json:"plaintext_hex"`
	Ciphertext string `json:"ciphertext_hex"`
	RNG        tape   `json:"rng"`
	Decrypted  struct {
		Plaintext string `json:"plaintext_hex"`
		SessionID string `json:"sender_session_id"`
	} `json:"decrypt_from_blinded_recipient"`
	SenderCanDecrypt bool `json:"sender_can_decrypt_own_outgoing"`
}

// checkBlindingOracle checks oracle/blinding.json (vectors README §4.13).
func checkBlindingOracle(t *testing.T, raw []byte) int {
	var f struct {
		Vectors []struct {
			Index      int      `json:"index"`
			SK         string   `json:"ed25519_secretkey"`
			SessionID  string   `json:"session_id"`
			ServerPK   string   `json:"server_pubkey"`
			F15        string   `json:"blind15_factor"`
			F25        string   `json:"blind25_factor"`
			Candidates []string `json:"blind15_id_candidates"`
			ID15FromEd string   `json:"blinded15_id_from_ed"`
			KP15       struct {
				Pub string `json:"pubkey"`
				Sec string `json:"seckey"`
				K   string `json:"k"`
			} `json:"blind15_key_pair"`
			ID25       string `json:"blind25_id"`
			ID25FromEd string `json:"blinded25_id_from_ed"`
			KP25       struct {
				Pub    string `json:"pubkey"`
				Sec    string `json:"seckey"`
				KPrime string `json:"k_prime"`
			} `json:"blind25_key_pair"`
			Message    string                   `json:"message_hex"`
			Sign15     string                   `json:"blind15_sign"`
			Sign25     string                   `json:"blind25_sign"`
			Verifies15 bool                     `json:"blind15_sig_verifies_with_ed25519_verify"`
			Verifies25 bool                     `json:"blind25_sig_verifies_with_ed25519_verify"`
			Repeatable bool                     `json:"signatures_repeatable"`
			Matches15  bool                     `json:"session_id_matches_blinded_id_15"`
			Matches25  bool                     `json:"session_id_matches_blinded_id_25"`
			BlindedDM  map[string]blindedDMCase `json:"blinded_dm"`
		} `json:"vectors"`
		Version []struct {
			KeyIndex  int             `json:"key_index"`
			SK        string          `json:"ed25519_secretkey"`
			PK        string          `json:"blind_version_pubkey"`
			SK64      string          `json:"blind_version_seckey64"`
			Timestamp int64           `json:"timestamp"`
			IOS       string          `json:"blind_version_sign_ios"`
			Android   string          `json:"blind_version_sign_android"`
			Post      *versionRequest `json:"sign_request_post"`
			Get       *versionRequest `json:"sign_request_get_nobody"`
		} `json:"version_blinding"`
	}
	decode(t, raw, &f)
	n := 0
	var bonus blind15Bonus

	for _, e := range f.Vectors {
		w := fmt.Sprintf("vectors[index %d]", e.Index)
		id := identityFrom(t, w, unhex(t, w, e.SK))
		if id == nil {
			continue
		}
		if !eqID(t, w+".session_id", id.SessionID(), e.SessionID) {
			continue
		}
		sid := id.SessionID()
		server := unhex(t, w, e.ServerPK)
		msg := unhex(t, w, e.Message)

		// Factors.
		if k, err := keys.Blind15Factor(server); err != nil {
			t.Errorf("%s.blind15_factor: %v", w, err)
		} else {
			eqHex(t, w+".blind15_factor", k[:], e.F15)
		}
		if k, err := keys.Blind25Factor(sid, server); err != nil {
			t.Errorf("%s.blind25_factor: %v", w, err)
		} else {
			eqHex(t, w+".blind25_factor", k[:], e.F25)
		}

		// blind15 IDs and key pair.
		if c, err := keys.Blind15IDCandidates(sid, server); err != nil || len(e.Candidates) != 2 {
			t.Errorf("%s.blind15_id_candidates: %v (%d recorded)", w, err, len(e.Candidates))
		} else {
			eqID(t, w+".blind15_id_candidates[0]", c[0], e.Candidates[0])
			eqID(t, w+".blind15_id_candidates[1]", c[1], e.Candidates[1])
		}
		if len(e.Candidates) != 2 || (e.ID15FromEd != e.Candidates[0] && e.ID15FromEd != e.Candidates[1]) {
			t.Errorf("%s.blinded15_id_from_ed: %s is not one of the candidates %v", w, e.ID15FromEd, e.Candidates)
		}
		if got, err := keys.Blind15IDFromEd25519(id.Ed25519PublicKey(), server); err != nil {
			t.Errorf("%s.blinded15_id_from_ed: %v", w, err)
		} else {
			eqID(t, w+".blinded15_id_from_ed", got, e.ID15FromEd)
		}
		kp15, err := id.Blind15KeyPair(server)
		if err != nil {
			t.Errorf("%s.blind15_key_pair: %v", w, err)
			continue
		}
		pub15, sec15, k15 := kp15.PublicKey(), kp15.SecretScalar(), kp15.Factor()
		eqHex(t, w+".blind15_key_pair.pubkey", pub15[:], e.KP15.Pub)
		eqHex(t, w+".blind15_key_pair.seckey", sec15[:], e.KP15.Sec)
		eqHex(t, w+".blind15_key_pair.k", k15[:], e.KP15.K)
		eqID(t, w+".blinded15_id_from_ed (key pair)", kp15.ID(), e.ID15FromEd)

		// blind25 IDs and key pair.
		if got, err := keys.Blind25ID(sid, server); err != nil {
			t.Errorf("%s.blind25_id: %v", w, err)
		} else {
			eqID(t, w+".blind25_id", got, e.ID25)
		}
		if got, err := keys.Blind25IDFromEd25519(id.Ed25519PublicKey(), server); err != nil {
			t.Errorf("%s.blinded25_id_from_ed: %v", w, err)
		} else {
			eqID(t, w+".blinded25_id_from_ed", got, e.ID25FromEd)
		}
		if e.ID25 != e.ID25FromEd {
			t.Errorf("%s: blind25_id %s and blinded25_id_from_ed %s differ", w, e.ID25, e.ID25FromEd)
		}
		kp25, err := id.Blind25KeyPair(server)
		if err != nil {
			t.Errorf("%s.blind25_key_pair: %v", w, err)
			continue
		}
		pub25, sec25, k25 := kp25.PublicKey(), kp25.SecretScalar(), kp25.Factor()
		eqHex(t, w+".blind25_key_pair.pubkey", pub25[:], e.KP25.Pub)
		eqHex(t, w+".blind25_key_pair.seckey", sec25[:], e.KP25.Sec)
		eqHex(t, w+".blind25_key_pair.k_prime", k25[:], e.KP25.KPrime)
		eqID(t, w+".blind25_id (key pair)", kp25.ID(), e.ID25)

		// Signatures.
		sig25 := kp25.Sign(msg)
		eqHex(t, w+".blind25_sign", sig25, e.Sign25)
		if ed25519.Verify(pub25[:], msg, sig25) != e.Verifies25 {
			t.Errorf("%s.blind25_sig_verifies_with_ed25519_verify: want %v", w, e.Verifies25)
		}
		sig15 := kp15.Sign(msg)
		if ed25519.Verify(pub15[:], msg, sig15) != e.Verifies15 {
			t.Errorf("%s.blind15_sig_verifies_with_ed25519_verify (ours): want %v", w, e.Verifies15)
		}
		if ed25519.Verify(pub15[:], msg, unhex(t, w, e.Sign15)) != e.Verifies15 {
			t.Errorf("%s.blind15_sign (recorded) verifies: want %v", w, e.Verifies15)
		}
		bonus.add(sig15, e.Sign15)
		repeat := bytes.Equal(kp15.Sign(msg), sig15) && bytes.Equal(kp25.Sign(msg), sig25)
		if repeat != e.Repeatable {
			t.Errorf("%s.signatures_repeatable: got %v, want %v", w, repeat, e.Repeatable)
		}

		// Ownership checks, from the recorded IDs.
		for _, c := range []struct {
			field string
			id    string
			want  bool
		}{
			{"session_id_matches_blinded_id_15", e.ID15FromEd, e.Matches15},
			{"session_id_matches_blinded_id_25", e.ID25, e.Matches25},
		} {
			b, ok := parseIDField(t, w+"."+c.field, c.id)
			if !ok {
				continue
			}
			got, err := keys.SessionIDOwnsBlindedID(sid, b, server)
			if err != nil || got != c.want {
				t.Errorf("%s.%s: got %v (%v), want %v", w, c.field, got, err, c.want)
			}
		}

		// Blinded direct messages.
		dmOK := len(e.BlindedDM) > 0
		for _, kind := range []string{"blind15", "blind25"} {
			c, present := e.BlindedDM[kind]
			if !present {
				continue
			}
			wd := w + ".blinded_dm." + kind
			if !checkBlindedDM(t, wd, id, server, kind, c) {
				dmOK = false
			}
		}
		if !dmOK {
			t.Errorf("%s.blinded_dm: missing or failed", w)
		}
		n++
	}
	bonus.log(t, "oracle/blinding.json blind15_sign", "libsession")

	for _, e := range f.Version {
		w := fmt.Sprintf("version_blinding[key_index %d]", e.KeyIndex)
		id := identityFrom(t, w, unhex(t, w, e.SK))
		if id == nil {
			continue
		}
		vk := id.VersionKey()
		eqHex(t, w+".blind_version_pubkey", vk.Public().(ed25519.PublicKey), e.PK)
		eqHex(t, w+".blind_version_seckey64", vk, e.SK64)
		eqHex(t, w+".blind_version_sign_ios", id.VersionSign(e.Timestamp, "ios"), e.IOS)
		eqHex(t, w+".blind_version_sign_android", id.VersionSign(e.Timestamp, "android"), e.Android)
		for name, r := range map[string]*versionRequest{"sign_request_post": e.Post, "sign_request_get_nobody": e.Get} {
			if r == nil {
				continue
			}
			var body []byte
			if r.Body != nil {
				body = unhex(t, w, *r.Body)
			}
			sig := id.VersionSignRequest(e.Timestamp, r.Method, r.Path, body)
			eqHex(t, w+"."+name+".sig", sig, r.Sig)
		}
		n++
	}
	return n
}

// checkBlindedDM checks one blinded_dm case: encryption with the tape
// replayed, decryption by the recipient, and decryption of the outgoing
// message by its sender.
func checkBlindedDM(t *testing.T, w string, sender *keys.Identity, server []byte, kind string, c blindedDMCase) bool {
	t.Helper()
	ok := true
	want := keys.PrefixBlind15
	if kind == "blind25" {
		want = keys.PrefixBlind25
	}
	from, okF := parseIDField(t, w+".sender_blinded_id", c.Sender)
	to, okT := parseIDField(t, w+".recipient_blinded_id", c.Recipient)
	if !okF || !okT {
		return false
	}
	if from.Prefix != want || to.Prefix != want {
		t.Errorf("%s: IDs %s, %s are not both %s", w, from, to, want)
		return false
	}
	recipient := identityFrom(t, w+".recipient_ed25519_secretkey", unhex(t, w, c.RecipSK))
	if recipient == nil {
		return false
	}
	// The recorded IDs are the two accounts' own blinded IDs.
	for _, o := range []struct {
		field string
		who   *keys.Identity
		id    keys.ID
	}{{"sender_blinded_id", sender, from}, {"recipient_blinded_id", recipient, to}} {
		var kp *keys.BlindedKeyPair
		var err error
		if want == keys.PrefixBlind15 {
			kp, err = o.who.Blind15KeyPair(server)
		} else {
			kp, err = o.who.Blind25KeyPair(server)
		}
		if err != nil || kp.ID() != o.id {
			t.Errorf("%s.%s: the account's own blinded ID differs (%v)", w, o.field, err)
			ok = false
		}
	}

	msg := unhex(t, w, c.Plaintext)
	tr := newTape(t, c.RNG)
	ct, err := sogstest.EncryptBlindedDM(tr, sender, server, to, msg)
	if err != nil {
		t.Errorf("%s: encrypt: %v", w, err)
		ok = false
	} else {
		if !eqHex(t, w+".ciphertext_hex", ct, c.Ciphertext) {
			ok = false
		}
		if !tr.done() {
			t.Errorf("%s.rng: %d of %d draws used", w, tr.next, len(tr.draws))
			ok = false
		}
	}

	recorded := unhex(t, w, c.Ciphertext)
	got, gotFrom, err := sogs.DecryptBlindedDM(recipient, server, from, to, recorded)
	if err != nil {
		t.Errorf("%s.decrypt_from_blinded_recipient: %v", w, err)
		ok = false
	} else {
		ok = eqHex(t, w+".decrypt_from_blinded_recipient.plaintext_hex", got, c.Decrypted.Plaintext) && ok
		ok = eqID(t, w+".decrypt_from_blinded_recipient.sender_session_id", gotFrom, c.Decrypted.SessionID) && ok
	}

	own, ownFrom, err := sogs.DecryptBlindedDM(sender, server, from, to, recorded)
	if (err == nil) != c.SenderCanDecrypt {
		t.Errorf("%s.sender_can_decrypt_own_outgoing: got error %v, want success %v", w, err, c.SenderCanDecrypt)
		ok = false
	} else if err == nil {
		ok = eqHex(t, w+".sender_can_decrypt_own_outgoing (plaintext)", own, c.Plaintext) && ok
		ok = eqID(t, w+".sender_can_decrypt_own_outgoing (sender)", ownFrom, sender.SessionID().String()) && ok
	}
	return ok
}
