// Package client is the session-go messenger client library: a Session
// account on disk, onion-routed messaging with Session's service nodes,
// message requests, contacts and multi-device sync.
//
// A bot is a few lines:
//
//	c, err := client.Open(ctx, client.Options{Home: "bot", Network: "network.json", CreateAccount: true})
//	if err != nil { … }
//	defer c.Close()
//	c.OnMessage(func(m client.Message) { c.Send(ctx, m.From, "echo: "+m.Body) })
//	err = c.Run(ctx)
//
// # Storage and secrets
//
// Everything lives in Options.Home: an SQLite database encrypted at rest
// (Adiantum), whose key is a 0600 file in the home or is derived from a
// passphrase. The account seed is kept only inside that database. Messages
// are end-to-end encrypted with Session's protocol before they leave the
// process, and every request to the network goes through a 3-hop onion path.
package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/proxy"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/mnemonic"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onionreq"
)

// Errors a caller can test for with errors.Is.
var (
	// ErrNoAccount means the home holds no account: create or restore one.
	ErrNoAccount = errors.New("no account here (create one with init, or restore one)")
	// ErrAccountExists means the home already holds an account.
	ErrAccountExists = errors.New("an account already exists here")
	// ErrNoNetwork means no network file was given or remembered.
	ErrNoNetwork = errors.New("no network configured (give a network file, e.g. a devnet's network.json)")
	// ErrUnknownContact means a name or nickname matched no contact.
	ErrUnknownContact = errors.New("unknown contact")
	// ErrAmbiguousContact means a name matched several contacts.
	ErrAmbiguousContact = errors.New("ambiguous contact name")
	// ErrInvalidRecipient means a recipient is neither a Session ID nor a contact.
	ErrInvalidRecipient = errors.New("invalid recipient")
	// ErrMessageTooLong means a message body is over MaxMessageBytes.
	ErrMessageTooLong = errors.New("message too long")
	// ErrInvalidText means a message body is not valid UTF-8.
	ErrInvalidText = errors.New("message is not valid UTF-8")
	// ErrNotRequest means a conversation is not a message request (decline).
	ErrNotRequest = errors.New("not a message request")
	// ErrNotFailed means a message is neither failed nor still sending (retry).
	ErrNotFailed = errors.New("message has not failed")
	// ErrEmptyMessage means a message body is empty.
	ErrEmptyMessage = errors.New("message is empty")
	// ErrSendFailed means a message could not be delivered; it is kept as failed and can be retried.
	ErrSendFailed = errors.New("message could not be sent (kept as failed; retry later)")
	// ErrNotFound means a message or conversation does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNotQuotable: the message to reply to was never delivered.
	ErrNotQuotable = errors.New("cannot reply to a message that was not sent")
	// ErrInvalidReaction: the emoji or the message cannot take a reaction.
	ErrInvalidReaction = errors.New("invalid reaction")
	// ErrNotAuthor: only a message's author can delete it for everyone.
	ErrNotAuthor = errors.New("not the author")
	// ErrNotSupported: the operation does not apply here (yet).
	ErrNotSupported = errors.New("not supported")
	// ErrInvalidDuration: a duration out of range.
	ErrInvalidDuration = errors.New("invalid duration")
	// ErrInvalidSearch: the search text is empty or too long.
	ErrInvalidSearch = errors.New("invalid search")
	// ErrNotSynced means a change was saved on this device but could not be
	// sent to the network (so the account's other devices, or the contact
	// it concerns, do not know yet). The next successful receive sends it.
	ErrNotSynced = errors.New("saved on this device only: the network could not be reached, so your other devices do not know yet (the next receive sends it)")
	// ErrNetworkUnreachable means no node of a network file answered.
	ErrNetworkUnreachable = errors.New("the network did not answer")
	// ErrInvalidSOCKS5 means Options.SOCKS5 is not a host:port address.
	ErrInvalidSOCKS5 = errors.New("invalid SOCKS5 proxy address (want host:port, e.g. 127.0.0.1:9050)")
)

// MaxMessageBytes is the longest message body accepted: 32 KiB (32768
// bytes) of UTF-8.
const MaxMessageBytes = 32 << 10

// MaxDisplayNameBytes is the longest display name or nickname (Session's limit).
const MaxDisplayNameBytes = clientdb.MaxNameBytes

// Options configure a client.
type Options struct {
	// Home is the account directory; it is created if needed, and set to
	// mode 0700 if it exists.
	Home string
	// Network is the network file (a devnet's network.json: seed nodes).
	// Empty means the one the home remembers. Create and Restore remember
	// it (check it first with CheckNetwork); Open uses it for that client
	// only, and SetNetwork changes the remembered one.
	Network string
	// DefaultNetwork is used when Network is empty and the home remembers
	// none (e.g. a local devnet's network.json). It is never remembered.
	DefaultNetwork string
	// Passphrase, when set, derives the database key (Argon2id) instead of
	// keeping a key file in the home.
	Passphrase []byte
	// CreateAccount makes Open create a new account when the home has none.
	CreateAccount bool
	// DisplayName is the name shown to others for a newly created account.
	DisplayName string
	// Logger receives the client's log; nil discards it.
	Logger *slog.Logger
	// PollWait is how long a retrieve may wait for new messages at the node
	// (long poll; nodes without the extension answer at once). Default 20 s.
	PollWait time.Duration
	// SOCKS5, when set, is the host:port of a SOCKS5 proxy (no
	// authentication), such as Tor's 127.0.0.1:9050. Every connection the
	// client opens, to seed nodes and to the guards of its onion paths, is
	// then made through it, so the nodes see the proxy's address and not
	// the client's. Empty means direct connections.
	SOCKS5 string
}

// Client is an open account.
type Client struct {
	opts Options
	log  *slog.Logger
	db   *clientdb.DB
	id   *keys.Identity
	name string

	netMu  sync.Mutex // guards net, tr and netKey
	net    *onionreq.Client
	tr     *onionreq.HTTPTransport
	netKey [sha256.Size]byte // the network net was opened on (networkKey)

	events *broker

	sendMu sync.Mutex // serialises deliveries of one message id at a time

	// bumpedHashes are the config messages last extended, at bumpedAt
	// (configBump), guarded by bumpMu.
	bumpMu       sync.Mutex
	bumpedHashes []string
	bumpedAt     time.Time

	// lastSent is the sent time of the last message Send dated, guarded
	// by sentMu (see sentTime).
	sentMu   sync.Mutex
	lastSent time.Time

	stick pollStick // the swarm member polls stay on (receive.go)

	connMu  sync.Mutex // guards offline
	offline bool       // Run reported the network lost and no poll has succeeded since

	cfg    *configs   // the account's config objects (multi-device state)
	pushMu sync.Mutex // serialises config pushes

	refuse atomic.Bool // refuse message requests (a setting, kept in the database)

	downloadKick chan struct{} // wakes the attachment downloader

	// groupMu serialises changes to the groups' state (each a load, maybe
	// network I/O, and a save). Lock order: cfg.mu, then groupMu, then the
	// database writer; never cfg.mu while holding groupMu.
	groupMu   sync.Mutex
	groupKick chan struct{} // wakes groupLoops after a group was joined

	// onConvoApply, if set (by tests only), runs while applyConvoMarks
	// holds cfg.mu, with the merged marks it read and is about to write.
	onConvoApply func([]config.OneToOne)
}

const (
	dbFile   = "session.db"
	keyFile  = "db.key"
	saltFile = "db.salt"
	kvNet    = "network_file"
)

func openDB(ctx context.Context, opts Options) (*clientdb.DB, error) {
	if opts.Home == "" {
		return nil, errors.New("client: no home directory")
	}
	// A bad proxy address fails here, before anything is written: creating
	// an account and then failing would lose its recovery password.
	if _, err := socks5Dialer(opts.SOCKS5); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Home, 0o700); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	// MkdirAll leaves an existing directory as it was: one made by hand, or
	// by an older version, may be readable by others.
	if err := os.Chmod(opts.Home, 0o700); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	var key []byte
	var err error
	if len(opts.Passphrase) > 0 {
		salt, serr := clientdb.LoadOrCreateSalt(filepath.Join(opts.Home, saltFile))
		if serr != nil {
			return nil, serr
		}
		key, err = clientdb.KeyFromPassphrase(opts.Passphrase, salt)
	} else {
		key, err = clientdb.LoadOrCreateKeyFile(filepath.Join(opts.Home, keyFile))
	}
	if err != nil {
		return nil, err
	}
	return clientdb.Open(ctx, filepath.Join(opts.Home, dbFile), key)
}

// Open opens the account in opts.Home (creating one if opts.CreateAccount
// is set and there is none). Without CreateAccount, a home that holds no
// database is left untouched (not even created) and Open fails with
// ErrNoAccount: a mistyped home must not leave directories behind.
func Open(ctx context.Context, opts Options) (*Client, error) {
	if !opts.CreateAccount && opts.Home != "" {
		if _, err := os.Stat(filepath.Join(opts.Home, dbFile)); errors.Is(err, os.ErrNotExist) {
			return nil, ErrNoAccount
		}
	}
	db, err := openDB(ctx, opts)
	if err != nil {
		return nil, err
	}
	acct, err := db.Account(ctx)
	if errors.Is(err, clientdb.ErrNoAccount) && opts.CreateAccount {
		seed := make([]byte, keys.RecoverySeedSize)
		if _, err := rand.Read(seed); err != nil {
			db.Close()
			return nil, err
		}
		if err := setAccount(ctx, db, seed, opts.DisplayName); err != nil {
			db.Close()
			return nil, err
		}
		acct, err = db.Account(ctx)
	}
	if errors.Is(err, clientdb.ErrNoAccount) {
		db.Close()
		return nil, ErrNoAccount
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return newClient(ctx, db, opts, acct, false, true)
}

func setAccount(ctx context.Context, db *clientdb.DB, seed []byte, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return db.SetAccount(ctx, seed, name)
}

func checkName(name string) error {
	if len(name) > MaxDisplayNameBytes {
		return fmt.Errorf("display name is %d bytes, the limit is %d", len(name), MaxDisplayNameBytes)
	}
	return nil
}

// Create creates a new account in opts.Home and returns it with its
// recovery password. It fails with ErrAccountExists if the home has one.
func Create(ctx context.Context, opts Options, displayName string) (*Client, string, error) {
	seed := make([]byte, keys.RecoverySeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, "", err
	}
	c, err := create(ctx, opts, seed, displayName, true)
	if err != nil {
		return nil, "", err
	}
	words, err := mnemonic.Encode(seed)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, words, nil
}

// Restore restores an account from its recovery password into opts.Home.
// displayName is shown on this device until the account's profile arrives
// from the network (the first Receive); it is not published, so it never
// renames the account on its other devices (SetDisplayName does that).
func Restore(ctx context.Context, opts Options, recoveryPassword, displayName string) (*Client, error) {
	seed, err := mnemonic.Decode(recoveryPassword)
	if err != nil {
		return nil, fmt.Errorf("recovery password: %w", err)
	}
	return create(ctx, opts, seed, displayName, false)
}

// create stores a new account in opts.Home; publish makes its display
// name the account's profile name on every device (a new account).
func create(ctx context.Context, opts Options, seed []byte, name string, publish bool) (*Client, error) {
	db, err := openDB(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := db.Account(ctx); err == nil {
		db.Close()
		return nil, ErrAccountExists
	}
	if err := setAccount(ctx, db, seed, name); err != nil {
		db.Close()
		return nil, err
	}
	acct, err := db.Account(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return newClient(ctx, db, opts, acct, true, publish)
}

// newClient opens the account; remember makes the home remember
// opts.Network (Create and Restore), and publish lets a name that the
// account's profile config lacks be published (not for a restore).
func newClient(ctx context.Context, db *clientdb.DB, opts Options, acct clientdb.Account, remember, publish bool) (*Client, error) {
	id, err := keys.NewIdentity(acct.Seed)
	if err != nil {
		db.Close()
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollWait == 0 {
		opts.PollWait = 20 * time.Second
	}
	if opts.Network != "" {
		// A preset (mainnet) is a name, not a file.
		abs, err := opts.Network, error(nil)
		if !netview.IsPreset(abs) {
			abs, err = filepath.Abs(opts.Network)
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("network file: %w", err)
		}
		opts.Network = abs
		if remember {
			if err := db.Put(ctx, kvNet, []byte(abs)); err != nil {
				db.Close()
				return nil, err
			}
		}
	} else if b, err := db.Get(ctx, kvNet); err == nil {
		opts.Network = string(b)
	} else if opts.DefaultNetwork != "" {
		opts.Network = opts.DefaultNetwork
	}
	cfg, err := loadConfigs(ctx, db, id)
	if err != nil {
		db.Close()
		return nil, err
	}
	c := &Client{opts: opts, log: opts.Logger, db: db, id: id, name: acct.DisplayName, events: newBroker(), cfg: cfg,
		downloadKick: make(chan struct{}, 1), groupKick: make(chan struct{}, 1)}
	if refuse, err := c.RefuseRequests(ctx); err == nil {
		c.refuse.Store(refuse)
	}
	if publish && acct.DisplayName != "" && cfg.profile.Name() == "" && cfg.profile.Seqno() == 0 {
		// A new account: publish its name for its other devices. (A restored
		// one learns its name from the swarm on its first poll.)
		cfg.mu.Lock()
		err = cfg.profile.SetName(acct.DisplayName)
		cfg.profile.SetProfileUpdated(time.Now())
		if err == nil {
			err = c.saveDumps(ctx)
		}
		cfg.mu.Unlock()
		if err != nil {
			db.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close closes the database and the network connections.
func (c *Client) Close() error {
	c.netMu.Lock()
	if c.net != nil {
		c.saveNetworkCache()
		c.net.Close()
		c.tr.CloseIdleConnections()
	}
	c.netMu.Unlock()
	c.events.close()
	return c.db.Close()
}

// SessionID returns the account's Session ID (66 hex characters).
func (c *Client) SessionID() string { return c.id.SessionID().String() }

// DisplayName returns the account's display name.
func (c *Client) DisplayName() string { return c.name }

// SetDisplayName changes the account's display name, sent with messages.
func (c *Client) SetDisplayName(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := c.db.SetDisplayName(ctx, name); err != nil {
		return err
	}
	c.name = name
	return c.editConfig(ctx, func(cs *configs) error {
		if err := cs.profile.SetName(name); err != nil {
			return err
		}
		cs.profile.SetProfileUpdated(c.now())
		return nil
	})
}

// RecoveryPassword returns the account's 13-word recovery password. It is
// the account's secret: show it only to its owner.
func (c *Client) RecoveryPassword() (string, error) {
	seed := c.id.RecoverySeed()
	if seed == nil {
		return "", errors.New("this account was created from a 32-byte seed and has no 13-word recovery password")
	}
	return mnemonic.Encode(seed)
}

// NetworkFile returns the network file this client uses ("" if none).
func (c *Client) NetworkFile() string {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	return c.opts.Network
}

// RememberedNetwork returns the network file the home remembers ("" if none).
func (c *Client) RememberedNetwork(ctx context.Context) string {
	b, err := c.db.Get(ctx, kvNet)
	if err != nil {
		return ""
	}
	return string(b)
}

// SetNetwork checks that the network in file answers (see CheckNetwork),
// then makes the home remember it and this client use it.
func (c *Client) SetNetwork(ctx context.Context, file string) error {
	abs, err := file, error(nil)
	if !netview.IsPreset(file) { // a preset (mainnet) is a name, not a file
		abs, err = filepath.Abs(file)
	}
	if err != nil {
		return fmt.Errorf("network file: %w", err)
	}
	opts := c.opts
	opts.Network = abs
	if err := CheckNetwork(ctx, opts); err != nil {
		return err
	}
	if err := c.db.Put(ctx, kvNet, []byte(abs)); err != nil {
		return err
	}
	c.netMu.Lock()
	defer c.netMu.Unlock()
	if c.net != nil {
		c.net.Close()
		c.tr.CloseIdleConnections()
		c.net, c.tr = nil, nil
	}
	c.opts.Network = abs
	return nil
}

// checkTimeout bounds CheckNetwork when ctx has no deadline.
const checkTimeout = 20 * time.Second

// CheckNetwork asks the network named by opts.Network (through
// opts.SOCKS5, if set) for its list of nodes, and fails with an error
// wrapping ErrNetworkUnreachable unless one of its seeds answers with a
// valid, signed list. Use it before remembering a network.
func CheckNetwork(ctx context.Context, opts Options) error {
	if opts.Network == "" {
		return ErrNoNetwork
	}
	dial, err := socks5Dialer(opts.SOCKS5)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, checkTimeout)
		defer cancel()
	}
	tr := onionreq.NewHTTPTransport(onionreq.HTTPConfig{DialContext: dial})
	defer tr.CloseIdleConnections()
	src, err := directory.OpenNetwork(opts.Network, tr.Client())
	if err != nil {
		return fmt.Errorf("network file: %w", err)
	}
	dir, err := src.Load(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNetworkUnreachable, opts.Network, err)
	}
	if dir.Len() == 0 {
		return fmt.Errorf("%w: %s lists no nodes", ErrNetworkUnreachable, opts.Network)
	}
	return nil
}

// network returns the onion-routing client, connecting on first use.
func (c *Client) network() (*onionreq.Client, error) {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	if c.net != nil {
		return c.net, nil
	}
	if c.opts.Network == "" {
		return nil, ErrNoNetwork
	}
	dial, err := socks5Dialer(c.opts.SOCKS5)
	if err != nil {
		return nil, err
	}
	// Seed requests use the transport's HTTP client, so they take the same
	// dialer (and proxy) as the onion requests to the guards.
	tr := onionreq.NewHTTPTransport(onionreq.HTTPConfig{DialContext: dial})
	src, err := directory.OpenNetwork(c.opts.Network, tr.Client())
	if err != nil {
		return nil, fmt.Errorf("network file: %w", err)
	}
	n, err := onionreq.New(onionreq.Config{Source: src, Transport: tr, Logger: c.log, PathRotation: 10 * time.Minute})
	if err != nil {
		return nil, err
	}
	// Last run's paths and swarms: a cold start then tests no guards and
	// looks up no swarm it knows (see onionreq.Client.LoadCache for what
	// is checked). A cache that cannot be read is only a slower start.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.netKey = networkKey(c.opts.Network)
	if b, err := c.db.Get(ctx, kvNetworkCache); err == nil {
		// Only a cache learnt from this very network: paths into another
		// network (last run's devnet, or the remembered network when this
		// run names another with --network) would bypass its seeds.
		if len(b) < len(c.netKey) || subtle.ConstantTimeCompare(b[:len(c.netKey)], c.netKey[:]) != 1 {
			c.log.Debug("network cache is from another network")
		} else if err := n.LoadCache(b[len(c.netKey):]); err != nil {
			c.log.Debug("network cache not used", "err", err)
		}
	}
	c.net, c.tr = n, tr
	return n, nil
}

// kvNetworkCache holds the onion client's cache between runs, after the
// [networkKey] of the network it was learnt from.
const kvNetworkCache = "network_cache"

// networkKey names a network for the cache: the SHA-256 of its file's
// contents (a new devnet at the same path is another network), or of the
// name itself when it is not a file (a preset).
func networkKey(network string) [sha256.Size]byte {
	if b, err := os.ReadFile(network); err == nil {
		return sha256.Sum256(b)
	}
	return sha256.Sum256([]byte(network))
}

// saveNetworkCache keeps the onion client's paths and swarms for the next
// run. Call with netMu held.
func (c *Client) saveNetworkCache() {
	if c.net == nil {
		return
	}
	b, err := c.net.SaveCache()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.db.Put(ctx, kvNetworkCache, append(c.netKey[:], b...)); err != nil {
		c.log.Debug("network cache not saved", "err", err)
	}
}

// socks5Dialer returns a dialer that connects through the SOCKS5 proxy at
// addr, or nil (direct connections) when addr is empty.
func socks5Dialer(addr string) (onionreq.DialContextFunc, error) {
	if addr == "" {
		return nil, nil
	}
	if strings.Contains(addr, "://") {
		return nil, fmt.Errorf("%w: %q: give host:port, without a scheme", ErrInvalidSOCKS5, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not host:port", ErrInvalidSOCKS5, addr)
	}
	if host == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrInvalidSOCKS5, addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, fmt.Errorf("%w: %q: port must be a number from 1 to 65535", ErrInvalidSOCKS5, addr)
	}
	// The proxy itself is reached directly, with the same connect timeout
	// as direct connections to nodes.
	forward := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	d, err := proxy.SOCKS5("tcp", addr, nil, forward)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidSOCKS5, addr, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		// x/net's SOCKS5 dialer has DialContext; without it a
		// cancelled request could wait on the proxy.
		return nil, errors.New("client: the SOCKS5 dialer cannot be cancelled")
	}
	return cd.DialContext, nil
}
