package vectors

import "testing"

// Stub: replaced by the real checkers.
func checkMnemonicUpstream(t *testing.T, raw []byte) int { return 0 }
