// Package fileserver is a Session-compatible file server: the store of
// encrypted attachments that clients upload before sending the message
// that points to them.
//
// It speaks only onion requests: POST /oxen/v4/lsrpc with a layer
// encrypted to the server's own X25519 key, holding a v4 request (see
// package onion). Inside, the API is Session's file server's:
//
//	POST /file               raw body → {"id", "expires"}; X-FS-TTL: seconds
//	GET  /file/<id>          the bytes, or 404
//	GET  /file/<id>/info     {"size", "uploaded", "expires"}
//	POST /file/<id>/extend   renew (X-FS-TTL optional) → {"expires", "size"}
//
// Ids are content addresses as Session's: urlsafe base64 of BLAKE2b-33 of
// the bytes, salted "SessionFileSvr\0\0", so the same upload gets the same
// id and a re-upload extends it. Everything stored is ciphertext the
// clients made; the server never sees a key.
//
// # Storage
//
// Files live on disk under files/, written to tmp/ first, synced and
// renamed, so a crash leaves either the whole file or none; their metadata
// is in SQLite (fileserver.db). Start-up reconciles the two. A sweeper
// deletes expired files.
//
// # Limits
//
// A request body is capped at onion.MaxRequestSize and a file at
// Config.MaxFileSize (413 beyond it); the total stored is capped at
// Config.MaxTotalBytes (507 beyond it); at most Config.MaxInFlight requests
// are handled at once, and requests may hold at most Config.MaxBuffered
// bytes in memory together (503 beyond either). Downloads over xchacha20
// layers are encrypted while they are read from disk, so serving a file
// holds a few chunks in memory, not the file.
package fileserver
