package clientdb

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAccount(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	clk := newClock()
	db.now = clk.Now

	if _, err := db.Account(ctx); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("Account on a new database: %v, want ErrNoAccount", err)
	}
	if err := db.SetDisplayName(ctx, "x"); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("SetDisplayName without account: %v, want ErrNoAccount", err)
	}
	if err := db.SetAccount(ctx, secretSeed, "Alice"); err != nil {
		t.Fatal(err)
	}
	a, err := db.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Seed, secretSeed) || a.DisplayName != "Alice" || !a.Created.Equal(clk.Now()) {
		t.Fatalf("Account = %x %q %v", a.Seed, a.DisplayName, a.Created)
	}

	// Same seed: only the name changes, and the creation time stays.
	clk.Advance(time.Hour)
	if err := db.SetAccount(ctx, secretSeed, "Alice B."); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAccount(ctx, bytes.Repeat([]byte{1}, 32), "Mallory"); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("SetAccount with another seed: %v, want ErrAccountExists", err)
	}
	a, _ = db.Account(ctx)
	if !bytes.Equal(a.Seed, secretSeed) || a.DisplayName != "Alice B." || !a.Created.Equal(clk.Now().Add(-time.Hour)) {
		t.Fatalf("after updates: %q %v", a.DisplayName, a.Created)
	}
	if err := db.SetDisplayName(ctx, "Al"); err != nil {
		t.Fatal(err)
	}

	// Reopen: the account is still there.
	db.Close()
	db = openAt(t, path, testKey(1))
	a, err = db.Account(ctx)
	if err != nil || !bytes.Equal(a.Seed, secretSeed) || a.DisplayName != "Al" {
		t.Fatalf("after reopen: %q, %v", a.DisplayName, err)
	}

	// Printing the account does not print the seed.
	for _, s := range []string{a.String(), fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s", a, a, a, a)} {
		if strings.Contains(s, hex.EncodeToString(secretSeed)) || strings.Contains(s, fmt.Sprint(secretSeed)) ||
			strings.Contains(s, fmt.Sprintf("%x", secretSeed[:4])) {
			t.Errorf("account prints its seed: %s", s)
		}
		if !strings.Contains(s, "Al") {
			t.Errorf("account prints without its name: %s", s)
		}
	}
}

func TestAccountValidation(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	for _, n := range []int{0, 15, 17, 31, 33, 64} {
		if err := db.SetAccount(ctx, make([]byte, n), "A"); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%d-byte seed: %v, want ErrInvalidArgument", n, err)
		}
	}
	if err := db.SetAccount(ctx, make([]byte, 16), strings.Repeat("é", 51)); !errors.Is(err, ErrNameTooLong) {
		t.Errorf("102-byte name: %v, want ErrNameTooLong", err)
	}
	if err := db.SetAccount(ctx, make([]byte, 16), "\xff"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("non-UTF-8 name: %v, want ErrInvalidArgument", err)
	}
	// A 16-byte recovery seed and a 100-byte name are fine.
	if err := db.SetAccount(ctx, bytes.Repeat([]byte{3}, 16), strings.Repeat("n", MaxNameBytes)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetDisplayName(ctx, strings.Repeat("n", MaxNameBytes+1)); !errors.Is(err, ErrNameTooLong) {
		t.Errorf("SetDisplayName of 101 bytes: %v, want ErrNameTooLong", err)
	}
	a, _ := db.Account(ctx)
	if len(a.Seed) != 16 || len(a.DisplayName) != MaxNameBytes {
		t.Errorf("stored %d-byte seed, %d-byte name", len(a.Seed), len(a.DisplayName))
	}
}
