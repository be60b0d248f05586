package client_test

import (
	"context"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/session-go/session-go/client"
)

// An echo bot: it answers every message with the same text. On first start it
// creates its account and logs its Session ID; send it a message from any
// Session client on the same network.
func Example_echoBot() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The network file names the network's seed nodes: the one a local
	// devnet writes (`session devnet --detach` keeps it in
	// $TMPDIR/session-devnet/network.json, as the CLI's default), or
	// SESSION_NETWORK when set.
	network := os.Getenv("SESSION_NETWORK")
	if network == "" {
		network = filepath.Join(os.TempDir(), "session-devnet", "network.json")
	}
	bot, err := client.Open(ctx, client.Options{Home: "echo-bot", Network: network, CreateAccount: true, DisplayName: "Echo"})
	if err != nil {
		log.Fatal(err)
	}
	defer bot.Close()
	log.Println("echo bot:", bot.SessionID(), "on", network)
	// Say so when the network cannot be reached, and when it is back.
	bot.OnEvent(func(ev client.Event) {
		if cc, ok := ev.(client.ConnectionChanged); ok {
			if cc.Connected {
				log.Println("network reachable again")
			} else {
				log.Println("network unreachable, retrying:", cc.Err)
			}
		}
	})
	bot.OnMessage(func(m client.Message) {
		if _, err := bot.Send(ctx, m.From, m.Body); err != nil {
			log.Println("echo failed:", err)
		}
	})
	if err := bot.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
