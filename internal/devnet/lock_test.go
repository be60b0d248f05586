package devnet

import (
	"errors"
	"os"
	"testing"
)

func TestLockRefusesASecondDevnet(t *testing.T) {
	dir := t.TempDir()
	if Running(dir) {
		t.Fatal("Running: true before any lock")
	}
	l, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pid, ok := LockHolder(dir); !ok || pid != os.Getpid() {
		t.Fatalf("LockHolder = %d, %v; want %d, true", pid, ok, os.Getpid())
	}
	if _, err := lockDir(dir); !errors.Is(err, ErrInUse) {
		t.Fatalf("second lock: %v, want ErrInUse", err)
	}
	if Ready(dir) {
		t.Fatal("Ready without network.json")
	}
	l.release()
	if Running(dir) {
		t.Fatal("Running after release")
	}
	l2, err := lockDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.release()
}
