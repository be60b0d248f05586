package vectors

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// checker checks every entry of one vector file, reporting each mismatch with
// t.Errorf (naming the list, the entry and the field), and returns the number
// of entries it checked.
type checker func(t *testing.T, raw []byte) int

// checkers maps "<folder>/<file>" to its checker. A nil checker means the code
// the file tests is not written yet: the runner says so instead of passing
// silently. A file missing from this map fails the run.
func checkers() map[string]checker {
	return map[string]checker{
		"upstream/mnemonic.json":           checkMnemonicUpstream,
		"upstream/keys.json":               checkKeysUpstream,
		"upstream/encrypt.json":            checkEncryptUpstream,
		"upstream/blinding.json":           checkBlindingUpstream,
		"upstream/config.json":             checkConfigUpstream,
		"upstream/attachments.json":        checkAttachmentsUpstream,
		"upstream/onion.json":              checkOnionUpstream,
		"upstream/swarm.json":              checkSwarmUpstream,
		"derived/storage_rpc_derived.json": checkStorageRPCDerived,
		"oracle/keys.json":                 checkKeysOracle,
		"oracle/encrypt.json":              checkEncryptOracle,
		"oracle/blinding.json":             checkBlindingOracle,
		"oracle/config.json":               checkConfigOracle,
		"oracle/onion.json":                checkOnionOracle,
		"oracle/groups.json":               checkGroupsOracle,
	}
}

// vectorsDir returns $SESSION_VECTORS_DIR, or the copy of the vector files
// kept in this package's testdata, so that a fresh clone tests with nothing
// beside it. TestVectorsCopyIsCurrent keeps that copy honest.
func vectorsDir() string {
	if d := os.Getenv("SESSION_VECTORS_DIR"); d != "" {
		return d
	}
	return "testdata"
}

func TestVectors(t *testing.T) {
	dir := vectorsDir()
	known := checkers()
	folders := 0
	for _, folder := range []string{"upstream", "derived", "oracle"} {
		files, err := filepath.Glob(filepath.Join(dir, folder, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, folder)); err != nil {
			continue
		}
		folders++
		sort.Strings(files)
		for _, path := range files {
			name := folder + "/" + filepath.Base(path)
			check, ok := known[name]
			if !ok {
				t.Errorf("vectors: %s: no checker knows this file", name)
				continue
			}
			if check == nil {
				printLine("vectors: %s: skipped (not implemented yet)", name)
				continue
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
				n := check(t, raw)
				if n == 0 {
					t.Errorf("vectors: %s: 0 entries checked", name)
				}
				printLine("vectors: %s: %d checked", name, n)
			})
		}
	}
	if folders == 0 {
		t.Fatalf("vectors: %s holds none of upstream/, derived/, oracle/", dir)
	}
}
