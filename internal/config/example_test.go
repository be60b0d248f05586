package config_test

import (
	"fmt"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// Two devices of one account: the first sets the display name and pushes it,
// the second merges what it retrieves from namespace 2.
func Example() {
	id, err := keys.NewIdentity(make([]byte, 16)) // the account's recovery seed
	if err != nil {
		panic(err)
	}
	phone, _ := config.NewUserProfile(id, nil)
	laptop, _ := config.NewUserProfile(id, nil)

	phone.SetName("Alice")
	p, err := phone.Push()
	if err != nil {
		panic(err)
	}
	// Store p.Data in namespace 2 of the account's swarm, deleting
	// p.Obsolete in the same request; the server answers with a hash.
	phone.ConfirmPushed(p.Seqno, "hash-from-server")

	accepted := laptop.Merge([]config.Received{{Hash: "hash-from-server", Data: p.Data}})
	fmt.Println(accepted, laptop.Name(), laptop.Seqno(), laptop.NeedsPush())
	// Output: [hash-from-server] Alice 1 false
}
