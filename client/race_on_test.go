//go:build race

package client

// raceEnabled is set when the tests run under the race detector, which
// makes the crypto- and disk-bound flood tests several times slower
// without checking anything more of them.
const raceEnabled = true
