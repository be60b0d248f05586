package webapp

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/netview"
)

// echoFile, in the local network's directory, names the Echo bot's Session
// ID for the other apps that join the network.
const echoFile = "echo.json"

// echoHome is the Echo bot's account directory inside the network's directory.
const echoHome = "echo-bot"

// localNet is the local test network: a devnet on 127.0.0.1 that this app
// started (and stops), or one another app started and this one joined.
type localNet struct {
	dir         string
	networkFile string
	echoID      string

	dn     *devnet.Net // set when this app started the network
	cancel context.CancelFunc
	wg     sync.WaitGroup // the Echo bot's Run (which closes the bot last)
}

func localNetworkFile(dir string) string { return filepath.Join(dir, "network.json") }

// sameFile compares two paths after making them absolute.
func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// startLocalNet joins the local test network in cfg.DevnetDir when its
// nodes answer, or starts it. The app that starts it also runs the Echo bot.
func startLocalNet(ctx context.Context, cfg Config, log *slog.Logger) (*localNet, error) {
	if cfg.DevnetDir == "" {
		return nil, errors.New("no network given and no local test network directory")
	}
	dir, err := filepath.Abs(cfg.DevnetDir)
	if err != nil {
		return nil, err
	}
	ln := &localNet{dir: dir, networkFile: localNetworkFile(dir)}
	if seedsAnswer(ctx, ln.networkFile) {
		return ln.join(ctx, cfg, log)
	}
	if len(cfg.NodeCommand) == 0 {
		return nil, errors.New("no service-node command to start the local test network with")
	}
	log.Info("starting the local test network", "dir", dir, "nodes", cfg.DevnetNodes)
	devcfg := devnet.Config{
		Nodes: cfg.DevnetNodes, Dir: dir, Binary: cfg.NodeCommand[0], PrefixArgs: cfg.NodeCommand[1:],
		Logger: log.With("part", "devnet"), ExtraArgs: []string{"--log-level", "warn"},
	}
	dn, err := devnet.Start(ctx, devcfg)
	// Another app (or `session devnet`) holds the directory: it is starting
	// the network (then join it once it answers) or stopping it (then start
	// it once the lock is free).
	deadline := time.Now().Add(2 * time.Minute)
	for errors.Is(err, devnet.ErrInUse) {
		if seedsAnswer(ctx, ln.networkFile) {
			return ln.join(ctx, cfg, log)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("the local test network in %s is in use but does not answer: %w", dir, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
		if _, held := devnet.LockHolder(dir); !held {
			dn, err = devnet.Start(ctx, devcfg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting the local test network: %w", err)
	}
	ln.dn = dn
	if err := ln.runEcho(cfg, log); err != nil {
		log.Warn("Echo bot not started", "err", err)
	}
	return ln, nil
}

// join uses the running local network. The app that started it runs Echo
// and names it in echo.json, written just after the nodes answer; a plain
// `session devnet` has no Echo, so this app then runs it.
func (ln *localNet) join(ctx context.Context, cfg Config, log *slog.Logger) (*localNet, error) {
	log.Info("joining the local test network", "dir", ln.dir)
	for range 12 {
		if ln.echoID = readEchoID(ln.dir); ln.echoID != "" || ctx.Err() != nil {
			return ln, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
	if err := ln.runEcho(cfg, log); err != nil {
		log.Warn("Echo bot not started", "err", err)
	}
	return ln, nil
}

func readEchoID(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, echoFile))
	if err != nil {
		return ""
	}
	var e struct {
		SessionID string `json:"session_id"`
	}
	if json.Unmarshal(b, &e) != nil || !validID(e.SessionID) {
		return ""
	}
	return e.SessionID
}

// runEcho runs the Echo bot: an account of its own that answers every
// message with the same text, so a newcomer alone can try the whole flow.
func (ln *localNet) runEcho(cfg Config, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(context.Background())
	bot, err := client.Open(ctx, client.Options{
		Home: filepath.Join(ln.dir, echoHome), Network: ln.networkFile, CreateAccount: true,
		DisplayName: "Echo", Logger: log.With("part", "echo"), SOCKS5: cfg.SOCKS5,
	})
	if err != nil {
		cancel()
		return err
	}
	ln.cancel = cancel
	ln.echoID = bot.SessionID()
	b, _ := json.Marshal(map[string]string{"session_id": ln.echoID})
	if err := os.WriteFile(filepath.Join(ln.dir, echoFile), b, 0o644); err != nil {
		log.Warn("Echo bot's ID not written", "err", err)
	}
	var answers sync.WaitGroup
	bot.OnMessage(func(m client.Message) {
		answers.Go(func() {
			if _, err := bot.Send(ctx, m.From, m.Body); err != nil && ctx.Err() == nil {
				log.Warn("Echo could not answer", "err", err)
			}
		})
	})
	ln.wg.Go(func() {
		if err := bot.Run(ctx); err != nil {
			log.Warn("Echo bot stopped", "err", err)
		}
		answers.Wait() // the answers in flight end with ctx
		bot.Close()
	})
	return nil
}

// stop stops the Echo bot and, if this app started it, the network.
func (ln *localNet) stop() {
	if ln.cancel != nil {
		ln.cancel()
		// Run's goroutine closes the bot after the answers in flight.
		deadline := time.After(10 * time.Second)
		done := make(chan struct{})
		go func() { ln.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-deadline:
		}
		if ln.dir != "" {
			os.Remove(filepath.Join(ln.dir, echoFile))
		}
	}
	if ln.dn != nil {
		ln.dn.Stop()
	}
}

// seedsAnswer reports whether a node of the seed file answers a ping: the
// network is up. Devnet nodes have self-signed certificates (Session
// clients authenticate nodes by their onion keys, not TLS).
func seedsAnswer(ctx context.Context, networkFile string) bool {
	b, err := os.ReadFile(networkFile)
	if err != nil {
		return false
	}
	var sf netview.SeedFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return false
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	for i, seed := range sf.Seeds {
		if i == 3 || !strings.HasPrefix(seed.URL, "https://127.0.0.1:") {
			break
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, seed.URL+"/ping_test/v1", nil)
		if err != nil {
			continue
		}
		resp, err := hc.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true
		}
	}
	return false
}
