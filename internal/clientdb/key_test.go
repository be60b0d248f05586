package clientdb

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != KeySize || bytes.Equal(k1, make([]byte, KeySize)) {
		t.Fatalf("new key %d bytes, all zero: %v", len(k1), bytes.Equal(k1, make([]byte, KeySize)))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("second load returned another key")
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}

	// The key opens a database across runs.
	dbPath := filepath.Join(filepath.Dir(path), "client.db")
	db := openAt(t, dbPath, k1)
	if err := db.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	k3, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db = openAt(t, dbPath, k3)
	if v, err := db.Get(context.Background(), "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get after reload: %q, %v", v, err)
	}
}

func TestKeyFileDeterministic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.key")
	tape := bytes.Repeat([]byte{0x11, 0x22}, 16)
	k, err := loadOrCreate(path, KeySize, true, ErrInvalidKey, bytes.NewReader(tape))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k, tape) {
		t.Fatalf("key %x, want the tape %x", k, tape)
	}
	onDisk, _ := os.ReadFile(path)
	if !bytes.Equal(onDisk, tape) {
		t.Fatalf("file holds %x, want %x", onDisk, tape)
	}
	// A short random source fails and leaves no file.
	path2 := filepath.Join(t.TempDir(), "db.key")
	if _, err := loadOrCreate(path2, KeySize, true, ErrInvalidKey, bytes.NewReader(tape[:5])); err == nil {
		t.Fatal("a short random source made a key")
	}
	if _, err := os.Stat(path2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed creation left a file: %v", err)
	}
}

func TestKeyFileConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadOrCreateKeyFile(path)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("creator %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("creators %d and 0 got different keys", i)
		}
	}
}

func TestKeyFileRejects(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, make([]byte, 31), 0o600)
	if _, err := LoadOrCreateKeyFile(short); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("31-byte key file: %v, want ErrInvalidKey", err)
	}
	long := filepath.Join(dir, "long.key")
	os.WriteFile(long, make([]byte, 64), 0o600)
	if _, err := LoadOrCreateKeyFile(long); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("64-byte key file: %v, want ErrInvalidKey", err)
	}
	empty := filepath.Join(dir, "empty.key")
	os.WriteFile(empty, nil, 0o600)
	if _, err := LoadOrCreateKeyFile(empty); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("empty key file: %v, want ErrInvalidKey", err)
	}
	if runtime.GOOS != "windows" {
		open := filepath.Join(dir, "open.key")
		os.WriteFile(open, make([]byte, KeySize), 0o600)
		os.Chmod(open, 0o644)
		if _, err := LoadOrCreateKeyFile(open); !errors.Is(err, ErrInsecureKeyFile) {
			t.Errorf("0644 key file: %v, want ErrInsecureKeyFile", err)
		}
	}
	if _, err := LoadOrCreateKeyFile(filepath.Join(dir, "missing", "db.key")); err == nil {
		t.Error("key file in a missing directory was created")
	}
}

func TestSalt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.salt")
	s1, err := LoadOrCreateSalt(path)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := LoadOrCreateSalt(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != SaltSize || !bytes.Equal(s1, s2) {
		t.Fatalf("salts %x and %x", s1, s2)
	}
	// A salt is not secret: a readable salt file is fine.
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if _, err := LoadOrCreateSalt(path); err != nil {
			t.Errorf("0644 salt file: %v", err)
		}
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadOrCreateSalt(path); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("5-byte salt: %v, want ErrInvalidArgument", err)
	}
}

func TestKeyFromPassphrase(t *testing.T) {
	salt := bytes.Repeat([]byte{9}, SaltSize)
	k1, err := KeyFromPassphrase([]byte("correct horse battery staple"), salt)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := KeyFromPassphrase([]byte("correct horse battery staple"), salt)
	if len(k1) != KeySize || !bytes.Equal(k1, k2) {
		t.Fatalf("derivation is not a function: %x, %x", k1, k2)
	}
	k3, _ := KeyFromPassphrase([]byte("correct horse battery stapler"), salt)
	k4, _ := KeyFromPassphrase([]byte("correct horse battery staple"), bytes.Repeat([]byte{8}, SaltSize))
	if bytes.Equal(k1, k3) || bytes.Equal(k1, k4) {
		t.Fatal("passphrase or salt does not change the key")
	}
	if _, err := KeyFromPassphrase(nil, salt); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty passphrase: %v", err)
	}
	if _, err := KeyFromPassphrase([]byte("x"), salt[:15]); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("short salt: %v", err)
	}

	// A database under a passphrase opens with it and not with another.
	dir := t.TempDir()
	salt, err = LoadOrCreateSalt(filepath.Join(dir, "client.salt"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := KeyFromPassphrase([]byte("open sesame"), salt)
	path := filepath.Join(dir, "client.db")
	db := openAt(t, path, key)
	if err := db.SetAccount(context.Background(), secretSeed, "Alice"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	wrong, _ := KeyFromPassphrase([]byte("open sesame!"), salt)
	if db2, err := Open(context.Background(), path, wrong); !errors.Is(err, ErrWrongKey) {
		if db2 != nil {
			db2.Close()
		}
		t.Fatalf("wrong passphrase: %v, want ErrWrongKey", err)
	}
	salt2, _ := LoadOrCreateSalt(filepath.Join(dir, "client.salt"))
	again, _ := KeyFromPassphrase([]byte("open sesame"), salt2)
	db = openAt(t, path, again)
	if a, err := db.Account(context.Background()); err != nil || !bytes.Equal(a.Seed, secretSeed) {
		t.Fatalf("Account after reopen with the passphrase: %v", err)
	}
}
