package attachment

import (
	"bytes"
	"fmt"
	"io"
	"math/bits"

	"github.com/session-go/session-go/internal/blake2param"
)

// Sizes of the deterministic ("S") format.
const (
	// KeySize is the size of a deterministic attachment key.
	KeySize = 32
	// HeaderSize is the secretstream header that follows the 'S' byte.
	HeaderSize = 24
	// ChunkSize is the plaintext carried by each full secretstream chunk.
	ChunkSize = 32768
	// ChunkOverhead is the tag byte and MAC added to every chunk.
	ChunkOverhead = streamABytes
	// MaxDeterministicSize is the largest plaintext libsession encrypts
	// without allow_large; it encrypts to exactly 10 223 616 bytes.
	MaxDeterministicSize = 10_218_286

	encryptedChunk = ChunkSize + ChunkOverhead
	typeByte       = 'S'
)

// Domain selects the personalisation of the key derivation: the same file
// yields different keys as an attachment and as a profile picture.
type Domain int

// The two domains libsession defines.
const (
	DomainAttachment Domain = iota
	DomainProfilePic
)

func (d Domain) personal() ([]byte, error) {
	switch d {
	case DomainAttachment:
		return []byte("SessionAttachmnt"), nil
	case DomainProfilePic:
		return []byte("Session_Prof_Pic"), nil
	}
	return nil, fmt.Errorf("%w: unknown domain %d", ErrKey, int(d))
}

// Padding returns how many bytes of padding (zeros then one 0x01, always at
// least one byte) precede n bytes of plaintext in the stream, as
// libsession's encrypted_padding: the blob is rounded up to a multiple of
// 1/32 of its power-of-two floor (at least 4 KiB), counting the chunk tags
// that the padding itself adds.
func Padding(n int64) int64 {
	const prefix = 1 + HeaderSize
	chunks := (n + ChunkSize - 1) / ChunkSize
	enc := n + prefix + 1 + chunks*ChunkOverhead
	factor := int64(1) << (63 - bits.LeadingZeros64(uint64(max(enc, 131072)))) >> 5
	padded := (enc + factor - 1) / factor * factor
	padding := padded - enc + 1
	var implicit int64
	if padding >= encryptedChunk {
		implicit = padding / encryptedChunk * ChunkOverhead
	}
	free := chunks*ChunkSize - n
	if padding%encryptedChunk > free {
		implicit += ChunkOverhead
	}
	return padding - implicit
}

// EncryptedSize returns the size of the deterministic blob for n bytes of
// plaintext.
func EncryptedSize(n int64) int64 {
	padded := n + Padding(n)
	return 1 + HeaderSize + padded + (padded+ChunkSize-1)/ChunkSize*ChunkOverhead
}

// DeriveKey returns the 24-byte stream header and the 32-byte key for
// plaintext read from r: BLAKE2b-56 of the plaintext keyed with the
// uploader's 32-byte seed and personalised by domain. It also returns the
// plaintext length.
func DeriveKey(seed []byte, d Domain, r io.Reader) (header [HeaderSize]byte, key [KeySize]byte, n int64, err error) {
	if len(seed) < 32 {
		return header, key, 0, fmt.Errorf("%w: the uploader seed must be 32 bytes, got %d", ErrKey, len(seed))
	}
	pers, err := d.personal()
	if err != nil {
		return header, key, 0, err
	}
	h := blake2param.New(HeaderSize+KeySize, seed[:32], nil, pers)
	n, err = io.Copy(h, r)
	if err != nil {
		return header, key, n, err
	}
	sum := h.Sum()
	copy(header[:], sum[:HeaderSize])
	copy(key[:], sum[HeaderSize:])
	clear(sum)
	return header, key, n, nil
}

// Encrypt encrypts data in memory in the deterministic format and returns
// the blob and its key. allowLarge lifts the [MaxDeterministicSize] limit
// as libsession's allow_large does.
func Encrypt(seed []byte, d Domain, data []byte, allowLarge bool) (blob []byte, key [KeySize]byte, err error) {
	var buf bytes.Buffer
	buf.Grow(int(EncryptedSize(int64(len(data)))))
	key, err = EncryptStream(&buf, bytes.NewReader(data), seed, d, allowLarge)
	if err != nil {
		return nil, key, err
	}
	return buf.Bytes(), key, nil
}

// EncryptStream reads the plaintext from src twice (once to derive the key,
// once to encrypt: hence the Seeker) and writes the deterministic blob to
// dst, holding one 32 KiB chunk in memory at a time. It returns the key
// that the receiver needs.
func EncryptStream(dst io.Writer, src io.ReadSeeker, seed []byte, d Domain, allowLarge bool) (key [KeySize]byte, err error) {
	start, err := src.Seek(0, io.SeekCurrent)
	if err != nil {
		return key, err
	}
	header, key, n, err := DeriveKey(seed, d, src)
	if err != nil {
		return key, err
	}
	if n > MaxDeterministicSize && !allowLarge {
		return key, fmt.Errorf("%w: %d bytes is over %d", ErrTooLarge, n, MaxDeterministicSize)
	}
	if _, err := src.Seek(start, io.SeekStart); err != nil {
		return key, err
	}
	var st secretstream
	st.init(key[:], header[:])
	out := make([]byte, 0, encryptedChunk)
	out = append(out, typeByte)
	out = append(out, header[:]...)
	if _, err := dst.Write(out); err != nil {
		return key, err
	}
	pad := Padding(n)
	left := n // plaintext bytes still to read
	chunk := make([]byte, ChunkSize)
	for {
		fill := 0
		if pad > 0 {
			p := min(pad, ChunkSize)
			clear(chunk[:p])
			pad -= p
			fill = int(p)
			if pad == 0 {
				chunk[fill-1] = 0x01
			}
		}
		if pad == 0 && fill < ChunkSize && left > 0 {
			want := int(min(int64(ChunkSize-fill), left))
			if _, err := io.ReadFull(src, chunk[fill:fill+want]); err != nil {
				return key, fmt.Errorf("attachment: plaintext changed while encrypting: %w", err)
			}
			fill += want
			left -= int64(want)
		}
		tag := byte(tagMessage)
		final := pad == 0 && left == 0
		if final {
			tag = tagFinal
		}
		out = st.push(out[:0], chunk[:fill], tag)
		if _, err := dst.Write(out); err != nil {
			return key, err
		}
		if final {
			clear(chunk)
			return key, nil
		}
	}
}

// DecryptedMaxSize returns an upper bound on the plaintext inside a
// deterministic blob of encSize bytes, or false if no blob is that short.
func DecryptedMaxSize(encSize int64) (int64, bool) {
	sz := encSize - 1 - 1 - HeaderSize
	if sz < ChunkOverhead {
		return 0, false
	}
	sz -= (sz + encryptedChunk - 1) / encryptedChunk * ChunkOverhead
	if sz < 0 {
		return 0, false
	}
	return sz, true
}

// Decrypt decrypts a deterministic blob held in memory.
func Decrypt(blob []byte, key []byte) ([]byte, error) {
	var out bytes.Buffer
	if m, ok := DecryptedMaxSize(int64(len(blob))); ok {
		out.Grow(int(m))
	}
	dec, err := NewDecryptor(&out, key)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Write(blob); err != nil {
		return nil, err
	}
	if err := dec.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Decryptor decrypts a deterministic blob written to it in pieces of any
// size, passing on plaintext only from chunks whose MAC verified. Close
// reports a stream that ended early. After any error every further call
// returns the same error.
type Decryptor struct {
	w        io.Writer
	key      [KeySize]byte
	st       secretstream
	buf      []byte // a partial header or chunk
	out      []byte
	header   bool
	depadded bool
	final    bool
	err      error
}

// NewDecryptor returns a Decryptor that writes plaintext to w.
func NewDecryptor(w io.Writer, key []byte) (*Decryptor, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: a deterministic key is %d bytes, got %d", ErrKey, KeySize, len(key))
	}
	d := &Decryptor{w: w, buf: make([]byte, 0, encryptedChunk), out: make([]byte, ChunkSize)}
	copy(d.key[:], key)
	return d, nil
}

// Write consumes the next bytes of the blob.
func (d *Decryptor) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 && d.err == nil {
		want := encryptedChunk
		if !d.header {
			want = 1 + HeaderSize
		}
		c := min(want-len(d.buf), len(p))
		d.buf = append(d.buf, p[:c]...)
		p = p[c:]
		if len(d.buf) < want {
			break
		}
		if !d.header {
			d.processHeader()
		} else {
			d.processChunk()
		}
		d.buf = d.buf[:0]
	}
	if d.err != nil {
		return 0, d.err
	}
	return total, nil
}

// Close finishes the stream: it decrypts the last partial chunk and fails
// unless the stream ended with its FINAL tag.
func (d *Decryptor) Close() error {
	if d.err != nil {
		return d.err
	}
	if !d.header {
		d.err = fmt.Errorf("%w: %d bytes is too short for a header", ErrMalformed, len(d.buf))
		return d.err
	}
	if len(d.buf) > 0 {
		d.processChunk()
		d.buf = d.buf[:0]
	}
	if d.err == nil && !d.final {
		d.err = fmt.Errorf("%w: the stream ends without its final chunk", ErrAuth)
	}
	clear(d.key[:])
	clear(d.st.k[:])
	return d.err
}

func (d *Decryptor) processHeader() {
	if d.buf[0] != typeByte {
		d.err = fmt.Errorf("%w: unknown encryption type 0x%02x, want 0x53 ('S')", ErrMalformed, d.buf[0])
		return
	}
	d.st.init(d.key[:], d.buf[1:1+HeaderSize])
	d.header = true
}

func (d *Decryptor) processChunk() {
	if d.final {
		d.err = fmt.Errorf("%w: data after the final chunk", ErrAuth)
		return
	}
	if len(d.buf) < ChunkOverhead {
		d.err = fmt.Errorf("%w: a %d-byte chunk is shorter than its tag", ErrAuth, len(d.buf))
		return
	}
	tag, ok := d.st.pull(d.out, d.buf)
	if !ok {
		d.err = fmt.Errorf("%w: chunk failed its MAC (tampered, truncated or wrong key)", ErrAuth)
		return
	}
	if tag == tagFinal {
		d.final = true
	} else if tag != tagMessage {
		d.err = fmt.Errorf("%w: unexpected stream tag 0x%02x", ErrMalformed, tag)
		return
	}
	pt := d.out[:len(d.buf)-ChunkOverhead]
	if !d.depadded {
		i := indexNonZero(pt)
		if i < 0 {
			if d.final {
				d.err = fmt.Errorf("%w: the stream holds only padding", ErrMalformed)
			}
			return
		}
		if pt[i] != 0x01 {
			d.err = fmt.Errorf("%w: padding ends in 0x%02x, want 0x01", ErrMalformed, pt[i])
			return
		}
		d.depadded = true
		pt = pt[i+1:]
	}
	if len(pt) > 0 {
		if _, err := d.w.Write(pt); err != nil {
			d.err = err
		}
	}
}

func indexNonZero(b []byte) int {
	for i, c := range b {
		if c != 0 {
			return i
		}
	}
	return -1
}
