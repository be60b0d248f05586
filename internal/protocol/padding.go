package protocol

// PaddingBlock is the block size that 1:1 (and community) message bodies are
// padded to.
const PaddingBlock = 160

// paddingTerminator is the byte that marks where padding starts.
const paddingTerminator = 0x80

// Pad returns a copy of msg followed by 0x80 and then zero bytes up to the
// next multiple of [PaddingBlock]. At least one byte is always added: a
// 159-byte message becomes 160 bytes, a 160-byte one 320.
//
// The padding hides the exact length of a message from anyone who sees only
// the ciphertext. Senders differ in the details (the Signal-derived padding
// code in Session Desktop stops one byte short of the multiple of 160; the
// newest libsession adds a whole extra block when the 0x80 lands on a block's
// last byte) and receivers accept all of them, since [Unpad] only looks at the
// trailing bytes.
func Pad(msg []byte) []byte {
	n := (len(msg)/PaddingBlock + 1) * PaddingBlock
	out := make([]byte, n)
	copy(out, msg)
	out[len(msg)] = paddingTerminator
	return out
}

// Unpad strips the padding that [Pad] adds and returns a subslice of padded.
//
// Like libsession's decoder it is tolerant, because no Session client
// enforces padding: it drops trailing zero bytes and then one 0x80, and stops
// as soon as it meets any other byte, in which case the message is taken to
// be unpadded and only the trailing zeros are removed. It never fails.
func Unpad(padded []byte) []byte {
	n := len(padded)
	for n > 0 {
		c := padded[n-1]
		if c != 0 && c != paddingTerminator {
			break
		}
		n--
		if c == paddingTerminator {
			break
		}
	}
	return padded[:n:n]
}
