// Package onion implements Session's onion requests without doing any I/O:
// the per-hop encryption, the layer framing every service node parses, the
// client's request builder and reply decryption, and a node's view of one
// layer (peel it, then relay it, proxy it to a server, or answer it).
//
// # Wire format
//
// Every layer is framed the same way:
//
//	le32(N) ‖ N bytes of ciphertext ‖ a JSON object
//
// The JSON runs to the end of the buffer. On the outermost layer it says how
// the ciphertext was encrypted ("ephemeral_key", "enc_type"). Inside, after
// a node decrypts, it says where the request goes next: another node
// ("destination"), an HTTP server ("host", "target", ...), or this node
// itself ("headers").
//
// # Compatibility
//
// Key derivation, ciphers and framing follow libsession-util's onionreq and
// session-storage-server's onion processing byte for byte. JSON written by
// this package matches nlohmann::json's dump(): keys in byte order, no
// white space, non-ASCII UTF-8 written as is. With a recorded random tape
// ([Build] and [Layer.EncryptReply] read all their randomness from the given
// io.Reader, one read per value, in libsession's order) the output is
// identical to libsession's.
//
// # Secrets
//
// Ephemeral secret keys, derived layer keys and decrypted payloads never
// appear in errors. Errors quote only public routing values (keys, hosts,
// encryption type names), cut to a short length.
package onion
