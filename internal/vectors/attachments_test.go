package vectors

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/session-go/session-go/internal/attachment"
)

// checkAttachmentsUpstream checks upstream/attachments.json (vectors README
// §4.6): the deterministic format's size for every plaintext size. For the
// smaller cases it also encrypts the test plaintext (byte i = i·7 mod 256)
// for real, measures the blob and decrypts it back; the large ones are
// left to the size formula to keep the run short.
func checkAttachmentsUpstream(t *testing.T, raw []byte) int {
	var f struct {
		Sizes struct {
			Cases []struct {
				Plaintext int64 `json:"plaintext_size"`
				Encrypted int64 `json:"encrypted_size"`
			} `json:"cases"`
		} `json:"v2_streaming_encrypted_sizes"`
	}
	decode(t, raw, &f)
	seed := bytes.Repeat([]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}, 4)
	n := 0
	for i, c := range f.Sizes.Cases {
		where := fmt.Sprintf("attachments.json: v2_streaming_encrypted_sizes.cases[%d] (plaintext_size %d)", i, c.Plaintext)
		if got := attachment.EncryptedSize(c.Plaintext); got != c.Encrypted {
			t.Errorf("%s: encrypted_size = %d, want %d", where, got, c.Encrypted)
			continue
		}
		if c.Plaintext <= 600_000 {
			data := make([]byte, c.Plaintext)
			for j := range data {
				data[j] = byte(j * 7)
			}
			blob, key, err := attachment.Encrypt(seed, attachment.DomainAttachment, data, false)
			if err != nil {
				t.Errorf("%s: encrypt: %v", where, err)
				continue
			}
			if int64(len(blob)) != c.Encrypted {
				t.Errorf("%s: real blob is %d bytes, want %d", where, len(blob), c.Encrypted)
				continue
			}
			back, err := attachment.Decrypt(blob, key[:])
			if err != nil || !bytes.Equal(back, data) {
				t.Errorf("%s: decrypt: %v", where, err)
				continue
			}
		}
		if c.Plaintext > attachment.MaxDeterministicSize {
			// Over the limit only with allow_large: refused without it.
			if _, _, err := attachment.Encrypt(seed, attachment.DomainAttachment, make([]byte, c.Plaintext), false); err == nil {
				t.Errorf("%s: encrypted without allow_large", where)
				continue
			}
		}
		n++
	}
	return n
}
