// Package hygiene holds repository-wide checks that run with the tests:
// every Go file is gofmt-formatted, every package has a doc comment, and
// every exported name is documented. It has no non-test code.
package hygiene
