package snode

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/session-go/session-go/internal/keys"
)

// identityFile is the name, inside the data directory, of the file holding
// the node's Ed25519 seed (hex). Its X25519 key is derived from it, as
// Session's service nodes do.
const identityFile = "identity.key"

// LoadOrCreateIdentity reads the node's key from dataDir, creating the
// directory and a fresh key (file mode 0600) on first start.
func LoadOrCreateIdentity(dataDir string) (*keys.Identity, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("snode: data dir: %w", err)
	}
	path := filepath.Join(dataDir, identityFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, keys.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("snode: writing identity: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("snode: writing identity: %w", err)
		}
		return keys.NewIdentity(seed)
	}
	if err != nil {
		return nil, fmt.Errorf("snode: reading identity: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != keys.SeedSize {
		// Never quote the file: it holds a secret.
		return nil, fmt.Errorf("snode: %s is not a 32-byte hex seed", path)
	}
	return keys.NewIdentity(seed)
}
