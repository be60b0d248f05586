package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/session-go/session-go/internal/snodecli"
)

// runDevnet is `session devnet`: a whole network of service nodes on
// 127.0.0.1, run by this same binary (see runNode), until interrupted.
func runDevnet(ctx context.Context, env *Env, args []string) error {
	hasDir := false
	for _, a := range args {
		if a == "--dir" || a == "-dir" || len(a) > 6 && (a[:6] == "--dir=" || a[:5] == "-dir=") {
			hasDir = true
		}
	}
	if !hasDir {
		args = append([]string{"--dir", defaultDevnetDir(env.Getenv)}, args...)
	}
	// Quiet by default: the messenger's devnet often runs in the background
	// of the terminal the user chats in. --log-level info shows node starts.
	args = append([]string{"--log-level", "warn"}, args...)
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return snodeErr(snodecli.Run(ctx, append([]string{"devnet"}, args...), env.Stdout, env.Stderr, []string{exe, "node"}))
}

// runNode is the hidden `session node …`: the service node embedded in the
// messenger binary, which `session devnet` starts.
func runNode(ctx context.Context, env *Env, args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return snodeErr(snodecli.Run(ctx, args, env.Stdout, env.Stderr, []string{exe, "node"}))
}

func snodeErr(err error) error {
	var ue snodecli.UsageError
	if errors.As(err, &ue) {
		return usagef("%v", err)
	}
	return err
}

// defaultDevnetDir is where `session devnet` runs when no --dir is given
// ($TMPDIR/session-devnet); accounts created while it runs use its network
// by default.
func defaultDevnetDir(getenv func(string) string) string {
	tmp := getenv("TMPDIR")
	if tmp == "" {
		tmp = os.TempDir()
	}
	return filepath.Join(tmp, "session-devnet")
}
