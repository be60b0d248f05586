package swarm

import "errors"

// ErrInvalidID reports text that is not a swarm ID in hexadecimal.
var ErrInvalidID = errors.New("swarm: invalid swarm ID")
