package vectors

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
)

// upstreamEncrypt is upstream/encrypt.json (README §4.3).
type upstreamEncrypt struct {
	Deterministic []struct {
		SenderSeed         string `json:"sender_seed"`
		SenderEd25519PK    string `json:"sender_ed25519_pk"`
		RecipientSessionID string `json:"recipient_session_id"`
		RecipientSeed      string `json:"recipient_seed"`
		PlaintextUTF8      string `json:"plaintext_utf8"`
		Ciphertext         string `json:"ciphertext"`
	} `json:"session_protocol_v1_deterministic"`
	ONS []struct {
		Name       string `json:"name"`
		Ciphertext string `json:"ciphertext"`
		Nonce      string `json:"nonce"`
		SessionID  string `json:"session_id"`
	} `json:"ons_decrypt"`
	Push []struct {
		EncKey        string `json:"enc_key"`
		Payload       string `json:"payload"`
		PlaintextUTF8 string `json:"plaintext_utf8"`
	} `json:"push_notification_decrypt"`
	Multi []struct {
		Domain         string       `json:"domain"`
		Nonce          string       `json:"nonce"`
		SenderSeed     string       `json:"sender_seed"`
		RecipientSeeds []string     `json:"recipient_seeds"`
		Single         *multiSingle `json:"single_message"`
		PerRecipient   *multiPer    `json:"per_recipient_messages"`
	} `json:"multi_encrypt"`
}

// multiSingle is one plaintext encrypted for every recipient.
type multiSingle struct {
	PlaintextUTF8 string   `json:"plaintext_utf8"`
	Ciphertexts   []string `json:"ciphertexts"`
}

// multiPer is one plaintext per recipient.
type multiPer struct {
	PlaintextsUTF8 []string `json:"plaintexts_utf8"`
	Ciphertexts    []string `json:"ciphertexts"`
}

// identityFromHex builds an account from a hex seed (16 or 32 bytes) or a
// 64-byte libsodium secret key.
func identityFromHex(t *testing.T, where, s string) *keys.Identity {
	t.Helper()
	b := unhex(t, where, s)
	var id *keys.Identity
	var err error
	if len(b) == keys.SecretKeySize {
		id, err = keys.NewIdentityFromSecretKey(b)
	} else {
		id, err = keys.NewIdentity(b)
	}
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return id
}

func checkEncryptUpstream(t *testing.T, raw []byte) int {
	var f upstreamEncrypt
	decode(t, raw, &f)
	n := 0

	for i, v := range f.Deterministic {
		where := fmt.Sprintf("session_protocol_v1_deterministic[%d]", i)
		sender := identityFromHex(t, where+".sender_seed", v.SenderSeed)
		recipient := identityFromHex(t, where+".recipient_seed", v.RecipientSeed)
		eqHex(t, where+".sender_ed25519_pk", sender.Ed25519PublicKey(), v.SenderEd25519PK)
		rid, err := keys.ParseSessionID(v.RecipientSessionID)
		if err != nil {
			t.Errorf("%s.recipient_session_id: %v", where, err)
			continue
		}
		if rid != recipient.SessionID() {
			t.Errorf("%s.recipient_session_id: recipient_seed gives %s", where, recipient.SessionID())
		}
		ct, err := protocol.EncryptForRecipientDeterministic(sender, rid, []byte(v.PlaintextUTF8))
		if err != nil {
			t.Errorf("%s.ciphertext: %v", where, err)
		} else {
			eqHex(t, where+".ciphertext", ct, v.Ciphertext)
		}
		checkOpened(t, where+" decrypt", recipient, unhex(t, where+".ciphertext", v.Ciphertext),
			[]byte(v.PlaintextUTF8), v.SenderEd25519PK, sender.SessionID().String())
		n++
	}

	for i, v := range f.ONS {
		where := fmt.Sprintf("ons_decrypt[%d]", i)
		id, err := protocol.DecryptONS(v.Name, unhex(t, where+".ciphertext", v.Ciphertext), unhex(t, where+".nonce", v.Nonce))
		if err != nil {
			t.Errorf("%s: %v", where, err)
		} else if id.String() != v.SessionID {
			t.Errorf("%s.session_id: got %s, want %s", where, id, v.SessionID)
		}
		n++
	}

	for i, v := range f.Push {
		where := fmt.Sprintf("push_notification_decrypt[%d]", i)
		pt, err := protocol.DecryptPushNotification(unhex(t, where+".enc_key", v.EncKey), unhex(t, where+".payload", v.Payload))
		if err != nil {
			t.Errorf("%s: %v", where, err)
		} else if string(pt) != v.PlaintextUTF8 {
			t.Errorf("%s.plaintext_utf8: got %q, want %q", where, pt, v.PlaintextUTF8)
		}
		n++
	}

	for i, v := range f.Multi {
		where := fmt.Sprintf("multi_encrypt[%d]", i)
		if checkMulti(t, where, v.Domain, v.Nonce, v.SenderSeed, v.RecipientSeeds, v.Single, v.PerRecipient) {
			n++
		}
	}
	return n
}

// multiOutsider is the account that upstream's test leaves out of the
// recipients and that must therefore fail to decrypt (README §4.3).
const multiOutsider = "0123456789abcdef333333333333333300000000000000000000000000000000"

// checkMulti checks one multi_encrypt entry and reports whether every part
// it carries was present to check.
func checkMulti(t *testing.T, where, domain, nonceHex, senderSeed string, recipientSeeds []string, single *multiSingle, per *multiPer) bool {
	t.Helper()
	var nonce [24]byte
	if b := unhex(t, where+".nonce", nonceHex); len(b) != len(nonce) {
		t.Errorf("%s.nonce: %d bytes", where, len(b))
		return false
	} else {
		copy(nonce[:], b)
	}
	sender := identityFromHex(t, where+".sender_seed", senderSeed)
	sPriv, sPub := sender.X25519PrivateKey(), sender.X25519PublicKey()
	var recips []*keys.Identity
	var pubs [][32]byte
	for j, s := range recipientSeeds {
		r := identityFromHex(t, fmt.Sprintf("%s.recipient_seeds[%d]", where, j), s)
		recips = append(recips, r)
		pubs = append(pubs, r.X25519PublicKey())
	}
	outsider := identityFromHex(t, where+" outsider", multiOutsider)
	if single == nil || per == nil || len(recips) == 0 {
		t.Errorf("%s: single_message, per_recipient_messages or recipient_seeds missing", where)
		return false
	}

	type variant struct {
		name       string
		plaintexts []string
		want       []string
	}
	for _, vr := range []variant{
		{"single_message", []string{single.PlaintextUTF8}, single.Ciphertexts},
		{"per_recipient_messages", per.PlaintextsUTF8, per.Ciphertexts},
	} {
		w := where + "." + vr.name
		if len(vr.want) != len(recips) {
			t.Errorf("%s.ciphertexts: %d for %d recipients", w, len(vr.want), len(recips))
			continue
		}
		msgs := make([][]byte, len(vr.plaintexts))
		for j, p := range vr.plaintexts {
			msgs[j] = []byte(p)
		}
		got, err := protocol.EncryptForMultiple(msgs, pubs, nonce, sPriv, sPub, domain)
		if err != nil {
			t.Errorf("%s: encrypt: %v", w, err)
			continue
		}
		cts := make([][]byte, len(vr.want))
		for j := range vr.want {
			cts[j] = unhex(t, fmt.Sprintf("%s.ciphertexts[%d]", w, j), vr.want[j])
			eqHex(t, fmt.Sprintf("%s.ciphertexts[%d]", w, j), got[j], vr.want[j])
		}
		for j, r := range recips {
			want := vr.plaintexts[0]
			if len(vr.plaintexts) > 1 {
				want = vr.plaintexts[j]
			}
			pt, err := protocol.DecryptForMultiple(cts, nonce, r.X25519PrivateKey(), r.X25519PublicKey(), sPub, domain)
			if err != nil {
				t.Errorf("%s: recipient %d: decrypt: %v", w, j, err)
			} else if string(pt) != want {
				t.Errorf("%s: recipient %d: decrypted %q, want %q", w, j, pt, want)
			}
			if _, err := protocol.DecryptForMultiple(cts, nonce, r.X25519PrivateKey(), r.X25519PublicKey(), sPub, "not "+domain); !errors.Is(err, protocol.ErrDecrypt) {
				t.Errorf("%s: recipient %d decrypted with the wrong domain (err %v)", w, j, err)
			}
		}
		if _, err := protocol.DecryptForMultiple(cts, nonce, outsider.X25519PrivateKey(), outsider.X25519PublicKey(), sPub, domain); !errors.Is(err, protocol.ErrDecrypt) {
			t.Errorf("%s: a non-recipient decrypted (err %v)", w, err)
		}
	}
	return true
}

// checkOpened decrypts ct as recipient and compares the result.
func checkOpened(t *testing.T, where string, recipient *keys.Identity, ct, wantPlain []byte, wantEd, wantID string) {
	t.Helper()
	o, err := protocol.Decrypt(recipient, ct)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if !bytes.Equal(o.Plaintext, wantPlain) {
		t.Errorf("%s: plaintext: got %x, want %x", where, o.Plaintext, wantPlain)
	}
	eqHex(t, where+": sender_ed25519_pubkey", o.SenderEd25519, wantEd)
	if o.Sender.String() != wantID {
		t.Errorf("%s: sender_session_id: got %s, want %s", where, o.Sender, wantID)
	}
}

// oracleEncrypt is oracle/encrypt.json (README §4.11).
type oracleEncrypt struct {
	Vectors []struct {
		Index                 int    `json:"index"`
		SenderSecretKey       string `json:"sender_ed25519_secretkey"`
		SenderPubKey          string `json:"sender_ed25519_pubkey"`
		SenderSessionID       string `json:"sender_session_id"`
		RecipientSecretKey    string `json:"recipient_ed25519_secretkey"`
		RecipientSessionID    string `json:"recipient_session_id"`
		PlaintextHex          string `json:"plaintext_hex"`
		SignedInnerHex        string `json:"signed_inner_hex"`
		CiphertextDetHex      string `json:"ciphertext_deterministic_hex"`
		SameForSeedUnprefixed *bool  `json:"ciphertext_deterministic_same_for_seed32_and_unprefixed_pk"`
		CiphertextRandomHex   string `json:"ciphertext_random_hex"`
		CiphertextRandomRNG   tape   `json:"ciphertext_random_rng"`
		DecryptIncoming       struct {
			PlaintextHex    string `json:"plaintext_hex"`
			SenderPubKey    string `json:"sender_ed25519_pubkey"`
			SenderSessionID string `json:"sender_session_id"`
		} `json:"decrypt_incoming"`
	} `json:"vectors"`
}

func checkEncryptOracle(t *testing.T, raw []byte) int {
	var f oracleEncrypt
	decode(t, raw, &f)
	n := 0
	for i, v := range f.Vectors {
		where := fmt.Sprintf("vectors[%d] (index %d)", i, v.Index)
		sender := identityFromHex(t, where+".sender_ed25519_secretkey", v.SenderSecretKey)
		recipient := identityFromHex(t, where+".recipient_ed25519_secretkey", v.RecipientSecretKey)
		eqHex(t, where+".sender_ed25519_pubkey", sender.Ed25519PublicKey(), v.SenderPubKey)
		if got := sender.SessionID().String(); got != v.SenderSessionID {
			t.Errorf("%s.sender_session_id: got %s, want %s", where, got, v.SenderSessionID)
		}
		rid, err := keys.ParseSessionID(v.RecipientSessionID)
		if err != nil {
			t.Errorf("%s.recipient_session_id: %v", where, err)
			continue
		}
		if rid != recipient.SessionID() {
			t.Errorf("%s.recipient_session_id: the recipient key gives %s", where, recipient.SessionID())
		}
		msg := unhex(t, where+".plaintext_hex", v.PlaintextHex)

		// 1. sign_for_recipient
		if inner, err := protocol.SignForRecipient(sender, rid, msg); err != nil {
			t.Errorf("%s.signed_inner_hex: %v", where, err)
		} else {
			eqHex(t, where+".signed_inner_hex", inner, v.SignedInnerHex)
		}

		// 2. deterministic encryption, from the 64-byte key and from the seed.
		if ct, err := protocol.EncryptForRecipientDeterministic(sender, rid, msg); err != nil {
			t.Errorf("%s.ciphertext_deterministic_hex: %v", where, err)
		} else {
			eqHex(t, where+".ciphertext_deterministic_hex", ct, v.CiphertextDetHex)
		}
		if v.SameForSeedUnprefixed != nil && *v.SameForSeedUnprefixed {
			seed := unhex(t, where+".sender_ed25519_secretkey", v.SenderSecretKey)[:keys.SeedSize]
			fromSeed := identityFromHex(t, where+" seed32", hex.EncodeToString(seed))
			// An unprefixed key is the same ID: the API takes the 32-byte key with prefix 05.
			unprefixed := keys.ID{Prefix: keys.PrefixStandard}
			copy(unprefixed.Key[:], unhex(t, where+".recipient_session_id", v.RecipientSessionID)[1:])
			if ct, err := protocol.EncryptForRecipientDeterministic(fromSeed, unprefixed, msg); err != nil {
				t.Errorf("%s.ciphertext_deterministic_same_for_seed32_and_unprefixed_pk: %v", where, err)
			} else {
				eqHex(t, where+".ciphertext_deterministic_same_for_seed32_and_unprefixed_pk", ct, v.CiphertextDetHex)
			}
		}

		// 3. decryption with the Ed25519 identity and with the X25519 key pair.
		want := unhex(t, where+".decrypt_incoming.plaintext_hex", v.DecryptIncoming.PlaintextHex)
		det := unhex(t, where+".ciphertext_deterministic_hex", v.CiphertextDetHex)
		checkOpened(t, where+".decrypt_incoming", recipient, det, want, v.DecryptIncoming.SenderPubKey, v.DecryptIncoming.SenderSessionID)
		priv, pub := recipient.X25519PrivateKey(), recipient.X25519PublicKey()
		if o, err := protocol.DecryptX25519(&priv, &pub, det); err != nil {
			t.Errorf("%s.decrypt_incoming (x25519 key pair): %v", where, err)
		} else {
			if !bytes.Equal(o.Plaintext, want) {
				t.Errorf("%s.decrypt_incoming (x25519 key pair): plaintext %x, want %x", where, o.Plaintext, want)
			}
			eqHex(t, where+".decrypt_incoming.sender_ed25519_pubkey (x25519 key pair)", o.SenderEd25519, v.DecryptIncoming.SenderPubKey)
			if o.Sender.String() != v.DecryptIncoming.SenderSessionID {
				t.Errorf("%s.decrypt_incoming.sender_session_id (x25519 key pair): got %s", where, o.Sender)
			}
		}

		// 4. the sealed box with the recorded randomness replayed.
		tp := newTape(t, v.CiphertextRandomRNG)
		if ct, err := protocol.EncryptForRecipientWithRand(tp, sender, rid, msg); err != nil {
			t.Errorf("%s.ciphertext_random_hex: %v", where, err)
		} else {
			eqHex(t, where+".ciphertext_random_hex", ct, v.CiphertextRandomHex)
		}
		if !tp.done() {
			t.Errorf("%s.ciphertext_random_rng: %d of %d draws used", where, tp.next, len(tp.draws))
		}
		random := unhex(t, where+".ciphertext_random_hex", v.CiphertextRandomHex)
		checkOpened(t, where+".ciphertext_random_hex decrypt", recipient, random, want, v.DecryptIncoming.SenderPubKey, v.DecryptIncoming.SenderSessionID)
		n++
	}
	return n
}
