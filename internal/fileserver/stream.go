package fileserver

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305"
)

const streamChunk = 64 << 10

// writeStreamReply writes the v4 reply {"code":200,"headers":…} + body as
// one XChaCha20-Poly1305 ciphertext (nonce ‖ ct ‖ tag, the onion reply
// format), reading the body from r as it goes: the AEAD is one pass of
// ChaCha20 and Poly1305 over the ciphertext, so it need not be held whole.
// The bytes are identical to encrypting the whole plaintext at once.
func writeStreamReply(w http.ResponseWriter, key []byte, headers map[string]string, r io.Reader, size int64) error {
	meta, err := json.Marshal(struct {
		Code    int               `json:"code"`
		Headers map[string]string `json:"headers"`
	}{http.StatusOK, headers})
	if err != nil {
		return err
	}
	prefix := []byte("l" + strconv.Itoa(len(meta)) + ":")
	prefix = append(prefix, meta...)
	prefix = append(prefix, strconv.FormatInt(size, 10)+":"...)
	ptLen := int64(len(prefix)) + size + 1 // the closing 'e'

	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	c, err := chacha20.NewUnauthenticatedCipher(key, nonce[:])
	if err != nil {
		return err
	}
	var polyKey [32]byte
	c.XORKeyStream(polyKey[:], polyKey[:])
	mac := poly1305.New(&polyKey)
	c.SetCounter(1)

	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(24+ptLen+16, 10))
	if _, err := w.Write(nonce[:]); err != nil {
		return err
	}
	emit := func(p []byte) error {
		c.XORKeyStream(p, p)
		mac.Write(p)
		_, err := w.Write(p)
		return err
	}
	if err := emit(prefix); err != nil {
		return err
	}
	buf := make([]byte, streamChunk)
	left := size
	for left > 0 {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), left)])
		if err != nil {
			// The length is already promised: the client sees a short
			// reply and fails it; nothing unauthenticated is accepted.
			return fmt.Errorf("reading the file: %w", err)
		}
		left -= int64(n)
		if err := emit(buf[:n]); err != nil {
			return err
		}
	}
	if err := emit([]byte{'e'}); err != nil {
		return err
	}
	var pad [16]byte
	mac.Write(pad[:(16-ptLen%16)%16])
	var lens [16]byte
	binary.LittleEndian.PutUint64(lens[8:], uint64(ptLen))
	mac.Write(lens[:])
	_, err = w.Write(mac.Sum(nil))
	return err
}
