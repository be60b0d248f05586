// Command snode is the session-go service node. Today it only reports its
// version; storage RPC, onion relay and the devnet land with the service-node work.
package main

import (
	"fmt"
	"os"

	"github.com/session-go/session-go/internal/buildinfo"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println("snode", buildinfo.Version())
		return
	}
	fmt.Fprintln(os.Stderr, "usage: snode --version (run and devnet are not implemented yet)")
	os.Exit(2)
}
