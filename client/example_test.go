package client_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	"github.com/session-go/session-go/client"
)

// An echo bot: it answers every message with the same text. On first start it
// creates its account and logs its Session ID; send it a message from any
// Session client on the same network.
func Example_echoBot() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	bot, err := client.Open(ctx, client.Options{Home: "echo-bot", Network: "network.json", CreateAccount: true, DisplayName: "Echo"})
	if err != nil {
		log.Fatal(err)
	}
	defer bot.Close()
	log.Println("echo bot:", bot.SessionID())
	bot.OnMessage(func(m client.Message) {
		if _, err := bot.Send(ctx, m.From, m.Body); err != nil {
			log.Println("echo failed:", err)
		}
	})
	if err := bot.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
