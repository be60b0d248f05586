// Package vectors holds the test runner for Session's protocol test vectors
// (../shared/vectors by default, or $SESSION_VECTORS_DIR). It has no non-test
// code; see runner_test.go for the contract it implements.
package vectors
