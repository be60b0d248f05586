package fileserver

import "errors"

// Sentinel errors of the package.
var (
	// ErrConfig means the Config cannot work.
	ErrConfig = errors.New("fileserver: bad configuration")
	// ErrStorage means the files folder or the database failed.
	ErrStorage = errors.New("fileserver: storage")
)
