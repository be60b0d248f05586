package netview

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/swarm"
)

// Source produces directory snapshots.
type Source interface {
	// Load returns the current directory.
	Load(ctx context.Context) (*Directory, error)
}

// maxFileSize caps a directory or seed file; a real one is a few hundred bytes per node.
const maxFileSize = 16 << 20

// OpenFile returns the Source a network file describes: a file with "nodes"
// is a static directory, a file with "seeds" names seed nodes to ask. The
// name [PresetMainnet] stands for Session's public seeds.
func OpenFile(path string, client *http.Client) (Source, error) {
	if path == PresetMainnet {
		return NewSeedSource(MainnetSeeds(), client)
	}
	b, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Nodes json.RawMessage `json:"nodes"`
		Seeds []Seed          `json:"seeds"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadDirectory, path, err)
	}
	switch {
	case probe.Nodes != nil:
		return &FileSource{Path: path}, nil
	case len(probe.Seeds) > 0:
		return NewSeedSource(probe.Seeds, client)
	}
	return nil, fmt.Errorf("%w: %s has neither \"nodes\" nor \"seeds\"", ErrBadDirectory, path)
}

// ReadFileServer returns the file server a network file names
// ("file_server"), or nil when it names none.
func ReadFileServer(path string) (*FileServer, error) {
	b, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		FileServer *FileServer `json:"file_server"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadDirectory, path, err)
	}
	return f.FileServer, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netview: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("netview: %w", err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadDirectory, path, maxFileSize)
	}
	return b, nil
}

// FileSource reads a static directory file, re-reading it only when it changes.
type FileSource struct {
	Path string

	mu      sync.Mutex // guards modTime, size, current
	modTime time.Time
	size    int64
	current *Directory
}

// Load implements Source.
func (s *FileSource) Load(ctx context.Context) (*Directory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := os.Stat(s.Path)
	if err != nil {
		return nil, fmt.Errorf("netview: %w", err)
	}
	if s.current != nil && st.ModTime().Equal(s.modTime) && st.Size() == s.size {
		return s.current, nil
	}
	b, err := readCapped(s.Path)
	if err != nil {
		return nil, err
	}
	var f DirectoryFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadDirectory, s.Path, err)
	}
	d, err := NewDirectory(f.Nodes)
	if err != nil {
		return nil, err
	}
	s.current, s.modTime, s.size = d, st.ModTime(), st.Size()
	return d, nil
}

// SignatureHeader carries a node's Ed25519 signature (base64) of its
// get_n_service_nodes answer (see SeedSignedMessage), so that a client can
// check that the seed it asked is the one its seed file names: clients do
// not verify node certificates.
const SignatureHeader = "X-Snode-Signature"

// SignatureTimestampHeader carries the time the seed signed its answer, in
// milliseconds since the Unix epoch (decimal), so that an old answer (a
// directory since changed) cannot be replayed to a client.
const SignatureTimestampHeader = "X-Snode-Signature-Timestamp"

// MaxSeedAnswerSkew is how far a seed answer's signing time may be from the
// client's clock. Session's own request signatures allow ±60 s; the
// directory changes slowly, so this is kinder to a client's bad clock.
const MaxSeedAnswerSkew = 5 * time.Minute

// seedDomain separates a seed's answer signature from everything else its
// node key signs.
const seedDomain = "session-go seed answer\x00"

// SeedSignedMessage returns what a seed signs for an answer body signed at
// timestamp (ms): a domain string, the timestamp in decimal, a zero byte
// and the BLAKE2b-256 hash of the body.
func SeedSignedMessage(timestamp int64, body []byte) []byte {
	h := blake2b.Sum256(body)
	msg := strconv.AppendInt([]byte(seedDomain), timestamp, 10)
	msg = append(msg, 0)
	return append(msg, h[:]...)
}

// SignSeedAnswer sets the signature headers of a seed's answer body,
// signed with priv at now.
func SignSeedAnswer(h http.Header, priv ed25519.PrivateKey, now time.Time, body []byte) {
	ts := now.UnixMilli()
	h.Set(SignatureTimestampHeader, strconv.FormatInt(ts, 10))
	h.Set(SignatureHeader, base64.StdEncoding.EncodeToString(ed25519.Sign(priv, SeedSignedMessage(ts, body))))
}

// ErrBadSeedAnswer reports a seed answer that is not signed by the seed's
// key, or signed too long ago (or too far ahead) of the client's clock.
var ErrBadSeedAnswer = errors.New("netview: seed answer not signed by the seed, or not fresh")

// VerifySeedAnswer checks the signature headers of an answer body against
// the seed's key and the client's clock.
func VerifySeedAnswer(h http.Header, key ed25519.PublicKey, now time.Time, body []byte) error {
	tsText := h.Get(SignatureTimestampHeader)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrBadSeedAnswer, tsText)
	}
	sig, err := base64.StdEncoding.DecodeString(h.Get(SignatureHeader))
	if err != nil || !ed25519.Verify(key, SeedSignedMessage(ts, body), sig) {
		return fmt.Errorf("%w: bad signature", ErrBadSeedAnswer)
	}
	if skew := now.Sub(time.UnixMilli(ts)); skew > MaxSeedAnswerSkew || skew < -MaxSeedAnswerSkew {
		return fmt.Errorf("%w: signed %v from this clock", ErrBadSeedAnswer, skew.Round(time.Second))
	}
	return nil
}

// SeedSource asks seed nodes for the network with Session's get_n_service_nodes.
type SeedSource struct {
	seeds   []Seed
	keys    []ed25519.PublicKey // nil for a pinned-certificate seed
	clients []*http.Client      // per seed: pinned seeds have their own

	// Now is the clock that answers' signing times are checked against;
	// nil means time.Now.
	Now func() time.Time
}

// NewSeedSource checks the seed list and returns a Source asking those seeds.
func NewSeedSource(seeds []Seed, client *http.Client) (*SeedSource, error) {
	s := &SeedSource{seeds: seeds}
	for _, sd := range seeds {
		c := client
		if sd.Certificate != "" {
			var err error
			if c, err = pinnedClient(client, sd); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadDirectory, err)
			}
		}
		s.clients = append(s.clients, c)
		if sd.Ed25519 == "" && sd.Certificate != "" {
			s.keys = append(s.keys, nil) // trusted through the pinned TLS certificate
			continue
		}
		k, err := hex.DecodeString(sd.Ed25519)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: seed %q: pubkey_ed25519 %q is not 64 hex characters (and no pinned certificate)", ErrBadDirectory, sd.URL, sd.Ed25519)
		}
		s.keys = append(s.keys, k)
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("%w: no seeds", ErrBadDirectory)
	}
	return s, nil
}

// Seeds returns the seed list.
func (s *SeedSource) Seeds() []Seed { return append([]Seed(nil), s.seeds...) }

// GetNServiceNodesRequest is the JSON-RPC body Session clients send to seeds.
const GetNServiceNodesRequest = `{"jsonrpc":"2.0","method":"get_n_service_nodes","params":{"active_only":true,"fields":{"public_ip":true,"storage_port":true,"pubkey_x25519":true,"pubkey_ed25519":true,"swarm_id":true}}}`

// maxSeedAnswer caps a seed's answer.
const maxSeedAnswer = 32 << 20

// Seed-loading limits: Session's clients try 4 seeds; a stalled seed (or a
// stalled proxy in front of every seed) must not hold a caller for minutes.
const (
	maxSeedAttempts = 4
	seedLoadTimeout = 30 * time.Second
)

// Load implements Source: it asks up to four seeds, in random order, until
// one gives a correctly signed, valid answer, all within 30 s.
func (s *SeedSource) Load(ctx context.Context) (*Directory, error) {
	ctx, cancel := context.WithTimeout(ctx, seedLoadTimeout)
	defer cancel()
	var errs []error
	order := rand.Perm(len(s.seeds))
	if len(order) > maxSeedAttempts {
		order = order[:maxSeedAttempts]
	}
	for _, i := range order {
		sd := s.seeds[i]
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		d, err := s.ask(ctx, sd, s.keys[i], s.clients[i])
		if err == nil {
			return d, nil
		}
		errs = append(errs, fmt.Errorf("seed %s: %w", sd.URL, err))
	}
	return nil, fmt.Errorf("netview: no seed answered: %w", errors.Join(errs...))
}

func (s *SeedSource) ask(ctx context.Context, sd Seed, key ed25519.PublicKey, client *http.Client) (*Directory, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sd.URL+"/json_rpc", bytes.NewReader([]byte(GetNServiceNodesRequest)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSeedAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxSeedAnswer {
		return nil, errors.New("answer too large")
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	// A seed without a key was reached over its pinned certificate: the
	// TLS connection authenticates the answer.
	if key != nil {
		if err := VerifySeedAnswer(resp.Header, key, now(), body); err != nil {
			return nil, err
		}
	}
	return ParseServiceNodes(body)
}

// ServiceNodesResult is the answer to get_n_service_nodes.
type ServiceNodesResult struct {
	Result struct {
		ServiceNodeStates []Node `json:"service_node_states"`
	} `json:"result"`
}

// maxServiceNodes caps the entries of one answer; Session's network has
// about two thousand nodes.
const maxServiceNodes = 100000

// ParseServiceNodes parses a get_n_service_nodes answer into a directory.
// An entry that cannot be used (unreadable, a bad key, no address: oxend
// lists nodes that have not sent a proof yet with 0.0.0.0 and port 0, and
// Session's clients skip them) is skipped, not fatal; a repeated key keeps
// its first entry. When every entry names its swarm (swarm_id), as a real
// network's answer does, those swarms are kept; otherwise they are
// computed from the list.
func ParseServiceNodes(body []byte) (*Directory, error) {
	var r struct {
		Result struct {
			States []json.RawMessage `json:"service_node_states"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadDirectory, err)
	}
	if n := len(r.Result.States); n > maxServiceNodes {
		return nil, fmt.Errorf("%w: %d nodes listed, the limit is %d", ErrBadDirectory, n, maxServiceNodes)
	}
	var nodes []Node
	seen := map[string]bool{}
	listed := true
	for _, raw := range r.Result.States {
		var n Node
		var probe struct {
			SwarmID json.RawMessage `json:"swarm_id"`
		}
		if json.Unmarshal(raw, &n) != nil || json.Unmarshal(raw, &probe) != nil {
			continue
		}
		n.Ed25519, n.X25519 = strings.ToLower(n.Ed25519), strings.ToLower(n.X25519)
		if checkNode(n) != nil || n.IP == "0.0.0.0" || seen[n.Ed25519] {
			continue
		}
		seen[n.Ed25519] = true
		if probe.SwarmID == nil || n.SwarmID == swarm.InvalidID {
			listed = false
		}
		nodes = append(nodes, n)
	}
	if listed {
		return NewDirectoryWithSwarms(nodes)
	}
	return NewDirectory(nodes)
}
