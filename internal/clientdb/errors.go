package clientdb

import (
	"errors"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

var (
	// ErrWrongKey reports a database file that the key does not decrypt: the
	// wrong key or passphrase, or a file that is not an encrypted clientdb
	// database at all (a plaintext SQLite file, say).
	ErrWrongKey = errors.New("clientdb: wrong key, or not an encrypted database")
	// ErrInvalidKey reports a database key of the wrong size, or a key file
	// holding one.
	ErrInvalidKey = errors.New("clientdb: invalid database key")
	// ErrInsecureKeyFile reports a key file that users other than its owner
	// may read or write.
	ErrInsecureKeyFile = errors.New("clientdb: key file is accessible to other users")
	// ErrSchemaTooNew reports a database written by a newer version of this
	// package, whose schema this version does not know. It is
	// sqlmigrate.ErrSchemaTooNew, which does the check.
	ErrSchemaTooNew = sqlmigrate.ErrSchemaTooNew
	// ErrNoAccount reports a database that holds no account yet.
	ErrNoAccount = errors.New("clientdb: no account")
	// ErrAccountExists reports an attempt to store a different seed in a
	// database that already holds an account.
	ErrAccountExists = errors.New("clientdb: database already holds another account")
	// ErrNotFound reports a contact, conversation, message or key/value entry
	// that does not exist.
	ErrNotFound = errors.New("clientdb: not found")
	// ErrNotRequest reports accepting or declining a conversation that is not
	// a message request.
	ErrNotRequest = errors.New("clientdb: conversation is not a message request")
	// ErrDuplicate reports an outgoing message with the same conversation,
	// sender and sent timestamp as one already stored.
	ErrDuplicate = errors.New("clientdb: duplicate message")
	// ErrStatusChange reports a status change that the message's current
	// status does not allow, such as failing a message already sent.
	ErrStatusChange = errors.New("clientdb: message status cannot change that way")
	// ErrBodyTooLong reports a message body over MaxBodyBytes.
	ErrBodyTooLong = errors.New("clientdb: message body too long")
	// ErrNameTooLong reports a display name or nickname over MaxNameBytes.
	ErrNameTooLong = errors.New("clientdb: name too long")
	// ErrInvalidArgument reports any other input this package refuses: a
	// malformed ID, seed, hash or timestamp, text that is not UTF-8, an empty
	// key, an oversized value.
	ErrInvalidArgument = errors.New("clientdb: invalid argument")
)
