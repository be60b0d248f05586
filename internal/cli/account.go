package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/mnemonic"
)

// maxPasswordInput caps what `account inspect` reads from stdin: a recovery
// password is 13 short words; anything near this size is not one.
const maxPasswordInput = 4096

func runAccount(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("account: missing subcommand (inspect, new or recovery-password)")
	}
	switch args[0] {
	case "inspect":
		return accountInspect(env, args[1:])
	case "new":
		return accountNew(env, args[1:])
	case "recovery-password":
		return accountRecoveryPassword(ctx, env, args[1:])
	}
	return usagef("account: unknown subcommand %q (want inspect, new or recovery-password)", args[0])
}

// newFlags returns a flag set that reports errors as usage errors instead of exiting.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > maxArgs {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(maxArgs))
	}
	return nil
}

// accountKeys is the JSON object `account inspect` prints.
type accountKeys struct {
	SessionID        string `json:"session_id"`
	Ed25519PublicKey string `json:"ed25519_public_key"`
	X25519PublicKey  string `json:"x25519_public_key"`
}

func accountInspect(env *Env, args []string) error {
	fs := newFlags("account inspect")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	seed, err := promptRecoveryPassword(env)
	if err != nil {
		return err
	}
	id, err := keys.NewIdentity(seed)
	if err != nil {
		return usagef("recovery password: %v", err)
	}
	xpk := id.X25519PublicKey()
	return writeJSON(env.Stdout, accountKeys{
		SessionID:        id.SessionID().String(),
		Ed25519PublicKey: hex.EncodeToString(id.Ed25519PublicKey()),
		X25519PublicKey:  hex.EncodeToString(xpk[:]),
	})
}

// readRecoveryPassword reads a recovery password from r and decodes it to its seed.
// promptRecoveryPassword reads a recovery password: on a terminal it asks
// for one line, without echoing it (it is the account's secret); from a
// pipe or file it reads everything.
func promptRecoveryPassword(env *Env) ([]byte, error) {
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return readRecoveryPassword(env.Stdin)
	}
	fmt.Fprint(env.Stderr, "Recovery password (13 words, then Enter; not shown): ")
	line, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return nil, fmt.Errorf("recovery password: reading the terminal: %w", err)
	}
	return readRecoveryPassword(bytes.NewReader(line))
}

func readRecoveryPassword(r io.Reader) ([]byte, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxPasswordInput+1))
	if err != nil {
		return nil, fmt.Errorf("recovery password: reading stdin: %w", err)
	}
	if len(buf) > maxPasswordInput {
		return nil, usagef("recovery password: input is longer than %d bytes", maxPasswordInput)
	}
	seed, err := mnemonic.Decode(string(buf))
	if err != nil {
		return nil, usagef("recovery password: %v", err)
	}
	return seed, nil
}

// newAccount is the JSON object `account new --json` (and later `init --json`) prints.
type newAccount struct {
	SessionID        string `json:"session_id"`
	RecoveryPassword string `json:"recovery_password"`
}

func accountNew(env *Env, args []string) error {
	fs := newFlags("account new")
	asJSON := fs.Bool("json", false, "print a JSON object")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	seed := make([]byte, keys.RecoverySeedSize)
	if _, err := rand.Read(seed); err != nil {
		return fmt.Errorf("account new: %w", err)
	}
	id, err := keys.NewIdentity(seed)
	if err != nil {
		return err
	}
	words, err := mnemonic.Encode(seed)
	if err != nil {
		return err
	}
	acct := newAccount{SessionID: id.SessionID().String(), RecoveryPassword: words}
	if *asJSON {
		return writeJSON(env.Stdout, acct)
	}
	fmt.Fprintf(env.Stdout, "Session ID:        %s\nRecovery password: %s\n", acct.SessionID, acct.RecoveryPassword)
	fmt.Fprintln(env.Stdout, "Keep the recovery password secret: it is the only way to restore this account.")
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}
