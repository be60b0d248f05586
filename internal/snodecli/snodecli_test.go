package snodecli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestEnvironmentTwins(t *testing.T) {
	t.Setenv("SNODE_DATA_DIR", "/from/env")
	t.Setenv("SNODE_ADMIN_LISTEN", "127.0.0.1:9")
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "")
	listen := fs.String("listen", "", "")
	admin := fs.String("admin-listen", "", "")
	if err := parse(fs, []string{"--listen", "127.0.0.1:1", "--admin-listen", "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	if *dataDir != "/from/env" {
		t.Errorf("--data-dir = %q, want the SNODE_DATA_DIR value", *dataDir)
	}
	if *listen != "127.0.0.1:1" || *admin != "127.0.0.1:2" {
		t.Errorf("flags given on the command line must win over the environment: %q %q", *listen, *admin)
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Run(context.Background(), []string{"--version"}, &out, &errOut, []string{"snode"}); err != nil || !strings.HasPrefix(out.String(), "snode ") {
		t.Errorf("--version: %q, %v", out.String(), err)
	}
	for _, args := range [][]string{nil, {"nope"}, {"run"}, {"run", "--data-dir", "x"}, {"devnet"}, {"run", "--bogus"}, {"devnet", "add", "--dir", "x"}, {"devnet", "add", "--dir", "x", "none"}, {"devnet", "remove", "--dir", "x", "nothex"}} {
		err := Run(context.Background(), args, &out, &errOut, []string{"snode"})
		var ue UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
