package clientdb

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/crypto/argon2"
)

// SaltSize is the size of the salt LoadOrCreateSalt makes, and the least
// KeyFromPassphrase accepts.
const SaltSize = 16

// Argon2id parameters of KeyFromPassphrase: the second recommended option of
// RFC 9106 §4 (t=3, 64 MiB, 4 lanes), for machines where 2 GiB is too much.
// They are part of the format: changing them changes every derived key.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 4
)

// LoadOrCreateKeyFile returns the database key kept in the file at path,
// creating the file with a new random key, readable by its owner only, if it
// does not exist. A key file that other users may access (on systems with
// Unix permissions) fails with ErrInsecureKeyFile, as ssh does with private
// keys; one of the wrong size fails with ErrInvalidKey.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := loadOrCreate(path, KeySize, true, ErrInvalidKey, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("clientdb: key file %q: %w", path, err)
	}
	return key, nil
}

// LoadOrCreateSalt returns the salt kept in the file at path for
// KeyFromPassphrase, creating the file with a new random salt if it does not
// exist. The salt is not secret; it only makes the derived key unique to
// this database, and it must stay with it.
func LoadOrCreateSalt(path string) ([]byte, error) {
	salt, err := loadOrCreate(path, SaltSize, false, ErrInvalidArgument, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("clientdb: salt file %q: %w", path, err)
	}
	return salt, nil
}

// KeyFromPassphrase derives a database key from a passphrase and a salt of
// at least SaltSize bytes with Argon2id. It is slow on purpose (about 64 MiB
// of memory and a fraction of a second), to make guessing passphrases
// against a stolen database expensive.
func KeyFromPassphrase(passphrase, salt []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: empty passphrase", ErrInvalidArgument)
	}
	if len(salt) < SaltSize {
		return nil, fmt.Errorf("%w: salt of %d bytes, want at least %d", ErrInvalidArgument, len(salt), SaltSize)
	}
	return argon2.IDKey(passphrase, salt, argonTime, argonMemory, argonThreads, KeySize), nil
}

// loadOrCreate reads the size-byte file at path, or creates it from rand.
// A private file must not be accessible to other users; a file of another
// size fails with errSize.
// Creation writes a temporary file and links it into place, so that a crash
// never leaves a short file behind and two processes starting together agree
// on one value: the link fails for the second, which then reads the first's.
func loadOrCreate(path string, size int, private bool, errSize error, rand io.Reader) ([]byte, error) {
	b, err := readFixedFile(path, size, private, errSize)
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}

	b = make([]byte, size)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readFixedFile(path, size, private, errSize)
		}
		return nil, err
	}
	syncDir(dir)
	return b, nil
}

// readFixedFile reads a file that must be exactly size bytes and, if
// private, accessible to its owner only.
func readFixedFile(path string, size int, private bool, errSize error) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// Windows has no such permission bits; its ACLs are another matter.
	if private && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: mode %v, want 0600 (chmod 600 it)", ErrInsecureKeyFile, fi.Mode().Perm())
	}
	// One byte more than expected, to tell a long file from a right one.
	b := make([]byte, size+1)
	n, err := io.ReadFull(f, b)
	switch {
	case err == nil:
		return nil, fmt.Errorf("%w: file is longer than %d bytes", errSize, size)
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return nil, err
	case n != size:
		return nil, fmt.Errorf("%w: file is %d bytes, want %d", errSize, n, size)
	}
	return b[:size], nil
}

// syncDir makes a new directory entry durable. Failure is not reported: some
// systems cannot fsync a directory, and the file itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
