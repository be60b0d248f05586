package vectors

import "testing"

// Stub: replaced by the real checkers.
func checkBlindingUpstream(t *testing.T, raw []byte) int { return 0 }
func checkBlindingOracle(t *testing.T, raw []byte) int   { return 0 }
