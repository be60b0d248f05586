package store

import (
	"errors"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

var (
	// ErrQuotaExceeded reports a store that would take an owner past its
	// message count or byte quota.
	ErrQuotaExceeded = errors.New("store: owner quota exceeded")
	// ErrFull reports that the database reached its size limit.
	ErrFull = errors.New("store: database is full")
	// ErrInvalidMessage reports a message the store refuses to hold: an empty
	// or oversized hash, or data over MaxMessageSize.
	ErrInvalidMessage = errors.New("store: invalid message")
	// ErrInvalidArgument reports arguments that do not fit together, such as
	// a number of expiries that is neither one nor the number of hashes.
	ErrInvalidArgument = errors.New("store: invalid argument")
	// ErrHashConflict reports a hash already stored for another owner or
	// namespace. Since the hash commits to both, this means the caller passed
	// a hash that was not computed from the message.
	ErrHashConflict = errors.New("store: hash already stored for another owner or namespace")
	// ErrSchemaTooNew reports a database written by a newer version of this
	// package, whose schema this version does not know. It is
	// sqlmigrate.ErrSchemaTooNew, which does the check.
	ErrSchemaTooNew = sqlmigrate.ErrSchemaTooNew
	// ErrClosed reports a call on a closed Store.
	ErrClosed = errors.New("store: closed")
	// ErrCorrupt reports a failed integrity check.
	ErrCorrupt = errors.New("store: database integrity check failed")
)
