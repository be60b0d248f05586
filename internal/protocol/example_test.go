package protocol_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"google.golang.org/protobuf/proto"
)

func Example() {
	alice, _ := keys.NewIdentity(bytes.Repeat([]byte{1}, 16))
	bob, _ := keys.NewIdentity(bytes.Repeat([]byte{2}, 16))

	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{Body: proto.String("hi Bob")}}
	data, err := protocol.EncodeMessage(alice, bob.SessionID(), content, time.UnixMilli(1700000000000))
	if err != nil {
		panic(err)
	}
	// data is what goes, base64-encoded, into a store request on Bob's swarm.

	msg, err := protocol.DecodeMessage(bob, data)
	if err != nil {
		panic(err)
	}
	fmt.Println(msg.Content.GetDataMessage().GetBody())
	fmt.Println(msg.Sender == alice.SessionID(), msg.SentAt.UnixMilli())
	// Output:
	// hi Bob
	// true 1700000000000
}
